import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LABELS } from '@socklab/shared';
import { socklabVersion } from '../paths.js';
import { buildPlan, parseMatrix } from '../plan/build.js';
import { FakeRuntime } from '../runtime/fake.js';
import { loadScenario } from '../scenario/load.js';
import { renderMarkdown, reportModel } from '../report/render.js';
import { runExperiment } from './run.js';
import { backlogScript, fakeAgent } from '../testing/fixtures.js';
import type { RunEvent } from './events.js';
import { readResults } from '../results/io.js';
import { trialTargets } from '../plan/targets.js';
import { AttachedPrometheus } from '../roles/prometheus.js';

const plan = (repeat?: number) => {
  const { scenario } = loadScenario('backlog');
  return buildPlan({ ...scenario, ...(repeat && { repeat }) }, { source: 'builtin:backlog', seed: 7 });
};
const out = (): string => mkdtempSync(path.join(tmpdir(), 'socklab-exec-'));

describe('the experiment engine, on a fake runtime', () => {
  it('runs server, probe (which samples) and swarm on the run network, collects, and removes everything', async () => {
    const rt = new FakeRuntime(backlogScript());
    const events: RunEvent[] = [];
    const p = plan();
    const r = await runExperiment(rt, p, { outDir: out(), emit: (e) => events.push(e), signal: new AbortController().signal });
    assert.deepEqual(rt.started.map((s) => s.role), ['client-host', 'server', 'probe'], "the swarm's client host lives as long as the run and runs its swarm; the probe (the sampler beside it) joins the server once it runs");
    const host = rt.started[0]!.name;
    assert.deepEqual(rt.written.map((w) => [w.container, Object.keys(JSON.parse(w.line) as object)[0]]), [[host, 'job'], [host, 'go']], "the trial's swarm is a job of its client host's agent, set off once ready");
    assert.deepEqual((JSON.parse(rt.written[0]!.line) as { args: string[] }).args, p.trials[0]!.swarms[0]!.container.cmd, "the job runs the swarm's planned flags");
    assert.ok(rt.started.every((s) => s.labels[LABELS.run] === p.runId), 'every container carries the run label');
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] }, 'nothing is left');
    const t = r.results.trials[0]!;
    assert.equal(t.swarms[0]?.summary?.outcomes.connect_timeout, 4);
    assert.equal(t.servers[0]?.probe.length, 9, 'seven readings, one asked for at rest and one at the end');
    assert.deepEqual(t.servers[0]?.missing, []);
    assert.equal(r.results.manifest.kernel?.shapingMethod, 'nfqueue');
    assert.equal(r.results.manifest.seed, 7);
    // ListenOverflows went 0 -> 28 across the samples; the expectation sees the difference.
    assert.deepEqual(r.results.expectations.map((e) => [e.key, e.measured, e.met]), [['refused', 0, true], ['connect_timeout', 4, true], ['listenOverflows', 28, true]]);
    assert.equal(r.exitCode, 0);
    assert.ok(events.some((e) => e.type === 'live'), 'live counts are emitted');
    for (const f of ['plan.json', 'results.json', 'report.md', 'report.html', 'trial-1/samples-server.jsonl', 'trial-1/swarm-nervous.json']) {
      assert.ok(existsSync(path.join(r.dir, f)), f);
    }
    assert.deepEqual(readResults(r.dir).trials[0]?.swarms[0]?.summary, t.swarms[0]?.summary, 'results.json decodes back to the same');
  });

  it("compare: the next cell's containers start while the last cell's are removed, and its clients start only once they are gone", async () => {
    // Removals that take the engine 200 ms each, as they do.
    const script = backlogScript();
    const rt = new FakeRuntime((spec) => ({ ...script(spec), removeMs: 200 }));
    const events: RunEvent[] = [];
    const { scenario } = loadScenario('backlog');
    const p = buildPlan(scenario, { source: 'test', seed: 7, compare: parseMatrix('sequential,threaded', '10', undefined) });
    // What was still there as cell 2's clients were set off (the fake answers at the moment it is asked).
    let atClients: ReturnType<FakeRuntime['listLabelled']> | undefined;
    const emit = (e: RunEvent): void => {
      events.push(e);
      if (e.type === 'phase' && e.trial === '2' && e.phase === 'swarm') atClients = rt.listLabelled(p.runId);
    };
    const r = await runExperiment(rt, p, { outDir: out(), emit, signal: new AbortController().signal });
    assert.equal(r.results.trials.length, 2);
    const at = (trial: string, phase: string): number => events.findIndex((e) => e.type === 'phase' && e.trial === trial && e.phase === phase);
    assert.ok(at('2', 'servers') >= 0 && at('1', 'cleanup') >= 0 && at('2', 'swarm') >= 0, JSON.stringify(events.filter((e) => e.type === 'phase')));
    assert.ok(at('2', 'servers') < at('1', 'cleanup'), "cell 2's containers were asked for before cell 1's were removed");
    assert.ok(at('1', 'cleanup') < at('2', 'swarm'), "cell 2's clients start after cell 1's removal began");
    // The removal was done, not only begun, before cell 2's clients: none of cell 1's containers was there then.
    const there = (await atClients!).containers;
    assert.ok(there.some((c) => c.includes(`${p.runId}-2-`)), `cell 2's containers were: ${there.join(', ')}`);
    assert.deepEqual(there.filter((c) => c.includes(`${p.runId}-1-`)), [], "cell 1's containers were all gone");
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
    // The kernel is tried once per run: cell 1's probe finds out what it offers, cell 2's is told (and both know
    // their namespace is new, so neither looks for an earlier probe's shaping).
    const probes = rt.started.filter((s) => s.role === 'probe');
    assert.deepEqual(probes.map((s) => [s.env.FRESH_NAMESPACE, s.env.KERNEL_OFFERS]), [['1', undefined], ['1', 'netem=false,ifb=true,tbf=true,nfqueue=true']]);
    assert.equal(r.results.manifest.kernel?.shapingMethod, 'nfqueue');
    // One client host for the whole compare: its agent ran each cell's swarm in turn, no swarm container.
    assert.equal(rt.started.filter((s) => s.role === 'client-host').length, 1);
    assert.equal(rt.started.filter((s) => s.role === 'swarm').length, 0);
    assert.deepEqual(rt.written.map((w) => Object.entries(JSON.parse(w.line) as object)[0]!.slice(0, 2).join(' ').replace(/ --target.*/, '')), ['job 1', 'go 1', 'job 2', 'go 2']);
    assert.deepEqual(r.results.trials.map((t) => [t.swarms[0]?.summary?.clients, t.swarms[0]?.exit?.code]), [[10, 0], [10, 0]]);
  });

  it("a client host whose agent ends takes its trial's swarm with it (told as the swarm's end) and runs no later trial's: the run stops, naming it, and nothing is left", async () => {
    // The agent is killed 300 ms after it starts, in trial 1's clients (which never end by themselves).
    const rt = new FakeRuntime((spec) => (spec.role === 'client-host' ? { ...fakeAgent(() => []), exitAfterMs: 300, exitCode: 137 } : backlogScript()(spec)));
    const p = plan(2);
    await assert.rejects(runExperiment(rt, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal }), (e: Error) => {
      assert.match(e.message, new RegExp(`the client host ${p.clientHosts[0]!.name} has ended \\(exit 137\\): its swarm agent runs no more trials`));
      return true;
    });
    assert.deepEqual(rt.written.map((w) => Object.keys(JSON.parse(w.line) as object)[0]), ['job', 'go'], 'trial 2 was given no job');
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
  });

  it("a reading at rest is asked of the sampler only once it is up (its first line): asked while it boots, it would end", async () => {
    // The probe's sampler prints its first line 60 ms after it starts, and a request that comes before ends it.
    const script = backlogScript();
    const rt = new FakeRuntime((spec) => {
      const base = script(spec);
      if (spec.role !== 'probe') return base;
      const lines = (base.lines ?? []).map((l) => (l.stream === 'stdout' ? { ...l, afterMs: (l.afterMs ?? 0) + 60 } : l));
      return { ...base, lines, endsOnEarlySignal: { signal: 'SIGUSR2', withinMs: 60 } };
    });
    const r = await runExperiment(rt, plan(), { outDir: out(), emit: () => {}, signal: new AbortController().signal });
    const s = r.results.trials[0]!.servers[0]!;
    assert.deepEqual(s.missing, [], 'the figures at rest came');
    assert.equal(s.probe.length, 9, 'every reading, the one at rest and the last one too');
  });

  it("swarms still running when their trial's bound is over are told to stop (a job of an agent gets its stop), and the trial goes on at once", async () => {
    const rt = new FakeRuntime((spec) => (spec.role === 'client-host' ? fakeAgent(() => []) : backlogScript()(spec)));
    const p0 = plan();
    const p = { ...p0, trials: p0.trials.map((t) => ({ ...t, timeoutMs: 300 })) };
    const warned: string[] = [];
    const t0 = Date.now();
    const r = await runExperiment(rt, p, { outDir: out(), emit: (e) => void (e.type === 'warn' && warned.push(e.message)), signal: new AbortController().signal });
    assert.ok(warned.some((w) => /swarms still running after 300 ms; stopping them/.test(w)), warned.join('\n'));
    assert.deepEqual(rt.written.map((w) => Object.keys(JSON.parse(w.line) as object)[0]), ['job', 'go', 'stop']);
    assert.equal(r.results.trials[0]?.swarms[0]?.exit?.code, 0, 'it ended as told');
    assert.ok(Date.now() - t0 < 4000, `done in ${Date.now() - t0} ms, not after waiting for an end that would not come`);
  });

  it('a dying probe loses only the kernel view: the run finishes and says what is missing', async () => {
    const rt = new FakeRuntime(backlogScript({ probeDies: true }));
    const r = await runExperiment(rt, plan(), { outDir: out(), emit: () => {}, signal: new AbortController().signal });
    const s = r.results.trials[0]!.servers[0]!;
    assert.equal(s.samples.length, 9, 'the server samples are all there');
    assert.deepEqual(s.reads, { server: { ok: 9, failed: 0, lastError: null }, probe: { ok: 1, failed: 8, lastError: 'ECONNREFUSED' } });
    assert.match(readFileSync(path.join(r.dir, 'report.md'), 'utf8'), /## Missing data\n\n- trial 1, server server: the kernel's view \(the probe's readings\): 8 of 9 readings failed, gaps in its charts \(last: ECONNREFUSED\)\n/);
    assert.match(renderMarkdown(reportModel(r.results, 'pt-BR')), /## Dados ausentes\n\n- ensaio 1, servidor server: a visão do kernel \(as leituras do probe\): 8 de 9 leituras falharam, lacunas nos seus gráficos \(última: ECONNREFUSED\)\n/);
  });

  it('a server that never gets ready is removed, named, with its last lines, and nothing is left', async () => {
    const rt = new FakeRuntime(backlogScript({ serverNeverReady: true }));
    const p = plan();
    await assert.rejects(runExperiment(rt, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal }), (e: Error) => {
      assert.match(e.message, /server .*-server exited \(exit 2\) before it was ready/);
      assert.match(e.message, /invalid BACKLOG "x"/);
      return true;
    });
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
  });

  // The probe shares the server's process namespace: when the server's process ends, the kernel kills the probe
  // too; the engine may tell the probe's end first (the server's, here, 200 ms after).
  for (const serverEndsMs of [10, 230]) it(`a server of one's own that ends at once is named with its exit code, though its ending took the probe down (exit 137; the engine told the server's end ${serverEndsMs < 30 ? 'first' : 'last'})`, async () => {
    const rt = new FakeRuntime((spec) =>
      spec.role === 'server'
        ? { lines: [{ stream: 'stdout', line: 'listening... then done' }], exitAfterMs: serverEndsMs, exitCode: 0 }
        : spec.role === 'probe'
          ? { exitAfterMs: 30, exitCode: 137 }
          : backlogScript()(spec),
    );
    const { scenario } = loadScenario('backlog');
    const p = buildPlan({ ...scenario, servers: [{ name: 'server', image: 'students/eco:1', port: 8000 }] }, { source: 'test' });
    await assert.rejects(runExperiment(rt, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal }), (e: Error & { details?: { exitCode?: number } }) => {
      assert.match(e.message, /server .*-server \(image:students\/eco:1\) exited \(exit 0\) before listening on port 8000; its last lines:\n {2}listening\.\.\. then done/);
      assert.equal(e.details?.exitCode, 0);
      return true;
    });
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
  });

  it('an abort mid-run removes everything and marks the results interrupted (exit 130)', async () => {
    // Swarms that boot but, once set off, never end.
    const rt = new FakeRuntime((spec) => (spec.role === 'client-host' ? fakeAgent(() => []) : backlogScript()(spec)));
    const abort = new AbortController();
    const p = plan(3);
    const run = runExperiment(rt, p, { outDir: out(), emit: (e) => e.type === 'phase' && e.phase === 'swarm' && abort.abort(), signal: abort.signal });
    const r = await run;
    assert.equal(r.exitCode, 130);
    assert.equal(r.results.interrupted, true);
    assert.ok(r.results.trials.length <= 1, 'later trials did not run');
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
  });

  it('a running lab Prometheus follows the run: it joins the network, gets labelled targets, and leaves before cleanup', async () => {
    const rt = new FakeRuntime(backlogScript());
    rt.outside.push({ name: 'socklab_prometheus_1', labels: { [LABELS.role]: 'prometheus', [LABELS.run]: 'lab' } });
    rt.outside.push({ name: 'socklab_grafana_1', labels: { [LABELS.role]: 'grafana', [LABELS.run]: 'lab' } });
    const p = plan();
    // Prometheus has scraped the trial's servers and probes only by its third answer: the clients wait for it.
    const want = trialTargets(p, p.trials[0]!).reduce((n, g) => n + g.targets.length, 0);
    const answers: number[] = [];
    rt.answerOutside = (_name, cmd) => {
      answers.push(answers.length < 2 ? 0 : want);
      assert.match(cmd.join(' '), new RegExp(`promtool query instant .*count\\(up\\{run="${p.runId}",trial="${p.trials[0]!.id}"\\} == 1\\)`));
      return { exitCode: 0, stdout: JSON.stringify([{ metric: {}, value: [0, String(answers[answers.length - 1])] }]), stderr: '' };
    };
    const lines: string[] = [];
    const seenBeforeClients: number[] = [];
    const emit = (e: RunEvent): void => {
      if (e.type === 'line') lines.push(e.text);
      if (e.type === 'phase' && e.phase === 'swarm') seenBeforeClients.push(answers.length);
    };
    await runExperiment(rt, p, { outDir: out(), emit, signal: new AbortController().signal });
    assert.deepEqual(seenBeforeClients, [3], 'the clients were set off once Prometheus had scraped every target, not before');
    const file = JSON.parse(rt.files.get(`socklab_prometheus_1:/etc/prometheus/targets/${p.runId}.json`) ?? 'null') as unknown[];
    assert.deepEqual(file, [], 'the targets are emptied at the end');
    assert.equal(rt.attached.size, 0, 'it left the run network (which could not be removed otherwise)');
    assert.deepEqual(await rt.listLabelled(p.runId), { containers: [], networks: [], volumes: [] });
    assert.match(lines.join('\n'), new RegExp(`socklab_prometheus_1 scrapes this run \\(run="${p.runId}"\\)`));
    assert.ok(lines.includes(`http://localhost:3000/d/socklab-run?var-run=${p.runId}&from=now-5m&to=now&refresh=1s`), 'the run view is linked');
  });

  it('a lab Prometheus that does not scrape holds the clients only so long, and is named', async () => {
    const rt = new FakeRuntime(backlogScript());
    rt.outside.push({ name: 'socklab_prometheus_1', labels: { [LABELS.role]: 'prometheus', [LABELS.run]: 'lab' } });
    rt.answerOutside = () => ({ exitCode: 1, stdout: '', stderr: 'connection refused' });
    const p = plan();
    await rt.createNetwork(p.network.name, p.network.labels);
    const prometheus = await AttachedPrometheus.attach(rt, p.network.name, p.runId);
    assert.deepEqual(prometheus.names, ['socklab_prometheus_1']);
    const t0 = performance.now();
    const late = await prometheus.scraped(trialTargets(p, p.trials[0]!), new AbortController().signal, 600);
    const waited = performance.now() - t0;
    assert.deepEqual(late, ['socklab_prometheus_1']);
    // Timers keep whole milliseconds of the loop's clock: a 600 ms bound may end a fraction of a ms early on this one.
    assert.ok(waited >= 595 && waited < 1500, `waited ${waited.toFixed(1)} ms for a bound of 600`);
    assert.ok(rt.outsideExecs.length >= 2, 'asked again while it waited');
  });

  it('unmet expectations make exit 3', async () => {
    const rt = new FakeRuntime(backlogScript());
    const { scenario } = loadScenario('backlog');
    const p = buildPlan({ ...scenario, expect: { ok: 10 } }, { source: 'test' });
    const r = await runExperiment(rt, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal });
    assert.equal(r.exitCode, 3);
    assert.deepEqual(r.results.expectations.map((e) => [e.key, e.expected, e.measured, e.met]), [['ok', '= 10', 6, false]]);
  });

  it('missing images are named, each with its fix, before a folder, a network or a container is made', async () => {
    const rt = new FakeRuntime(backlogScript());
    rt.missingImages.add('socklab/probe').add('students/eco:1');
    const { scenario } = loadScenario('backlog');
    const p = buildPlan({ ...scenario, servers: [{ name: 'server', image: 'students/eco:1', port: 8000 }] }, { source: 'test' });
    const dir = out();
    await assert.rejects(
      runExperiment(rt, p, { outDir: dir, emit: () => {}, signal: new AbortController().signal }),
      (e: Error & { details?: { hint?: string } }) => {
        assert.match(e.message, /^images not here: /);
        assert.match(e.message, /socklab\/probe/);
        assert.match(e.message, /students\/eco:1/);
        assert.match(e.details?.hint ?? '', /build socklab's images: `npx socklab build`/);
        assert.match(e.details?.hint ?? '', /pull or build students\/eco:1 \(`docker pull students\/eco:1`\)/);
        return true;
      },
    );
    assert.equal(existsSync(path.join(dir, p.runId)), false, 'no run folder');
    assert.deepEqual(await rt.listLabelledRuns(), [], 'no network, no container');
  });

  it('images built by another version of socklab are named as such before anything is made, and a first use builds them again', async () => {
    // An image from before images said their version, and one of an older socklab.
    const rt = new FakeRuntime(backlogScript());
    rt.imagesBuiltBy.set('socklab/swarm', '0.0.9').set('socklab/probe', '');
    const p = plan();
    const v = socklabVersion().replace(/\./g, '\\.');
    await assert.rejects(runExperiment(rt, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal }), (e: Error & { details?: { hint?: string } }) => {
      assert.match(e.message, /^images built by another version of socklab: /);
      assert.match(e.message, new RegExp(`socklab/swarm \\(built by socklab 0\\.0\\.9; this is ${v}\\)`));
      assert.match(e.message, new RegExp(`socklab/probe \\(built before socklab labelled its images with its version; this is ${v}\\)`));
      assert.match(e.details?.hint ?? '', /build them again for this one: `npx socklab build`/);
      return true;
    });
    assert.deepEqual(await rt.listLabelledRuns(), [], 'no network, no container');
    const asked: string[][] = [];
    const build = async (missing: readonly string[]): Promise<void> => {
      asked.push([...missing]);
      for (const m of missing) rt.imagesBuiltBy.delete(m);
    };
    const r = await runExperiment(rt, plan(), { outDir: out(), emit: () => {}, signal: new AbortController().signal, build });
    assert.deepEqual(asked.map((a) => [...a].sort()), [['socklab/probe', 'socklab/swarm']]);
    assert.equal(r.exitCode, 0);
  });

  it("a first use builds socklab's missing images before anything else, then runs; others than socklab's are not built", async () => {
    const rt = new FakeRuntime(backlogScript());
    rt.missingImages.add('socklab/probe').add('socklab/swarm');
    const asked: string[][] = [];
    const build = async (missing: readonly string[]): Promise<void> => {
      asked.push([...missing]);
      assert.deepEqual(await rt.listLabelledRuns(), [], 'built before any network or container');
      for (const m of missing) rt.missingImages.delete(m);
    };
    const r = await runExperiment(rt, plan(), { outDir: out(), emit: () => {}, signal: new AbortController().signal, build });
    assert.deepEqual(asked.map((a) => [...a].sort()), [['socklab/probe', 'socklab/swarm']]);
    assert.equal(r.exitCode, 0);
    // An image that is not socklab's is never built: it is named, as before.
    const rt2 = new FakeRuntime(backlogScript());
    rt2.missingImages.add('students/eco:1');
    const { scenario } = loadScenario('backlog');
    const p = buildPlan({ ...scenario, servers: [{ name: 'server', image: 'students/eco:1', port: 8000 }] }, { source: 'test' });
    let built = 0;
    await assert.rejects(runExperiment(rt2, p, { outDir: out(), emit: () => {}, signal: new AbortController().signal, build: async () => void (built += 1) }), /image not here: students\/eco:1/);
    assert.equal(built, 0);
  });
});
