import { OUTCOMES } from '@socklab/shared';
import { trialMeasures } from '../results/measures.js';
import type { Results, TrialResult } from '../results/types.js';
import { mib, msText, num, secs } from './format.js';

export interface Table {
  readonly head: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
}

const trialLabel = (t: TrialResult): string => {
  const cell = Object.values(t.cell).join(' / ');
  return `${t.id}${cell ? ` ${cell}` : ''}${t.repetition > 1 || cell === '' ? ` (#${t.repetition})` : ''}`;
};

/** One row per trial: the clients' outcomes, completion and latency. */
export function outcomesTable(r: Results): Table {
  const head = ['trial', 'model', ...OUTCOMES, 'done in', 'p50', 'p99'];
  const rows = r.trials.map((t) => {
    const m = trialMeasures(t);
    const lat = t.swarms.length === 1 ? t.swarms[0]?.summary?.latencyMs.total : undefined;
    return [trialLabel(t), m.servers.map((x) => x.model).join(', '), ...OUTCOMES.map((o) => String(m.outcomes[o])), secs(m.completionMs), msText(lat?.p50), msText(lat?.p99)];
  });
  return { head, rows };
}

/** One row per server of each trial: what the kernel and the process showed. */
export function serversTable(r: Results): Table {
  const head = ['trial', 'server', 'accept queue peak/limit', 'ListenOverflows', 'SYN_RECV peak', 'threads rest→peak', 'in service peak', 'RSS rest→peak', 'CPU cores (mean)'];
  const rows: string[][] = [];
  for (const t of r.trials) {
    for (const s of trialMeasures(t).servers) {
      rows.push([
        trialLabel(t),
        `${s.name} (${s.model})`,
        `${s.acceptQueuePeak ?? '-'}/${s.acceptQueueMax ?? '-'}`,
        num(s.listenOverflows),
        num(s.synRecvPeak),
        `${s.threadsIdle ?? '-'}→${s.threadsPeak ?? '-'}`,
        num(s.inServicePeak),
        `${mib(s.rssIdleBytes)}→${mib(s.rssPeakBytes)}`,
        num(s.cpuCoresMean),
      ]);
    }
  }
  return { head, rows };
}

/** Each connection of a small run (the seeds' 3 or 10 clients), in start order. */
export function connectionsTable(t: TrialResult, limit = 20): Table | null {
  const conns = t.swarms.flatMap((w) => (w.summary?.connections ?? []).map((c, i) => ({ swarm: w.name, i: i + 1, ...c })));
  if (conns.length === 0 || conns.length > limit) return null;
  return {
    head: ['client', 'outcome', 'connected after', 'ended after', 'errno'],
    rows: conns.map((c) => [`${t.swarms.length > 1 ? `${c.swarm} ` : ''}#${c.i}`, c.outcome, msText(c.connectMs), msText(c.totalMs), c.errno ?? '']),
  };
}

export function expectationsTable(r: Results): Table | null {
  if (r.expectations.length === 0) return null;
  return {
    head: ['trial', 'measure', 'expected', 'measured', 'met'],
    rows: r.expectations.map((e) => [e.trial, e.key, e.expected, e.measured === null ? 'missing' : String(e.measured), e.met ? 'yes' : 'NO']),
  };
}

/** What is missing, per trial and role, so a reader knows which numbers are absent and why. */
export function missingData(r: Results): string[] {
  const out: string[] = [...r.problems];
  for (const t of r.trials) {
    for (const s of t.servers) for (const m of s.missing) out.push(`trial ${t.id}, server ${s.name}: ${m}`);
    for (const w of t.swarms) for (const m of w.missing) out.push(`trial ${t.id}, swarm ${w.name}: ${m}`);
  }
  if (r.interrupted) out.push('the run was interrupted: later trials did not run');
  return out;
}

/** A plain-text table for the terminal. */
export function textTable(t: Table): string {
  const widths = t.head.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(t.head), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}
