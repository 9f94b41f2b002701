import { randomBytes, randomInt } from 'node:crypto';
import { arrivalCount, ConfigError, LAB_PORT, MODELS, parseDuration, SWARM_METRICS_PORT } from '@socklab/shared';
import { SCENARIO_MAX_CLIENTS, type Scenario, type ServerInput, type SwarmInput } from '@socklab/shared/scenario';
import { probeSpec, shapingEnvOf } from '../roles/probe.js';
import { samplerSpec, withSampler } from '../roles/sampler.js';
import { ownModel, ownServerSpec, serverSpec, type RoleContext } from '../roles/server.js';
import { clientHostSpec, DEFAULT_RUN_MAX_DURATION, swarmArgs, swarmSpec } from '../roles/swarm.js';
import { containerName, roleLabels } from '../roles/common.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { ASSUMED_OPEN_FILES, sizeForLimits, type OpenFiles } from './capacity.js';
import { spellPreset } from './preset.js';
import { PLAN_VERSION, type LoopbackPlan, type RunPlan, type ServerPlan, type SwarmPlan, type TrialPlan } from './types.js';

/**
 * How often a run reads each server's metrics and the kernel's state: often enough that a chart shows the accept
 * queue fill within a tenth of a second of the first connect.
 */
export const DEFAULT_SAMPLE_EVERY_MS = 100;

/** The axes of a `compare` matrix; each list has at least one value. */
export interface CompareMatrix {
  readonly models: readonly string[];
  readonly clients: readonly number[];
  readonly delays: readonly string[];
}

export interface PlanOptions {
  readonly source: string;
  readonly runId?: string;
  readonly seed?: number;
  readonly compare?: CompareMatrix;
  readonly sampleEveryMs?: number;
  /** The source (base64) of each Python program the scenario names, read by the scenario loader. */
  readonly programs?: Readonly<Record<string, string>>;
  /** Open files per process in a lab container (read from the engine); Docker's usual default when absent. */
  readonly openFiles?: OpenFiles;
  /** The engine's CPUs: a server given whole cores runs pinned to its own (none known: a quota only). */
  readonly cores?: number;
}

/** What every trial of a plan shares. */
interface TrialInputs {
  readonly seed: number;
  readonly sampleEveryMs: number;
  readonly programs: Readonly<Record<string, string>>;
  readonly hosts: RoleContext;
  readonly cores: number | undefined;
}

/**
 * The cores each server given whole `cpus` runs on, one after another round the engine's CPUs, so servers side by
 * side get cores of their own where there are enough: `cpus: 1` is one core, as on the course's machines, and ten
 * threads computing on it take turns. A quota alone (`--cpus`) lets them run on every core in bursts.
 */
export function coresOf(servers: ReadonlyArray<{ name: string; cpus?: number | undefined }>, cores: number | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  if (cores === undefined || cores < 1) return out;
  let next = 0;
  for (const s of servers) {
    if (s.cpus === undefined || !Number.isInteger(s.cpus) || s.cpus > cores) continue;
    out.set(s.name, Array.from({ length: s.cpus }, (_, k) => (next + k) % cores).sort((a, b) => a - b));
    next = (next + s.cpus) % cores;
  }
  return out;
}

/** A run id people can read and sort: socklab-20261123-143000-a1b2. */
function newRunId(now = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `socklab-${stamp}-${randomBytes(2).toString('hex')}`;
}

/** `10,200` -> [10, 200]; `sequential,threaded` -> names; every bad item named with the valid forms. */
export function parseMatrix(models: string, clients: string, delays: string | undefined): CompareMatrix {
  const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);
  const m = list(models);
  if (m.length === 0) throw new ConfigError(`invalid --models ${JSON.stringify(models)}: expected a comma-separated list of ${MODELS.join(', ')}`);
  for (const x of m) if (!(MODELS as readonly string[]).includes(x)) throw new ConfigError(`invalid --models item ${JSON.stringify(x)}: expected one of ${MODELS.join(', ')}`);
  const c = list(clients).map((x) => {
    if (!/^\d+$/.test(x) || Number(x) < 1 || Number(x) > SCENARIO_MAX_CLIENTS) throw new ConfigError(`invalid --clients item ${JSON.stringify(x)}: expected whole numbers from 1 to ${SCENARIO_MAX_CLIENTS}, e.g. 10,200`);
    return Number(x);
  });
  if (c.length === 0) throw new ConfigError(`invalid --clients ${JSON.stringify(clients)}: expected a comma-separated list such as 10,200`);
  const d = delays === undefined ? ['0'] : list(delays);
  for (const x of d) parseDuration(x, '--delay item');
  const cells = m.length * c.length * d.length;
  if (cells > 64) throw new ConfigError(`invalid matrix: ${cells} cells; expected at most 64 (models x clients x delays)`);
  return { models: m, clients: c, delays: d };
}

