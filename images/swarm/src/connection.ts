import net from 'node:net';
import { encodeLine, LineSplitter, outcomeOfErrno, type Outcome, type SwarmConfig } from '@socklab/shared';

/** What one client connection did. Times are milliseconds from the connection's own start. */
export interface ConnectionResult {
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

/** How long to wait for the server's FIN (after its answer, or after our read timeout) before closing ourselves. */
const SERVER_CLOSE_GRACE_MS = 1000;

/**
 * One client connection: connect, (wait for a greeting), send a line, read the answer, close.
 * Exactly one outcome comes out, decided by the first thing that goes wrong or by the answer:
 *   connect timer fires before connect  -> connect_timeout
 *   ECONNREFUSED / ECONNRESET or EPIPE    -> refused / reset
 *   read timer fires while waiting       -> read_timeout
 *   the answer arrives (every request)   -> ok
 *   the server closes without answering  -> error (errno EOF)
 */
export function runConnection(
  host: string,
  port: number,
  o: ConnectionOptions,
  onConnect?: (ms: number) => void,
  signal?: AbortSignal,
): Promise<ConnectionResult> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const startedAt = Date.now();
    const since = (): number => performance.now() - t0;
    let connectMs: number | undefined;
    let firstByteMs: number | undefined;
    let requests = 0;
    let answered = 0;
    let outcome: Outcome | undefined;
    let errno: string | undefined;
    let doneMs: number | undefined;
    let timer: NodeJS.Timeout | undefined;
    let settled = false;
    let splitter: LineSplitter | undefined;
    let greeted = !o.expectGreeting;

    const socket = net.connect({ host, port });
    socket.setNoDelay(true);

    const arm = (ms: number, fn: () => void): void => {
      clearTimeout(timer);
      timer = ms > 0 ? setTimeout(fn, ms) : undefined;
    };
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const result: ConnectionResult = {
        outcome: outcome ?? 'error',
        startedAt,
        totalMs: doneMs ?? since(),
        requests,
        ...(errno !== undefined && { errno }),
        ...(connectMs !== undefined && { connectMs }),
        ...(firstByteMs !== undefined && { firstByteMs }),
      };
      resolve(result);
    };
    /** The first decision stands: later errors on a settled connection do not change its outcome. */
    const decide = (o2: Outcome, code?: string): void => {
      if (outcome !== undefined) return;
      outcome = o2;
      doneMs = since();
      if (code !== undefined) errno = code;
    };
    const fail = (o2: Outcome, code?: string): void => {
      decide(o2, code);
      socket.destroy();
    };
    const close = (): void => {
      clearTimeout(timer);
      if (o.closeWithReset) socket.resetAndDestroy();
      else socket.end();
    };
    /** Gave up waiting; like the notebook's client, keep the socket a moment so the server can give up too. */
    const readTimeout = (): void => {
      decide('read_timeout', 'ETIMEDOUT');
      arm(SERVER_CLOSE_GRACE_MS, () => socket.destroy());
    };
    const send = (): void => {
      requests += 1;
      socket.write(encodeLine(o.message));
      arm(o.readTimeoutMs, readTimeout);
    };

    arm(o.connectTimeoutMs, () => fail('connect_timeout', 'ETIMEDOUT'));
    // --max-duration ends what is still open; such connections count as errors (ECANCELED).
    const abort = (): void => fail('error', 'ECANCELED');
    signal?.addEventListener('abort', abort, { once: true });
    socket.once('close', () => signal?.removeEventListener('abort', abort));

    socket.once('connect', () => {
      connectMs = since();
      onConnect?.(connectMs);
      if (greeted) send();
      else arm(o.readTimeoutMs, readTimeout);
    });

    socket.on('data', (chunk) => {
      if (outcome !== undefined && outcome !== 'ok') return; // decided already (a late answer changes nothing)
      firstByteMs ??= since();
      splitter ??= new LineSplitter();
      let lines: string[];
      try {
        lines = splitter.push(chunk);
      } catch {
        fail('error', 'EPROTO');
        return;
      }
      for (const _line of lines) {
        if (!greeted) {
          greeted = true;
          send();
          continue;
        }
        answered += 1;
        if (answered < requests) continue;
        const elapsed = since();
        if (o.holdMs > 0 && elapsed < o.holdMs) {
          // Keep the connection: next request after the interval, or close when the hold ends.
          const next = Math.min(o.requestIntervalMs, o.holdMs - elapsed);
          arm(next, () => (since() >= o.holdMs ? (decide('ok'), close()) : send()));
        } else {
          decide('ok');
          // The lab protocol has the server close first (no TIME_WAIT here); wait briefly for its FIN.
          arm(SERVER_CLOSE_GRACE_MS, close);
        }
      }
    });

    socket.on('end', () => {
      // The server closed. Fine once every request was answered; before that it is a protocol error.
      if (answered > 0 && answered >= requests) {
        decide('ok');
        socket.end();
      } else fail('error', 'EOF');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'EUNKNOWN';
      fail(outcomeOfErrno(code), code);
    });
    socket.on('close', settle);
  });
}
