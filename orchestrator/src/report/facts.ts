import { parseDuration, type Outcome } from '@socklab/shared';
import type { QuestionKind } from '@socklab/shared/scenario';
import { medianGap, okEnds, trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results, ServerResult, TrialResult } from '../results/types.js';

/** A server's clients that started this long after the trial's first ones are said to have started later. */
const DELAYED_MS = 100;

/**
 * What the measured values say about one trial, as facts (data): the report words each one in its language
 * (say.ts). Every number a fact carries is read from the measures (results/measures.ts), the same figures the
 * tables and charts show. A fact appears only when its data say something.
 */

/** The work each request of a socklab model took, as its configuration says (io or cpu, and how long). */
export interface Work {
  readonly kind: 'io' | 'cpu' | 'none';
  readonly ms: number;
}

export function workOf(s: ServerResult): Work | null {
  if (s.userServer) return null;
  const m = /^(io|cpu):(.+)$/.exec(s.env.WORK ?? 'io:5s');
  if (!m) return { kind: 'none', ms: 0 };
  return { kind: m[1] as 'io' | 'cpu', ms: parseDuration(m[2] ?? '0') };
}

/** The facts about one server of a trial, in the order a reader wants them. */
export type ServerFact =
  | { readonly kind: 'clients'; readonly ok: number; readonly connections: number; readonly others: ReadonlyArray<readonly [Outcome, number]>; readonly completionMs: number | null }
  | { readonly kind: 'serial'; readonly finishedMs: readonly number[]; readonly more: boolean; readonly gapMs: number; readonly queuePeak: number | null }
  | { readonly kind: 'concurrent'; readonly inService: number; readonly firstMs: number; readonly lastMs: number }
  | {
      readonly kind: 'backlog';
      readonly queuePeak: number | null;
      readonly queueMax: number | null;
      readonly backlog: number | null;
      readonly overflows: number | null;
      readonly drops: number | null;
      readonly connections: number;
      readonly outcomes: Readonly<Record<Outcome, number>>;
      readonly connectTimeoutMs: number | null;
      readonly why: 'dropped' | 'reject-above' | 'abort-on-overflow' | null;
    }
  | {
      readonly kind: 'threads';
      readonly userServer: boolean;
      readonly idle: number;
      readonly peak: number;
      readonly runtime: number | null;
      readonly inService: number | null;
      readonly stack: ServerMeasures['stack'];
      readonly rssIdle: number | null;
      readonly rssPeak: number | null;
    }
  | { readonly kind: 'cpu'; readonly atRest: number | null; readonly serving: number | null; readonly polling: boolean }
  | { readonly kind: 'cpu-work'; readonly workMs: number; readonly inService: number | null; readonly firstMs: number; readonly lastMs: number; readonly loop: boolean }
  | { readonly kind: 'gap'; readonly gapMs: number }
  | { readonly kind: 'stalled'; readonly stalled: number; readonly waiting: number; readonly readTimeoutMs: number | null; readonly outcomes: Readonly<Record<Outcome, number>> }
  | { readonly kind: 'recv-timeout'; readonly recvTimeoutMs: number; readonly fired: number; readonly nextOkMs: number | null }
  | {
      readonly kind: 'shaping';
      readonly direction: string;
      readonly delayMs: number;
      readonly jitterMs: number;
      readonly loss: number;
      readonly rateBps: number | null;
      readonly method: string;
      readonly unreal: readonly string[];
      readonly connectP50: number | null;
      readonly connectP99: number | null;
      readonly synRetrans: number | null;
    }
  | {
      readonly kind: 'died';
      readonly code: number;
      readonly oomKilled: boolean;
      readonly memoryLimitBytes: number | null;
      /** The most threads and memory seen before it died (sampled, so at most that). */
      readonly threadsPeak: number | null;
      readonly rssPeak: number | null;
      readonly containerPeak: number | null;
    }
  | { readonly kind: 'localhost'; readonly port: number }
  | { readonly kind: 'delayed'; readonly startMs: number };

export interface ServerFacts {
  readonly server: ServerMeasures;
  readonly facts: readonly ServerFact[];
}

/**
 * A comparison between the servers of one trial: who finished first, and how the others did. Each server is timed
 * on its own clients' clock (from their start to the last one's end): a server whose clients a scenario starts
 * later is not made to look slower by the wait.
 */
