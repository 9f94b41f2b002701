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

type Panel = { title?: string; type?: string; gridPos?: { x: number; y: number; w: number; h: number }; targets?: Array<{ expr?: string; legendFormat?: string }>; fieldConfig?: { defaults?: { unit?: string } } };

async function range(expr: string, start: number, end: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>> {
  const q = `query=${encodeURIComponent(expr.replaceAll('$__rate_interval', '5s').replaceAll('$node', '.*').replaceAll('$server', '.*'))}&start=${start}&end=${end}&step=2`;
  const r = await fetch(`http://127.0.0.1:${PORT}/api/v1/query_range?${q}`);
  return ((await r.json()) as { data: { result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> } }).data.result;
}

const legend = (fmt: string, m: Record<string, string>): string => fmt.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => m[k] ?? '').trim() || '-';

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
      const series = [];
      for (const t of p.targets ?? []) {
        for (const s of await range(t.expr ?? '', start, end)) {
          series.push({ type: 'line', showSymbol: false, name: legend(t.legendFormat ?? '', s.metric), data: s.values.map(([x, v]) => [Math.round((x - start) * 10) / 10, Number(v)]) });
        }
      }
      const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: g.w * 46, height: g.h * 30 });
      chart.setOption({
        animation: false,
        title: { text: (p.title ?? '').replace('$server', 'every server'), left: 8, top: 4, textStyle: { fontSize: 13, color: '#ccccdc' } },
        backgroundColor: '#181b1f',
        textStyle: { color: '#ccccdc' },
        legend: { bottom: 0, type: 'scroll', textStyle: { color: '#ccccdc', fontSize: 10 } },
        grid: { left: 48, right: 16, top: 36, bottom: 40 },
        xAxis: { type: 'value', min: 0, max: Math.round(end - start), axisLabel: { formatter: '{value}s' }, splitLine: { lineStyle: { color: '#2c3235' } } },
        yAxis: { type: 'value', splitLine: { lineStyle: { color: '#2c3235' } } },
        series,
      });
      cells.push(`<div style="grid-column:${g.x + 1} / span ${g.w};grid-row:${g.y + 1} / span ${g.h}">${chart.renderToSVGString()}</div>`);
      chart.dispose();
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
