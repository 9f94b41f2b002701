/**
 * The scenario schema: what a scenario file (YAML) or the CLI's flags state about an experiment. One schema
 * validates both, reusing the images' own parsers (durations, work, shaping, refusal), so a value the server or
 * the swarm would reject is rejected here first, with its path and the valid forms. `scenarioJsonSchema()` gives
 * the same schema to editors. zod stays behind this subpath (`@socklab/shared/scenario`).
 */
import { z } from 'zod';
import { DURATION_FORMS, parseDuration, parsePercent, parseRate, PERCENT_FORMS, RATE_FORMS } from './duration.js';
import { MODELS, parseWork, WORK_FORMS } from './server-config.js';
import { PROTOCOLS } from './protocol.js';
import { arrivalProblem, ARRIVALS, SWARM_LIMITS, SWARM_PRESETS } from './swarm-config.js';
import { DIRECTIONS, parseRefusal, REFUSAL_FORMS } from './shaping-config.js';
import { OUTCOMES } from './outcomes.js';

/** A string (or number) that one of the shared parsers accepts; the message names the valid forms. */
function parsed(forms: string, parse: (text: string) => unknown, description: string): z.ZodType<string | number> {
  return z
    .union([z.string(), z.number()], { error: () => `expected ${forms}` })
    .superRefine((v, ctx) => {
      try {
        parse(String(v));
      } catch {
        ctx.addIssue({ code: 'custom', message: `expected ${forms}` });
      }
    })
    .describe(description);
}

const duration = (d: string): z.ZodType<string | number> => parsed(DURATION_FORMS, (t) => parseDuration(t), d);
const int = (min: number, max: number, d: string): z.ZodNumber =>
  z
    .number({ error: () => `expected a whole number from ${min} to ${max}` })
    .int({ error: () => `expected a whole number from ${min} to ${max}` })
    .min(min, { error: () => `expected a whole number from ${min} to ${max}` })
    .max(max, { error: () => `expected a whole number from ${min} to ${max}` })
    .describe(d);
const oneOf = <T extends readonly [string, ...string[]]>(values: T, d: string): z.ZodEnum<{ [K in T[number]]: K }> =>
  z.enum(values, { error: () => `expected one of ${values.join(', ')}` }).describe(d);
const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const name = (d: string): z.ZodString =>
  z.string().regex(NAME, { error: () => 'expected a short name: lower-case letters, digits and dashes, starting with a letter' }).describe(d);

/** Per-namespace sysctls a server container may set (Docker's --sysctl); others are refused. */
const SCENARIO_SYSCTLS = [
  'net.core.somaxconn',
  'net.ipv4.tcp_abort_on_overflow',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.tcp_max_syn_backlog',
  'net.ipv4.tcp_syn_retries',
  'net.ipv4.tcp_synack_retries',
] as const;

const ShapingSchema = z
  .strictObject({
    delay: duration('added one-way delay, e.g. 100ms').optional(),
    jitter: duration('random variation of the delay (at most the delay), e.g. 10ms').optional(),
    loss: parsed(PERCENT_FORMS, (t) => parsePercent(t), 'packet loss, e.g. 1%').optional(),
    rate: parsed(RATE_FORMS, (t) => parseRate(t), 'link rate, e.g. 1mbit').optional(),
    direction: oneOf(DIRECTIONS, 'which way the shaping applies, seen from the server').optional(),
    refusal: parsed(REFUSAL_FORMS, (t) => parseRefusal(t), 'what a client the server cannot take meets').optional(),
  })
  .describe('link shaping on the server side (applied by the probe)');

