import { deadline, formatKernelOffers, sleep, type KernelOffers } from '@socklab/shared';
import { explainExit, SocklabError } from '../errors.js';
import { fanOut, rawFiles, type TrialOutput } from '../collect/outputs.js';
import { ServerRecord, TrialRecorder } from '../collect/record.js';
import { decodeSamplerLine } from '../collect/sampler.js';
import type { LoopbackPlan, RunPlan, ServerPlan, SwarmPlan, TrialPlan } from '../plan/types.js';
import { endedBeforeListening, waitReady } from '../roles/ready.js';
import { StartedSwarm, type SwarmAgent, type SwarmRun, type TrialSwarm } from '../roles/swarm.js';
import type { RunDir } from '../results/run-dir.js';
import type { SwarmResult, TrialResult, TrialTimings } from '../results/types.js';
import type { ContainerHandle, ContainerRuntime } from '../runtime/runtime.js';
import type { ContainerSpec } from '../runtime/spec.js';
import type { Emit, Phase } from './events.js';
import { exitReport } from './exits.js';
import { LiveOutput } from './live.js';
import { TrialStack } from './stack.js';

/** Asks a sampler for a reading now (images/probe/src/sampler.ts). */
const SAMPLE_NOW = 'SIGUSR2';

export interface TrialOptions {
  readonly rt: ContainerRuntime;
  readonly plan: RunPlan;
  readonly dir: RunDir;
  readonly emit: Emit;
  /** The run's: aborted by Ctrl-C / SIGTERM. */
  readonly signal: AbortSignal;
  /**
   * The trial before this one, once it has collected: its containers are removed while this one's start (the
   * engine is busy making this trial's namespaces first), and before this one's clients are set off.
   */
  readonly previous?: Promise<TrialRun | undefined>;
  /** Resolves once the live view (an attached Prometheus) has seen the trial at rest; the clients wait for it. */
  readonly watched?: (signal: AbortSignal) => Promise<void>;
  /** Called once the clients are done (or the trial failed first): the next trial may start its containers. */
  readonly onExperimentEnd?: () => void;
  /** The run's swarm agents, by client host name (once its container runs): they run the trial's swarms over the network. */
  readonly agents?: ReadonlyMap<string, Promise<SwarmAgent>>;
  /** What the run has learnt of its kernel so far (its first probe's finding), shared by its trials. */
  readonly kernel?: KernelKnowledge;
}

/** What a run learns of its kernel from its first probe, handed to the probes of its later trials. */
export interface KernelKnowledge {
  offers?: KernelOffers;
}

/**
 * A server's first probe: its namespace was just made, so there is no earlier shaping to look for; and what the
 * kernel offers is told where an earlier trial's probe found it out already.
 */
function firstProbe(o: TrialOptions, probe: ContainerSpec): ContainerSpec {
  return { ...probe, env: { ...probe.env, FRESH_NAMESPACE: '1', ...(o.kernel?.offers && { KERNEL_OFFERS: formatKernelOffers(o.kernel.offers) }) } };
}

/** Keep the first probe's finding of what the kernel offers (from its /shaping answer, read at rest). */
function learnKernel(o: TrialOptions, record: ServerRecord): void {
  const caps = record.shaping?.capabilities;
  if (o.kernel && !o.kernel.offers && caps) o.kernel.offers = caps;
}

/** A trial that has run: its result, and its teardown, which the next trial starts when it suits it (compare). */
export interface TrialRun {
  readonly result: Omit<TrialResult, 'timings'> & { readonly timings: Omit<TrialTimings, 'teardownMs'> };
  /** Remove everything of the trial (started once, however often it is called); resolves with how long it took, in ms. */
  readonly teardown: () => Promise<number>;
}

/** One server of a trial once its containers run: the sampler to ask for a last reading, where it is ready. */
interface ServerStarted {
  readonly plan: ServerPlan;
  readonly server: ContainerHandle;
  readonly sampler: ContainerHandle;
  /** Resolves when the server and its probe are ready and a whole reading of it at rest has come in. */
  readonly ready: Promise<void>;
}

