import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerRuntime, readResults, REPO_ROOT, trialMeasures } from '@socklab/orchestrator';

const CLI = path.join(REPO_ROOT, 'orchestrator/dist/cli.js');
const rt = new DockerRuntime();
const runDir = (out: string): string => path.join(out, readdirSync(out).find((d) => d.startsWith('socklab-'))!);
const container = (run: string, role: string): string =>
  spawnSync('docker', ['ps', '-q', '--filter', `label=socklab.run=${run}`, '--filter', `label=socklab.role=${role}`], { encoding: 'utf8' }).stdout.trim();

/** A run in the background: its id once the swarm started, and its exit. */
function background(args: string[]): { started: Promise<string>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exit = new Promise<number | null>((r) => child.on('close', r));
  const started = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/\] swarm: /.test(err)) resolve(/network: (socklab-\S+)/.exec(err)?.[1] ?? '');
    });
    void exit.then(() => reject(new Error(`exited before its swarm started:\n${err}`)));
  });
  started.catch(() => {});
  return { started, exit, stderr: () => err };
}

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
    const server = container(run, 'server');
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
});
