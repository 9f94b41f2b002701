import { invalid } from './errors.js';
import { formatDuration, parseDuration, parseInteger } from './duration.js';
import { LAB_PORT, SERVER_METRICS_PORT } from './ports.js';
import { PROTOCOLS, type Protocol } from './protocol.js';

/** The server models. `sequential` with BACKLOG=1 is the course's servergargalo.py. */
export const MODELS = ['sequential', 'threaded', 'worker-threads', 'pool', 'prefork', 'event-loop', 'event-loop-workers', 'polling'] as const;
export type Model = (typeof MODELS)[number];

export type Work = { readonly kind: 'none'; readonly ms: 0 } | { readonly kind: 'io' | 'cpu'; readonly ms: number };
export const WORK_FORMS = 'none, io:<duration> (sleep) or cpu:<duration> (busy loop), e.g. io:5s, cpu:200ms';

export function parseWork(text: string): Work {
  const t = text.trim();
  if (t === 'none' || t === '') return { kind: 'none', ms: 0 };
  const m = /^(io|cpu):(.+)$/.exec(t);
  if (!m) throw invalid('WORK', text, WORK_FORMS);
  const ms = parseDuration(m[2] ?? '', 'WORK duration');
  return { kind: m[1] as 'io' | 'cpu', ms };
}

export function formatWork(work: Work): string {
  return work.kind === 'none' ? 'none' : `${work.kind}:${formatDuration(work.ms)}`;
}

export interface ServerConfig {
  readonly model: Model;
  readonly port: number;
  readonly metricsPort: number;
  /** Passed to listen(); the kernel caps it at net.core.somaxconn. */
  readonly backlog: number;
  readonly work: Work;
  readonly protocol: Protocol;
  /** pool: threads blocking in accept on one socket. */
  readonly poolSize: number;
  /** prefork and event-loop-workers: child processes inheriting the listening socket. */
  readonly processes: number;
  /** polling: pause between polls; 0 is a pure busy poll. */
  readonly pollIntervalMs: number;
  /** SO_RCVTIMEO on accepted sockets (the notebook's fix for deadlocks); 0 waits forever. */
  readonly recvTimeoutMs: number;
}

const SERVER_DEFAULTS: ServerConfig = {
  model: 'event-loop',
  port: LAB_PORT,
  metricsPort: SERVER_METRICS_PORT,
  backlog: 511,
  work: { kind: 'none', ms: 0 },
  protocol: 'echo',
  poolSize: 4,
  processes: 4,
  pollIntervalMs: 0,
  recvTimeoutMs: 0,
};

/** The environment variables a server reads (a `--flag` of the same name in kebab case may override). */
export const SERVER_ENV = [
  'MODEL',
  'PORT',
  'METRICS_PORT',
  'BACKLOG',
  'WORK',
  'PROTOCOL',
  'POOL_SIZE',
  'PROCESSES',
  'POLL_INTERVAL',
  'RECV_TIMEOUT',
] as const;
export type ServerEnv = Partial<Record<(typeof SERVER_ENV)[number], string>>;

/** Validate a server's configuration; every bad value is named with its valid forms. */
export function parseServerConfig(env: ServerEnv): ServerConfig {
  const d = SERVER_DEFAULTS;
  const model = env.MODEL ?? d.model;
  if (!(MODELS as readonly string[]).includes(model)) throw invalid('MODEL', model, `one of ${MODELS.join(', ')}`);
  const protocol = env.PROTOCOL ?? d.protocol;
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    throw invalid('PROTOCOL', protocol, `one of ${PROTOCOLS.join(', ')}`);
  }
  const port = env.PORT === undefined ? d.port : parseInteger(env.PORT, 'PORT', 1, 65535);
  const metricsPort = env.METRICS_PORT === undefined ? d.metricsPort : parseInteger(env.METRICS_PORT, 'METRICS_PORT', 1, 65535);
  if (port === metricsPort) throw invalid('METRICS_PORT', String(metricsPort), `a port other than PORT (${port})`);
  return {
    model: model as Model,
    port,
    metricsPort,
    backlog: env.BACKLOG === undefined ? d.backlog : parseInteger(env.BACKLOG, 'BACKLOG', 0, 65535),
    work: env.WORK === undefined ? d.work : parseWork(env.WORK),
    protocol: protocol as Protocol,
    poolSize: env.POOL_SIZE === undefined ? d.poolSize : parseInteger(env.POOL_SIZE, 'POOL_SIZE', 1, 4096),
    processes: env.PROCESSES === undefined ? d.processes : parseInteger(env.PROCESSES, 'PROCESSES', 1, 256),
    pollIntervalMs: env.POLL_INTERVAL === undefined ? d.pollIntervalMs : parseDuration(env.POLL_INTERVAL, 'POLL_INTERVAL'),
    recvTimeoutMs: env.RECV_TIMEOUT === undefined ? d.recvTimeoutMs : parseDuration(env.RECV_TIMEOUT, 'RECV_TIMEOUT'),
  };
}

/** The environment that reproduces a configuration (used by the orchestrator and compose). */
export function serverEnv(config: ServerConfig): Record<string, string> {
  return {
    MODEL: config.model,
    PORT: String(config.port),
    METRICS_PORT: String(config.metricsPort),
    BACKLOG: String(config.backlog),
    WORK: formatWork(config.work),
    PROTOCOL: config.protocol,
    POOL_SIZE: String(config.poolSize),
    PROCESSES: String(config.processes),
    POLL_INTERVAL: `${config.pollIntervalMs}ms`,
    RECV_TIMEOUT: `${config.recvTimeoutMs}ms`,
  };
}
