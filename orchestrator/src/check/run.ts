import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Scenario } from '@socklab/shared/scenario';
import { SocklabError } from '../errors.js';
import type { Emit } from '../experiment/events.js';
import type { BuildImages } from '../experiment/execute.js';
import { runExperiment } from '../experiment/run.js';
import { buildPlan } from '../plan/build.js';
import { renderCheckHtml, renderCheckMarkdown, renderCheckText, type CheckPage } from '../report/check.js';
import type { Lang } from '../report/lang.js';
import { RunDir } from '../results/run-dir.js';
import type { Results } from '../results/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { evaluate, notListening, sayMistake, type Criterion, type Mistake } from '../report/check-facts.js';

export interface CheckTarget {
  /** A Python file (its path as given, and its source in base64), or an image. */
  readonly program?: { readonly path: string; readonly source: string };
  readonly image?: string;
  readonly port: number;
}

export interface CheckOutcome {
  readonly criteria: readonly Criterion[];
  readonly mistakes: readonly Mistake[];
  /** The check's table, answer and what its failures mean, for the terminal. */
  readonly text: string;
  readonly passed: boolean;
  /** results/check-<id>/ with check.json, check.md, check.html and check.png (when Chromium is here). */
  readonly dir: string;
  readonly runs: readonly string[];
  readonly png: string | null;
}

/**
 * The check's runs: ten nervous clients, then the challenge, each client with the course's 10 s socket timeout
 * (its socket.timeout), so a check ends within a minute whatever the server does. The nervous run then waits,
 * up to 15 s, for the server's sockets to settle: a server that closes late is told from one that never closes.
 */
function scenario(t: CheckTarget, clients: number): Scenario {
  return {
    name: clients === 200 ? 'check-challenge' : 'check-nervous',
    title: clients === 200 ? 'socklab check: the 200-connection challenge' : 'socklab check: ten nervous clients',
    stage: '3.3',
    reproduces: 'server_async.py + clientenervoso.py',
    question: 'Does the server serve every client, concurrently, on one thread?',
    asks: 'one-thread',
    translations: {
      'pt-BR': {
        title: clients === 200 ? 'socklab check: o desafio das 200 conexões' : 'socklab check: dez clientes nervosos',
        question: 'O servidor atende todos os clientes, em concorrência, numa única thread?',
      },
    },
    ...(clients === 10 && { settle: '15s' }),
    servers: [{ name: 'server', ...(t.program ? { program: t.program.path } : { image: t.image }), port: t.port }],
    swarms: [{ name: clients === 200 ? 'challenge' : 'nervous', target: 'server', clients, connectTimeout: '10s', readTimeout: '10s', maxDuration: '30s' }],
  } as Scenario;
}

/** A chromium to take the picture with: SOCKLAB_CHROMIUM, Debian's, or none. */
function chromium(): string | null {
  for (const p of [process.env.SOCKLAB_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (p && existsSync(p)) return p;
  return null;
}

/**
 * The lab guide's stage-3 checks on a student's server, measured: ten nervous clients all ok, served concurrently on
 * one thread, then the 200-connection challenge. Each run is a normal `socklab run` (its own report); the check
 * writes its table, what the failures mean, and a picture of it.
 */
export async function runCheck(rt: ContainerRuntime, t: CheckTarget, o: { outDir: string; lang: Lang; emit: Emit; signal: AbortSignal; build?: BuildImages }): Promise<CheckOutcome> {
  const programs = t.program ? { [t.program.path]: t.program.source } : {};
  const target = t.program ? path.basename(t.program.path) : (t.image ?? '?');
  const runs: string[] = [];
  let nervous: Results | null = null;
  let challenge: Results | null = null;
  let verdict: { criteria: Criterion[]; mistakes: Mistake[] };
  try {
    const a = await runExperiment(rt, buildPlan(scenario(t, 10), { source: `check:${target}`, programs }), { ...o });
    runs.push(a.dir);
    nervous = a.results;
    const first = evaluate(nervous, null, o.lang);
    if (first.criteria.find((c) => c.id === 'concurrent')?.passed && !o.signal.aborted) {
      const b = await runExperiment(rt, buildPlan(scenario(t, 200), { source: `check:${target}`, programs }), { ...o });
      runs.push(b.dir);
      challenge = b.results;
    }
    verdict = evaluate(nervous, challenge, o.lang);
  } catch (e) {
    if (!(e instanceof SocklabError) || !/not listening on port|before listening on port/.test(e.message)) throw e;
    verdict = notListening(t.port, e.message, e.details.exitCode, o.lang);
  }
  const dir = new RunDir(path.join(o.outDir, `check-${path.basename(runs[0] ?? `${Date.now()}`)}`));
  const passed = verdict.criteria.every((c) => c.passed === true);
  const view: CheckPage = { target, criteria: verdict.criteria, mistakes: verdict.mistakes, nervous, lang: o.lang };
  dir.json('check.json', { target, port: t.port, passed, criteria: verdict.criteria, mistakes: verdict.mistakes.map((m) => ({ ...m, says: sayMistake(m, o.lang) })), runs });
  dir.write('check.md', renderCheckMarkdown(view));
  const page = dir.write('check.html', renderCheckHtml(view));
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
  return { criteria: verdict.criteria, mistakes: verdict.mistakes, text: renderCheckText(view), passed, dir: dir.dir, runs, png };
}
