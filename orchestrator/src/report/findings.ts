import { parseDuration, type Outcome } from '@socklab/shared';
import { serverMeasures, trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results, ServerResult, TrialResult } from '../results/types.js';
import { say, type Lang } from './i18n.js';

/**
 * What the measured values say, as facts; `say` (i18n.ts) writes each one as a sentence in the report's language.
 * A fact appears only when its data say something.
 */
export type Finding =
  | { readonly kind: 'outcomes'; readonly ok: number; readonly connections: number; readonly others: ReadonlyArray<readonly [Outcome, number]>; readonly completionMs: number | null }
  | { readonly kind: 'serial'; readonly model: string; readonly finishedMs: readonly number[]; readonly more: boolean; readonly gapMs: number }
  | {
      readonly kind: 'backlog';
      readonly queuePeak: number | null;
      readonly queueMax: number | null;
      readonly backlog: number | null;
      readonly overflows: number | null;
      readonly drops: number | null;
      readonly connections: number;
      readonly outcomes: Readonly<Record<Outcome, number>>;
      readonly connectTimeoutMs: number;
      readonly why: 'dropped' | 'reject-above' | 'abort-on-overflow' | null;
    }
  | { readonly kind: 'threads-per-connection'; readonly idle: number; readonly peak: number; readonly inService: number | null; readonly rssIdle: number | null; readonly rssPeak: number | null; readonly perThread: number | null }
  | { readonly kind: 'threads-flat'; readonly idle: number; readonly peak: number; readonly inService: number | null; readonly rssIdle: number | null; readonly rssPeak: number | null }
  | { readonly kind: 'cpu'; readonly mean: number; readonly peak: number | null; readonly polling: boolean }
  | { readonly kind: 'deadlock'; readonly connected: number }
  | { readonly kind: 'shaping'; readonly direction: string; readonly delayMs: number; readonly jitterMs: number; readonly loss: number; readonly rateBps: number | null; readonly method: string; readonly unreal: readonly string[]; readonly connectP50: number | null; readonly connectP99: number | null }
  | {
      readonly kind: 'died';
      readonly model: string;
      readonly code: number;
      readonly oomKilled: boolean;
      readonly explanation: string;
      readonly memoryLimitBytes?: number;
      /** The most threads and resident memory seen before it died (sampled, so at most that). */
      readonly threadsPeak: number | null;
      readonly rssPeak: number | null;
    }
  | { readonly kind: 'localhost'; readonly model: string; readonly port: number }
  | { readonly kind: 'compare'; readonly group: { readonly clients: string; readonly delay: string | null }; readonly first: CompareCell; readonly last: CompareCell };

export interface CompareCell {
  readonly model: string;
  readonly completionMs: number;
  readonly ok: number;
  readonly connections: number;
  readonly threads: number | null;
}

/** The swarm flag's value in a trial (its args), as milliseconds. */
function swarmFlagMs(t: TrialResult, flag: string, fallback: number): number {
  const args = t.swarms[0]?.args ?? [];
  const i = args.indexOf(flag);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v === undefined ? fallback : parseDuration(v);
}

function serial(t: TrialResult, s: ServerMeasures): Finding | null {
  if (s.inServicePeak !== 1) return null;
  const conns = t.swarms.flatMap((w) => w.summary?.connections ?? []).filter((c) => c.outcome === 'ok').map((c) => c.totalMs).sort((a, b) => a - b);
  if (conns.length < 2) return null;
  const gaps = conns.slice(1).map((x, i) => x - (conns[i] ?? 0));
  return { kind: 'serial', model: s.model, finishedMs: conns.slice(0, 6), more: conns.length > 6, gapMs: gaps.reduce((a, b) => a + b, 0) / gaps.length };
}

function backlog(t: TrialResult, m: TrialMeasures, s: ServerMeasures, srv: ServerResult): Finding | null {
  const full = s.acceptQueuePeak !== null && s.acceptQueueMax !== null && s.acceptQueuePeak > s.acceptQueueMax;
  if (!full && !(s.listenOverflows && s.listenOverflows > 0)) return null;
  const o = m.outcomes;
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
    connections: m.connections,
    outcomes: o,
    connectTimeoutMs: swarmFlagMs(t, '--connect-timeout', 5000),
    why,
  };
}

function threads(m: TrialMeasures, s: ServerMeasures): Finding | null {
  if (s.threadsIdle === null || s.threadsPeak === null) return null;
  const extra = s.threadsPeak - s.threadsIdle;
  const rss = s.rssIdleBytes !== null && s.rssPeakBytes !== null ? s.rssPeakBytes - s.rssIdleBytes : null;
  if (extra >= 3) {
    return { kind: 'threads-per-connection', idle: s.threadsIdle, peak: s.threadsPeak, inService: s.inServicePeak, rssIdle: s.rssIdleBytes, rssPeak: s.rssPeakBytes, perThread: rss !== null ? rss / extra : null };
  }
  if (m.outcomes.ok >= 5 && (s.inServicePeak ?? m.outcomes.ok) >= 5 && extra <= 1) {
    return { kind: 'threads-flat', idle: s.threadsIdle, peak: s.threadsPeak, inService: s.inServicePeak, rssIdle: s.rssIdleBytes, rssPeak: s.rssPeakBytes };
  }
  return null;
}

