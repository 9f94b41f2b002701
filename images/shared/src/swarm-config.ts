import { parseArgs } from 'node:util';
import { ConfigError, invalid } from './errors.js';
import { DURATION_FORMS, parseDuration, parseInteger } from './duration.js';
import { DEFAULT_MESSAGE } from './protocol.js';
import { SWARM_METRICS_PORT } from './ports.js';

/** What a preset sets: the number of clients, and defaults for other flags (each in the flag's own form). */
interface Preset {
  readonly clients: number;
  readonly flags?: Readonly<Partial<Record<'arrival' | 'rate' | 'hold' | 'request-interval' | 'connect-timeout' | 'read-timeout' | 'max-duration', string>>>;
}

/**
 * The course's clients as presets: client.py (3), clientenervoso.py (10), the extra challenge (200), C10K, and
 * C100K (100,000 arriving at 4,000 a second, each held a minute: more than one swarm container holds, so only
 * socklab's plan, which spreads them, runs it). Flags given beside a preset win over its defaults.
 */
export const SWARM_PRESETS = {
  client: { clients: 3 },
  nervous: { clients: 10 },
  challenge: { clients: 200 },
  c10k: { clients: 10_000, flags: { hold: '30s' } },
  c100k: {
    clients: 100_000,
    flags: { arrival: 'steady', rate: '4000', hold: '60s', 'request-interval': '20s', 'connect-timeout': '30s', 'read-timeout': '60s', 'max-duration': '4m' },
  },
} as const satisfies Record<string, Preset>;
export type SwarmPreset = keyof typeof SWARM_PRESETS;

/** A preset's defaults in the scenario's own terms (a scenario swarm's fields), for the plan to spell out. */
export function presetFields(name: SwarmPreset): { clients: number; arrival?: Arrival; rate?: number; hold?: string; requestInterval?: string; connectTimeout?: string; readTimeout?: string; maxDuration?: string } {
  const p: Preset = SWARM_PRESETS[name];
  const f = p.flags ?? {};
  return {
    clients: p.clients,
    ...(f.arrival !== undefined && { arrival: f.arrival as Arrival }),
    ...(f.rate !== undefined && { rate: Number(f.rate) }),
    ...(f.hold !== undefined && { hold: f.hold }),
    ...(f['request-interval'] !== undefined && { requestInterval: f['request-interval'] }),
    ...(f['connect-timeout'] !== undefined && { connectTimeout: f['connect-timeout'] }),
    ...(f['read-timeout'] !== undefined && { readTimeout: f['read-timeout'] }),
    ...(f['max-duration'] !== undefined && { maxDuration: f['max-duration'] }),
  };
}

export const ARRIVALS = ['burst', 'ramp', 'steady', 'closed'] as const;
export type Arrival = (typeof ARRIVALS)[number];

/** Hard bounds no flag lifts: every run is bounded in connections and time. */
/** Bounds of one swarm; connect() slows past about `connectSlowsPast` connections per (source, server, port) tuple (measured on Linux). */
export const SWARM_LIMITS = { maxClients: 50_000, maxDurationMs: 60 * 60_000, defaultMaxDurationMs: 5 * 60_000, connectSlowsPast: 14_000 } as const;

export interface SwarmConfig {
  readonly target: { readonly host: string; readonly port: number };
  readonly clients: number;
  readonly arrival: Arrival;
  /** ramp: the rate reached at the end; steady: the fixed rate (connections per second). */
  readonly rate: number;
  /** ramp and steady: how long arrivals go on. */
  readonly durationMs: number;
  /** closed: connections in flight at once; each one that ends starts the next, until --clients have run. */
  readonly concurrency: number;
  /** Wait this long before the first wave. */
  readonly delayMs: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly message: string;
  /** Keep each connection open this long, sending a request per `requestInterval` (keep-alive servers). */
  readonly holdMs: number;
  readonly requestIntervalMs: number;
  /** Wait for the server to speak first (one side of the notebook's deadlock). */
  readonly expectGreeting: boolean;
  /** Run again every interval (0: once). Waves go on until max-duration. */
  readonly repeatMs: number;
  readonly maxDurationMs: number;
  readonly metricsPort: number;
  /** Keep the metrics endpoint up this long after the run (0: exit at once), so Prometheus scrapes final values. */
  readonly lingerMs: number;
  /** Close with RST instead of FIN when the client closes first (avoids TIME_WAIT on the client). */
  readonly closeWithReset: boolean;
  /**
   * Say SWARM_READY_LINE and start the first wave only on SWARM_START_SIGNAL: socklab starts a trial's swarms
   * ahead, while the servers boot, and sets them off together.
   */
  readonly startOnSignal: boolean;
}

/** What a swarm started with --start-on-signal prints (stderr) once it waits, and the signal that sets it off. */
export const SWARM_READY_LINE = 'socklab swarm: ready';
export const SWARM_START_SIGNAL = 'SIGUSR2';