const ServerSchema = z
  .strictObject({
    name: name('the server container name on the run network (swarms target it by this name)').default('server'),
    model: oneOf(MODELS, 'a socklab server model').optional(),
    image: z.string().min(1).describe('any image whose program listens on `port`: a server written without socklab').optional(),
    program: z
      .string()
      .regex(/\.py$/, { error: () => 'expected the path of a Python file (.py)' })
      .describe('a Python server file, run as it is in socklab/python (a student\'s server_async.py)')
      .optional(),
    port: int(1, 65535, 'the port the server listens on (7000 for socklab models)').optional(),
    localhost: z
      .boolean({ error: () => 'expected true or false' })
      .describe('run the clients in the server\'s own network namespace against 127.0.0.1 (chosen by itself when the server listens on loopback only)')
      .optional(),
    backlog: int(0, 65535, 'listen() backlog; 1 is the course\'s servergargalo.py').optional(),
    work: parsed(WORK_FORMS, (t) => parseWork(t), 'work per request').optional(),
    protocol: oneOf(PROTOCOLS, 'wire protocol').optional(),
    poolSize: int(1, 4096, 'pool: threads blocking in accept').optional(),
    processes: int(1, 256, 'prefork and event-loop-workers: worker processes').optional(),
    pollInterval: duration('polling: pause between polls (0 burns a core)').optional(),
    recvTimeout: duration('SO_RCVTIMEO on accepted sockets (the notebook\'s deadlock fix); 0 waits forever').optional(),
    sysctls: z
      .partialRecord(oneOf(SCENARIO_SYSCTLS, 'a per-namespace sysctl'), z.union([z.string(), z.number()]))
      .optional()
      .describe('per-namespace sysctls of the server container'),
    shaping: ShapingSchema.optional(),
    memory: parsed('a size like 128m or 1g', (t) => parseSize(t), 'memory limit of the server container').optional(),
    cpus: z
      .number({ error: () => 'expected a number of cores from 0.1 to 64, e.g. 1 or 0.5' })
      .min(0.1, { error: () => 'expected a number of cores from 0.1 to 64, e.g. 1 or 0.5' })
      .max(64, { error: () => 'expected a number of cores from 0.1 to 64, e.g. 1 or 0.5' })
      .describe('CPU limit of the server container in cores (1: one core, as the course\'s machines)')
      .optional(),
    openFiles: int(64, 1_048_576, "open files each of the server's processes may hold (ulimit -n), at most the engine's own limit: lower it to meet the limit at a small scale").optional(),
  })
  .describe('a server model and its probe');

/** Connections one swarm of a scenario may make; the plan spreads them over containers (50,000 at most each). */
export const SCENARIO_MAX_CLIENTS = 1_000_000;

const SwarmSchema = z
  .strictObject({
    name: name('the swarm container name').default('swarm'),
    target: name('the name of the server this swarm connects to').default('server'),
    preset: oneOf(Object.keys(SWARM_PRESETS) as [string, ...string[]], "a client preset from the course's programs").optional(),
    clients: int(1, SCENARIO_MAX_CLIENTS, 'number of connections (more than one swarm container holds are spread over several, each with an address of its own)').optional(),
    arrival: oneOf(ARRIVALS, 'how connections arrive').optional(),
    rate: int(1, 1_000_000, 'connections per second for ramp and steady arrivals').optional(),
    duration: duration('how long ramp and steady arrivals go on').optional(),
    concurrency: int(1, SWARM_LIMITS.maxClients, 'connections in flight for closed arrivals').optional(),
    delay: duration('wait before the first connection').optional(),
    connectTimeout: duration('give up connecting after this (0: the kernel\'s own limit)').optional(),
    readTimeout: duration('give up waiting for the answer after this (0: forever)').optional(),
    message: z.string().describe('request line').optional(),
    hold: duration('keep each connection open this long (keep-alive servers)').optional(),
    requestInterval: duration('pause between requests while holding').optional(),
    expectGreeting: z.boolean({ error: () => 'expected true or false' }).describe('wait for the server to speak first (the notebook\'s deadlock against echo)').optional(),
    maxDuration: duration('hard bound on this swarm (default 2m in a run)').optional(),
    openFiles: int(64, 1_048_576, "open files each swarm container may hold (ulimit -n), at most the engine's own limit: lower it to meet the limit at a small scale").optional(),
  })
  .describe('a client swarm');

const bound = z.union([
  int(0, Number.MAX_SAFE_INTEGER, 'exactly this many'),
  z.strictObject({ min: z.number().optional(), max: z.number().optional() }).describe('within bounds'),
]);

/** What a scenario may state it expects; checked after the run (exit 3 when not met). */
/** What a scenario can expect; `oomKills` counts the servers the kernel killed for running out of memory. */
export const EXPECTATION_KEYS = [...OUTCOMES, 'listenOverflows', 'acceptQueuePeak', 'threadsPeak', 'inServicePeak', 'completionMs', 'oomKills'] as const;
export type ExpectationKey = (typeof EXPECTATION_KEYS)[number];