/** Follow a server's sampler and stats into the trial's outputs, and watch for its death (told at once). */
function collect(o: TrialOptions, stack: TrialStack, record: ServerRecord, out: Required<TrialOutput>, server: ContainerHandle, sampler: ContainerHandle): void {
  const name = record.plan.name;
  stack.follow(
    (async () => {
      for await (const l of sampler.lines(stack.signal)) if (l.stream === 'stdout') out.sample(name, l.line, decodeSamplerLine(l.line));
    })().catch((e: unknown) => out.lost(name, `samples: ${(e as Error).message}`)),
  );
  stack.follow(server.stats((s) => out.stats(name, s), stack.signal).catch((e: unknown) => out.lost(name, `container stats: ${(e as Error).message}`)));
  stack.follow(
    server.wait().then(
      (e) => {
        if (stack.signal.aborted) return;
        record.died = { ...exitReport(e, record.plan.server.memoryBytes), at: Date.now() };
        o.emit({ type: 'warn', message: `${name} died: ${explainExit(record.died.code, record.died.oomKilled)}; its clients go on, the report tells what they met` });
      },
      () => {}, // a lost engine: what waits on the swarms reports it
    ),
  );
}

/**
 * Start one server's containers: the server, then (as soon as it runs, not once it is ready) its probe, its
 * sampler and the swarms aimed at it, which boot and wait for the start signal. A server of one's own is ready
 * once its port listens, and where it listens decides where its clients run.
 */
async function startServer(o: TrialOptions, stack: TrialStack, trial: TrialPlan, s: ServerPlan, record: ServerRecord, out: Required<TrialOutput>, started: Map<string, TrialSwarm>): Promise<ServerStarted> {
  const itsSwarms = trial.swarms.filter((w) => w.target === s.name);
  const startSwarms = (inside?: LoopbackPlan): Promise<unknown> => Promise.all(itsSwarms.map(async (w) => started.set(w.name, await startSwarm(o, stack, trial, w, inside))));
  if (!s.userServer) {
    // Its swarms are handed to their client hosts while it starts (they look the server up only once they are set
    // off); the probe (which samples too, unless the plan gives a sampler of its own) joins the server as soon as
    // it runs, whether or not its swarms are ready yet.
    const serverUp = stack.start(s.server);
    const swarmsUp = startSwarms();
    swarmsUp.catch(() => {}); // awaited below; a server that fails to start first is the error told
    const server = await serverUp;
    const [probe, ownSampler] = await Promise.all([stack.start(firstProbe(o, s.probe)), s.sampler && stack.start(s.sampler), swarmsUp]);
    const sampler = ownSampler ?? probe;
    collect(o, stack, record, out, server, sampler);
    const ready = Promise.all([waitReady(server, s.server, { signal: stack.signal }), waitReady(probe, s.probe, { signal: stack.signal })])
      .then(() => atRest(o, stack, record, sampler))
      .then(() => learnKernel(o, record));
    return { plan: s, server, sampler, ready };
  }
  const server = await stack.start(s.server);
  // A program that ends at once leaves no namespace to join, or takes the probe that joined its process namespace
  // down with it (the kernel kills what is left there, exit 137): said as its ending, not as the probe's failure.
  const itsEnding = (e: unknown): Promise<never> => endedBeforeListening(server, s.server, s.port, e);
  let probe = await stack.start(firstProbe(o, s.probe)).catch(itsEnding);
  await waitReady(probe, s.probe, { signal: stack.signal }).catch(itsEnding);
  const { listeners = [] } = await waitReady(server, s.server, { signal: stack.signal, observer: probe });
  const loopback = s.localhost === 'auto' && listeners.every((l) => l.loopback) ? s.loopback : undefined;
  record.localhost = s.localhost === true || loopback !== undefined;
  if (loopback && loopback.probe !== s.probe && JSON.stringify(loopback.probe) !== JSON.stringify(s.probe)) {
    // Its traffic goes over loopback now: the link to shape is lo. A probe that shapes lo takes over.
    await stack.replace(probe);
    probe = await stack.start(loopback.probe);
    await waitReady(probe, loopback.probe, { signal: stack.signal });
  }
  if (record.localhost) {
    const at = listeners.map((l) => `${l.address}:${l.port}`).join(', ');
    o.emit({ type: 'line', trial: '-', source: s.name, text: `listens on ${at} only: its clients run in its own network namespace against 127.0.0.1 (--localhost)` });
  }
  const samplerSpec = loopback?.sampler ?? s.sampler;
  if (!samplerSpec) throw new SocklabError(`${s.name}: a server of one's own has a sampler of its own in the plan`);
  const [sampler] = await Promise.all([stack.start(samplerSpec), startSwarms(loopback)]);
  collect(o, stack, record, out, server, sampler);
  return { plan: s, server, sampler, ready: atRest(o, stack, record, sampler).then(() => learnKernel(o, record)) };
}

