import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerRuntime, readResults, REPO_ROOT, trialMeasures, type Results } from '@socklab/orchestrator';
import { CLI, runDir, socklab } from './support/cli.js';
import { runReference } from './support/references.js';

const ARTIFACTS = path.join(REPO_ROOT, 'test/artifacts');
const rt = new DockerRuntime();

async function leftovers(run: string): Promise<number> {
  const l = await rt.listLabelled(run);
  return l.containers.length + l.networks.length + l.volumes.length;
}

describe('socklab run, compare and report, as a user runs them', () => {
  let out: string;
  before(() => {
    out = mkdtempSync(path.join(tmpdir(), 'socklab-run-'));
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  /** `socklab run backlog`, run once for the tests that read it, whichever of them runs first (each stands alone). */
  let backlogRun: { dir: string; results: Results; stdout: string; stderr: string } | undefined;
  const backlog = (): { dir: string; results: Results; stdout: string; stderr: string } => {
    if (backlogRun) return backlogRun;
    const out2 = path.join(out, 'backlog');
    const r = socklab(['run', 'backlog', '--out', out2, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const dir = runDir(out2);
    backlogRun = { dir, results: readResults(dir), stdout: r.stdout, stderr: r.stderr };
    return backlogRun;
  };

  it('runs the course\'s stage 1.2: the report\'s numbers are results.json\'s, with overflows and connect timeouts, and nothing is left', async () => {
    const { dir: d, results, stdout, stderr } = backlog();
    const r = { stdout, stderr };
    assert.deepEqual(JSON.parse(r.stdout.trim()), JSON.parse(readFileSync(path.join(d, 'results.json'), 'utf8')), '--json prints the results');
    const m = trialMeasures(results.trials[0]!);
    const s = m.servers[0]!;
    assert.ok((s.listenOverflows ?? 0) > 0, `ListenOverflows +${s.listenOverflows}`);
    assert.ok(m.outcomes.connect_timeout > 0 && m.outcomes.ok > 0 && m.outcomes.refused === 0, JSON.stringify(m.outcomes));
    assert.ok(s.acceptQueuePeak! >= 2 && s.acceptQueuePeak! <= 3 && s.acceptQueueMax === 1, `queue ${s.acceptQueuePeak}/${s.acceptQueueMax}`);
    const md = readFileSync(path.join(d, 'report.md'), 'utf8');
    assert.ok(md.includes(`TcpExt ListenOverflows +${s.listenOverflows},`), 'the overflow count is the measured one');
    assert.ok(md.includes(`${m.outcomes.connect_timeout} of ${m.connections} clients timed out connecting after 3.00 s`));
    assert.ok(md.includes(`The accept queue held ${s.acceptQueuePeak} connections against a limit of 1`), 'the queue peak is the measured one');
    assert.ok(md.indexOf('**Answer.**') < md.indexOf('## '), 'the answer comes before every section');
    assert.ok(md.includes(`| ${m.outcomes.ok} | 0 | 0 | ${m.outcomes.connect_timeout} |`), 'the table has the measured outcomes');
    for (const f of ['plan.json', 'report.html', 'charts/outcomes-1.svg', 'trial-1/samples-server.jsonl', 'trial-1/swarm-nervous.json']) assert.ok(existsSync(path.join(d, f)), f);
    assert.match(r.stderr, /socklab: \[trial 1\/1\] swarm: nervous: 10 client\(s\) -> server/);
    assert.match(r.stderr, /socklab: \[trial 1\] \d+\.\ds +ok \d+ +refused 0/, 'plain progress lines off a terminal');
    assert.equal(await leftovers(results.runId), 0, 'nothing labelled with the run is left');
  });

  it('re-renders a report from results.json alone, with no Docker engine reachable', () => {
    const b = backlog();
    const html = path.join(b.dir, 'report.html');
    rmSync(html);
    const r = socklab(['report', b.dir], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(existsSync(html));
    assert.equal(readFileSync(path.join(b.dir, 'report.md'), 'utf8').includes(`ListenOverflows +${trialMeasures(b.results.trials[0]!).servers[0]!.listenOverflows},`), true);
  });

  it('the HTML report renders in Chromium: every chart has data points, no console errors (screenshot kept)', async (t) => {
    if (!existsSync('/usr/bin/chromium')) return t.skip('Debian chromium is not installed');
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (req) => !req.url().startsWith('file:') && requests.push(req.url()));
      const b = backlog();
      await page.goto(`file://${path.join(b.dir, 'report.html')}`);
      assert.equal(await page.locator('h1').textContent(), b.results.plan.scenario.title);
      const charts = await page.locator('figure.chart').evaluateAll((figs) =>
        figs.map((f) => ({ id: f.id, marks: f.querySelectorAll('svg path').length, w: f.querySelector('svg')?.getBoundingClientRect().width ?? 0 })),
      );
      assert.deepEqual(charts.map((c) => c.id), ['outcomes-1', 'queue-1-server', 'threads-1-server', 'cpu-1-server', 'latency-1']);
      for (const c of charts) assert.ok(c.marks > 5 && c.w > 300, `${c.id}: ${c.marks} marks, ${c.w}px wide`);
      const queueTrace = await page.locator('#queue-1-server svg path').evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? '').filter((d) => d.split(/[ML]/).length > 4).length);
      assert.ok(queueTrace > 0, 'the accept-queue line has points');
      await page.screenshot({ path: path.join(ARTIFACTS, 'report-backlog.png'), fullPage: true });
      assert.deepEqual(errors, [], 'no console errors');
      assert.deepEqual(requests, [], 'nothing fetched from the network');
    } finally {
      await browser.close();
    }
  });

  it('compare runs two models x two client counts, cell by cell, with one table and charts across the cells', async () => {
    const dir = path.join(out, 'compare');
    const r = socklab(['compare', '--models', 'sequential,event-loop', '--clients', '2,6', '--work', 'io:300ms', '--out', dir]);
    assert.equal(r.status, 0, r.stderr);
    const d = runDir(dir);
    const results = readResults(d);
    assert.equal(results.kind, 'compare');
    assert.deepEqual(results.trials.map((t) => `${t.cell.model}/${t.cell.clients}`), ['sequential/2', 'sequential/6', 'event-loop/2', 'event-loop/6']);
    for (const t of results.trials) {
      const m = trialMeasures(t);
      assert.equal(m.outcomes.ok, Number(t.cell.clients), `${t.cell.model}/${t.cell.clients}: ${JSON.stringify(m.outcomes)}`);
    }
    const done = (model: string): number => trialMeasures(results.trials.find((t) => t.cell.model === model && t.cell.clients === '6')!).completionMs ?? NaN;
    assert.ok(done('sequential') > 1500 && done('event-loop') < 900, `6 clients: sequential ${done('sequential')} ms, event-loop ${done('event-loop')} ms`);
    const md = readFileSync(path.join(d, 'report.md'), 'utf8');
    assert.match(md, /With 6 clients, event-loop finished first in 0\.\d+ s \(6\/6 ok/);
    for (const c of ['compare-completion', 'compare-threads', 'compare-memory', 'compare-outcomes']) assert.ok(existsSync(path.join(d, 'charts', `${c}.svg`)), c);
    assert.equal(await leftovers(results.runId), 0);
  });

  it('a scenario\'s unmet expectation exits 3', async () => {
    const dir = path.join(out, 'expect');
    const r = socklab(['run', '--model', 'event-loop', '--clients', '2', '--expect', 'ok=3', '--out', dir]);
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /ok +=\s*3 +2 +NO/);
  });

  it('bad input exits 2 naming the value and the valid forms, and creates nothing', async () => {
    const before = await rt.listLabelledRuns();
    const dir = mkdtempSync(path.join(tmpdir(), 'socklab-bad-'));
    const file = path.join(dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'name: bad\ntitle: t\nquestion: q?\nservers:\n  - model: sequential\n    backlog: lots\nswarms: [{}]\n');
    const cases: Array<[string[], RegExp]> = [
      [['run', '--model', 'forking'], /invalid --model "forking": expected one of sequential, threaded, worker-threads, pool, prefork, event-loop, event-loop-workers, polling/],
      [['run', '--model', 'sequential', '--backlog', '-1'], /invalid --backlog "-1": expected a whole number from 0 to 65535/],
      [['run', '--model', 'sequential', '--loss', '150%'], /invalid --loss "150%": expected a percentage from 0 to 100/],
      [['run', '--model', 'sequential', '--delay', 'fast'], /invalid --delay "fast": expected a number with a unit/],
      [['run', '--model', 'sequential', '--clients', '0'], /invalid --clients "0": expected a whole number from 1 to 1000000/],
      [['run', 'backlogg'], /invalid scenario "backlogg": expected a built-in scenario/],
      [['run', file], /bad\.yaml:6:14: servers\[0\]\.backlog: invalid value "lots": expected a whole number/],
      [['compare', '--models', 'sequential,forking', '--clients', '10'], /invalid --models item "forking"/],
      [['report', dir], /invalid results directory .*expected a folder with results\.json/],
      [['shape', 'socklab-x', '--delay', 'soon'], /invalid DELAY "soon": expected a number with a unit/],
    ];
    for (const [args, re] of cases) {
      const r = socklab(args, {}, 30_000);
      assert.equal(r.status, 2, `${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.deepEqual(await rt.listLabelledRuns(), before, 'nothing was created');
  });

  it('--dry-run prints the plan and starts nothing', async () => {
    const before = await rt.listLabelledRuns();
    const r = socklab(['run', 'threaded', '--dry-run', '--delay', '50ms']);
    assert.equal(r.status, 0, r.stderr);
    const plan = JSON.parse(r.stdout) as { network: { internal: boolean }; trials: Array<{ servers: Array<{ probe: { env: Record<string, string> } }> }> };
    assert.equal(plan.network.internal, true);
    assert.equal(plan.trials[0]?.servers[0]?.probe.env.DELAY, '50ms');
    assert.deepEqual(await rt.listLabelledRuns(), before);
  });

  it('doctor checks the engine, the images, shaping and sysctls with real containers, and leaves nothing', async () => {
    const before = await rt.listLabelledRuns();
    const r = socklab(['doctor'], {}, 120_000);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ok +Docker engine: \d+\.\d+/m);
    assert.match(r.stdout, /^ok +image socklab\/server: \d+ MB/m);
    assert.match(r.stdout, /^ok +per-namespace sysctls/m);
    assert.match(r.stdout, /^ok +link shaping: (tc netem is available|no netem in this kernel: the NFQUEUE fallback)/m);
    // The open-files limit as any container of this engine has it: a plain image's shell, through testcontainers.
    const { output } = await runReference({ run: 'doctor-oracle', name: 'ulimit', network: 'none', cmd: ['sh', '-c', 'ulimit -n; sleep 1'] });
    const limit = Number(output.trim());
    assert.ok(limit > 0);
    assert.match(r.stdout, new RegExp(`^ok +open files: ${limit.toLocaleString('en-US')} per process`, 'm'));
    assert.deepEqual(await rt.listLabelledRuns(), before);
    const down = socklab(['doctor'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 30_000);
    assert.equal(down.status, 1);
    assert.match(down.stdout, /^fail +Docker engine: no Docker engine answers at unix:\/\/\/nonexistent\/docker.sock/m);
  });

  it('Ctrl-C in the middle of a run: exits within 10 s and leaves nothing', async () => {
    const dir = path.join(out, 'interrupted');
    const child = spawn(process.execPath, [CLI, 'run', '--model', 'threaded', '--work', 'io:30s', '--clients', '20', '--out', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let run = '';
    const swarmStarted = new Promise<void>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        run ||= /network: (socklab-\S+)/.exec(stderr)?.[1] ?? '';
        if (/swarm: swarm: 20 client/.test(stderr)) resolve();
      });
    });
    await Promise.race([swarmStarted, new Promise((_, reject) => setTimeout(() => reject(new Error(`the swarm never started:\n${stderr}`)), 60_000))]);
    // While it is live, `socklab shape` changes the link of its server through the probe.
    const shaped = socklab(['shape', run, '--delay', '50ms', '--loss', '1%'], {}, 30_000);
    assert.equal(shaped.status, 0, shaped.stderr);
    assert.match(shaped.stderr, /socklab shape: socklab-\S+-server-probe: \{"delayMs":50,"jitterMs":0,"loss":0\.01/);
    const none = socklab(['shape', 'socklab-no-such-run', '--delay', '50ms'], {}, 30_000);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /no live probe for run socklab-no-such-run/);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const took = Date.now() - t0;
    assert.ok(took < 10_000, `exited ${took} ms after SIGINT`);
    assert.equal(code, 130, stderr);
    assert.ok(run, 'the run id was printed');
    assert.equal(await leftovers(run), 0, `nothing labelled ${run} is left`);
    assert.equal(readResults(runDir(dir)).interrupted, true, 'what was collected is written, marked interrupted');
  });
});
