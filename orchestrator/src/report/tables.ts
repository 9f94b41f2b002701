import { OUTCOMES } from '@socklab/shared';
import { trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results, TrialResult } from '../results/types.js';
import { fmt, type Lang } from './lang.js';
import { WORDS } from './words.js';

export interface Table {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

const trialLabel = (t: TrialResult): string => {
  const cell = Object.values(t.cell).join(' / ');
  return `${t.id}${cell ? ` ${cell}` : ''}${t.repetition > 1 || cell === '' ? ` (#${t.repetition})` : ''}`;
};

/** One row per server of each trial: what its clients saw (outcomes, completion, latency). */
export function outcomesTable(r: Results, lang: Lang, measures: ReadonlyMap<TrialResult, TrialMeasures> = measuresOf(r)): Table {
  const f = fmt(lang);
  const h = WORDS[lang].head;
  const head = [h.trial, h.server, ...OUTCOMES, h.doneIn, h.p50, h.p99];
  const rows = r.trials.flatMap((t) =>
    (measures.get(t)?.servers ?? []).map((s) => {
      const swarms = t.swarms.filter((w) => w.target === s.name);
      const lat = swarms.length === 1 ? swarms[0]?.summary?.latencyMs.total : undefined;
      return [trialLabel(t), `${s.name} (${s.model})`, ...OUTCOMES.map((o) => f.num(s.clients.outcomes[o], 0)), f.secs(s.clients.completionMs), f.ms(lat?.p50), f.ms(lat?.p99)];
    }),
  );
  return { head, rows };
}

const stackText = (s: ServerMeasures, lang: Lang): string => (s.stack ? `${fmt(lang).size(s.stack.mappedBytes)} / ${fmt(lang).size(s.stack.residentBytes)}` : '-');

/** One row per server of each trial: what the kernel and the process showed. */
export function serversTable(r: Results, lang: Lang, measures: ReadonlyMap<TrialResult, TrialMeasures> = measuresOf(r)): Table {
  const f = fmt(lang);
  const h = WORDS[lang].head;
  const head = [h.trial, h.server, h.queue, h.overflows, h.synRecv, h.threads, h.runtime, h.stack, h.inService, h.rss, h.cpu];
  const rows: string[][] = [];
  for (const t of r.trials) {
    for (const s of measures.get(t)?.servers ?? []) {
      rows.push([
        trialLabel(t),
        `${s.name} (${s.model})`,
        `${f.num(s.acceptQueuePeak, 0)}/${f.num(s.acceptQueueMax, 0)}`,
        f.num(s.listenOverflows, 0),
        f.num(s.synRecvPeak, 0),
        `${f.num(s.threadsIdle, 0)}→${f.num(s.threadsPeak, 0)}`,
        s.runtimeThreads === null ? '-' : f.num(s.runtimeThreads, 0),
        stackText(s, lang),
        f.num(s.inServicePeak, 0),
        `${f.mib(s.rssIdleBytes)}→${f.mib(s.rssPeakBytes)}`,
        `${f.cores(s.cpuAtRestCores)} / ${f.cores(s.cpuServingCores)}`,
      ]);
    }
  }
  return { head, rows };
}

/** Each connection of a small run (the course's 3 or 10 clients), in start order, on the trial's clock. */
export function connectionsTable(t: TrialResult, lang: Lang, limit = 20): Table | null {
  const f = fmt(lang);
  const h = WORDS[lang].head;
  const m = trialMeasures(t);
  const conns = m.servers.flatMap((s) => s.clients.each.map((c) => ({ server: s.name, ...c })));
  if (conns.length === 0 || conns.length > limit) return null;
  const counter = new Map<string, number>();
  return {
    head: [h.client, h.outcome, h.started, h.connected, h.ended, h.errno],
    rows: conns.map((c) => {
      const i = (counter.get(c.swarm) ?? 0) + 1;
      counter.set(c.swarm, i);
      return [`${t.swarms.length > 1 ? `${c.swarm} ` : ''}#${i}`, c.outcome, f.secs(c.startMs), f.ms(c.connectMs), f.secs(c.endMs), c.errno ?? ''];
    }),
  };
}

export function expectationsTable(r: Results, lang: Lang): Table | null {
  if (r.expectations.length === 0) return null;
  const w = WORDS[lang];
  const f = fmt(lang);
  return {
    head: [w.head.trial, w.head.measure, w.head.expected, w.value, w.head.met],
    rows: r.expectations.map((e) => [e.trial, e.key, e.expected.replace(/\d+(?:\.\d+)?/g, (x) => f.num(Number(x), x.split('.')[1]?.length ?? 0)), e.measured === null ? w.missingValue : f.num(e.measured), e.met ? w.yes : w.no]),
  };
}

/** What is missing, per trial and role, so a reader knows which numbers are absent and why. */
export function missingData(r: Results, lang: Lang = 'en'): string[] {
  const w = WORDS[lang];
  const out: string[] = r.problems.map((x) => w.missingLine(x));
  for (const t of r.trials) {
    for (const s of t.servers) {
      for (const [part, c] of [['metrics', s.reads?.server], ['probe', s.reads?.probe]] as const) {
        if (c && (c.failed > 0 || c.ok === 0)) out.push(`${w.missingOf(t.id, 'server', s.name)}: ${w.readsFailed(part, c, fmt(lang))}`);
      }
      for (const m of s.missing) out.push(`${w.missingOf(t.id, 'server', s.name)}: ${w.missingLine(m)}`);
    }
    for (const sw of t.swarms) for (const m of sw.missing) out.push(`${w.missingOf(t.id, 'swarm', sw.name)}: ${w.missingLine(m)}`);
  }
  if (r.interrupted) out.push(w.interruptedRun);
  return out;
}

/** Each trial's measures, computed once for the whole report. */
export function measuresOf(r: Results): Map<TrialResult, TrialMeasures> {
  return new Map(r.trials.map((t) => [t, trialMeasures(t)]));
}

/** A plain-text table for the terminal. */
export function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}