/**
 * A swarm of the trial: a job of its client host's agent when it runs over the run network, or a container of
 * its own inside a server bound to loopback (`inside`, or where the plan has no client host for it). Either way
 * it boots now and waits for its start.
 */
async function startSwarm(o: TrialOptions, stack: TrialStack, trial: TrialPlan, w: SwarmPlan, inside?: LoopbackPlan): Promise<TrialSwarm> {
  const say = (line: string): void => swarmLine(o, w.name, line);
  const agent = w.host === undefined || inside ? undefined : o.agents?.get(w.host);
  if (agent) {
    const job = await (await agent).job(trial.id, w.name, w.container.cmd, say);
    stack.atTeardown(() => job.stop());
    return job;
  }
  const spec = inside?.swarms[w.name] ?? w.container;
  return new StartedSwarm(await stack.start(spec), spec, say);
}

/** How long a trial waits for a whole reading of a ready server before it goes on without one. */
const AT_REST_MS = 5000;

/**
 * The figures at rest: the first whole reading of the server (its metrics, the kernel's view), asked for at once
 * now that both answer. One that does not come in time is noted as missing, and the trial goes on.
 */
async function atRest(o: TrialOptions, stack: TrialStack, record: ServerRecord, sampler: ContainerHandle): Promise<void> {
  const bound = deadline(stack.signal, AT_REST_MS);
  const next = record.next(ServerRecord.complete(record.plan.userServer), bound.signal);
  await askWhenUp(record, sampler, bound.signal);
  const got = await next;
  bound.clear();
  if (got || stack.signal.aborted) return;
  const why = `no whole reading of it at rest within ${AT_REST_MS} ms (server metrics: ${record.samples.length} read, ${record.serverErrors} failed; probe: ${record.probe.length} read, last error ${record.lastProbeError || 'none'})`;
  // The report says it in its language; the readings' counts are in the record's reads.
  record.missing.push(`figures at rest: none within ${AT_REST_MS} ms`);
  o.emit({ type: 'warn', message: `${record.plan.name}: ${why}; going on` });
}

/**
 * Ask a sampler for a reading now, once it is up (its first line, whatever it read): a request it does not handle
 * yet would end it, as the signal's default action does to a process that is not its namespace's init.
 */
async function askWhenUp(record: ServerRecord, sampler: ContainerHandle, signal: AbortSignal): Promise<void> {
  if (record.heard || (await record.next(() => true, signal))) await sampler.signal(SAMPLE_NOW).catch(() => {});
}

function swarmLine(o: TrialOptions, name: string, line: string): void {
  if (line.includes('wave ') || line.includes('warning')) o.emit({ type: 'line', trial: '-', source: name, text: line });
}

/** The swarms' results: each summary, how it exited, and what is missing. */
function swarmResults(out: Required<TrialOutput>, trial: TrialPlan, runs: ReadonlyArray<SwarmRun | undefined>): SwarmResult[] {
  return trial.swarms.map((w, i) => {
    const r = runs[i];
    const missing: string[] = [];
    if (!r) missing.push('the swarm did not finish: no summary');
    else if (!r.summary) missing.push(`summary: ${r.summaryError ?? 'none'}`);
    if (r?.summary) out.swarm(w.name, r.summary);
    return {
      name: w.name,
      target: w.target,
      clients: w.clients,
      connectTimeoutMs: w.connectTimeoutMs,
      readTimeoutMs: w.readTimeoutMs,
      expectGreeting: w.expectGreeting,
      args: [...w.container.cmd],
      exit: r ? exitReport(r.exit) : null,
      summary: r?.summary ?? null,
      waves: r ? r.stderr.filter((l) => /wave \d+:/.test(l)) : [],
      missing,
    };
  });
}