export const SWARM_USAGE = `socklab swarm: fires client connections at a socklab server and classifies each outcome.

  --target host:port       server to connect to (required); must be loopback or on one of the swarm's own subnets
  --preset NAME            ${Object.entries(SWARM_PRESETS).map(([k, v]) => `${k} (${v.clients})`).join(', ')}
  --clients N              number of connections (overrides the preset; 1 to ${SWARM_LIMITS.maxClients})
  --arrival KIND           burst (all at once, default), ramp (rate rising to --rate), steady (--rate for --duration),
                           closed (--concurrency at a time, back to back, until --clients have run: for throughput)
  --rate N                 connections per second for ramp and steady
  --duration D             how long ramp and steady go on (or give --clients: they go on until that many started)
  --concurrency N          connections in flight at once for closed arrivals
  --delay D                wait D before the first wave
  --connect-timeout D      give up connecting after D (default 5s; 0 waits for the kernel's own limit)
  --read-timeout D         give up waiting for the answer after D (default 10s; 0 waits forever)
  --message TEXT           request line (default "${DEFAULT_MESSAGE}")
  --hold D                 keep each connection open for D, one request per --request-interval (keep-alive servers)
  --request-interval D     pause between requests while holding (default 1s)
  --expect-greeting        wait for the server to speak first
  --repeat D               run again every D until --max-duration
  --max-duration D         hard bound on the whole run (default 5m, at most 1h)
  --metrics-port N         Prometheus metrics port (default ${SWARM_METRICS_PORT}; 0 disables)
  --linger D               keep serving metrics for D after the run
  --close-with-reset       close with RST (no TIME_WAIT) when the client closes first
  --start-on-signal        print "socklab swarm: ready" and start on SIGUSR2 (socklab starts a trial's swarms together);
                           --max-duration bounds the wait too
Durations: ${DURATION_FORMS}.`;

function duration(value: string | undefined, flag: string, fallback: number): number {
  return value === undefined ? fallback : parseDuration(value, `--${flag}`);
}


/** How many connections a ramp or steady arrival makes: steady at `rate`/s, or a ramp from 0 up to `rate`/s. */
export function arrivalCount(arrival: 'ramp' | 'steady', rate: number, durationMs: number): number {
  const d = durationMs / 1000;
  return Math.max(1, Math.round(arrival === 'steady' ? rate * d : (rate * d) / 2));
}

/** What an arrival lacks, or the count its clients contradict. */
export type ArrivalProblem = { readonly missing: 'rate' | 'duration or clients' | 'concurrency' } | { readonly makes: number };

/**
 * The one rule an arrival is held to, by the swarm's flags and by a scenario's swarms alike (each says it in its own
 * terms): ramp and steady need a rate, and a duration or a number of clients, which must then agree; closed needs
 * a concurrency.
 */
export function arrivalProblem(a: { arrival?: string | undefined; rate?: number | undefined; durationMs?: number | undefined; clients?: number | undefined; concurrency?: number | undefined }): ArrivalProblem | null {
  if (a.arrival === 'closed') return a.concurrency === undefined ? { missing: 'concurrency' } : null;
  if (a.arrival !== 'ramp' && a.arrival !== 'steady') return null;
  if (a.rate === undefined) return { missing: 'rate' };
  if (a.durationMs === undefined && a.clients === undefined) return { missing: 'duration or clients' };
  if (a.clients === undefined || a.durationMs === undefined) return null;
  const makes = arrivalCount(a.arrival, a.rate, a.durationMs);
  return makes === a.clients ? null : { makes };
}
/** The swarm's flags, as node:util parseArgs reads them. */
const SWARM_OPTIONS = {
    target: { type: 'string' },
    preset: { type: 'string' },
    clients: { type: 'string' },
    arrival: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    delay: { type: 'string' },
    'connect-timeout': { type: 'string' },
    'read-timeout': { type: 'string' },
    message: { type: 'string' },
    hold: { type: 'string' },
    'request-interval': { type: 'string' },
    'expect-greeting': { type: 'boolean' },
    repeat: { type: 'string' },
    'max-duration': { type: 'string' },
    'metrics-port': { type: 'string' },
    linger: { type: 'string' },
    'close-with-reset': { type: 'boolean' },
    'start-on-signal': { type: 'boolean' },
} as const;

type SwarmValues = ReturnType<typeof parseArgs<{ options: typeof SWARM_OPTIONS; strict: true; allowPositionals: false }>>['values'];

