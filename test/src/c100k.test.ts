import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readResults, REPO_ROOT, trialMeasures } from '@socklab/orchestrator';
import { runDir, socklab } from './support/cli.js';
import { c100kReportMismatches } from './support/c100k-report.js';

/**
 * C100K's way at a small scale (the 100,000 themselves run in `npm run bench -- c100k`): the open-files limit
 * lowered to 1,024 per process, so 3,000 connections need what 100,000 need at 20,000: the plan spreads them
 * over 4 event-loop worker processes and 4 swarm containers, and the server holds them all at once.
 */
describe('c100k at a small scale: more connections than one process may open', () => {
  it('the plan spreads 3,000 connections over 4 worker processes and 4 swarm containers; all are held at once and end ok', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'socklab-c100k-'));
    try {
      const r = socklab(['run', path.join(REPO_ROOT, 'test/fixtures/scenarios/c100k-small.yaml'), '--out', out], {}, 240_000);
      assert.equal(r.status, 0, r.stderr.slice(-3000));
      assert.match(r.stderr, /clients: 3,000 connections in 4 swarm containers of their own address each \(one is given at most 768: 1,024 open files less 256/);
      assert.match(r.stderr, /server: 4 worker processes for 3,000 connections/);
      const run = runDir(out);
      const t = readResults(run).trials[0]!;
      assert.deepEqual(t.swarms.map((w) => w.name).sort(), ['clients-1', 'clients-2', 'clients-3', 'clients-4']);
      assert.equal(t.swarms.reduce((a, w) => a + (w.summary?.outcomes.ok ?? 0), 0), 3000);
      const server = t.servers[0]!;
      assert.equal(server.env.PROCESSES, '4');
      const established = Math.max(...server.probe.map((p) => p.established));
      assert.ok(established >= 2900, `all held at once: the probe saw ${established} established`);
      assert.equal(Math.max(...server.samples.map((x) => x.modelThreads)), 4, 'one event loop per worker process');
      const md = readFileSync(path.join(run, 'report.md'), 'utf8');
      assert.match(md, /\*\*Answer\.\*\* Yes: 3,000 of 3,000 connections ended ok/);
      // Each swarm's memory read where it held the most: together, all 3,000 (steady arrivals, 8 s each).
      const held = t.swarms.reduce((a, w) => a + (w.summary?.memory?.heldConnections ?? 0), 0);
      assert.ok(held >= 2900, `the swarms held ${held} at once where their memory was read`);
      assert.ok(trialMeasures(t).servers[0]!.tcpMemoryPeakBytes !== null, 'the probe read /proc/net/sockstat');
      // The answer's figures, as results.json has them (the same check the bench makes at 100,000).
      assert.deepEqual(c100kReportMismatches(md, t), []);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
