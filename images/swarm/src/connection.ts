import net from 'node:net';
import { encodeLine, outcomeOfErrno, SWARM_PHASES, type Outcome, type SwarmConfig, type SwarmPhase } from '@socklab/shared';
import { wheel, type WheelEntry } from './timer-wheel.js';

/** What one client connection did. Times are milliseconds from the connection's own start. */
export interface ConnectionResult {
  /** Start order within this swarm process. */
  readonly seq: number;
  readonly outcome: Outcome;
  /** The socket error code when one decided the outcome (ECONNREFUSED, ECONNRESET, ...). */
  readonly errno?: string;
  readonly startedAt: number;
  readonly connectMs?: number;
  readonly firstByteMs?: number;
  readonly totalMs: number;
  readonly requests: number;
}

export type ConnectionOptions = Pick<
  SwarmConfig,
  'connectTimeoutMs' | 'readTimeoutMs' | 'message' | 'holdMs' | 'requestIntervalMs' | 'expectGreeting' | 'closeWithReset'
>;

/** The request line on the wire, encoded once per options object and shared by its connections. */
const encoded = new WeakMap<ConnectionOptions, Buffer>();
function requestLine(o: ConnectionOptions): Buffer {
  let line = encoded.get(o);
  if (!line) encoded.set(o, (line = encodeLine(o.message)));
  return line;
}

/** How long to wait for the server's FIN (after its answer, or after our read timeout) before closing ourselves. */
const SERVER_CLOSE_GRACE_MS = 1000;
const NEWLINE = 10;

/**
 * Connections in flight by what they wait for, counted as they move (read at scrape time): the notebook's deadlock
 * seen from the client side is every connection `awaiting_greeting`.
 */
export const inFlightByPhase: Record<SwarmPhase, number> = Object.fromEntries(SWARM_PHASES.map((p) => [p, 0])) as Record<SwarmPhase, number>;

/** Live connections, so --max-duration can end them without a listener per connection. */
export class ConnectionSet {
  private readonly live = new Set<Connection>();
  add(c: Connection): void {
    this.live.add(c);
  }
  delete(c: Connection): void {
    this.live.delete(c);
  }
  /** End every open connection as error (ECANCELED). */
  cancelAll(): void {
    for (const c of this.live) c.fail('error', 'ECANCELED');
  }
}

/**
 * One client connection: connect, (wait for a greeting), send a line, read the answer, close.
 * Exactly one outcome comes out, decided by the first thing that goes wrong or by the answer:
 *   connect timer fires before connect  -> connect_timeout
 *   ECONNREFUSED / ECONNRESET or EPIPE    -> refused / reset
 *   read timer fires while waiting       -> read_timeout
 *   the answer arrives (every request)   -> ok
 *   the server closes without answering  -> error (errno EOF)
 *
 * Written as one small object per connection with handlers shared by all sockets (no closures per
 * connection): at C10K, per-connection bytes are what the swarm costs.
 */
let started = 0;

export class Connection implements WheelEntry {
  private readonly seq = started++;
  private readonly t0 = performance.now();
  private readonly startedAt = Date.now();
  private readonly socket: net.Socket;
  /** Tick of the armed timeout on the shared wheel (0: none). */
  due = 0;
  private timerKind: 'connect' | 'read' | 'grace' | 'next' | undefined;
  private connectMs: number | undefined;
  private firstByteMs: number | undefined;
  private doneMs: number | undefined;
  private outcome: Outcome | undefined;
  private errno: string | undefined;
  private requests = 0;
  private answered = 0;
  private greeted: boolean;
  private settled = false;
  private phase: SwarmPhase | null = null;

  constructor(
    host: string,
    port: number,
    private readonly o: ConnectionOptions,
    private readonly set: ConnectionSet | undefined,
    private readonly onConnect: ((ms: number) => void) | undefined,
    private readonly resolve: (r: ConnectionResult) => void,
  ) {
    this.greeted = !o.expectGreeting;
    const socket = net.connect({ host, port, noDelay: true });
    (socket as SocketWithConn)[CONN] = this;
    socket.once('connect', onConnectShared);
    socket.on('data', onDataShared);
    socket.on('end', onEndShared);
    socket.on('error', onErrorShared);
    socket.on('close', onCloseShared);
    this.socket = socket;
    set?.add(this);
    this.enter('connecting');
    this.arm('connect', o.connectTimeoutMs);
  }

  /** Move to another phase (null: no longer in flight, or decided). */
  private enter(phase: SwarmPhase | null): void {
    if (this.phase !== null) inFlightByPhase[this.phase] -= 1;
    this.phase = phase;
    if (phase !== null) inFlightByPhase[phase] += 1;
  }

  private since(): number {
    return performance.now() - this.t0;
  }

  private arm(kind: Connection['timerKind'], ms: number): void {
    this.timerKind = kind;
    if (ms > 0) wheel.schedule(this, ms);
    else wheel.cancel(this);
  }