function cpu(s: ServerMeasures): Finding | null {
  if (s.cpuCoresMean === null || s.cpuCoresMean < 0.4) return null;
  return { kind: 'cpu', mean: s.cpuCoresMean, peak: s.cpuCoresPeak, polling: s.model === 'polling' };
}

function deadlock(t: TrialResult, m: TrialMeasures): Finding | null {
  const fb = t.swarms.reduce((a, w) => a + (w.summary?.latencyMs.firstByte.count ?? 0), 0);
  if (m.connections === 0 || fb > 0 || m.outcomes.ok > 0) return null;
  const connected = t.swarms.reduce((a, w) => a + (w.summary?.latencyMs.connect.count ?? 0), 0);
  return connected === 0 ? null : { kind: 'deadlock', connected };
}

function shaping(t: TrialResult, srv: ServerResult): Finding | null {
  const c = srv.shaping?.config;
  if (!c || (c.delayMs === 0 && c.loss === 0 && c.rateBps === null)) return null;
  const connect = t.swarms[0]?.summary?.latencyMs.connect;
  return {
    kind: 'shaping',
    direction: c.direction,
    delayMs: c.delayMs,
    jitterMs: c.jitterMs,
    loss: c.loss,
    rateBps: c.rateBps,
    method: srv.shaping?.plan.method ?? 'none',
    unreal: (srv.shaping?.plan.effects ?? []).filter((e) => !e.real).map((e) => `${e.effect} ${e.direction}`),
    connectP50: connect && connect.count > 0 ? connect.p50 : null,
    connectP99: connect && connect.count > 0 ? connect.p99 : null,
  };
}

/** The facts of one trial. */
export function trialFacts(t: TrialResult): Finding[] {
  const m = trialMeasures(t);
  const others = (['refused', 'reset', 'connect_timeout', 'read_timeout', 'error'] as Outcome[]).filter((k) => m.outcomes[k] > 0).map((k) => [k, m.outcomes[k]] as const);
  const out: Finding[] = [{ kind: 'outcomes', ok: m.outcomes.ok, connections: m.connections, others, completionMs: m.completionMs }];
  for (const srv of t.servers) {
    const s = serverMeasures(srv);
    if (srv.localhost) out.push({ kind: 'localhost', model: s.model, port: srv.port });
    if (srv.died) {
      // The engine's task count is a third sample of the peak: a fast explosion can fall between the others.
      const threadsPeak = s.threadsPeak === null && s.tasksPeak === null ? null : Math.max(s.threadsPeak ?? 0, s.tasksPeak ?? 0);
      out.push({ kind: 'died', model: s.model, ...srv.died, threadsPeak, rssPeak: s.rssPeakBytes });
    }
    for (const f of [serial(t, s), backlog(t, m, s, srv), threads(m, s), cpu(s), shaping(t, srv)]) if (f) out.push(f);
  }
  // Connections that got no answer because their server died are not a deadlock.
  const d = t.servers.some((srv) => srv.died) ? null : deadlock(t, m);
  if (d) out.push(d);
  return out;
}

/** For a compare: per client count, which model finished first and last. */
export function compareFacts(r: Results): Finding[] {
  const rows = r.trials.map((t) => ({ t, m: trialMeasures(t) }));
  const byGroup = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = `${row.t.cell.clients ?? '?'}|${row.t.cell.delay ?? ''}`;
    byGroup.set(key, [...(byGroup.get(key) ?? []), row]);
  }
  const out: Finding[] = [];
  for (const group of byGroup.values()) {
    const timed = group.filter((g) => g.m.completionMs !== null).sort((a, b) => (a.m.completionMs ?? 0) - (b.m.completionMs ?? 0));
    if (timed.length < 2) continue;
    const cell = (g: (typeof timed)[number]): CompareCell => ({
      model: g.t.cell.model ?? '?',
      completionMs: g.m.completionMs ?? 0,
      ok: g.m.outcomes.ok,
      connections: g.m.connections,
      threads: g.m.servers[0]?.threadsPeak ?? null,
    });
    const first = timed[0]!;
    const delay = first.t.cell.delay && first.t.cell.delay !== '0ms' ? first.t.cell.delay : null;
    out.push({ kind: 'compare', group: { clients: first.t.cell.clients ?? '?', delay }, first: cell(first), last: cell(timed[timed.length - 1]!) });
  }
  return out;
}

/** Paragraphs written from one trial's measured values, in the report's language. */
export function trialFindings(t: TrialResult, lang: Lang = 'en'): string[] {
  return trialFacts(t).map((f) => say(f, lang));
}

export function compareFindings(r: Results, lang: Lang = 'en'): string[] {
  return compareFacts(r).map((f) => say(f, lang));
}
