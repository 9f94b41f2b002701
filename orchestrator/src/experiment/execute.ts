import { execFileSync } from 'node:child_process';
import { IMAGES, LABELS } from '@socklab/shared';
import { EngineLostError, SocklabError } from '../errors.js';
import { REPO_ROOT, socklabVersion } from '../paths.js';
import type { RunPlan } from '../plan/types.js';
import { AttachedPrometheus, grafanaRunUrl, SCRAPED_WAIT_MS } from '../roles/prometheus.js';
import { SwarmAgent } from '../roles/swarm.js';
import { trialTargets } from '../plan/targets.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { checkExpectations } from '../results/expect.js';
import type { RunDir } from '../results/run-dir.js';
import type { Manifest, Results, TrialResult } from '../results/types.js';
import { RESULTS_SCHEMA_VERSION } from '../results/types.js';
import type { Emit } from './events.js';
import { runTrial, type KernelKnowledge, type TrialRun } from './trial.js';

export interface ExecuteOptions {
  readonly dir: RunDir;
  readonly emit: Emit;
  /** Aborted by Ctrl-C / SIGTERM: stop waiting, remove everything, return what was collected. */
  readonly signal: AbortSignal;
  /** The ids of the plan's images, as checkImages found them before anything was made. */
  readonly images: Readonly<Record<string, string>>;
  /** How long the preflight (engine and images) took before this, in ms. */
  readonly preflightMs?: number;
}

/** Builds socklab's own images when a plan needs one that is not here (first use); given by the CLI. */
export type BuildImages = (missing: readonly string[]) => Promise<void>;

/** socklab's own images: built here when missing, and checked for the version that built them. */
const OURS: ReadonlySet<string> = new Set(Object.values(IMAGES));

/**
 * The needed images here, by id; those missing; and those of socklab's own built by another version of socklab
 * (their label says which, or nothing from before images said): its images and its CLI speak to each other, so
 * they count as missing, to be built again.
 */
async function imageIds(rt: ContainerRuntime, needed: Iterable<string>): Promise<{ ids: Record<string, string>; missing: string[]; outdated: Record<string, string> }> {
  const ids: Record<string, string> = {};
  const missing: string[] = [];
  const outdated: Record<string, string> = {};
  const version = socklabVersion();
  for (const image of needed) {
    const info = await rt.imageInfo(image);
    const builtBy = info?.labels[LABELS.version];
    if (info && OURS.has(image) && builtBy !== version) {
      outdated[image] = builtBy ? `built by socklab ${builtBy}` : 'built before socklab labelled its images with its version';
      missing.push(image);
    } else if (info) ids[image] = info.id;
    else missing.push(image);
  }
  return { ids, missing, outdated };
}

/**
 * Every image the plan's containers need is here, or one error names each missing one with its fix (socklab's
 * are built, others pulled): before a network or a container is made. With `build`, socklab's own missing images
 * are built first (a first use). Returns their ids.
 */
export async function checkImages(rt: ContainerRuntime, plan: RunPlan, build?: BuildImages): Promise<Record<string, string>> {
  const needed = new Set<string>();
  for (const t of plan.trials) {
    for (const s of t.servers) for (const c of [s.server, s.probe, s.sampler]) if (c) needed.add(c.image);
    for (const w of t.swarms) needed.add(w.container.image);
  }
  for (const h of plan.clientHosts) needed.add(h.image);
  let found = await imageIds(rt, needed);
  if (build && found.missing.some((m) => OURS.has(m))) {
    await build(found.missing.filter((m) => OURS.has(m)));
    found = await imageIds(rt, needed);
  }
  const { ids, missing, outdated } = found;
  if (missing.length === 0) return ids;
  const old = Object.entries(outdated).map(([image, by]) => `${image} (${by}; this is ${socklabVersion()})`);
  if (old.length > 0 && old.length === missing.length) {
    throw new SocklabError(`image${old.length > 1 ? 's' : ''} built by another version of socklab: ${old.join(', ')}`, { hint: 'build them again for this one: `npx socklab build` (or `npm run images`)' });
  }
  const fixes = [
    missing.some((m) => OURS.has(m)) ? 'build socklab\'s images: `npx socklab build` (or `npm run images`)' : '',
    ...missing.filter((m) => !OURS.has(m)).map((m) => `pull or build ${m} (\`docker pull ${m}\`); \`docker images\` lists what is here`),
  ].filter(Boolean);
  throw new SocklabError(`image${missing.length > 1 ? 's' : ''} not here: ${missing.join(', ')}`, { hint: fixes.join('; ') });
}

function versionAndCommit(): { version: string; commit: string | null } {
  const version = socklabVersion();
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* not a git checkout */
  }
  return { version, commit };
}

/**
 * The trials one after another, overlapped where nothing is measured: the next one starts its containers as
 * soon as the clients before it are done, and sets its own clients off only once the last one is removed.
 * Resolves when every trial has settled (torn down included), with their results in order; the first failure
 * is thrown then, unless the run was interrupted.
 */
