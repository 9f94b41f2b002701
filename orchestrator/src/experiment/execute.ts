import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { emptyOutcomeCounts, IMAGES, OUTCOMES, sleep } from '@socklab/shared';
import { EngineLostError, SocklabError, explainExit } from '../errors.js';
import { REPO_ROOT } from '../paths.js';
import { mib } from '../report/format.js';
import type { ContainerSpec, RunPlan, ServerPlan, TrialPlan } from '../plan/types.js';
import { startProbe, type StartedProbe } from '../roles/probe.js';
import { awaitListening, localhostSpecs } from './own-server.js';
import { AttachedPrometheus, grafanaRunUrl, trialTargets } from '../roles/prometheus.js';
import { startServer } from '../roles/server.js';
import { startSwarm, type StartedSwarm } from '../roles/swarm.js';
import { decodeSamplerLine } from '../collect/sampler.js';
import type { ContainerHandle, ContainerRuntime, ExitInfo, StatsSample } from '../runtime/runtime.js';
import { checkExpectations } from '../results/expect.js';
import type { RunDir } from '../results/run-dir.js';
import type { ExitReport, LiveSample, Manifest, ProbeSample, Results, ServerResult, ServerSample, SwarmResult, TrialResult } from '../results/types.js';
import { RESULTS_SCHEMA_VERSION } from '../results/types.js';
import type { Emit, Phase } from './events.js';

export interface ExecuteOptions {
  readonly dir: RunDir;
  readonly emit: Emit;
  /** Aborted by Ctrl-C / SIGTERM: stop waiting, remove everything, return what was collected. */
  readonly signal: AbortSignal;
  /** The ids of the plan's images, as checkImages found them before anything was made. */
  readonly images: Readonly<Record<string, string>>;
}

/**
 * Every image the plan's containers need is here, or one error names each missing one with its fix (socklab's
 * are built, others pulled): before a network or a container is made. Returns their ids.
 */
export async function checkImages(rt: ContainerRuntime, plan: RunPlan): Promise<Record<string, string>> {
  const needed = new Set<string>();
  for (const t of plan.trials) {
    for (const s of t.servers) for (const c of [s.server, s.probe, s.sampler]) needed.add(c.image);
    for (const w of t.swarms) needed.add(w.container.image);
  }
  const ids: Record<string, string> = {};
  const missing: string[] = [];
  for (const image of needed) {
    const info = await rt.imageInfo(image);
    if (info) ids[image] = info.id;
    else missing.push(image);
  }
  if (missing.length === 0) return ids;
  const ours = new Set<string>(Object.values(IMAGES));
  const fixes = [
    missing.some((m) => ours.has(m)) ? 'build socklab\'s images: `npx socklab build` (or `npm run images`)' : '',
    ...missing.filter((m) => !ours.has(m)).map((m) => `pull or build ${m} (\`docker pull ${m}\`); \`docker images\` lists what is here`),
  ].filter(Boolean);
  throw new SocklabError(`image${missing.length > 1 ? 's' : ''} not here: ${missing.join(', ')}`, { hint: fixes.join('; ') });
}

/** How a container ended, for people; an OOM kill names the memory limit it hit. */
const exitReport = (e: ExitInfo, memoryBytes?: number): ExitReport => ({
  code: e.code,
  oomKilled: e.oomKilled,
  explanation: e.oomKilled
    ? `exit ${e.code}: killed by the kernel because it ran out of memory (OOM)${memoryBytes ? `, at its limit of ${mib(memoryBytes)}` : ''}`
    : explainExit(e.code),
  ...(e.oomKilled && memoryBytes ? { memoryLimitBytes: memoryBytes } : {}),
});

function socklabVersion(): { version: string; commit: string | null } {
  const version = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator', 'package.json'), 'utf8')) as { version: string }).version;
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    /* not a git checkout */
  }
  return { version, commit };
}

