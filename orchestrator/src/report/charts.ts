/**
 * Charts as SVG strings, drawn by Apache ECharts' server-side renderer (no DOM, no browser). Each chart is
 * disposed after rendering, and animation is off: the output is a finished picture. Every series is on the
 * trial's one clock (seconds after the first swarm started); a reading that could not be taken is a gap in its
 * line, never an interpolated point.
 */
import { createRequire } from 'node:module';
import type * as Echarts from 'echarts';
import { OUTCOMES, type Outcome } from '@socklab/shared';
import { median, trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results, ServerResult, TrialResult } from '../results/types.js';
import { fmt, type Lang } from './lang.js';
import { textWidth } from './text-width.js';
import { WORDS } from './words.js';

export interface Chart {
  readonly id: string;
  /** What it shows, for people (the image's alternative text and the figure's title). */
  readonly title: string;
  readonly svg: string;
  /** The data points its series hold (gaps not counted): a chart of none shows nothing, whatever it draws. */
  readonly points: number;
}

/** One colour per outcome, the same in every chart (ok green, refusals and resets red, timeouts amber). */
const OUTCOME_COLOURS: Record<Outcome, string> = {
  ok: '#2e7d32',
  refused: '#c62828',
  reset: '#ad1457',
  connect_timeout: '#ef6c00',
  read_timeout: '#f9a825',
  error: '#6d4c41',
};

const WIDTH = 760;
const HEIGHT = 320;

/**
 * ECharts, loaded on the first chart and as its one-file CommonJS build: a third of the time of its ES modules,
 * and nothing at all for the commands that draw no chart.
 */
let loaded: typeof Echarts | undefined;
const echartsLib = (): typeof Echarts => {
  if (loaded) return loaded;
  loaded = createRequire(import.meta.url)('echarts') as typeof Echarts;
  // Text measured as a wide sans-serif draws it, so the layout holds in any reader's font.
  loaded.setPlatformAPI({ measureText: (text: string, font?: string) => ({ width: textWidth(text, font) }) as ReturnType<NonNullable<Parameters<typeof Echarts.setPlatformAPI>[0]["measureText"]>> });
  return loaded;
};

/** A chart drawn, and the data points its series hold. */
function drawn(option: Echarts.EChartsOption, lang: Lang, height = HEIGHT): { svg: string; points: number } {
  return { svg: render(option, lang, height), points: pointsOf(option.series) };
}

/** Data points of series: a number, or an [x, y] pair whose y is a number (null marks a gap). */
export function pointsOf(series: unknown): number {
  const list = (Array.isArray(series) ? series : series ? [series] : []) as Array<{ data?: unknown[] }>;
  const isPoint = (d: unknown): boolean => (Array.isArray(d) ? typeof d[1] === 'number' : typeof d === 'number' || (typeof d === 'object' && d !== null && 'value' in d));
  return list.reduce((n, s) => n + (s.data ?? []).filter(isPoint).length, 0);
}

/**
 * The layout every chart shares, so text never overlaps: the title on top, the legend on a line of its own
 * below it, axis names beside their axes (not at their ends, where the legend is), the plot below both.
 */
function render(option: Echarts.EChartsOption, lang: Lang, height = HEIGHT): string {
  void lang;
  const chart = echartsLib().init(null, null, { renderer: 'svg', ssr: true, width: WIDTH, height });
  try {
    // A chart's own title and legend add to the shared layout, never replace it (a title given alone took
    // ECharts' 18 px default and ran into the legend below it).
    const { title, legend, ...rest } = option as { title?: Record<string, unknown>; legend?: Record<string, unknown> };
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: 'system-ui, sans-serif' },
      grid: { left: 72, right: 72, top: 76, bottom: 56 },
      ...rest,
      title: { left: 'center', top: 6, ...title, textStyle: { fontSize: 14, ...(title?.textStyle as object) } },
      legend: { top: 32, left: 'center', itemGap: 14, ...legend, textStyle: { fontSize: 12, ...(legend?.textStyle as object) } },
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

type Point = [number, number | null];
const secondsOf = (t: number, t0: number): number => Math.round((t - t0) / 10) / 100;

/** Points on the trial clock, with a gap (null) wherever two readings are more than 2.5 sampling periods apart. */
function withGaps(points: ReadonlyArray<{ t: number; v: number }>, t0: number, everyMs: number): Point[] {
  const out: Point[] = [];
  points.forEach((p, i) => {
    const prev = points[i - 1];
    if (prev && p.t - prev.t > 2.5 * everyMs) out.push([secondsOf((prev.t + p.t) / 2, t0), null]);
    out.push([secondsOf(p.t, t0), p.v]);
  });
  return out;
}

/** A value axis for seconds on the trial clock (negative: before the clients started). */
const timeAxis = (lang: Lang, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'value',
  name: WORDS[lang].chart.axisSeconds,
  nameLocation: 'middle',
  nameGap: 28,
  axisLabel: { formatter: (v: number) => fmt(lang).tick(v) },
  ...extra,
});

