import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import {
  ConfigError,
  invalid,
  parseDuration,
  parseInteger,
  parseServerConfig,
  parseShaping,
  parseWork,
  SWARM_LIMITS,
  SWARM_PRESETS,
  WORK_FORMS,
} from '@socklab/shared';
import { parseSize, SIZE_FORMS } from '@socklab/shared/scenario';

type Check = (value: string, name: string) => void;

const duration: Check = (v, name) => void parseDuration(v, name);
/**
 * Checked by the parser of the image that reads it (as `key`), so the lab accepts exactly what the server or the
 * probe does; its message then names the lab's variable.
 */
const through =
  (parse: (env: Record<string, string>) => unknown, key: string, also: Record<string, string> = {}): Check =>
  (v, name) => {
    try {
      parse({ ...also, [key]: v });
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      throw new ConfigError(e.message.replace(new RegExp(`\\b${key}\\b`, 'g'), name).replace(/\bDELAY\b/g, 'SOCKLAB_DELAY'));
    }
  };
const server = (key: string): Check => through(parseServerConfig, key);
const shaping = (key: string): Check => through(parseShaping, key);
const whole = (min: number, max: number): Check => (v, name) => void parseInteger(v, name, min, max);
const oneOf = (values: readonly string[]): Check => (v, name) => {
  if (!values.includes(v)) throw invalid(name, v, `one of ${values.join(', ')}`);
};
/** Compose's memory limits: Docker's sizes (512M, 1g, ...). */
const size: Check = (v, name) => {
  try {
    parseSize(v);
  } catch {
    throw invalid(name, v, `${SIZE_FORMS}, at least 6m`);
  }
};
const cpus: Check = (v, name) => {
  if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) throw invalid(name, v, 'a number of CPUs above 0, e.g. 0.5 or 2');
};
const port = whole(1, 65535);
const image: Check = (v, name) => {
  // A Docker image reference: [registry/]name[:tag][@digest], lower-case path components.
  if (!/^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/.test(v)) {
    throw invalid(name, v, 'an image reference like node:24-bookworm or registry.example/socklab/grafana:13.0.1');
  }
};
const subnet: Check = (v, name) => {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(v);
  const valid = 'a private IPv4 subnet in CIDR form from /8 to /28, e.g. 172.31.250.0/24 (10/8, 172.16/12 or 192.168/16)';
  if (!m || isIP(v.split('/')[0]!) !== 4) throw invalid(name, v, valid);
  const [a, b] = [Number(m[1]), Number(m[2])];
  const prefix = Number(m[5]);
  const isPrivate = a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  if (!isPrivate || prefix < 8 || prefix > 28) throw invalid(name, v, valid);
};
const bind: Check = (v, name) => {
  if (isIP(v) === 0) throw invalid(name, v, 'an IP address of this machine, e.g. 127.0.0.1 (only this machine) or 0.0.0.0 (every interface)');
};

/**
 * Every SOCKLAB_* variable the compose files read, with the check its value must pass. `socklab lab` checks the
 * environment against this table before it starts anything: a bad value ends with exit 2 and the valid forms,
 * instead of a container that exits later with its own message (or Compose's).
 */