export interface Comparison {
  readonly rows: ReadonlyArray<{ readonly name: string; readonly model: string; readonly ok: number; readonly connections: number; readonly completionMs: number | null; readonly threads: number | null; readonly inService: number | null }>;
  /** Some server's clients started later than the trial's first ones (so the times are not on the trial's clock). */
  readonly ownClocks: boolean;
}

function clientsFact(s: ServerMeasures): ServerFact | null {
  const c = s.clients;
  if (c.connections === 0) return null;
  const others = (['refused', 'reset', 'connect_timeout', 'read_timeout', 'error'] as Outcome[]).filter((k) => c.outcomes[k] > 0).map((k) => [k, c.outcomes[k]] as const);
  return { kind: 'clients', ok: c.outcomes.ok, connections: c.connections, others, completionMs: c.completionMs };
}

function serialFact(s: ServerMeasures): ServerFact | null {
  const ends = okEnds(s.clients);
  if (s.inServicePeak !== 1 || ends.length < 2) return null;
  return { kind: 'serial', finishedMs: ends.slice(0, 6), more: ends.length > 6, gapMs: medianGap(ends) ?? 0, queuePeak: s.acceptQueuePeak };
}

function concurrentFact(s: ServerMeasures, work: Work | null): ServerFact | null {
  const ends = okEnds(s.clients);
  if (s.inServicePeak === null || s.inServicePeak < 2 || ends.length < 2 || work?.kind === 'cpu') return null;
  return { kind: 'concurrent', inService: s.inServicePeak, firstMs: ends[0] ?? 0, lastMs: ends[ends.length - 1] ?? 0 };
}

function backlogFact(s: ServerMeasures, srv: ServerResult): ServerFact | null {
  const full = s.acceptQueuePeak !== null && s.acceptQueueMax !== null && s.acceptQueuePeak > s.acceptQueueMax;
  if (!full && !(s.listenOverflows && s.listenOverflows > 0)) return null;
  const o = s.clients.outcomes;
  const refusal = srv.shaping?.config?.refusal.kind ?? 'drop';
  let why: 'dropped' | 'reject-above' | 'abort-on-overflow' | null = null;
  if (o.refused === 0 && refusal === 'drop' && o.connect_timeout + o.read_timeout > 0) why = 'dropped';
  if (refusal === 'reject-above' && o.refused > 0) why = 'reject-above';
  if (o.reset > 0 && srv.sysctls['net.ipv4.tcp_abort_on_overflow'] === '1') why = 'abort-on-overflow';
  return {
    kind: 'backlog',
    queuePeak: s.acceptQueuePeak,
    queueMax: s.acceptQueueMax,
    backlog: s.backlog,
    overflows: s.listenOverflows,
    drops: s.listenDrops,
    connections: s.clients.connections,
    outcomes: o,
    connectTimeoutMs: s.clients.connectTimeoutMs,
    why,
  };
}

function threadsFact(s: ServerMeasures): ServerFact | null {
  if (s.threadsIdle === null || s.threadsPeak === null) return null;
  return { kind: 'threads', userServer: s.userServer, idle: s.threadsIdle, peak: s.threadsPeak, runtime: s.runtimeThreads, inService: s.inServicePeak, stack: s.stack, rssIdle: s.rssIdleBytes, rssPeak: s.rssPeakBytes };
}

function cpuFact(s: ServerMeasures): ServerFact | null {
  const busy = Math.max(s.cpuAtRestCores ?? 0, s.cpuServingCores ?? 0);
  if (busy < 0.3 && s.model !== 'polling') return null;
  return { kind: 'cpu', atRest: s.cpuAtRestCores, serving: s.cpuServingCores, polling: s.model === 'polling' };
}

function cpuWorkFact(s: ServerMeasures, work: Work | null): ServerFact | null {
  const ends = okEnds(s.clients);
  if (work?.kind !== 'cpu' || ends.length < 2) return null;
  return { kind: 'cpu-work', workMs: work.ms, inService: s.inServicePeak, firstMs: ends[0] ?? 0, lastMs: ends[ends.length - 1] ?? 0, loop: s.model === 'event-loop' };
}

function deadlockFact(s: ServerMeasures): ServerFact | null {
  const c = s.clients;
  if (!c.expectGreeting || c.outcomes.ok > 0 || c.connections === 0) return null;
  const waiting = c.each.filter((x) => x.connectMs !== null).length;
  return { kind: 'stalled', stalled: s.stalledRecvPeak ?? 0, waiting, readTimeoutMs: c.readTimeoutMs, outcomes: c.outcomes };
}