/** Until every swarm's clients are done (its summary is out), or the trial's bound or an abort ends the wait. */
async function awaitSwarms(o: TrialOptions, trial: TrialPlan, swarms: readonly TrialSwarm[], stop: AbortSignal): Promise<void> {
  const bound = deadline(stop, trial.timeoutMs);
  await Promise.race([Promise.all(swarms.map((s) => s.summarized)), sleep(trial.timeoutMs + 1000, bound.signal)]);
  if (!stop.aborted && bound.signal.aborted) {
    o.emit({ type: 'warn', message: `trial ${trial.id}: swarms still running after ${trial.timeoutMs} ms; stopping them` });
    // Cut short, each still prints its summary (what its clients met so far).
    await Promise.all(swarms.map((s) => s.stop().catch(() => {})));
  }
  bound.clear();
}

/** Each swarm's result once it has exited (a moment after its summary), or undefined if it did not end. */
async function swarmRuns(swarms: readonly TrialSwarm[], stop: AbortSignal): Promise<Array<SwarmRun | undefined>> {
  const bound = deadline(stop, 5000);
  const runs = await Promise.all(swarms.map((s) => Promise.race([s.done, sleep(6000, bound.signal).then(() => undefined)])));
  bound.clear();
  return runs;
}

/**
 * Run one trial: its containers started (servers first, everything else as soon as its server runs), ready by
 * waiting, the swarms set off together, a last reading once they are done, and the teardown handed back to
 * the caller so the next trial can start meanwhile.
 */
export async function runTrial(o: TrialOptions, trial: TrialPlan): Promise<TrialRun> {
  const trials = o.plan.trials.length;
  const phase = (p: Phase, detail: string): void => o.emit({ type: 'phase', trial: trial.id, trials, phase: p, detail });
  const stack = new TrialStack(o.rt, o.signal);
  const recorder = new TrialRecorder(trial.servers);
  let goAt: number | null = null;
  const live = new LiveOutput(trial, o.emit);
  const out = fanOut([rawFiles(o.dir, trial.id), recorder, live]);
  const swarms = new Map<string, TrialSwarm>();
  const startedAt = new Date();
  const mark = ((t = performance.now()) => () => performance.now() - t)();
  let timings: Omit<TrialTimings, 'teardownMs'>;
  let runs: Array<SwarmRun | undefined> = [];
  try {
    const cellText = Object.entries(trial.cell).map(([k, v]) => `${k}=${v}`).join(' ');
    phase('servers', `${trial.servers.map((s) => `${s.model} (${s.name})`).join(', ')}${cellText ? ` [${cellText}]` : ''}${trial.repetition > 1 ? ` repetition ${trial.repetition}` : ''}`);
    const starting = trial.servers.map((s) => startServer(o, stack, trial, s, recorder.of(s.name), out, swarms));
    const servers = await settleAll(starting, stack);
    const startMs = mark();
    const previousGone = o.previous?.then((p) => p?.teardown());
    phase('ready', 'servers, probes and clients ready; a reading at rest');
    await settleAll<unknown>([...servers.map((s) => s.ready), ...[...swarms.values()].map((w) => w.ready(stack.signal)), o.watched?.(stack.signal) ?? Promise.resolve()], stack);
    await previousGone; // the trial before this one is gone: nothing else runs during the experiment
    if (stack.signal.aborted) throw new SocklabError('interrupted');
    const readinessMs = mark() - startMs;
    phase('swarm', trial.swarms.map((w) => `${w.name}: ${w.clients} client(s) -> ${w.target}`).join(', '));
    goAt = Date.now();
    out.start(goAt);
    const ordered = trial.swarms.map((w) => swarms.get(w.name)!);
    await Promise.all(ordered.map((w) => w.start()));
    await awaitSwarms(o, trial, ordered, stack.signal);
    const experimentMs = mark() - startMs - readinessMs;
    o.onExperimentEnd?.();
    phase('collect', 'a last reading of each server; the clients\' summaries');
    [runs] = await Promise.all([swarmRuns(ordered, stack.signal), lastReadings(servers, recorder, stack.signal, o.plan.sampleEveryMs)]);
    if (trial.settleMs > 0) await settle(recorder, stack.signal, trial.settleMs);
    await noteDeaths(servers, recorder);
    out.stop();
    timings = { startMs, readinessMs, experimentMs, collectMs: mark() - startMs - readinessMs - experimentMs };
  } catch (e) {
    o.onExperimentEnd?.();
    await o.previous?.then((p) => p?.teardown()).catch(() => {});
    await noteDeaths([...recorder.servers.values()].map((r) => ({ plan: r.plan, server: stack.started.find((h) => h.name === r.plan.server.name) })), recorder).catch(() => {});
    phase('cleanup', `removing ${stack.started.length} container(s)`);
    await stack.teardown();
    throw e;
  }
  const swarmsOut = swarmResults(out, trial, runs);
  const starts = swarmsOut.map((w) => w.summary?.startedAtMs).filter((x): x is number => x !== undefined);
  return {
    result: {
      id: trial.id,
      cell: trial.cell,
      repetition: trial.repetition,
      startedAt: startedAt.toISOString(),
      // Time zero of every chart: when the first swarm started, on the clock the samples are stamped with.
      swarmsStartedAt: starts.length > 0 ? Math.min(...starts) : (goAt ?? Date.now()),
      durationMs: timings.experimentMs,
      servers: [...recorder.servers.values()].map((r) => r.result()),
      swarms: swarmsOut,
      live: live.series,
      interrupted: o.signal.aborted,
      timings,
    },
    teardown: once(() => {
      phase('cleanup', `removing ${stack.started.length} container(s)`);
      return stack.teardown();
    }),
  };
}