/** The scenario of one compare cell: the base with this model, client count and delay (a preset's other settings kept). */
function cellScenario(base: Scenario, model: string, clients: number, delay: string): Scenario {
  return {
    ...base,
    servers: base.servers.map((s) => ({ ...s, model: model as Scenario['servers'][number]['model'], ...(delay !== '0' && { shaping: { ...s.shaping, delay } }) })),
    swarms: base.swarms.map((s) => ({ ...spellPreset(s), clients })),
  };
}

/** The clients of `srv` in its own network namespace against 127.0.0.1, with a probe on `lo` and a sampler for them. */
function loopbackPlan(ctx: RoleContext, srv: ServerInput, server: ContainerSpec, probe: ContainerSpec, swarms: readonly SwarmInput[], sampleEveryMs: number): LoopbackPlan {
  const port = srv.port ?? LAB_PORT;
  const itsSwarms = swarms.filter((w) => w.target === srv.name);
  const out: Record<string, ContainerSpec> = {};
  const urls: Array<{ name: string; host: string; port: number }> = [];
  itsSwarms.forEach((w, i) => {
    // Each gets a metrics port of its own beside the server's, where the sampler (in the same namespace) reads it.
    const metricsPort = SWARM_METRICS_PORT + 2 + i;
    const { args } = swarmArgs(w, '127.0.0.1', { port, metricsPort, startOnSignal: true });
    out[w.name] = swarmSpec(ctx, w.name, args, server.name);
    urls.push({ name: w.name, host: '127.0.0.1', port: metricsPort });
  });
  // Its traffic goes over loopback: the link to shape is lo.
  const shaped = ['DELAY', 'JITTER', 'LOSS', 'RATE'].some((k) => probe.env[k] !== undefined);
  return {
    probe: shaped && probe.env.IFACES === undefined ? { ...probe, env: { ...probe.env, IFACES: 'lo' } } : probe,
    sampler: samplerSpec(ctx, server, urls, sampleEveryMs, srv.model !== undefined),
    swarms: out,
  };
}

function trial(s: Scenario, ctx: RoleContext, id: string, cell: Record<string, string>, repetition: number, inputs: TrialInputs): TrialPlan {
  const { seed, sampleEveryMs, programs, hosts } = inputs;
  const pinned = coresOf(s.servers, inputs.cores);
  const portOf = (name: string): number => s.servers.find((x) => x.name === name)?.port ?? LAB_PORT;
  const loopbackOnly = new Set(s.servers.filter((x) => x.localhost === true).map((x) => x.name));
  const loopbacks = new Map<string, LoopbackPlan>();
  const servers: ServerPlan[] = s.servers.map((srv) => {
    const userServer = srv.model === undefined;
    const port = srv.port ?? LAB_PORT;
    const spec = userServer ? ownServerSpec(ctx, srv, srv.program === undefined ? undefined : programs[srv.program]) : serverSpec(ctx, srv);
    const cores = pinned.get(srv.name);
    const server = cores ? { ...spec, cores } : spec;
    const probe = probeSpec(ctx, server, { env: { ...shapingEnvOf(srv.shaping), TARGET_PORT: String(port) }, refreshMs: 1000, seed });
    const localhost = srv.localhost ?? (userServer ? 'auto' : false);
    const swarmsOf = s.swarms.filter((w) => w.target === srv.name).map((w) => ({ name: w.name, host: w.name }));
    // A socklab model's probe samples too (one container fewer a trial); a server of one's own keeps its sampler
    // apart, since its probe may be replaced once it is seen where it listens.
    const network = userServer ? { probe, sampler: samplerSpec(ctx, server, swarmsOf, sampleEveryMs, false) } : { probe: withSampler(probe, swarmsOf, sampleEveryMs) };
    const loopback = localhost === false ? undefined : loopbackPlan(ctx, srv, server, probe, s.swarms, sampleEveryMs);
    if (loopback) loopbacks.set(srv.name, loopback);
    const chosen = localhost === true && loopback ? { probe: loopback.probe, sampler: loopback.sampler } : network;
    return { name: srv.name, model: ownModel(srv), port, userServer, localhost, server, ...chosen, ...(localhost === 'auto' && loopback && { loopback }) };
  });
  const swarms: SwarmPlan[] = s.swarms.map((sw) => {
    const { args, config } = swarmArgs(sw, sw.target, { port: portOf(sw.target), startOnSignal: true });
    // Over the network, each swarm joins its client host; a server bound to loopback has its clients inside it.
    const host = containerName(hosts, sw.name);
    const onNetwork = swarmSpec(ctx, sw.name, args, host);
    const chosen = loopbackOnly.has(sw.target) ? (loopbacks.get(sw.target)?.swarms[sw.name] ?? onNetwork) : onNetwork;
    const container = sw.openFiles === undefined ? chosen : { ...chosen, nofile: sw.openFiles };
    return {
      ...(chosen === onNetwork && { host }),
      name: sw.name,
      target: sw.target,
      // A steady or ramp arrival makes as many connections as its rate and duration say.
      clients: config.arrival === 'steady' || config.arrival === 'ramp' ? arrivalCount(config.arrival, config.rate, config.durationMs) : config.clients,
      connectTimeoutMs: config.connectTimeoutMs,
      readTimeoutMs: config.readTimeoutMs,
      expectGreeting: config.expectGreeting,
      container,
    };
  });
  const longest = Math.max(
    ...s.swarms.map((sw) => parseDuration(String(sw.maxDuration ?? DEFAULT_RUN_MAX_DURATION)) + (sw.delay === undefined ? 0 : parseDuration(String(sw.delay)))),
  );
  return { id, cell, repetition, servers, swarms, timeoutMs: longest + 30_000, settleMs: s.settle === undefined ? 0 : parseDuration(String(s.settle)) };
}