const ExpectSchema = z
  .strictObject(Object.fromEntries(EXPECTATION_KEYS.map((k) => [k, bound.optional()])) as Record<ExpectationKey, z.ZodOptional<typeof bound>>)
  .describe('expected measurements: a number (exactly) or {min, max}; outcomes are summed over the swarms');

/**
 * The kind of question a scenario asks, which decides how its report answers it first: yes or no, and the two or
 * three measured numbers that show it (report/answers.ts). `outcomes` (the default) says how the clients fared.
 */
const QUESTION_KINDS = [
  'outcomes',
  'one-at-a-time',
  'refused-or-timed-out',
  'threads',
  'one-thread',
  'capacity',
  'deadlock',
  'deadlock-fix',
  'cpu',
  'cpu-vs-io',
  'refusal-policy',
  'slow-link',
  'memory-limit',
] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

const Translation = z
  .strictObject({
    title: z.string().describe('the title in that language'),
    question: z.string().describe('the question in that language'),
    reproduces: z.string().describe('what it reproduces, in that language').optional(),
  })
  .describe('the scenario\'s title and question in another language');

const ScenarioSchema = z
  .strictObject({
    $schema: z.string().optional(),
    name: name('scenario id'),
    title: z.string().describe('one line: what the scenario shows'),
    stage: z.string().describe('the lab guide\'s stage it reproduces, e.g. 1.2 (or notebook, talk, extra)').optional(),
    reproduces: z.string().describe('the course\'s programs it reproduces, e.g. servergargalo.py + clientenervoso.py').optional(),
    // The random seed is --seed; an old `seed:` key (the course programs) is named with where it went.
    seed: z.never({ error: () => 'unknown key: the course\'s programs a scenario reproduces go in `reproduces`, and the random seed is `--seed`' }).optional(),
    question: z.string().describe('the question the scenario answers'),
    asks: oneOf(QUESTION_KINDS, 'the kind of question, which decides how the report answers it first').optional(),
    translations: z.strictObject({ 'pt-BR': Translation.optional() }).describe('the title and question in the report\'s other languages').optional(),
    repeat: int(1, 20, 'run the whole experiment this many times').optional(),
    settle: duration(
      'after the clients are done, keep reading each server until its sockets stop changing, at most this long: tells a server that closes late from one that never closes',
    ).optional(),
    servers: z.array(ServerSchema).min(1, { error: () => 'expected at least one server' }).max(8, { error: () => 'expected at most 8 servers' }),
    swarms: z.array(SwarmSchema).min(1, { error: () => 'expected at least one swarm' }).max(8, { error: () => 'expected at most 8 swarms' }),
    expect: ExpectSchema.optional(),
  })
  .describe('a socklab experiment');

export type Scenario = z.output<typeof ScenarioSchema>;
export type ServerInput = z.output<typeof ServerSchema>;
export type SwarmInput = z.output<typeof SwarmSchema>;
export type Bound = z.output<typeof bound>;