export const LAB_VARIABLES: Readonly<Record<string, Check>> = {
  SOCKLAB_WORK: (v, name) => {
    try {
      parseWork(v);
    } catch {
      throw invalid(name, v, WORK_FORMS);
    }
  },
  SOCKLAB_GARGALO_WORK: (v, name) => LAB_VARIABLES.SOCKLAB_WORK!(v, name),
  SOCKLAB_BACKLOG: server('BACKLOG'),
  SOCKLAB_RECV_TIMEOUT: server('RECV_TIMEOUT'),
  SOCKLAB_ABORT_ON_OVERFLOW: oneOf(['0', '1']),
  SOCKLAB_POOL_SIZE: server('POOL_SIZE'),
  SOCKLAB_PROCESSES: server('PROCESSES'),
  SOCKLAB_POLL_INTERVAL: server('POLL_INTERVAL'),
  // One swarm container runs a lab's clients: the presets it holds alone (c100k needs socklab run's spreading).
  SOCKLAB_PRESET: oneOf(Object.entries(SWARM_PRESETS).filter(([, p]) => p.clients <= SWARM_LIMITS.maxClients).map(([k]) => k)),
  SOCKLAB_NERVOUS_CLIENTS: whole(1, SWARM_LIMITS.maxClients),
  SOCKLAB_CHALLENGE_CLIENTS: whole(1, SWARM_LIMITS.maxClients),
  SOCKLAB_CLIENT_REPLICAS: whole(1, 100),
  SOCKLAB_WAVE_EVERY: duration,
  SOCKLAB_GARGALO_EVERY: duration,
  SOCKLAB_CHALLENGE_EVERY: duration,
  SOCKLAB_DELAY: shaping('DELAY'),
  // Alone, against the largest delay; checked against SOCKLAB_DELAY itself in checkLabEnv.
  SOCKLAB_JITTER: through(parseShaping, 'JITTER', { DELAY: '1h' }),
  SOCKLAB_LOSS: shaping('LOSS'),
  SOCKLAB_RATE: shaping('RATE'),
  SOCKLAB_DIRECTION: shaping('DIRECTION'),
  SOCKLAB_REFUSAL: shaping('REFUSAL'),
  SOCKLAB_SERVER_MEMORY: size,
  SOCKLAB_SERVER_CPUS: cpus,
  SOCKLAB_SWARM_MEMORY: size,
  SOCKLAB_SWARM_CPUS: cpus,
  SOCKLAB_SUBNET: subnet,
  SOCKLAB_BIND: bind,
  SOCKLAB_PROMETHEUS_PORT: port,
  SOCKLAB_GRAFANA_PORT: port,
  SOCKLAB_NODE_IMAGE: image,
  SOCKLAB_NODE_RUNTIME_IMAGE: image,
  SOCKLAB_PROMETHEUS_IMAGE: image,
  SOCKLAB_GRAFANA_IMAGE: image,
};

/**
 * Check the lab's variables in `env` (as Compose reads them: an empty value means the default). Every bad one is
 * named, with its valid forms, in one ConfigError (exit 2); so are rules across variables.
 */
export function checkLabEnv(env: NodeJS.ProcessEnv = process.env): void {
  const problems: string[] = [];
  const set = (k: string): string | undefined => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  for (const [name, check] of Object.entries(LAB_VARIABLES)) {
    const v = set(name);
    if (v === undefined) continue;
    try {
      check(v, name);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      problems.push(e.message);
    }
  }
  const jitter = set('SOCKLAB_JITTER');
  if (jitter !== undefined && problems.every((p) => !p.includes('SOCKLAB_JITTER') && !p.includes('SOCKLAB_DELAY'))) {
    try {
      through(parseShaping, 'JITTER', { DELAY: set('SOCKLAB_DELAY') ?? '0' })(jitter, 'SOCKLAB_JITTER');
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (set('SOCKLAB_REFUSAL') === 'abort-on-overflow' && set('SOCKLAB_ABORT_ON_OVERFLOW') !== '1') {
    problems.push(invalid('SOCKLAB_REFUSAL', 'abort-on-overflow', 'it together with SOCKLAB_ABORT_ON_OVERFLOW=1 (the kernel setting that makes a full queue reset)').message);
  }
  const unknown = Object.keys(env).filter((k) => k.startsWith('SOCKLAB_') && !(k in LAB_VARIABLES) && !NOT_COMPOSE.has(k));
  for (const k of unknown) problems.push(invalid('variable', k, `one of the lab's: ${Object.keys(LAB_VARIABLES).join(', ')} (see the README)`).message);
  if (problems.length === 1) throw new ConfigError(problems[0]!);
  if (problems.length > 1) throw new ConfigError(`${problems.length} lab variables are wrong:\n  ${problems.join('\n  ')}`);
}

/** SOCKLAB_* variables that are not the compose files' (the CLI's and the bench's own). */
const NOT_COMPOSE = new Set(['SOCKLAB_COMPOSE', 'SOCKLAB_CA_FILE', 'SOCKLAB_SOAK_MINUTES', 'SOCKLAB_OFFLINE', 'SOCKLAB_CHROMIUM', 'SOCKLAB_PROGRAM', 'SOCKLAB_PROGRAM_NAME']);

/**
 * The variables Compose will use: the project's `.env` file (KEY=VALUE lines), overridden by the shell, as
 * Compose does.
 */
export function labEnv(root: string, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const file = path.join(root, '.env');
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
      if (!m || line.trimStart().startsWith('#')) continue;
      fromFile[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
    }
  }
  return { ...fromFile, ...env };
}
