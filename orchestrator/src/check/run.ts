import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Scenario } from '@socklab/shared/scenario';
import { SocklabError } from '../errors.js';
import type { Emit } from '../experiment/events.js';
import { runExperiment } from '../experiment/run.js';
import { buildPlan } from '../plan/build.js';
import { trialCharts } from '../report/charts.js';
import type { Lang } from '../report/lang.js';
import { WORDS } from '../report/words.js';
import { RunDir } from '../results/run-dir.js';
import type { Results } from '../results/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { evaluate, notListening, type Criterion } from './criteria.js';

export interface CheckTarget {
  /** A Python file (its path as given, and its source in base64), or an image. */
  readonly program?: { readonly path: string; readonly source: string };
  readonly image?: string;
  readonly port: number;
}

export interface CheckOutcome {
  readonly criteria: readonly Criterion[];
  readonly mistakes: readonly string[];
  readonly passed: boolean;
  /** results/check-<id>/ with check.json, check.md, check.html and check.png (when Chromium is here). */
  readonly dir: string;
  readonly runs: readonly string[];
  readonly png: string | null;
}

function scenario(t: CheckTarget, clients: number, readTimeout: string): Scenario {
  return {
    name: clients === 200 ? 'check-challenge' : 'check-nervous',
    title: clients === 200 ? 'socklab check: the 200-connection challenge' : 'socklab check: ten nervous clients',
    stage: '3.3',
    reproduces: 'server_async.py + clientenervoso.py',
    question: 'Does the server serve every client, concurrently, on one thread?',
    servers: [{ name: 'server', ...(t.program ? { program: t.program.path } : { image: t.image }), port: t.port }],
    swarms: [{ name: clients === 200 ? 'challenge' : 'nervous', target: 'server', clients, connectTimeout: '10s', readTimeout, maxDuration: '3m' }],
  } as Scenario;
}

/** A chromium to take the picture with: SOCKLAB_CHROMIUM, Debian's, or none. */
function chromium(): string | null {
  for (const p of [process.env.SOCKLAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p;
  return null;
}

const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The check's page: the criteria table, what the failures mean, and the nervous run's charts (self-contained). */
export function renderCheckHtml(target: string, criteria: readonly Criterion[], mistakes: readonly string[], nervous: Results | null, lang: Lang): string {
  const w = WORDS[lang];
  const rows = criteria.map((c) => `<tr class="${c.passed === false ? 'fail' : c.passed ? 'pass' : 'skip'}"><td>${html(c.label)}</td><td>${html(c.measured)}</td><td>${c.passed === null ? w.notRun : c.passed ? w.pass : w.fail}</td></tr>`);
  const charts = nervous?.trials[0] ? trialCharts(nervous, nervous.trials[0], lang).filter((c) => c.id.startsWith('outcomes') || c.id.startsWith('threads') || c.id.startsWith('queue')) : [];
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>socklab check: ${html(target)}</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1000px;margin:1.5rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}
tr.pass td:last-child{color:#2e7d32;font-weight:600}tr.fail td:last-child{color:#c62828;font-weight:600}tr.skip td:last-child{color:#777}.charts{display:flex;flex-wrap:wrap;gap:.5rem}
</style></head><body><h1>socklab check: ${html(target)}</h1>
<table><thead><tr><th>${w.criterion}</th><th>${w.value}</th><th>${w.result}</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${mistakes.length > 0 ? `<h2>${w.mistakes}</h2>${mistakes.map((m) => `<p>${html(m)}</p>`).join('')}` : ''}
${charts.length > 0 ? `<h2>${w.charts}</h2><div class="charts">${charts.map((c) => `<figure>${c.svg}</figure>`).join('')}</div>` : ''}
</body></html>`;
}

export function renderCheckText(criteria: readonly Criterion[], mistakes: readonly string[], lang: Lang): string {
  const w = WORDS[lang];
  const width = Math.max(...criteria.map((c) => c.label.length));
  const mw = Math.max(...criteria.map((c) => c.measured.length));
  return [
    ...criteria.map((c) => `${c.label.padEnd(width)}  ${c.measured.padEnd(mw)}  ${c.passed === null ? w.notRun : c.passed ? w.pass : w.fail}`),
    ...(mistakes.length > 0 ? ['', ...mistakes] : []),
  ].join('\n');
}

/**
 * The lab guide's stage-3 checks on a student's server, measured: ten nervous clients all ok, served concurrently on
 * one thread, then the 200-connection challenge. Each run is a normal `socklab run` (its own report); the check
 * writes its table, what the failures mean, and a picture of it.
 */
export async function runCheck(rt: ContainerRuntime, t: CheckTarget, o: { outDir: string; lang: Lang; emit: Emit; signal: AbortSignal }): Promise<CheckOutcome> {
  const programs = t.program ? { [t.program.path]: t.program.source } : {};
  const target = t.program ? path.basename(t.program.path) : (t.image ?? '?');
  const runs: string[] = [];
  let nervous: Results | null = null;
  let challenge: Results | null = null;
  let verdict: { criteria: Criterion[]; mistakes: string[] };
  try {
    const a = await runExperiment(rt, buildPlan(scenario(t, 10, '90s'), { source: `check:${target}`, programs }), { ...o });
    runs.push(a.dir);
    nervous = a.results;
    const first = evaluate(nervous, null, o.lang);
    if (first.criteria.find((c) => c.id === 'concurrent')?.passed && !o.signal.aborted) {
      const b = await runExperiment(rt, buildPlan(scenario(t, 200, '60s'), { source: `check:${target}`, programs }), { ...o });
      runs.push(b.dir);
      challenge = b.results;
    }
    verdict = evaluate(nervous, challenge, o.lang);
  } catch (e) {
    if (!(e instanceof SocklabError) || !/not listening on port|before listening on port/.test(e.message)) throw e;
    verdict = notListening(t.port, e.message, o.lang);
  }
  const dir = new RunDir(path.join(o.outDir, `check-${path.basename(runs[0] ?? `${Date.now()}`)}`));
  const passed = verdict.criteria.every((c) => c.passed === true);
  dir.json('check.json', { target, port: t.port, passed, criteria: verdict.criteria, mistakes: verdict.mistakes, runs });
  dir.write('check.md', `# socklab check: ${target}\n\n${renderCheckText(verdict.criteria, verdict.mistakes, o.lang)}\n`);
  const page = dir.write('check.html', renderCheckHtml(target, verdict.criteria, verdict.mistakes, nervous, o.lang));
  let png: string | null = null;
  const exe = chromium();
  // Interrupted: the table and page are written, but no browser is started for the picture.
  if (exe && !o.signal.aborted) {
    const { chromium: launcher } = await import('playwright-core');
    const browser = await launcher.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const p = await browser.newPage({ viewport: { width: 1040, height: 800 } });
      await p.goto(`file://${path.resolve(page)}`);
      png = dir.path('check.png');
      await p.screenshot({ path: png, fullPage: true });
    } finally {
      await browser.close();
    }
  }
  return { criteria: verdict.criteria, mistakes: verdict.mistakes, passed, dir: dir.dir, runs, png };
}