export const SIZE_FORMS = 'a size like 128m or 1g (k, m, g)';
/** Parse a memory size like `128m` into bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([kmg])b?$/i.exec(text.trim());
  if (!m) throw new Error(`expected ${SIZE_FORMS}`);
  const bytes = Number(m[1]) * { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as 'k' | 'm' | 'g'];
  if (bytes < 6 * 1024 ** 2) throw new Error(`expected ${SIZE_FORMS}, at least 6m (Docker's minimum)`);
  return bytes;
}

/** One validation problem: where (a path like servers[0].backlog), the value found, and what was expected. */
export interface ScenarioIssue {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** `servers.0.backlog` -> `servers[0].backlog` */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || '(top)';
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v = root;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

/** Validate a scenario; every problem at once, each with its path, the value and the valid forms. */
export function validateScenario(input: unknown): { ok: true; scenario: Scenario } | { ok: false; issues: ScenarioIssue[]; paths: PropertyKey[][] } {
  const r = ScenarioSchema.safeParse(input);
  if (r.success) {
    const cross = crossChecks(r.data);
    if (cross.length === 0) return { ok: true, scenario: r.data };
    return { ok: false, issues: cross.map((c) => c.issue), paths: cross.map((c) => c.path) };
  }
  const issues: ScenarioIssue[] = [];
  const paths: PropertyKey[][] = [];
  for (const i of r.error.issues) {
    if (i.code === 'unrecognized_keys') {
      const known = knownKeys(i.path);
      for (const k of i.keys) {
        issues.push({ path: formatPath([...i.path, k]), value: valueAt(input, [...i.path, k]), message: `unknown key${known ? `: expected one of ${known}` : ''}` });
        paths.push([...i.path, k]);
      }
      continue;
    }
    const value = valueAt(input, i.path);
    const message = value === undefined && i.code === 'invalid_type' ? `missing: expected ${i.expected === 'array' ? 'a list' : `a ${i.expected}`}` : i.message;
    issues.push({ path: formatPath(i.path), value, message });
    paths.push([...i.path]);
  }
  return { ok: false, issues, paths };
}

function knownKeys(path: ReadonlyArray<PropertyKey>): string | undefined {
  const shape =
    path.length === 0
      ? ScenarioSchema.shape
      : path[0] === 'servers' && path.length === 2
        ? ServerSchema.shape
        : path[0] === 'swarms' && path.length === 2
          ? SwarmSchema.shape
          : path[0] === 'servers' && path[2] === 'shaping'
            ? ShapingSchema.shape
            : path[0] === 'servers' && path[2] === 'sysctls'
              ? Object.fromEntries(SCENARIO_SYSCTLS.map((k) => [k, true]))
            : path[0] === 'expect'
              ? ExpectSchema.shape
              : undefined;
  return shape ? Object.keys(shape).filter((k) => k !== '$schema').join(', ') : undefined;
}

/** Rules across fields: unique names, swarms that target a server of the scenario, jitter within delay. */
function crossChecks(s: Scenario): Array<{ issue: ScenarioIssue; path: PropertyKey[] }> {
  const out: Array<{ issue: ScenarioIssue; path: PropertyKey[] }> = [];
  const add = (path: PropertyKey[], value: unknown, message: string): void => void out.push({ issue: { path: formatPath(path), value, message }, path });
  const names = new Set<string>();
  s.servers.forEach((srv, i) => {
    const kinds = [srv.model, srv.image, srv.program].filter((x) => x !== undefined).length;
    if (kinds !== 1) add(['servers', i], undefined, 'expected exactly one of model (a socklab model), image or program (a server of your own)');
    if (srv.model !== undefined && srv.port !== undefined && srv.port !== 7000) add(['servers', i, 'port'], srv.port, 'expected 7000 or nothing for a socklab model (its lab port)');
    if (names.has(srv.name)) add(['servers', i, 'name'], srv.name, 'expected a name no other server or swarm has');
    names.add(srv.name);
    const sh = srv.shaping;
    if (sh?.jitter !== undefined && parseDuration(String(sh.jitter)) > (sh.delay === undefined ? 0 : parseDuration(String(sh.delay)))) {
      add(['servers', i, 'shaping', 'jitter'], sh.jitter, `expected at most the delay (${sh.delay ?? 0})`);
    }
  });
  const servers = s.servers.map((x) => x.name);
  s.swarms.forEach((sw, i) => {
    if (names.has(sw.name)) add(['swarms', i, 'name'], sw.name, 'expected a name no other server or swarm has');
    names.add(sw.name);
    if (!servers.includes(sw.target)) add(['swarms', i, 'target'], sw.target, `expected the name of a server of this scenario: ${servers.join(', ')}`);
    const problem = arrivalProblem({ ...sw, durationMs: sw.duration === undefined ? undefined : parseDuration(String(sw.duration)) });
    if (problem && 'makes' in problem) {
      add(['swarms', i, 'clients'], sw.clients, `expected ${problem.makes} or nothing: a ${sw.arrival} arrival at ${sw.rate}/s over ${sw.duration} makes ${problem.makes} connections`);
    } else if (problem?.missing === 'concurrency') {
      add(['swarms', i, 'arrival'], sw.arrival, 'expected concurrency with closed arrivals');
    } else if (problem) {
      add(['swarms', i, 'arrival'], sw.arrival, `expected rate, and duration or clients, with ${sw.arrival} arrivals (${problem.missing === 'rate' ? 'rate' : 'duration (or clients)'} missing)`);
    }
  });
  return out;
}

/** The schema as JSON Schema, for editors (`# yaml-language-server: $schema=...`). */
export function scenarioJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ScenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
}