/** Scenario -> RunPlan: pure (no Docker, no I/O), every container spec decided here and written as plan.json. */
export function buildPlan(scenario: Scenario, opts: PlanOptions): RunPlan {
  const runId = opts.runId ?? newRunId();
  const seed = opts.seed ?? randomInt(0, 2 ** 31);
  const sampleEveryMs = opts.sampleEveryMs ?? DEFAULT_SAMPLE_EVERY_MS;
  const network = { name: runId, internal: true as const, labels: roleLabels(runId, 'network') };
  const repeat = scenario.repeat ?? 1;
  const trials: TrialPlan[] = [];
  const cells: Array<{ s: Scenario; cell: Record<string, string> }> = opts.compare
    ? opts.compare.models.flatMap((m) =>
        opts.compare!.clients.flatMap((c) =>
          opts.compare!.delays.map((d) => ({ s: cellScenario(scenario, m, c, d), cell: { model: m, clients: String(c), delay: d === '0' ? '0ms' : d } })),
        ),
      )
    : [{ s: { ...scenario, swarms: scenario.swarms.map(spellPreset) }, cell: {} }];
  const hosts: RoleContext = { run: runId, network: network.name, prefix: `${runId}-clients` };
  const openFiles = opts.openFiles ?? { perProcess: ASSUMED_OPEN_FILES, measured: false };
  const notes = new Set<string>();
  const swarmNames = new Set<string>();
  for (const cellOf of cells) {
    const { scenario: s, sizing } = sizeForLimits(cellOf.s, openFiles);
    const cell = cellOf.cell;
    for (const n of sizing.notes) notes.add(n);
    for (const w of s.swarms) swarmNames.add(w.name);
    for (let r = 1; r <= repeat; r += 1) {
      const id = String(trials.length + 1);
      trials.push(trial(s, { run: runId, network: network.name, prefix: `${runId}-${id}` }, id, cell, r, { seed, sampleEveryMs, programs: opts.programs ?? {}, hosts, cores: opts.cores }));
    }
  }
  // A client host for each swarm that some trial runs over the network, open to the most files its swarms ask for.
  const nofile = new Map<string, number | undefined>();
  for (const w of trials.flatMap((t) => t.swarms)) {
    if (w.host === undefined) continue;
    const asked = w.container.nofile;
    const most = nofile.get(w.host);
    nofile.set(w.host, asked === undefined ? most : Math.max(most ?? 0, asked));
  }
  const clientHosts = [...swarmNames]
    .map((w) => clientHostSpec(hosts, w))
    .filter((h) => nofile.has(h.name))
    .map((h) => (nofile.get(h.name) === undefined ? h : { ...h, nofile: nofile.get(h.name)! }));
  return {
    planVersion: PLAN_VERSION,
    runId,
    kind: opts.compare ? 'compare' : 'run',
    scenario,
    source: opts.source,
    network,
    seed,
    sampleEveryMs,
    clientHosts,
    trials,
    sizing: { openFiles, notes: [...notes] },
  };
}