/**
 * The smallest round number at or above `x` (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten): an axis
 * that ends there ends on a tick. One that ended at the data's own top (0.11 cores) drew that label over the
 * round tick just below it (0.1).
 */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  const m = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].find((k) => k * p >= x * (1 - 1e-9)) ?? 10;
  return Number((m * p).toPrecision(12));
}

/** A value axis named beside it (rotated), its line at the plot's left edge whatever the x range. */
const valueAxis = (lang: Lang, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'value',
  name,
  nameLocation: 'middle',
  nameGap: 48,
  axisLine: { show: true, onZero: false },
  axisLabel: { formatter: (v: number) => fmt(lang).tick(v) },
  ...extra,
});

const serverLabel = (s: ServerResult): string => (s.name === s.model || s.model.startsWith(`${s.name}`) ? s.name : `${s.name} (${s.model})`);

function outcomesOverTime(t: TrialResult, lang: Lang): Chart | null {
  const w = WORDS[lang].chart;
  // Each swarm counts its seconds from its own start: moved onto the trial's clock.
  const rows = new Map<number, Partial<Record<Outcome, number>>>();
  for (const sw of t.swarms) {
    if (!sw.summary) continue;
    const offset = Math.round((sw.summary.startedAtMs - t.swarmsStartedAt) / 1000);
    for (const b of sw.summary.timeline) {
      const row = rows.get(b.second + offset) ?? {};
      for (const o of OUTCOMES) row[o] = (row[o] ?? 0) + (b[o] ?? 0);
      rows.set(b.second + offset, row);
    }
  }
  if (rows.size === 0) return null;
  const last = Math.max(...rows.keys());
  const xs = Array.from({ length: last + 1 }, (_, i) => i);
  const present = OUTCOMES.filter((o) => [...rows.values()].some((r) => (r[o] ?? 0) > 0));
  return {
    id: `outcomes-${t.id}`,
    title: w.outcomesAlt,
    ...drawn(
      {
        title: { text: w.outcomesTitle },
        xAxis: { type: 'category', name: w.axisSeconds, nameLocation: 'middle', nameGap: 28, data: xs.map(String) },
        yAxis: valueAxis(lang, w.connections, { minInterval: 1 }),
        series: present.map((o) => ({ type: 'bar', stack: 'o', name: o, itemStyle: { color: OUTCOME_COLOURS[o] }, data: xs.map((x) => rows.get(x)?.[o] ?? 0) })),
      },
      lang,
    ),
  };
}

function acceptQueue(t: TrialResult, s: ServerResult, everyMs: number, lang: Lang): Chart | null {
  if (s.probe.length === 0) return null;
  const w = WORDS[lang].chart;
  const t0 = t.swarmsStartedAt;
  const limit = s.probe.find((p) => p.acceptQueueMax !== null)?.acceptQueueMax ?? null;
  const peak = Math.max(0, ...s.probe.map((p) => Math.max(p.acceptQueue, p.synRecv)));
  // A limit far above what waited (511 against 5) would flatten the queue to its axis: the scale follows the
  // queue, and the legend names the limit instead of drawing it.
  const drawLimit = limit !== null && peak * 4 >= limit;
  const limitText = limit === null ? '' : w.limit(fmt(lang).num(limit, 0));
  const name = serverLabel(s);
  return {
    id: `queue-${t.id}-${s.name}`,
    title: w.queueAlt(name),
    ...drawn(
      {
        title: { text: w.queueTitle(name) },
        xAxis: timeAxis(lang),
        yAxis: valueAxis(lang, w.connections, { minInterval: 1, max: (v: { max: number }) => Math.max(v.max, drawLimit ? limit + 1 : 1) }),
        series: [
          {
            type: 'line',
            name: limit !== null && !drawLimit ? `${w.queue} (${limitText})` : w.queue,
            step: 'end',
            showSymbol: false,
            connectNulls: false,
            color: '#1565c0',
            data: withGaps(s.probe.map((p) => ({ t: p.t, v: p.acceptQueue })), t0, everyMs),
            ...(drawLimit && {
              markLine: { symbol: 'none', lineStyle: { color: '#c62828', type: 'dashed' }, label: { formatter: limitText, position: 'insideEndTop' }, data: [{ yAxis: limit }] },
            }),
          },
          { type: 'line', name: w.synRecv, step: 'end', showSymbol: false, connectNulls: false, color: '#8e24aa', data: withGaps(s.probe.map((p) => ({ t: p.t, v: p.synRecv })), t0, everyMs) },
        ],
      },
      lang,
    ),
  };
}