async function runTrials(rt: ContainerRuntime, plan: RunPlan, o: ExecuteOptions, run: { prometheus: AttachedPrometheus; agents: ReadonlyMap<string, Promise<SwarmAgent>> }, problems: string[]): Promise<TrialResult[]> {
  const { prometheus, agents } = run;
  const runs: Array<Promise<TrialRun>> = [];
  const kernel: KernelKnowledge = {};
  for (const trial of plan.trials) {
    if (o.signal.aborted) break;
    const targets = trialTargets(plan, trial);
    await prometheus.publish(targets).catch((e: unknown) => problems.push(`live view targets: ${(e as Error).message}`));
    const watched = async (signal: AbortSignal): Promise<void> => {
      const late = await prometheus.scraped(targets, signal);
      if (late.length > 0 && !signal.aborted) o.emit({ type: 'warn', message: `live view: ${late.join(', ')} had not scraped trial ${trial.id}'s servers within ${SCRAPED_WAIT_MS / 1000} s; its dashboards may miss what the clients cause first` });
    };
    let ended = (): void => {};
    const experimentEnded = new Promise<void>((r) => (ended = r));
    const previous = runs[runs.length - 1]?.then((r) => r, () => undefined);
    runs.push(runTrial({ rt, plan, dir: o.dir, emit: o.emit, signal: o.signal, onExperimentEnd: ended, kernel, agents, ...(previous && { previous }), ...(prometheus.names.length > 0 && { watched }) }, trial));
    await experimentEnded;
  }
  // The last trial (and any the next one did not get to) is removed here; teardowns run once.
  const settled = await Promise.allSettled(
    runs.map(async (run) => {
      const r = await run;
      const teardownMs = await r.teardown().catch(() => 0);
      return { ...r.result, timings: { ...r.result.timings, teardownMs } };
    }),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed && !o.signal.aborted) throw failed.reason;
  return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}

/** What a run ran with and on: versions, engine, images, the kernel's shaping, sysctls, the seed, the times. */
function manifestOf(plan: RunPlan, trials: readonly TrialResult[], engine: Manifest['engine'], images: Manifest['images'], startedAt: string): Manifest {
  const { version, commit } = versionAndCommit();
  const servers = trials.flatMap((t) => t.servers);
  const first = servers.find((s) => s.shaping);
  return {
    socklabVersion: version,
    gitCommit: commit,
    node: process.version,
    host: { platform: process.platform, arch: process.arch },
    engine,
    images,
    kernel: first?.shaping ? { shapingMethod: first.shaping.plan.method, ...first.shaping.capabilities } : null,
    sysctls: servers.find((s) => s.sysctlsSeen)?.sysctlsSeen ?? null,
    seed: plan.seed,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
}

/**
 * Execute a plan: the run's internal network, its trials, and on every exit path (success, failure, Ctrl-C)
 * the removal of everything labelled with the run. Returns the results, also when interrupted.
 */
export async function executePlan(rt: ContainerRuntime, plan: RunPlan, o: ExecuteOptions): Promise<Results> {
  const startedAt = new Date().toISOString();
  const clock = performance.now();
  let trials: TrialResult[] = [];
  const problems: string[] = [];
  let engine: Manifest['engine'] = null;
  let networkMs = 0;
  let cleanupMs = 0;
  let prometheus: AttachedPrometheus | undefined;
  let hostsStarting: Array<Promise<unknown>> = [];
  try {
    o.emit({ type: 'phase', trial: '-', trials: plan.trials.length, phase: 'network', detail: `${plan.network.name} (internal bridge)` });
    const t0 = performance.now();
    // What the results record of the engine, asked while the network is made.
    const [{ rootless: _, ...info }] = await Promise.all([rt.engineInfo(), rt.createNetwork(plan.network.name, plan.network.labels, plan.network.internal)]);
    engine = info;
    // The swarms' client hosts live as long as the run (every exit path removes them with the network). They start
    // beside the first trial's server: its swarms' jobs wait for them.
    const agents = new Map(plan.clientHosts.map((h) => [h.name, rt.start(h).then((c) => new SwarmAgent(c))]));
    hostsStarting = [...agents.values()];
    for (const a of hostsStarting) a.catch(() => {}); // a host that fails to start is told by the job that waits on it
    prometheus = await AttachedPrometheus.attach(rt, plan.network.name, plan.runId);
    networkMs = performance.now() - t0;
    if (prometheus.names.length > 0) {
      o.emit({ type: 'line', trial: '-', source: 'live view', text: `${prometheus.names.join(', ')} scrapes this run (run="${plan.runId}")` });
      const grafana = (await rt.containersWithRole('grafana')).length > 0;
      if (grafana) o.emit({ type: 'line', trial: '-', source: 'live view', text: `${grafanaRunUrl(plan.runId)}` });
    }
    trials = await runTrials(rt, plan, o, { prometheus, agents }, problems);
  } catch (e) {
    if (!(e instanceof EngineLostError)) throw e;
    throw new EngineLostError(`${e.message} during run ${plan.runId}`, {
      hint: `what the run started may still be there, all labelled socklab.run=${plan.runId}: once the engine answers again, \`socklab down --run ${plan.runId}\` removes it`,
    });
  } finally {
    const t0 = performance.now();
    // A client host still being made when the run ends is there by the time it is listed for removal.
    await Promise.allSettled(hostsStarting);
    await prometheus?.detach().catch((e: unknown) => problems.push(`live view targets: ${(e as Error).message}`));
    o.emit({ type: 'phase', trial: '-', trials: plan.trials.length, phase: 'cleanup', detail: `removing everything labelled socklab.run=${plan.runId}` });
    await rt.removeLabelled(plan.runId).catch((e: unknown) => problems.push(`cleanup: ${(e as Error).message}`));
    cleanupMs = performance.now() - t0;
  }
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: plan.runId,
    kind: plan.kind,
    plan,
    manifest: manifestOf(plan, trials, engine, { ...o.images }, startedAt),
    trials,
    expectations: [],
    interrupted: o.signal.aborted,
    problems,
    timings: { preflightMs: o.preflightMs ?? 0, networkMs, cleanupMs, totalMs: (o.preflightMs ?? 0) + performance.now() - clock },
  };
  return { ...results, expectations: o.signal.aborted ? [] : checkExpectations(results) };
}
