import { ConfigError } from '@socklab/shared';
import { EXPECTATION_KEYS, validateScenario, type Bound, type Scenario } from '@socklab/shared/scenario';
import { formatIssues } from './load.js';

/** Flags of `run` and `compare` that state a server, its shaping, a swarm, or expectations. */
export interface ExperimentFlags {
  model?: string;
  serverImage?: string;
  serverFile?: string;
  port?: string;
  localhost?: boolean;
  backlog?: string;
  work?: string;
  protocol?: string;
  poolSize?: string;
  processes?: string;
  pollInterval?: string;
  recvTimeout?: string;
  sysctl?: string[];
  memory?: string;
  cpus?: string;
  delay?: string;
  jitter?: string;
  loss?: string;
  rate?: string;
  direction?: string;
  refusal?: string;
  clients?: string;
  preset?: string;
  arrival?: string;
  arrivalRate?: string;
  arrivalDuration?: string;
  concurrency?: string;
  connectTimeout?: string;
  readTimeout?: string;
  hold?: string;
  expectGreeting?: boolean;
  message?: string;
  maxDuration?: string;
  repeat?: string;
  expect?: string[];
}

/** Where each scenario field comes from on the command line, so errors name the flag the user typed. */
const FLAG_OF: Record<string, string> = {
  model: '--model', image: '--server-image', program: '--server-file', port: '--port', localhost: '--localhost', backlog: '--backlog', work: '--work', protocol: '--protocol', poolSize: '--pool-size', processes: '--processes',
  pollInterval: '--poll-interval', recvTimeout: '--recv-timeout', sysctls: '--sysctl', memory: '--memory', cpus: '--cpus',
  delay: '--delay', jitter: '--jitter', loss: '--loss', rate: '--rate', direction: '--direction', refusal: '--refusal',
  clients: '--clients', preset: '--preset', arrival: '--arrival', concurrency: '--concurrency',
  connectTimeout: '--connect-timeout', readTimeout: '--read-timeout', hold: '--hold', expectGreeting: '--expect-greeting',
  message: '--message', maxDuration: '--max-duration', repeat: '--repeat', expect: '--expect',
};
const SWARM_FLAG_OF: Record<string, string> = { rate: '--arrival-rate', duration: '--arrival-duration' };

/** A whole number stays a number for the schema; anything else is passed as typed, so the error shows it. */
const num = (v: string | undefined): number | string | undefined => (v === undefined ? undefined : /^-?\d+$/.test(v.trim()) ? Number(v) : v);

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `key=N`, `key=N..M`, `key=N..` or `key=..M`: an expectation from the command line. */
function parseExpect(items: readonly string[]): Record<string, Bound> {
  const out: Record<string, Bound> = {};
  for (const item of items) {
    const m = /^([A-Za-z_]+)=(\d+)?(\.\.)?(\d+)?$/.exec(item.trim());
    const key = m?.[1];
    if (!m || key === undefined || !(EXPECTATION_KEYS as readonly string[]).includes(key) || (m[2] === undefined && m[4] === undefined)) {
      throw new ConfigError(
        `invalid --expect ${JSON.stringify(item)}: expected KEY=N, KEY=MIN..MAX, KEY=MIN.. or KEY=..MAX with KEY one of ${EXPECTATION_KEYS.join(', ')}`,
      );
    }
    out[key] = m[3] ? defined({ min: m[2] === undefined ? undefined : Number(m[2]), max: m[4] === undefined ? undefined : Number(m[4]) }) : Number(m[2]);
  }
  return out;
}

function sysctls(items: readonly string[] | undefined): Record<string, string> | undefined {
  if (!items || items.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf('=');
    if (i <= 0) throw new ConfigError(`invalid --sysctl ${JSON.stringify(item)}: expected KEY=VALUE, e.g. net.ipv4.tcp_abort_on_overflow=1`);
    out[item.slice(0, i)] = item.slice(i + 1);
  }
  return out;
}

