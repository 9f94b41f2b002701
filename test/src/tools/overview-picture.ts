#!/usr/bin/env node
/**
 * A picture of the overview dashboard for the README, where Grafana cannot run (no registry for its image): the
 * compose lab runs a minute, every overview panel's query is evaluated by the lab's Prometheus, each panel is
 * drawn with ECharts in the dashboard's grid, and headless Chromium takes the screenshot (docs/overview.png).
 *   node test/dist/tools/overview-picture.js [seconds]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import * as echarts from 'echarts';
import { dashboards } from '@socklab/grafana';
import { labDownArgs, labUpArgs, REPO_ROOT } from '@socklab/orchestrator';

const PROJECT = 'socklabdoc';
const PORT = 19093;
const env = { ...process.env, SOCKLAB_PROMETHEUS_PORT: String(PORT), SOCKLAB_SUBNET: '172.31.253.0/24', SOCKLAB_WAVE_EVERY: '5s', SOCKLAB_GARGALO_EVERY: '10s' };
const compose = (args: string[]): void => void spawnSync('docker-compose', args, { cwd: REPO_ROOT, env, stdio: 'inherit' });

type Target = { expr?: string; legendFormat?: string };
type Panel = {
  title?: string;
  type?: string;
  repeat?: string;
  maxPerRow?: number;
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  fieldConfig?: {
    defaults?: { unit?: string; max?: number; custom?: { stacking?: { mode?: string } } };
    overrides?: Array<{ matcher: { id: string; options: string }; properties: Array<{ id: string; value: unknown }> }>;
  };
};
type Series = { metric: Record<string, string>; values: Array<[number, string]> };

/** The dashboard's variables as "All", or the one value a repeated panel stands for. */
const bound = (expr: string, vars: Record<string, string>): string =>
  expr.replaceAll('$__rate_interval', '5s').replace(/\$(node|server)\b/g, (_, k: string) => vars[k] ?? '.*');

async function range(expr: string, start: number, end: number): Promise<Series[]> {
  const q = `query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=2`;
  const r = (await (await fetch(`http://127.0.0.1:${PORT}/api/v1/query_range?${q}`)).json()) as { data?: { result: Series[] }; error?: string };
  if (!r.data) throw new Error(`Prometheus refused ${expr}: ${r.error ?? 'no data'}`);
  return r.data.result;
}

async function instant(expr: string): Promise<Array<{ metric: Record<string, string> }>> {
  const r = await fetch(`http://127.0.0.1:${PORT}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string> }> } }).data.result;
}

const legend = (fmt: string, m: Record<string, string>): string => fmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => m[k] ?? '').trim() || '-';

/** An axis label in the panel's unit, as Grafana would write it. */
function unitLabel(unit: string | undefined): (v: number) => string {
  switch (unit) {
    case 'bytes':
      return (v) => (v >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(0)} MiB` : v >= 1024 ? `${(v / 1024).toFixed(0)} KiB` : `${v} B`);
    case 'percentunit':
      return (v) => `${(v * 100).toFixed(v !== 0 && Math.abs(v) < 0.1 ? 1 : 0)}%`;
    case 'cps':
      return (v) => `${v}/s`;
    case 'pps':
      return (v) => `${v} p/s`;
    case 's':
      return (v) => (v < 1 ? `${Math.round(v * 1000)} ms` : `${v} s`);
    default:
      return (v) => String(v);
  }
}

/** One panel as SVG: its series over the window (stacked as the dashboard stacks them), in its unit. */
async function drawPanel(p: Panel, title: string, vars: Record<string, string>, w: number, h: number, start: number, end: number): Promise<string> {
  const stacked = p.fieldConfig?.defaults?.custom?.stacking?.mode === 'normal';
  // A series the dashboard draws apart (its override by name): a dashed line on the right axis, out of the stack.
  const apart = new Set((p.fieldConfig?.overrides ?? []).filter((o) => o.matcher.id === 'byName' && o.properties.some((x) => x.id === 'custom.axisPlacement' && x.value === 'right')).map((o) => o.matcher.options));
  const series = [];
  for (const t of p.targets ?? []) {
    for (const s of await range(bound(t.expr ?? '', vars), start, end)) {
      const name = legend(t.legendFormat ?? '', s.metric);
      series.push({
        type: 'line',
        showSymbol: false,
        name,
        ...(apart.has(name)
          ? { yAxisIndex: 1, color: '#ccccdc', lineStyle: { type: 'dashed', width: 1.5 } }
          : stacked && { stack: 'all', areaStyle: { opacity: 0.6 }, lineStyle: { width: 0.5 } }),
        data: s.values.map(([x, v]) => [Math.round((x - start) * 10) / 10, Number(v)]),
      });
    }
  }
  // Grafana's list legend wraps onto as many lines as it needs (about 6.5 px a character at 10 px, plus the mark).
  const perLine = w * 46 - 24;
  const legendWidth = series.reduce((a, s) => a + 34 + 6.5 * s.name.length, 0);
  const legendLines = Math.max(1, Math.ceil(legendWidth / perLine));
  // The panel's own top, as Grafana keeps it (a share of a queue past 100%, which the kernel can briefly show, is cut there).
  const top = p.fieldConfig?.defaults?.max;
  const axis = (formatter: (v: number) => string) => ({ type: 'value', ...(top !== undefined && { max: top }), axisLabel: { formatter }, splitLine: { lineStyle: { color: '#2c3235' } } });
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: w * 46, height: h * 30 });
  chart.setOption({
    animation: false,
    title: { text: title, left: 8, top: 4, textStyle: { fontSize: w <= 6 ? 11 : 13, color: '#ccccdc' } },
    backgroundColor: '#181b1f',
    textStyle: { color: '#ccccdc' },
    legend: { bottom: 0, type: 'plain', itemGap: 8, textStyle: { color: '#ccccdc', fontSize: 10 } },
    grid: { left: 64, right: apart.size > 0 ? 40 : 16, top: 36, bottom: 24 + 16 * legendLines },
    xAxis: { type: 'value', min: 0, max: Math.round(end - start), axisLabel: { formatter: '{value}s' }, splitLine: { lineStyle: { color: '#2c3235' } } },
    yAxis: apart.size > 0 ? [axis(unitLabel(p.fieldConfig?.defaults?.unit)), { ...axis(unitLabel(p.fieldConfig?.defaults?.unit)), splitLine: { show: false } }] : axis(unitLabel(p.fieldConfig?.defaults?.unit)),
    series,
  });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** A table panel: one row per series of its instant query, a column per label. */