  /** The first decision stands: later errors on a decided connection do not change its outcome. */
  private decide(outcome: Outcome, code?: string): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    this.enter(null);
    this.doneMs = this.since();
    if (code !== undefined) this.errno = code;
  }

  fail(outcome: Outcome, code?: string): void {
    this.decide(outcome, code);
    this.socket.destroy();
  }

  /**
   * Close for good: send our FIN and release the socket once it is out, without waiting for the server's own
   * FIN (a server that never closes would otherwise hold this client, and the whole run, until --max-duration).
   */
  private close(): void {
    wheel.cancel(this);
    if (this.o.closeWithReset) this.socket.resetAndDestroy();
    else this.socket.end(() => this.socket.destroy());
  }

  private send(): void {
    this.enter('awaiting_answer');
    this.requests += 1;
    this.socket.write(requestLine(this.o));
    this.arm('read', this.o.readTimeoutMs);
  }

  fire(): void {
    switch (this.timerKind) {
      case 'connect':
        return this.fail('connect_timeout', 'ETIMEDOUT');
      case 'read':
        // Gave up waiting; like the notebook's client, keep the socket a moment so the server can give up too.
        this.decide('read_timeout', 'ETIMEDOUT');
        return this.arm('grace', SERVER_CLOSE_GRACE_MS);
      case 'grace':
        return this.close();
      case 'next':
        if (this.since() >= this.o.holdMs) {
          this.decide('ok');
          return this.close();
        }
        return this.send();
      case undefined:
        return;
    }
  }

  connected(): void {
    this.connectMs = this.since();
    this.onConnect?.(this.connectMs);
    if (this.greeted) this.send();
    else {
      this.enter('awaiting_greeting');
      this.arm('read', this.o.readTimeoutMs);
    }
  }

  data(chunk: Buffer): void {
    if (this.outcome !== undefined && this.outcome !== 'ok') return; // decided already: a late answer changes nothing
    this.firstByteMs ??= this.since();
    // Lines are counted by their newlines: the answers are echoes of our own line.
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, i + 1)) {
      if (!this.greeted) {
        this.greeted = true;
        this.send();
        continue;
      }
      this.answered += 1;
      if (this.answered < this.requests) continue;
      const elapsed = this.since();
      if (this.o.holdMs > 0 && elapsed < this.o.holdMs) {
        // Keep the connection: next request after the interval, or close when the hold ends.
        this.enter('holding');
        this.arm('next', Math.min(this.o.requestIntervalMs, this.o.holdMs - elapsed));
      } else {
        this.decide('ok');
        // The lab protocol has the server close first (no TIME_WAIT here); wait briefly for its FIN.
        this.arm('grace', SERVER_CLOSE_GRACE_MS);
      }
    }
  }

  ended(): void {
    // The server closed. Fine once every request was answered; before that it is a protocol error.
    if (this.answered > 0 && this.answered >= this.requests) {
      this.decide('ok');
      this.socket.end();
    } else this.fail('error', 'EOF');
  }

  errored(err: NodeJS.ErrnoException): void {
    const code = err.code ?? 'EUNKNOWN';
    this.fail(outcomeOfErrno(code), code);
  }

  closed(): void {
    if (this.settled) return;
    this.settled = true;
    this.enter(null);
    wheel.cancel(this);
    this.set?.delete(this);
    const r: ConnectionResult = {
      seq: this.seq,
      outcome: this.outcome ?? 'error',
      startedAt: this.startedAt,
      totalMs: this.doneMs ?? this.since(),
      requests: this.requests,
      ...(this.errno !== undefined && { errno: this.errno }),
      ...(this.connectMs !== undefined && { connectMs: this.connectMs }),
      ...(this.firstByteMs !== undefined && { firstByteMs: this.firstByteMs }),
    };
    this.resolve(r);
  }
}

const CONN = Symbol('socklab.connection');
type SocketWithConn = net.Socket & { [CONN]: Connection };
function onConnectShared(this: net.Socket): void {
  (this as SocketWithConn)[CONN].connected();
}
function onDataShared(this: net.Socket, chunk: Buffer): void {
  (this as SocketWithConn)[CONN].data(chunk);
}
function onEndShared(this: net.Socket): void {
  (this as SocketWithConn)[CONN].ended();
}
function onErrorShared(this: net.Socket, err: NodeJS.ErrnoException): void {
  (this as SocketWithConn)[CONN].errored(err);
}
function onCloseShared(this: net.Socket): void {
  (this as SocketWithConn)[CONN].closed();
}

/** Run one connection to its end (a promise; bulk runs call `new Connection` with a shared callback instead). */
export function runConnection(
  host: string,
  port: number,
  o: ConnectionOptions,
  onConnect?: (ms: number) => void,
  set?: ConnectionSet,
): Promise<ConnectionResult> {
  return new Promise((resolve) => new Connection(host, port, o, set, onConnect, resolve));
}

/** Connections open now: established and not yet decided (every phase in flight but connecting). */
export function heldNow(): number {
  return inFlightByPhase.awaiting_greeting + inFlightByPhase.awaiting_answer + inFlightByPhase.holding;
}
