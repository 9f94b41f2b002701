import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerRuntime, readResults, trialMeasures } from '@socklab/orchestrator';
import { background, containerOf, runDir, socklab } from './support/cli.js';

const rt = new DockerRuntime();

describe('faults the lab survives, as the report tells them', () => {
  let out: string;
  before(() => {
    out = mkdtempSync(path.join(tmpdir(), 'socklab-faults-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('the server frozen 5 s mid-run (docker pause): clients time out as configured, the timeline shows the gap, the run completes', async () => {
    const dir = path.join(out, 'paused');
    const r = background(['run', '--model', 'event-loop', '--work', 'io:200ms', '--clients', '24', '--arrival', 'steady', '--arrival-rate', '2', '--arrival-duration', '12s', '--read-timeout', '2s', '--connect-timeout', '2s', '--out', dir]);
    const run = await r.started;
    await new Promise((res) => setTimeout(res, 3000));
    const server = containerOf(run, 'server');
    assert.equal(spawnSync('docker', ['pause', server]).status, 0);
    await new Promise((res) => setTimeout(res, 5000));
    assert.equal(spawnSync('docker', ['unpause', server]).status, 0);
    assert.equal(await r.exit, 0, r.stderr());
    const results = readResults(runDir(dir));
    const t = results.trials[0]!;
    const m = trialMeasures(t);
    assert.ok(m.outcomes.connect_timeout + m.outcomes.read_timeout >= 6, `clients timed out while it was frozen: ${JSON.stringify(m.outcomes)}`);
    assert.ok(m.outcomes.ok >= 10, `and were served before and after: ${JSON.stringify(m.outcomes)}`);
    for (const c of t.swarms[0]?.summary?.connections ?? []) {
      if (c.outcome === 'read_timeout') assert.ok(c.totalMs >= 1900 && c.totalMs <= 2600, `a read timeout at 2 s: ${c.totalMs} ms`);
    }
    // The gap: consecutive seconds in which no client was served while it was frozen.
    const timeline = t.swarms[0]?.summary?.timeline ?? [];
    const okAt = new Set(timeline.filter((b) => (b.ok ?? 0) > 0).map((b) => b.second));
    const last = Math.max(...okAt);
    let gap = 0;
    for (let run = 0, sec = Math.min(...okAt); sec <= last; sec += 1) gap = Math.max(gap, (run = okAt.has(sec) ? 0 : run + 1));
    assert.ok(gap >= 4, `the timeline shows ${gap} s in a row with nobody served (frozen 5 s): ${JSON.stringify(timeline)}`);
    assert.equal(t.servers[0]?.died, null, 'a frozen server is not a dead one');
    assert.deepEqual(await rt.listLabelled(run), { containers: [], networks: [], volumes: [] });
  });

  it('thread explosion: the threaded model under a flood of clients with 128 MiB is OOM-killed; the report names the kill and the threads it reached', () => {
    const dir = path.join(out, 'oom');
    const r = socklab(['run', 'thread-explosion', '--out', dir], {}, 240_000);
    // The scenario expects the kill (oomKills: 1) and at least 1,000 threads: exit 0 means both were measured.
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const results = readResults(runDir(dir));
    const t = results.trials[0]!;
    const died = t.servers[0]?.died;
    assert.ok(died, 'the server is reported dead');
    assert.equal(died.code, 137);
    assert.equal(died.oomKilled, true, 'the engine says the kernel killed it for memory');
    assert.equal(died.memoryLimitBytes, 128 * 1024 * 1024);
    assert.deepEqual(results.expectations.map((e) => [e.key, e.met]).sort(), [['oomKills', true], ['threadsPeak', true]]);
    const peak = trialMeasures(t).servers[0]!.threadsPeak!;
    assert.ok(peak >= 1000, `${peak} threads before it died`);
    const report = readFileSync(path.join(runDir(dir), 'report.md'), 'utf8');
    assert.match(report, /\*\*Answer\.\*\* [\d,]+ threads of its own: then the kernel's OOM killer ended it \(exit 137\) as its container reached its 128\.0 MiB limit/, 'the answer comes first');
    assert.match(report, /The server died during the run: exit 137: killed by the kernel because it ran out of memory \(OOM\), at its limit of 128\.0 MiB\. Before it died it had reached ([\d,]+) threads of its own/);
    assert.equal(Number(/had reached ([\d,]+) threads/.exec(report)![1]!.replace(/,/g, '')), peak, 'the report names the peak the results hold');
    assert.doesNotMatch(report, /waited for the server to speak first/, 'clients cut off by the death are not a deadlock');
    assert.match(r.stdout + r.stderr, /killed by the kernel because it ran out of memory/, 'the terminal says it too');
  });

  it('no run is left behind by the faults above', async () => {
    assert.deepEqual((await rt.listLabelledRuns()).filter((x) => x.startsWith('socklab-')), []);
  });
});