/** Everything one server of a trial produced while it ran. */
class ServerCollector {
  readonly samples: ServerSample[] = [];
  readonly probe: ProbeSample[] = [];
  readonly stats: StatsSample[] = [];
  serverErrors = 0;
  probeErrors = 0;
  lastProbeError = '';
  died: ExitReport | null = null;

  constructor(readonly plan: ServerPlan) {}
}

/** The live counts of several samplers added up (each counts the swarms aimed at its server). */
function sumLive(parts: readonly LiveSample[], t: number): LiveSample {
  const outcomes = emptyOutcomeCounts();
  let inFlight = 0;
  for (const p of parts) {
    for (const k of OUTCOMES) outcomes[k] += p.outcomes[k];
    inFlight += p.inFlight;
  }
  return { t, outcomes, inFlight };
}

/**
 * Run one trial: servers with their probes and samplers (each ready by waiting), a warm-up, the swarms, and the
 * collection; its containers are removed before it returns, whatever happened.
 */
async function runTrial(rt: ContainerRuntime, plan: RunPlan, trial: TrialPlan, o: ExecuteOptions, live: LiveSample[]): Promise<TrialResult> {
  const of = plan.trials.length;
  const phase = (p: Phase, detail: string): void => o.emit({ type: 'phase', trial: trial.id, of, phase: p, detail });
  const started: ContainerHandle[] = [];
  const collectors = trial.servers.map((s) => new ServerCollector(s));
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal.addEventListener('abort', onAbort, { once: true });
  const background: Array<Promise<unknown>> = [];
  const shaping = new Map<string, ServerResult['shaping']>();
  const sysctlsSeen = new Map<string, Record<string, string>>();
  const missing = new Map<string, string[]>(trial.servers.map((s) => [s.name, []]));
  const swarmResults: SwarmResult[] = [];
  /** Servers whose clients ran in their own namespace against 127.0.0.1, and those clients' specs. */
  const localhost = new Map<string, boolean>();
  const swarmSpecs = new Map<string, ContainerSpec>();
  const startedAt = new Date();
  let t0 = Date.now();
  let t1 = t0;
  const cellText = Object.entries(trial.cell).map(([k, v]) => `${k}=${v}`).join(' ');
  try {
    phase('servers', `${trial.servers.map((s) => `${s.model} (${s.name})`).join(', ')}${cellText ? ` [${cellText}]` : ''}${trial.repetition > 1 ? ` repetition ${trial.repetition}` : ''}`);
    // Each server's sampler sees the swarms aimed at it: the live line is their sum, from the latest of each.
    const latest = new Map<string, { live: LiveSample; queue: number | null; limit: number | null }>();
    for (const [i, s] of trial.servers.entries()) {
      /** What the probe says once: the shaping in force, what the kernel offers, the namespace's sysctls. */
      const readShaping = async (probe: StartedProbe): Promise<void> => {
        try {
          const [answer, st] = await Promise.all([probe.shaping(), probe.state()]);
          shaping.set(s.name, answer);
          sysctlsSeen.set(s.name, st.sysctls);
        } catch (e) {
          missing.get(s.name)!.push(`shaping and sysctls: ${(e as Error).message}`);
        }
      };
      const c = collectors[i]!;
      const server = await startServer(rt, s.server, stop.signal);
      started.push(server.handle);
      background.push(
        server.handle.wait().then(
          (e) => {
            if (!stop.signal.aborted) c.died = exitReport(e, s.server.memoryBytes);
          },
          () => {}, // a lost engine: the swarm's wait reports it
        ),
      );
      let sampler: ContainerHandle;
      let probe: StartedProbe;
      if (!s.own) {
        // The probe (ready when it logs) and the sampler (nothing to wait for) start side by side.
        [probe, sampler] = await Promise.all([startProbe(rt, s.probe, stop.signal), rt.start(s.sampler)]);
        started.push(probe.handle);
        await readShaping(probe);
      } else {
        // A server of one's own: ready once its port listens; its clients go where it can be reached.
        probe = await startProbe(rt, s.probe, stop.signal);
        started.push(probe.handle);
        await readShaping(probe);
        const listeners = await awaitListening(probe, server.handle, s, stop.signal);
        const loopback = s.localhost === true || (s.localhost === 'auto' && listeners.every((l) => l.loopback));
        localhost.set(s.name, loopback);
        if (loopback && s.probe.env.IFACES === undefined && ['DELAY', 'JITTER', 'LOSS', 'RATE'].some((k) => s.probe.env[k])) {
          // Its traffic goes over loopback now: the link to shape is lo. A probe that shapes lo takes over.
          await probe.handle.remove();
          probe = await startProbe(rt, { ...s.probe, env: { ...s.probe.env, IFACES: 'lo' } }, stop.signal);
          started.push(probe.handle);
          await readShaping(probe);
        }
        let samplerSpec = s.sampler;
        if (loopback) {
          const specs = localhostSpecs(s, trial.swarms, plan.sampleEveryMs);
          samplerSpec = specs.sampler;
          for (const [name, spec] of specs.swarms) swarmSpecs.set(name, spec);
          o.emit({
            type: 'line',
            trial: trial.id,
            source: s.name,
            text: `listens on ${listeners.map((l) => `${l.address}:${l.port}`).join(', ')} only: its clients run in its own network namespace against 127.0.0.1 (--localhost)`,
          });
        }
        sampler = await rt.start(samplerSpec);
      }
      started.push(sampler);
      // Sampler lines: the server's metrics, the probe's state, the swarms' live counts.
      background.push(
        (async () => {
          for await (const l of sampler.lines(stop.signal)) {
            if (l.stream !== 'stdout') continue;
            o.dir.append(`trial-${trial.id}/samples-${s.name}.jsonl`, l.line);
            const d = decodeSamplerLine(l.line);
            if (!d) continue;
            if (d.server) c.samples.push(d.server);
            else c.serverErrors += 1;
            if (d.probe) c.probe.push(d.probe);
            else ((c.probeErrors += 1), (c.lastProbeError = d.probeError ?? 'no state'));
            if (d.live) {
              latest.set(s.name, { live: d.live, queue: d.probe?.acceptQueue ?? null, limit: d.probe?.acceptQueueMax ?? null });
              const sum = sumLive([...latest.values()].map((x) => x.live), d.live.t);
              live.push(sum);
              const first = latest.get(trial.servers[0]?.name ?? '');
              o.emit({
                type: 'live',
                trial: trial.id,
                elapsedMs: d.live.t - t0,
                outcomes: sum.outcomes,
                inFlight: sum.inFlight,
                acceptQueue: first?.queue ?? null,
                acceptQueueMax: first?.limit ?? null,
              });
            }
          }
        })().catch((e: unknown) => missing.get(s.name)!.push(`samples: ${(e as Error).message}`)),
      );
      background.push(
        server.handle
          .stats((x) => {
            c.stats.push(x);
            o.dir.append(`trial-${trial.id}/stats-${s.name}.jsonl`, JSON.stringify(x));
          }, stop.signal)
          .catch((e: unknown) => missing.get(s.name)!.push(`container stats: ${(e as Error).message}`)),
      );
    }
    phase('warm-up', `${plan.warmupMs} ms at rest`);
    await sleep(plan.warmupMs, stop.signal);
    if (stop.signal.aborted) throw new SocklabError('interrupted');

    phase('swarm', trial.swarms.map((w) => `${w.name}: ${w.clients} client(s) -> ${w.target}`).join(', '));
    t0 = Date.now();
    const swarms: StartedSwarm[] = [];
    for (const w of trial.swarms) {
      const sw = await startSwarm(rt, swarmSpecs.get(w.name) ?? w.container, (line) => {
        if (line.includes('wave ') || line.includes('warning')) o.emit({ type: 'line', trial: trial.id, source: w.name, text: line });
      });
      started.push(sw.handle);
      swarms.push(sw);
    }
    const timeout = new Promise<'timeout'>((r) => setTimeout(r, trial.timeoutMs, 'timeout').unref());
    const aborted = new Promise<'aborted'>((r) => (stop.signal.aborted ? r('aborted') : stop.signal.addEventListener('abort', () => r('aborted'), { once: true })));
    const ended = await Promise.race([Promise.all(swarms.map((s) => s.done)), timeout, aborted]);
    t1 = Date.now();
    if (ended === 'timeout') o.emit({ type: 'warn', message: `trial ${trial.id}: swarms still running after ${trial.timeoutMs} ms; stopping them` });

    phase('collect', 'swarm summaries');
    for (const [i, w] of trial.swarms.entries()) {
      const sw = swarms[i]!;
      const r = Array.isArray(ended) ? ended[i] : await Promise.race([sw.done, sleep(2000, o.signal).then(() => undefined)]);
      const miss: string[] = [];
      if (!r) miss.push('the swarm did not finish: no summary');
      else if (!r.summary) miss.push(`summary: ${r.summaryError ?? 'none'}`);
      if (r?.summary) o.dir.json(`trial-${trial.id}/swarm-${w.name}.json`, r.summary);
      swarmResults.push({
        name: w.name,
        target: w.target,
        clients: w.clients,
        args: w.container.cmd,
        exit: r ? exitReport(r.exit) : null,
        summary: r?.summary ?? null,
        waves: r ? r.stderr.filter((l) => /wave \d+:/.test(l)) : [],
        missing: miss,
      });
    }
    // One more sampler tick, so the final values are in.
    await sleep(Math.min(plan.sampleEveryMs + 50, 1000), o.signal);
  } finally {
    // A server that stopped during the trial died (its own wait may still be on its way: the engine reports an
    // exit only after tearing the network down). Ask the engine before anything is removed.
    for (const [i, s] of trial.servers.entries()) {
      const h = started.find((x) => x.name === s.server.name);
      const c = collectors[i];
      if (!h || !c || c.died) continue;
      const e = await h.exited().catch(() => null);
      if (e) c.died = exitReport(e, s.server.memoryBytes);
    }
    phase('cleanup', `removing ${started.length} container(s)`);
    stop.abort();
    o.signal.removeEventListener('abort', onAbort);
    // Containers inside a server's namespaces go first: removing the namespace's owner while they still run
    // makes the engine wait seconds for the shared network namespace to be released.
    const owners = new Set(trial.servers.map((s) => s.server.name));
    await Promise.all(started.filter((h) => !owners.has(h.name)).map((h) => h.remove().catch(() => {})));
    await Promise.all(started.filter((h) => owners.has(h.name)).map((h) => h.remove().catch(() => {})));
    await Promise.race([Promise.allSettled(background), new Promise((r) => setTimeout(r, 3000))]);
  }
  const servers: ServerResult[] = collectors.map((c) => {
    const m = missing.get(c.plan.name) ?? [];
    if (c.samples.length === 0 && !c.plan.own) m.push(`server metrics: no sample (${c.serverErrors} failed reads)`);
    if (c.probe.length === 0) m.push(`probe state: no sample (${c.lastProbeError || 'the probe never answered'})`);
    else if (c.probeErrors > c.probe.length) {
      // The probe lives in the server's PID namespace: when the server dies, the kernel ends the probe with it.
      const why = c.died ? '; the probe shares the server\'s PID namespace and ended when the server died' : '';
      m.push(`probe state: ${c.probeErrors} of ${c.probeErrors + c.probe.length} reads failed (last: ${c.lastProbeError})${why}`);
    }
    if (c.stats.length === 0) m.push('container stats: none');
    return {
      name: c.plan.name,
      model: c.plan.model,
      own: c.plan.own,
      port: c.plan.port,
      localhost: localhost.get(c.plan.name) ?? false,
      container: c.plan.server.name,
      env: c.plan.server.env,
      sysctls: c.plan.server.sysctls,
      died: c.died,
      samples: c.samples,
      probe: c.probe,
      stats: c.stats,
      shaping: shaping.get(c.plan.name) ?? null,
      sysctlsSeen: sysctlsSeen.get(c.plan.name) ?? null,
      missing: m,
    };
  });
  return {
    id: trial.id,
    cell: trial.cell,
    repetition: trial.repetition,
    startedAt: startedAt.toISOString(),
    swarmsStartedAt: t0,
    durationMs: t1 - t0,
    servers,
    swarms: swarmResults,
    live: [],
    interrupted: o.signal.aborted,
  };
}