/** The server, shaping and swarm fields the flags set (only those given). */
function overrides(f: ExperimentFlags): { server: Record<string, unknown>; shaping: Record<string, unknown>; swarm: Record<string, unknown> } {
  return {
    server: defined({
      model: f.model, image: f.serverImage, program: f.serverFile, port: num(f.port), localhost: f.localhost,
      backlog: num(f.backlog), work: f.work, protocol: f.protocol, poolSize: num(f.poolSize), processes: num(f.processes),
      pollInterval: f.pollInterval, recvTimeout: f.recvTimeout, sysctls: sysctls(f.sysctl), memory: f.memory,
      cpus: f.cpus === undefined ? undefined : /^\d+(\.\d+)?$/.test(f.cpus.trim()) ? Number(f.cpus) : f.cpus,
    }),
    shaping: defined({ delay: f.delay, jitter: f.jitter, loss: f.loss, rate: f.rate, direction: f.direction, refusal: f.refusal }),
    swarm: defined({
      clients: num(f.clients), preset: f.preset, arrival: f.arrival, rate: num(f.arrivalRate), duration: f.arrivalDuration,
      concurrency: num(f.concurrency), connectTimeout: f.connectTimeout, readTimeout: f.readTimeout, hold: f.hold,
      expectGreeting: f.expectGreeting, message: f.message, maxDuration: f.maxDuration,
    }),
  };
}

/** Do the flags state any part of an experiment? */
export function hasExperimentFlags(f: ExperimentFlags): boolean {
  const o = overrides(f);
  return Object.keys(o.server).length + Object.keys(o.shaping).length + Object.keys(o.swarm).length > 0 || f.repeat !== undefined || (f.expect?.length ?? 0) > 0;
}

/**
 * A scenario from flags alone (`socklab run --model M --clients N ...`), or a scenario with the flags laid over
 * every server and swarm (`socklab run backlog --delay 100ms`). Validated by the one scenario schema; errors name
 * the flags.
 */
export function scenarioFromFlags(f: ExperimentFlags, base?: Scenario): Scenario {
  const o = overrides(f);
  const expect = f.expect && f.expect.length > 0 ? parseExpect(f.expect) : undefined;
  let input: Record<string, unknown>;
  if (base) {
    input = {
      ...base,
      ...(f.repeat !== undefined && { repeat: num(f.repeat) }),
      ...(expect && { expect: { ...base.expect, ...expect } }),
      servers: base.servers.map((s) => ({ ...s, ...o.server, ...(Object.keys(o.shaping).length > 0 && { shaping: { ...s.shaping, ...o.shaping } }) })),
      swarms: base.swarms.map((s) => ({ ...s, ...o.swarm })),
    };
  } else {
    if (f.model === undefined && f.serverImage === undefined && f.serverFile === undefined) {
      throw new ConfigError(
        'socklab run needs a scenario (a built-in name or a .yaml file), --model M, or a server of your own (--server-file server.py or --server-image IMAGE); `socklab scenarios` lists the built-in ones',
      );
    }
    const what = f.model ?? (f.serverFile !== undefined ? String(f.serverFile).split(/[\\/]/).pop() : f.serverImage);
    input = {
      name: 'flags',
      title: `${what}${f.backlog !== undefined ? ` backlog ${f.backlog}` : ''}${f.work ? ` ${f.work}` : ''} against ${f.clients ?? f.preset ?? 1} client(s)`,
      question: 'How does this server behave under these clients?',
      translations: {
        'pt-BR': {
          title: `${what}${f.backlog !== undefined ? ` backlog ${f.backlog}` : ''}${f.work ? ` ${f.work}` : ''} contra ${f.clients ?? f.preset ?? 1} cliente(s)`,
          question: 'Como este servidor se comporta sob esses clientes?',
        },
      },
      ...(f.repeat !== undefined && { repeat: num(f.repeat) }),
      ...(expect && { expect }),
      servers: [{ name: 'server', ...o.server, ...(Object.keys(o.shaping).length > 0 && { shaping: o.shaping }) }],
      swarms: [{ name: 'swarm', target: 'server', ...o.swarm }],
    };
  }
  const r = validateScenario(input);
  if (r.ok) return r.scenario;
  const lines = r.issues.map((issue, i) => {
    const p = r.paths[i] ?? [];
    const key = String(p[p.length - 1]);
    const flag = p[0] === 'swarms' ? (SWARM_FLAG_OF[key] ?? FLAG_OF[key]) : FLAG_OF[key];
    const given =
      p[0] === 'servers' && p[2] === 'shaping' ? key in o.shaping : p[0] === 'servers' ? key in o.server : p[0] === 'swarms' ? key in o.swarm : p[0] !== undefined;
    if (flag && given && issue.value !== undefined) return `invalid ${flag} ${JSON.stringify(String(issue.value))}: ${issue.message}`;
    return formatIssues([issue], () => (base ? `${base.name}: ` : ''));
  });
  throw new ConfigError(lines.join('\n'));
}