async function drawTable(p: Panel, w: number, h: number): Promise<string> {
  const rows = (await instant(bound(p.targets?.[0]?.expr ?? '', {}))).map((r) => r.metric);
  const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !['instance', 'job', 'node', 'run', 'role', '__name__'].includes(c));
  const cell = (v: string): string => `<td style="padding:2px 10px;border-bottom:1px solid #2c3235">${v.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</td>`;
  return `<div style="background:#181b1f;color:#ccccdc;width:${w * 46}px;height:${h * 30}px;overflow:hidden;font-size:12px"><div style="padding:6px 8px;font-size:13px">${p.title ?? ''}</div><table style="border-collapse:collapse"><tr>${cols.map((c) => `<th style="text-align:left;padding:2px 10px">${c}</th>`).join('')}</tr>${rows.map((r) => `<tr>${cols.map((c) => cell(r[c] ?? '')).join('')}</tr>`).join('')}</table></div>`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 75);
  compose(labUpArgs({ v1: true, grafana: false, project: PROJECT, detach: true }));
  try {
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const end = Date.now() / 1000;
    const start = end - seconds + 10;
    const overview = dashboards().overview;
    const cells: string[] = [];
    for (const p of (overview?.panels ?? []) as Panel[]) {
      const g = p.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
      const place = (x: number, y: number, w: number, h: number, inner: string): string => `<div style="grid-column:${x + 1} / span ${w};grid-row:${y + 1} / span ${h}">${inner}</div>`;
      if (p.type === 'table') {
        cells.push(place(g.x, g.y, g.w, g.h, await drawTable(p, g.w, g.h)));
        continue;
      }
      if (!p.repeat) {
        cells.push(place(g.x, g.y, g.w, g.h, await drawPanel(p, p.title ?? '', {}, g.w, g.h, start, end)));
        continue;
      }
      // A repeated panel: one per value of its variable, side by side (maxPerRow to a row), as Grafana lays them.
      const values = [...new Set((await instant(`group by (${p.repeat}) (socklab_probe_threads_blocked)`)).map((r) => r.metric[p.repeat!] ?? ''))].sort();
      const perRow = p.maxPerRow ?? 4;
      for (const [k, v] of values.entries()) {
        const x = (k % perRow) * g.w;
        const y = g.y + Math.floor(k / perRow) * g.h;
        cells.push(place(x, y, g.w, g.h, await drawPanel(p, (p.title ?? '').replace(`$${p.repeat}`, v), { [p.repeat]: v }, g.w, g.h, start, end)));
      }
    }
    const html = `<!doctype html><html><body style="margin:0;background:#111217;font-family:sans-serif"><div style="color:#ccccdc;padding:10px 14px;font-size:18px">socklab: overview &mdash; the compose lab, rendered from its Prometheus (${seconds} s)</div><div style="display:grid;grid-template-columns:repeat(24,46px);grid-auto-rows:30px;gap:0;padding:0 8px">${cells.join('')}</div></body></html>`;
    const file = path.join(REPO_ROOT, 'docs', 'overview.html');
    writeFileSync(file, html);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const page = await browser.newPage({ viewport: { width: 24 * 46 + 16, height: 900 } });
    await page.goto(`file://${file}`);
    await page.screenshot({ path: path.join(REPO_ROOT, 'docs', 'overview.png'), fullPage: true });
    await browser.close();
    console.error(`wrote docs/overview.png (${cells.length} panels)`);
  } finally {
    compose(labDownArgs({ v1: true, project: PROJECT }));
  }
}

void main();