/** A function that does its work the first time it is called, and answers the same promise after. */
function once<T>(work: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= work());
}

/** Wait for every start; on the first failure stop the others (their waits end on the trial's signal), then throw it. */
async function settleAll<T>(work: ReadonlyArray<Promise<T>>, stack: TrialStack): Promise<T[]> {
  const guarded = work.map((p) =>
    p.catch((e: unknown) => {
      stack.abort();
      throw e;
    }),
  );
  const settled = await Promise.allSettled(guarded);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** One more reading of each server after the clients are done (asked for at once), so final counts are in. */
async function lastReadings(servers: readonly ServerStarted[], recorder: TrialRecorder, run: AbortSignal, everyMs: number): Promise<void> {
  const bound = deadline(run, Math.max(1000, everyMs * 3));
  const after = Date.now();
  await Promise.all(
    servers.map(async (s) => {
      const record = recorder.of(s.plan.name);
      const next = record.next((d) => (d.probe?.t ?? d.server?.t ?? 0) >= after, bound.signal);
      await askWhenUp(record, s.sampler, bound.signal);
      await next;
    }),
  );
  bound.clear();
}

/** How long the servers' sockets must stay as they are to count as settled. */
const SETTLED_MS = 2000;

/**
 * After the clients: keep reading until no server's sockets (CLOSE_WAIT, ESTABLISHED) have changed for a while,
 * at most `maxMs`. A server that closes late (its loop was blocked) gets there; one that never closes stays.
 * "A while" is SETTLED_MS, or half as long again as the longest pause between two changes seen so far: a loop
 * blocked 2 s per client closes one socket every 2 s, and a fixed 2 s would call it settled between two of them.
 */
async function settle(recorder: TrialRecorder, run: AbortSignal, maxMs: number): Promise<void> {
  const bound = deadline(run, maxMs);
  const key = (): string => [...recorder.servers.values()].map((r) => r.probe[r.probe.length - 1]).map((p) => `${p?.closeWait}/${p?.established}`).join(',');
  let last = key();
  let since = Date.now();
  let longest = 0;
  while (!bound.signal.aborted && Date.now() - since < Math.max(SETTLED_MS, 1.5 * longest)) {
    await sleep(200, bound.signal);
    const now = key();
    if (now !== last) {
      longest = Math.max(longest, Date.now() - since);
      [last, since] = [now, Date.now()];
    }
  }
  bound.clear();
}

/**
 * A server that stopped during the trial died (its own wait may still be on its way: the engine reports an exit
 * only after tearing the network down). Ask the engine before anything is removed.
 */
async function noteDeaths(servers: ReadonlyArray<{ plan: ServerPlan; server?: ContainerHandle | undefined }>, recorder: TrialRecorder): Promise<void> {
  await Promise.all(
    servers.map(async (s) => {
      const record = recorder.of(s.plan.name);
      if (!s.server || record.died) return;
      const e = await s.server.exited().catch(() => null);
      if (e) record.died = exitReport(e, s.plan.server.memoryBytes);
    }),
  );
}
