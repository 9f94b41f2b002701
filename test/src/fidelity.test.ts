import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readResults, type Results } from '@socklab/orchestrator';
import { runDir, socklab } from './support/cli.js';

/**
 * Physics a report must not contradict: CPU work that is real work (threads share a core), one clock for the
 * server's and the clients' series, and the model's own threads counted as the course counts them.
 */
type Trial = Results['trials'][number];

function run(out: string, name: string, args: string[]): Trial {
  const dir = path.join(out, name);
  const r = socklab(['run', ...args, '--out', dir], {}, 180_000);
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return readResults(runDir(dir)).trials[0]!;
}

/** Each ok connection's end, on the trial's clock, from the swarm's raw summary. */
const okEnds = (t: Trial): number[] =>
  t.swarms.flatMap((w) => (w.summary?.connections ?? []).filter((c) => c.outcome === 'ok').map((c) => w.summary!.startedAtMs - t.swarmsStartedAt + c.startMs + c.totalMs)).sort((a, b) => a - b);

describe('fidelity: what the lab shows is what the machine did', () => {
  let out: string;
  before(() => {
    out = mkdtempSync(path.join(tmpdir(), 'socklab-fid-'));
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('ten clients each needing 200 ms of CPU on a one-core threaded server cannot all be done before about 2 s, and the server spent that CPU', () => {
    const t = run(out, 'threads-cpu', ['--model', 'threaded', '--work', 'cpu:200ms', '--clients', '10', '--cpus', '1']);
    const ends = okEnds(t);
    assert.equal(ends.length, 10, 'all served');
    assert.ok(ends[9]! >= 1800, `the last one at ${ends[9]} ms: ten times 200 ms of CPU on one core take about 2 s`);
    assert.ok(ends[0]! >= 1000, `the first one at ${ends[0]} ms: the threads share the core, none gets it alone`);
    const s = t.servers[0]!.samples;
    const cpu = s[s.length - 1]!.cpuSeconds - s[0]!.cpuSeconds;
    assert.ok(cpu >= 1.8, `the server's own CPU time grew ${cpu.toFixed(2)} s (10 x 0.2 s of work)`);
  });

  it('the same work in an event loop is a staircase: one answer every 200 ms', () => {
    const t = run(out, 'loop-cpu', ['--model', 'event-loop', '--work', 'cpu:200ms', '--clients', '10', '--cpus', '1']);
    const ends = okEnds(t);
    assert.equal(ends.length, 10);
    const gaps = ends.slice(1).map((x, i) => x - ends[i]!);
    assert.ok(gaps.every((g) => g >= 170), `answers at least 170 ms apart: ${gaps.map(Math.round).join(', ')}`);
  });

  it('one clock: a sequential server\'s accept queue is seen filling within 100 ms of the first connect', () => {
    const t = run(out, 'sequential', ['sequential']);
    const t0 = t.swarmsStartedAt;
    const w = t.swarms[0]!.summary!;
    const firstConnect = Math.min(...(w.connections ?? []).map((c) => w.startedAtMs - t0 + c.startMs + (c.connectMs ?? 0)));
    const queued = t.servers[0]!.probe.find((p) => p.t >= t0 && p.acceptQueue > 0);
    assert.ok(queued, 'the queue was seen non-empty');
    assert.ok(queued.t - t0 <= firstConnect + 100, `queue seen at ${queued.t - t0} ms, the first connect at ${firstConnect.toFixed(1)} ms`);
  });

  it('the event-loop model\'s own threads are 1; the runtime\'s are counted apart', () => {
    const t = run(out, 'event-loop', ['--model', 'event-loop', '--work', 'io:500ms', '--clients', '10']);
    const s = t.servers[0]!;
    assert.equal(Math.max(...s.samples.map((x) => x.modelThreads)), 1, 'the server counts one thread of its own');
    assert.equal(Math.max(...s.probe.map((p) => p.ownThreads ?? 0)), 1, 'so does the probe, from the threads\' names');
    assert.ok(Math.max(...s.samples.map((x) => x.threads)) > 1, 'the runtime (V8, libuv) has threads of its own');
  });
});