function recvTimeoutFact(s: ServerMeasures, srv: ServerResult): ServerFact | null {
  const timeout = srv.env.RECV_TIMEOUT === undefined ? 0 : parseDuration(srv.env.RECV_TIMEOUT);
  if (timeout <= 0) return null;
  const fired = s.handled.read_timeout ?? 0;
  const next = s.clients.each.find((c) => c.outcome === 'ok');
  return { kind: 'recv-timeout', recvTimeoutMs: timeout, fired, nextOkMs: next?.endMs ?? null };
}

function shapingFact(s: ServerMeasures, srv: ServerResult): ServerFact | null {
  const c = srv.shaping?.config;
  if (!c || (c.delayMs === 0 && c.loss === 0 && c.rateBps === null)) return null;
  return {
    kind: 'shaping',
    direction: c.direction,
    delayMs: c.delayMs,
    jitterMs: c.jitterMs,
    loss: c.loss,
    rateBps: c.rateBps,
    method: srv.shaping?.plan.method ?? 'none',
    unreal: (srv.shaping?.plan.effects ?? []).filter((e) => !e.real).map((e) => `${e.effect} ${e.direction}`),
    connectP50: s.clients.connectP50Ms,
    connectP99: s.clients.connectP99Ms,
    synRetrans: s.synRetrans,
  };
}

function diedFact(s: ServerMeasures, srv: ServerResult): ServerFact | null {
  if (!srv.died) return null;
  return { kind: 'died', code: srv.died.code, oomKilled: srv.died.oomKilled, memoryLimitBytes: srv.died.memoryLimitBytes ?? null, threadsPeak: s.threadsPeak, rssPeak: s.rssPeakBytes, containerPeak: s.containerMemoryPeakBytes };
}

/** Everything worth saying about one server of a trial. */
function serverFacts(t: TrialResult, srv: ServerResult, s: ServerMeasures): ServerFacts {
  const work = workOf(srv);
  const facts: Array<ServerFact | null> = [
    clientsFact(s),
    s.clients.startMs !== null && s.clients.startMs > DELAYED_MS ? { kind: 'delayed', startMs: s.clients.startMs } : null,
    srv.localhost ? { kind: 'localhost', port: srv.port } : null,
    diedFact(s, srv),
    deadlockFact(s),
    recvTimeoutFact(s, srv),
    serialFact(s),
    concurrentFact(s, work),
    cpuWorkFact(s, work),
    backlogFact(s, srv),
    threadsFact(s),
    cpuFact(s),
    s.serverGapMs !== null && s.serverGapMs > 1000 ? { kind: 'gap', gapMs: s.serverGapMs } : null,
    shapingFact(s, srv),
  ];
  void t;
  return { server: s, facts: facts.filter((f): f is ServerFact => f !== null) };
}

/** The servers of a trial side by side (when there are several), fastest first. */
export function comparison(m: TrialMeasures): Comparison | null {
  if (m.servers.length < 2) return null;
  const took = (c: ServerMeasures['clients']): number | null => (c.completionMs === null ? null : c.completionMs - (c.startMs ?? 0));
  const rows = m.servers
    .map((s) => ({ name: s.name, model: s.model, ok: s.clients.outcomes.ok, connections: s.clients.connections, completionMs: took(s.clients), threads: s.threadsPeak, inService: s.inServicePeak }))
    .sort((a, b) => (a.completionMs ?? Infinity) - (b.completionMs ?? Infinity));
  return { rows, ownClocks: m.servers.some((s) => (s.clients.startMs ?? 0) > DELAYED_MS) };
}

/** Everything a trial's report says, from its measures. */
export interface TrialFacts {
  readonly measures: TrialMeasures;
  readonly servers: readonly ServerFacts[];
  readonly comparison: Comparison | null;
  readonly asks: QuestionKind;
}

export function trialFacts(r: Results, t: TrialResult): TrialFacts {
  const measures = trialMeasures(t);
  return {
    measures,
    servers: t.servers.map((srv, i) => serverFacts(t, srv, measures.servers[i]!)),
    comparison: comparison(measures),
    asks: r.plan.scenario.asks ?? 'outcomes',
  };
}