/**
 * Execute a plan: the run's internal network, each trial in turn, and on every exit path (success, failure,
 * Ctrl-C) the removal of everything labelled with the run. Returns the results, also when interrupted.
 */
export async function executePlan(rt: ContainerRuntime, plan: RunPlan, o: ExecuteOptions): Promise<Results> {
  const startedAt = new Date().toISOString();
  const { version, commit } = socklabVersion();
  const trials: TrialResult[] = [];
  const problems: string[] = [];
  let engine: Manifest['engine'] = null;
  const images: Record<string, string | null> = { ...o.images };
  let prometheus: AttachedPrometheus | undefined;
  try {
    engine = await rt.engineInfo();
    o.emit({ type: 'phase', trial: '-', of: plan.trials.length, phase: 'network', detail: `${plan.network.name} (internal bridge)` });
    await rt.createNetwork(plan.network.name, plan.network.labels, plan.network.internal);
    prometheus = await AttachedPrometheus.attach(rt, plan);
    if (prometheus.names.length > 0) {
      o.emit({ type: 'line', trial: '-', source: 'live view', text: `${prometheus.names.join(', ')} scrapes this run (run="${plan.runId}")` });
      const grafana = (await rt.containersWithRole('grafana')).length > 0;
      if (grafana) o.emit({ type: 'line', trial: '-', source: 'live view', text: `${grafanaRunUrl(plan.runId)}` });
    }
    for (const trial of plan.trials) {
      if (o.signal.aborted) break;
      await prometheus.publish(trialTargets(plan, trial)).catch((e: unknown) => problems.push(`live view targets: ${(e as Error).message}`));
      const live: LiveSample[] = [];
      try {
        const r = await runTrial(rt, plan, trial, o, live);
        trials.push({ ...r, live });
      } catch (e) {
        if (o.signal.aborted) break;
        throw e;
      }
    }
  } catch (e) {
    if (!(e instanceof EngineLostError)) throw e;
    throw new EngineLostError(`${e.message} during run ${plan.runId}`, {
      hint: `what the run started may still be there, all labelled socklab.run=${plan.runId}: once the engine answers again, \`socklab down --run ${plan.runId}\` removes it`,
    });
  } finally {
    await prometheus?.detach().catch((e: unknown) => problems.push(`live view targets: ${(e as Error).message}`));
    o.emit({ type: 'phase', trial: '-', of: plan.trials.length, phase: 'cleanup', detail: `removing everything labelled socklab.run=${plan.runId}` });
    await rt.removeLabelled(plan.runId).catch((e: unknown) => problems.push(`cleanup: ${(e as Error).message}`));
  }
  const first = trials.flatMap((t) => t.servers).find((s) => s.shaping);
  const manifest: Manifest = {
    socklabVersion: version,
    gitCommit: commit,
    node: process.version,
    host: { platform: process.platform, arch: process.arch },
    engine,
    images,
    kernel: first?.shaping ? { shapingMethod: first.shaping.plan.method, ...first.shaping.capabilities } : null,
    sysctls: trials.flatMap((t) => t.servers).find((s) => s.sysctlsSeen)?.sysctlsSeen ?? null,
    seed: plan.seed,
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  const results: Results = {
    schemaVersion: RESULTS_SCHEMA_VERSION,
    runId: plan.runId,
    kind: plan.kind,
    plan,
    manifest,
    trials,
    expectations: [],
    interrupted: o.signal.aborted,
    problems,
  };
  return { ...results, expectations: o.signal.aborted ? [] : checkExpectations(results) };
}