const MIB = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

/**
 * Threads (the model's own, or a program's seen by the probe; and requests in service) on top, memory below: two
 * panels on one clock, so neither hides the other. A death is marked where the engine told of it.
 */
function threadsMemory(t: TrialResult, s: ServerResult, m: ServerMeasures, everyMs: number, lang: Lang): Chart | null {
  const w = WORDS[lang].chart;
  const t0 = t.swarmsStartedAt;
  const threads = s.userServer
    ? s.probe.flatMap((p) => (p.ownThreads === null ? [] : [{ t: p.t, v: p.ownThreads }]))
    : s.samples.map((x) => ({ t: x.t, v: x.modelThreads }));
  const memory = s.userServer
    ? s.probe.flatMap((p) => (p.rssBytes === null ? [] : [{ t: p.t, v: MIB(p.rssBytes) }]))
    : s.samples.map((x) => ({ t: x.t, v: MIB(x.rssBytes) }));
  if (threads.length === 0 && memory.length === 0) return null;
  const died = s.died?.at !== undefined ? secondsOf(s.died.at, t0) : null;
  const killed = died === null ? {} : { markLine: { symbol: 'none', lineStyle: { color: '#b71c1c', type: 'solid', width: 2 }, label: { formatter: w.killed, position: 'insideEndTop' }, data: [{ xAxis: died }] } };
  const line = (name: string, color: string, data: Point[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ type: 'line', name, showSymbol: false, connectNulls: false, color, data, ...extra });
  const series: Array<Record<string, unknown>> = [
    line(s.userServer ? w.programThreads : w.ownThreads, '#00838f', withGaps(threads, t0, everyMs), { step: 'end', ...killed }),
    ...(s.userServer ? [] : [line(w.inService, '#9e9d24', withGaps(s.samples.map((x) => ({ t: x.t, v: x.inService })), t0, everyMs), { step: 'end' })]),
    line(w.rss, '#5d4037', withGaps(memory, t0, everyMs), { xAxisIndex: 1, yAxisIndex: 1, ...killed }),
    ...containerMemory(t, s, m, lang),
  ];
  const name = serverLabel(s);
  // The time axis reaches the kill, which the engine may tell of after the last reading.
  const toKill = died === null ? {} : { max: (v: { max: number }) => niceMax(Math.max(v.max, died) + 0.1) };
  return {
    id: `threads-${t.id}-${s.name}`,
    title: w.threadsAlt(name),
    ...drawn(
      {
        title: { text: w.threadsTitle(name) },
        grid: [
          { left: 72, right: 40, top: 76, height: 118 },
          { left: 72, right: 40, top: 236, height: 118 },
        ],
        xAxis: [timeAxis(lang, { gridIndex: 0, name: '', axisLabel: { show: false }, ...toKill }), timeAxis(lang, { gridIndex: 1, ...toKill })],
        yAxis: [valueAxis(lang, w.threads, { gridIndex: 0, minInterval: 1 }), valueAxis(lang, 'MiB', { gridIndex: 1, scale: true, ...(m.memoryLimitBytes !== null && s.stats.length > 0 && { min: 0, max: (v: { max: number }) => niceMax(Math.max(v.max, MIB(m.memoryLimitBytes!) * 1.05)) }) })],
        series: series as Echarts.SeriesOption[],
      },
      lang,
      410,
    ),
  };
}

/**
 * A server under a memory limit: its container's memory as the engine read it (what the kernel's OOM killer
 * weighs, the process's resident memory and more), beside the process's own, with the limit it reaches.
 */
