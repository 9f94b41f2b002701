/**
 * Charts as SVG strings, drawn by Apache ECharts' server-side renderer (no DOM, no browser). Each chart is
 * disposed after rendering, and animation is off: the output is a finished picture.
 */
import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import { OUTCOMES, type Outcome } from '@socklab/shared';
import { trialMeasures } from '../results/measures.js';
import type { Results, ServerResult, TrialResult } from '../results/types.js';

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly svg: string;
}

/** One colour per outcome, the same in every chart (ok green, refusals and resets red, timeouts amber). */
export const OUTCOME_COLOURS: Record<Outcome, string> = {
  ok: '#2e7d32',
  refused: '#c62828',
  reset: '#ad1457',
  connect_timeout: '#ef6c00',
  read_timeout: '#f9a825',
  error: '#6d4c41',
};

const WIDTH = 720;
const HEIGHT = 300;

/**
 * ECharts, loaded on the first chart and as its one-file CommonJS build: a third of the time of its ES modules,
 * and nothing at all for the commands that draw no chart.
 */
let loaded: typeof Echarts | undefined;
const echartsLib = (): typeof Echarts => (loaded ??= createRequire(import.meta.url)('echarts') as typeof Echarts);

function render(option: Echarts.EChartsOption, height = HEIGHT): string {
  const chart = echartsLib().init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      grid: { left: 64, right: 64, top: 72, bottom: 56 },
      ...option,
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const seconds = (t: number, t0: number): number => Math.round((t - t0) / 100) / 10;

function outcomesOverTime(t: TrialResult): Chart | null {
  const rows = new Map<number, Partial<Record<Outcome, number>>>();
  for (const w of t.swarms) {
    for (const b of w.summary?.timeline ?? []) {
      const row = rows.get(b.second) ?? {};
      for (const o of OUTCOMES) row[o] = (row[o] ?? 0) + (b[o] ?? 0);
      rows.set(b.second, row);
    }
  }
  if (rows.size === 0) return null;
  const last = Math.max(...rows.keys());
  const xs = Array.from({ length: last + 1 }, (_, i) => i);
  const present = OUTCOMES.filter((o) => [...rows.values()].some((r) => (r[o] ?? 0) > 0));
  return {
    id: `outcomes-${t.id}`,
    title: 'Client outcomes over time',
    svg: render({
      title: { text: 'Connections ended per second, by outcome', left: 'center', textStyle: { fontSize: 14 } },
      legend: { top: 28 },
      xAxis: { type: 'category', name: 's after the clients started', nameLocation: 'middle', nameGap: 24, data: xs.map(String) },
      yAxis: { type: 'value', name: 'connections', minInterval: 1 },
      series: present.map((o) => ({ type: 'bar', stack: 'o', name: o, itemStyle: { color: OUTCOME_COLOURS[o] }, data: xs.map((x) => rows.get(x)?.[o] ?? 0) })),
    }),
  };
}

function acceptQueue(t: TrialResult, s: ServerResult): Chart | null {
  if (s.probe.length === 0) return null;
  const t0 = t.swarmsStartedAt;
  const limit = s.probe.find((p) => p.acceptQueueMax !== null)?.acceptQueueMax ?? null;
  return {
    id: `queue-${t.id}-${s.name}`,
    title: `Accept queue of ${s.name} (${s.model})`,
    svg: render({
      title: { text: `Accept queue and SYN_RECV (${s.model})`, left: 'center', textStyle: { fontSize: 14 } },
      legend: { top: 28 },
      xAxis: { type: 'value', name: 's after the clients started', nameLocation: 'middle', nameGap: 24 },
      yAxis: { type: 'value', name: 'connections', minInterval: 1 },
      series: [
        {
          type: 'line',
          name: 'accept queue',
          step: 'end',
          showSymbol: false,
          color: '#1565c0',
          data: s.probe.map((p) => [seconds(p.t, t0), p.acceptQueue]),
          ...(limit !== null && {
            markLine: { symbol: 'none', lineStyle: { color: '#c62828', type: 'dashed' }, label: { formatter: `limit ${limit}`, position: 'insideEndTop' }, data: [{ yAxis: limit }] },
          }),
        },
        { type: 'line', name: 'SYN_RECV', step: 'end', showSymbol: false, color: '#8e24aa', data: s.probe.map((p) => [seconds(p.t, t0), p.synRecv]) },
      ],
    }),
  };
}

type Point = [number, number];
const MIB = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Threads (and requests in service) on the left axis, memory on the right. A socklab model reports its own
 * figures; a server of one's own is seen from outside: threads by the probe, memory by the engine's stats.
 */
function threadsMemory(t: TrialResult, s: ServerResult): Chart | null {
  const t0 = t.swarmsStartedAt;
  const own = s.samples.length === 0;
  const threads: Point[] = own
    ? s.probe.flatMap((p) => (p.threads === null ? [] : [[seconds(p.t, t0), p.threads] as Point]))
    : s.samples.map((x) => [seconds(x.t, t0), x.threads]);
  const inService: Point[] = own ? [] : s.samples.map((x) => [seconds(x.t, t0), x.inService]);
  const memory: Point[] = own ? s.stats.map((x) => [seconds(x.t, t0), MIB(x.memoryBytes)]) : s.samples.map((x) => [seconds(x.t, t0), MIB(x.rssBytes)]);
  if (threads.length === 0 && memory.length === 0) return null;
  const line = (name: string, color: string, data: Point[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'line', name, showSymbol: false, color, data, ...extra });
  return {
    id: `threads-${t.id}-${s.name}`,
    title: `Threads and memory of ${s.name} (${s.model})`,
    svg: render({
      title: { text: own ? `Threads (seen by the probe) and container memory (${s.model})` : `Threads and resident memory (${s.model})`, left: 'center', textStyle: { fontSize: 14 } },
      legend: { top: 28 },
      xAxis: { type: 'value', name: 's after the clients started', nameLocation: 'middle', nameGap: 24 },
      yAxis: [
        { type: 'value', name: 'threads', minInterval: 1 },
        { type: 'value', name: 'MiB', splitLine: { show: false } },
      ],
      series: [
        line('threads', '#00838f', threads, { step: 'end' }),
        ...(own ? [] : [line('in service', '#9e9d24', inService, { step: 'end' })]),
        line(own ? 'container memory (MiB)' : 'resident memory (MiB)', '#5d4037', memory, { yAxisIndex: 1 }),
      ] as Echarts.SeriesOption[],
    }),
  };
}

function latency(t: TrialResult): Chart | null {
  const buckets = new Map<number, number>();
  for (const w of t.swarms) for (const b of w.summary?.totalHistogramMs ?? []) buckets.set(b.le, (buckets.get(b.le) ?? 0) + b.count);
  const nonEmpty = [...buckets.entries()].sort(([a], [b]) => a - b);
  const firstIdx = nonEmpty.findIndex(([, c]) => c > 0);
  const lastIdx = nonEmpty.length - 1 - [...nonEmpty].reverse().findIndex(([, c]) => c > 0);
  if (firstIdx < 0) return null;
  const shown = nonEmpty.slice(firstIdx, lastIdx + 1);
  const label = (le: number): string => (le >= 1e9 ? '> 60 s' : le >= 1000 ? `≤ ${le / 1000} s` : `≤ ${le} ms`);
  return {
    id: `latency-${t.id}`,
    title: 'Connection time distribution',
    svg: render({
      title: { text: 'Connection time, connect to end (all outcomes)', left: 'center', textStyle: { fontSize: 14 } },
      xAxis: { type: 'category', data: shown.map(([le]) => label(le)), axisLabel: { rotate: 30 } },
      yAxis: { type: 'value', name: 'connections', minInterval: 1 },
      grid: { left: 64, right: 32, top: 72, bottom: 72 },
      series: [{ type: 'bar', name: 'connections', color: '#3949ab', data: shown.map(([, c]) => c) }],
    }),
  };
}

/** The charts of one trial: outcomes over time, accept queue against its limit, threads and memory, latency. */
export function trialCharts(t: TrialResult): Chart[] {
  const out = [outcomesOverTime(t)];
  for (const s of t.servers) out.push(acceptQueue(t, s), threadsMemory(t, s));
  out.push(latency(t));
  return out.filter((c): c is Chart => c !== null);
}

/** Across a compare's cells: completion time, peak threads and memory, and outcomes. */
export function compareCharts(r: Results): Chart[] {
  const cells = r.trials.map((t) => ({ t, m: trialMeasures(t), label: Object.values(t.cell).join(' / ') + (t.repetition > 1 ? ` #${t.repetition}` : '') }));
  if (cells.length === 0) return [];
  const models = [...new Set(r.trials.map((t) => t.cell.model ?? '?'))];
  const groups = [...new Set(r.trials.map((t) => `${t.cell.clients} clients${t.cell.delay && t.cell.delay !== '0ms' ? ` ${t.cell.delay}` : ''}`))];
  const key = (t: TrialResult): string => `${t.cell.clients} clients${t.cell.delay && t.cell.delay !== '0ms' ? ` ${t.cell.delay}` : ''}`;
  // Median over repetitions of the same cell.
  const median = (xs: number[]): number | null => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? null);
  const at = (model: string, group: string, f: (c: (typeof cells)[number]) => number | null): number | null =>
    median(cells.filter((c) => c.t.cell.model === model && key(c.t) === group).map(f).filter((x): x is number => x !== null));
  const grouped = (id: string, title: string, unit: string, f: (c: (typeof cells)[number]) => number | null): Chart => ({
    id,
    title,
    svg: render({
      title: { text: title, left: 'center', textStyle: { fontSize: 14 } },
      legend: { top: 28 },
      xAxis: { type: 'category', data: groups },
      yAxis: { type: 'value', name: unit },
      series: models.map((m) => ({ type: 'bar', name: m, data: groups.map((g) => at(m, g, f)) })),
    }),
  });
  return [
    grouped('compare-completion', 'Completion time by model and clients', 's', (c) => (c.m.completionMs === null ? null : c.m.completionMs / 1000)),
    grouped('compare-threads', 'Peak threads by model and clients', 'threads', (c) => c.m.servers[0]?.threadsPeak ?? null),
    grouped('compare-memory', 'Peak resident memory by model and clients', 'MiB', (c) => {
      const b = c.m.servers[0]?.rssPeakBytes;
      return b === null || b === undefined ? null : Math.round((b / 1024 / 1024) * 10) / 10;
    }),
    {
      id: 'compare-outcomes',
      title: 'Outcomes by cell',
      svg: render(
        {
          title: { text: 'Client outcomes by cell', left: 'center', textStyle: { fontSize: 14 } },
          legend: { top: 28 },
          grid: { left: 160, right: 32, top: 72, bottom: 56 },
          yAxis: { type: 'category', data: cells.map((c) => c.label), inverse: true },
          xAxis: { type: 'value', name: 'connections' },
          series: OUTCOMES.filter((o) => cells.some((c) => c.m.outcomes[o] > 0)).map((o) => ({
            type: 'bar',
            stack: 'o',
            name: o,
            itemStyle: { color: OUTCOME_COLOURS[o] },
            data: cells.map((c) => c.m.outcomes[o]),
          })),
        },
        Math.max(HEIGHT, 60 + cells.length * 28),
      ),
    },
  ];
}