function parseTarget(given: string | undefined): SwarmConfig['target'] {
  if (given === undefined) throw new ConfigError(`--target host:port is required\n\n${SWARM_USAGE}`);
  const tm = /^(.+):(\d+)$/.exec(given);
  if (!tm) throw invalid('--target', given, 'host:port, e.g. server:7000 or 127.0.0.1:7000');
  return { host: (tm[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port: parseInteger(tm[2] ?? '', '--target port', 1, 65535) };
}

/** How the clients arrive: the arrival, its rate, how long it lasts, the closed loop's concurrency. */
function arrivalOf(v: SwarmValues, clients: number, clientsGiven: boolean): Pick<SwarmConfig, 'arrival' | 'rate' | 'durationMs' | 'concurrency'> {
  const arrival = v.arrival ?? 'burst';
  if (!(ARRIVALS as readonly string[]).includes(arrival)) throw invalid('--arrival', arrival, `one of ${ARRIVALS.join(', ')}`);
  const rate = v.rate === undefined ? 0 : parseInteger(v.rate, '--rate', 1, 1_000_000);
  let durationMs = duration(v.duration, 'duration', 0);
  const concurrency = v.concurrency === undefined ? 0 : parseInteger(v.concurrency, '--concurrency', 1, SWARM_LIMITS.maxClients);
  const problem = arrivalProblem({
    arrival,
    ...(rate > 0 && { rate }),
    ...(durationMs > 0 && { durationMs }),
    ...(clientsGiven && { clients }),
    ...(concurrency > 0 && { concurrency }),
  });
  if (problem && 'missing' in problem) {
    throw new ConfigError(problem.missing === 'concurrency' ? '--arrival closed needs --concurrency N' : `--arrival ${arrival} needs --rate N (connections per second) and --duration D or --clients N`);
  }
  if (problem) throw invalid('--clients', v.clients ?? String(clients), `${problem.makes} or nothing: --arrival ${arrival} at --rate ${rate} over --duration ${v.duration} makes ${problem.makes} connections`);
  // Given the clients and no duration, the arrival lasts as long as it takes to make them.
  if ((arrival === 'ramp' || arrival === 'steady') && durationMs === 0) durationMs = ((arrival === 'ramp' ? 2 : 1) * clients * 1000) / rate;
  return { arrival: arrival as Arrival, rate, durationMs, concurrency };
}

/** Parse swarm flags into a validated configuration; bad values name the valid forms. */
export function parseSwarmArgs(argv: readonly string[]): SwarmConfig {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: SWARM_OPTIONS });
  } catch (e) {
    throw new ConfigError(`${(e as Error).message}\n\n${SWARM_USAGE}`);
  }
  let preset: Preset | undefined;
  if (parsed.values.preset !== undefined) {
    const name = parsed.values.preset;
    if (!(name in SWARM_PRESETS)) throw invalid('--preset', name, `one of ${Object.keys(SWARM_PRESETS).join(', ')}`);
    preset = SWARM_PRESETS[name as SwarmPreset];
    if (preset.clients > SWARM_LIMITS.maxClients && parsed.values.clients === undefined) {
      throw invalid('--preset', name, `a preset of at most ${SWARM_LIMITS.maxClients} clients in one swarm container, or --clients N beside it (socklab run spreads ${preset.clients} over several)`);
    }
  }
  // The preset's defaults first, the flags given over them.
  const v: SwarmValues = { ...preset?.flags, ...parsed.values };
  const target = parseTarget(v.target);
  const clients = v.clients !== undefined ? parseInteger(v.clients, '--clients', 1, SWARM_LIMITS.maxClients) : (preset?.clients ?? 1);
  const maxDurationMs = duration(v['max-duration'], 'max-duration', SWARM_LIMITS.defaultMaxDurationMs);
  if (maxDurationMs <= 0 || maxDurationMs > SWARM_LIMITS.maxDurationMs) {
    throw invalid('--max-duration', v['max-duration'], 'a duration above 0 and at most 1h');
  }
  const message = v.message ?? DEFAULT_MESSAGE;
  if (message.includes('\n')) throw invalid('--message', message, 'one line of text (no newline)');
  const holdMs = duration(v.hold, 'hold', 0);
  return {
    target,
    clients,
    ...arrivalOf(v, clients, v.clients !== undefined || preset !== undefined),
    delayMs: duration(v.delay, 'delay', 0),
    connectTimeoutMs: duration(v['connect-timeout'], 'connect-timeout', 5000),
    readTimeoutMs: duration(v['read-timeout'], 'read-timeout', 10_000),
    message,
    holdMs,
    requestIntervalMs: duration(v['request-interval'], 'request-interval', 1000),
    expectGreeting: v['expect-greeting'] ?? false,
    repeatMs: duration(v.repeat, 'repeat', 0),
    maxDurationMs,
    metricsPort: v['metrics-port'] === undefined ? SWARM_METRICS_PORT : parseInteger(v['metrics-port'], '--metrics-port', 0, 65535),
    lingerMs: duration(v.linger, 'linger', 0),
    closeWithReset: v['close-with-reset'] ?? false,
    startOnSignal: v['start-on-signal'] ?? false,
  };
}