function containerMemory(t: TrialResult, s: ServerResult, m: ServerMeasures, lang: Lang): Array<Record<string, unknown>> {
  const limit = m.memoryLimitBytes;
  if (limit === null || s.stats.length === 0) return [];
  const w = WORDS[lang].chart;
  const data = s.stats.map((x) => [secondsOf(x.t, t.swarmsStartedAt), MIB(x.memoryBytes)]);
  const mark = { symbol: 'none', lineStyle: { color: '#c62828', type: 'dashed' }, label: { formatter: w.limit(fmt(lang).mib(limit)), position: 'insideStartTop' }, data: [{ yAxis: MIB(limit) }] };
  return [{ type: 'line', name: w.containerMemory, showSymbol: true, symbolSize: 4, color: '#ef6c00', data, xAxisIndex: 1, yAxisIndex: 1, markLine: mark }];
}

/** CPU over time: before the clients (negative seconds) and while they run, from the server's own counter. */
function cpuOverTime(t: TrialResult, s: ServerResult, lang: Lang): Chart | null {
  const w = WORDS[lang].chart;
  const t0 = t.swarmsStartedAt;
  const points =
    s.samples.length > 1
      ? s.samples.slice(1).flatMap((x, i) => {
          const prev = s.samples[i]!;
          const dt = (x.t - prev.t) / 1000;
          return dt > 0 ? [{ t: x.t, v: Math.max(0, Math.round(((x.cpuSeconds - prev.cpuSeconds) / dt) * 1000) / 1000) }] : [];
        })
      : s.stats.map((x) => ({ t: x.t, v: x.cpuCores }));
  if (points.length < 2) return null;
  const name = serverLabel(s);
  return {
    id: `cpu-${t.id}-${s.name}`,
    title: w.cpuTitle(name),
    ...drawn(
      {
        title: { text: w.cpuTitle(name) },
        xAxis: timeAxis(lang),
        // At least a tenth of a core high: an idle server's millionths of a core are drawn as the flat line they are.
        yAxis: valueAxis(lang, w.cores, { min: 0, max: (v: { max: number }) => niceMax(Math.max(v.max, 0.1)) }),
        series: [
          {
            type: 'line',
            name: w.cores,
            showSymbol: false,
            connectNulls: false,
            color: '#e65100',
            areaStyle: { opacity: 0.2 },
            data: withGaps(points, t0, s.samples.length > 1 ? 250 : 1500),
            markLine: { symbol: 'none', lineStyle: { color: '#555', type: 'dashed' }, label: { show: false }, data: [{ xAxis: 0 }] },
          },
        ],
      },
      lang,
    ),
  };
}

/** How long each connection took, in equal bins from 0, counted per outcome. */
export function latencyBins(each: ReadonlyArray<{ readonly outcome: Outcome; readonly ms: number }>): { readonly widthMs: number; readonly counts: Partial<Record<Outcome, number[]>> } {
  const top = Math.max(...each.map((c) => c.ms));
  const raw = Math.max(1, top / 20);
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  // A round width (1, 2, 2.5 or 5 times a power of ten) that needs at most 20 bins from 0 to the slowest.
  const widthMs = [1, 2, 2.5, 5, 10].map((k) => k * magnitude).find((x) => x >= raw) ?? raw;
  const n = Math.max(1, Math.ceil((top + 1e-9) / widthMs));
  const counts: Partial<Record<Outcome, number[]>> = {};
  for (const o of OUTCOMES.filter((x) => each.some((c) => c.outcome === x))) counts[o] = Array.from({ length: n }, () => 0);
  for (const c of each) counts[c.outcome]![Math.min(n - 1, Math.floor(c.ms / widthMs))]! += 1;
  return { widthMs, counts };
}

/**
 * How long each connection took, in equal bins, stacked by outcome: from the connections the swarms list one by
 * one (all of them up to a thousand per swarm).
 */
function latency(t: TrialResult, m: TrialMeasures, lang: Lang): Chart | null {
  const w = WORDS[lang].chart;
  const f = fmt(lang);
  const each = m.servers.flatMap((s) => s.clients.each).map((c) => ({ outcome: c.outcome, ms: c.endMs - c.startMs }));
  if (each.length === 0) return null;
  const { widthMs: width, counts } = latencyBins(each);
  const n = Object.values(counts)[0]?.length ?? 1;
  const present = OUTCOMES.filter((o) => counts[o]);
  const label = (i: number): string => f.num(i * width, width < 1 ? 1 : 0);
  return {
    id: `latency-${t.id}`,
    title: w.latencyAlt,
    ...drawn(
      {
        title: { text: w.latencyTitle },
        xAxis: { type: 'category', name: w.latencyAxis(f.num(width, width < 1 ? 1 : 0)), nameLocation: 'middle', nameGap: 30, data: Array.from({ length: n }, (_, i) => label(i)), axisLabel: { fontSize: 10, hideOverlap: true } },
        yAxis: valueAxis(lang, w.connections, { minInterval: 1 }),
        grid: { left: 72, right: 40, top: 76, bottom: 60 },
        series: present.map((o) => ({
          type: 'bar',
          stack: 'o',
          name: o,
          itemStyle: { color: OUTCOME_COLOURS[o] },
          data: counts[o],
        })),
      },
      lang,
      360,
    ),
  };
}

/** The charts of one trial: outcomes over time, and for each server its accept queue, threads and memory, CPU; latency. */
export function trialCharts(r: Results, t: TrialResult, lang: Lang = 'en', m: TrialMeasures = trialMeasures(t)): Chart[] {
  const everyMs = r.plan.sampleEveryMs;
  const out = [outcomesOverTime(t, lang)];
  t.servers.forEach((s, i) => out.push(acceptQueue(t, s, everyMs, lang), threadsMemory(t, s, m.servers[i]!, everyMs, lang), cpuOverTime(t, s, lang)));
  out.push(latency(t, m, lang));
  return out.filter((c): c is Chart => c !== null);
}

/** Across a compare's cells: completion time, peak threads and memory, and outcomes. */
export function compareCharts(r: Results, lang: Lang = 'en'): Chart[] {
  const w = WORDS[lang].chart;
  const cells = r.trials.map((t) => ({ t, m: trialMeasures(t), label: Object.values(t.cell).join(' / ') + (t.repetition > 1 ? ` #${t.repetition}` : '') }));
  if (cells.length === 0) return [];
  const models = [...new Set(r.trials.map((t) => t.cell.model ?? '?'))];
  const key = (t: TrialResult): string => w.clientsGroup(t.cell.clients ?? '?', t.cell.delay && t.cell.delay !== '0ms' ? t.cell.delay : null);
  const groups = [...new Set(r.trials.map(key))];
  // The median over repetitions of the same cell.
  const at = (model: string, group: string, f: (c: (typeof cells)[number]) => number | null): number | null =>
    median(cells.filter((c) => c.t.cell.model === model && key(c.t) === group).map(f).filter((x): x is number => x !== null));
  const grouped = (id: string, title: string, unit: string, f: (c: (typeof cells)[number]) => number | null): Chart => ({
    id,
    title,
    ...drawn({ title: { text: title }, xAxis: { type: 'category', data: groups }, yAxis: valueAxis(lang, unit), series: models.map((m) => ({ type: 'bar', name: m, data: groups.map((g) => at(m, g, f)) })) }, lang),
  });
  return [
    grouped('compare-completion', w.completionTitle, 's', (c) => (c.m.completionMs === null ? null : c.m.completionMs / 1000)),
    grouped('compare-threads', w.threadsPeakTitle, w.threads, (c) => c.m.servers[0]?.threadsPeak ?? null),
    grouped('compare-memory', w.memoryTitle, 'MiB', (c) => {
      const b = c.m.servers[0]?.rssPeakBytes;
      return b === null || b === undefined ? null : Math.round((b / 1024 / 1024) * 10) / 10;
    }),
    {
      id: 'compare-outcomes',
      title: w.outcomesByCell,
      ...drawn(
        {
          title: { text: w.outcomesByCell },
          grid: { left: 180, right: 40, top: 76, bottom: 56 },
          yAxis: { type: 'category', data: cells.map((c) => c.label), inverse: true },
          xAxis: { type: 'value', name: w.connections, nameLocation: 'middle', nameGap: 28 },
          series: OUTCOMES.filter((o) => cells.some((c) => c.m.outcomes[o] > 0)).map((o) => ({
            type: 'bar',
            stack: 'o',
            name: o,
            itemStyle: { color: OUTCOME_COLOURS[o] },
            data: cells.map((c) => c.m.outcomes[o]),
          })),
        },
        lang,
        Math.max(HEIGHT, 110 + cells.length * 28),
      ),
    },
  ];
}
