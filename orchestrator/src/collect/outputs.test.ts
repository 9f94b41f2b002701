import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SwarmSummary } from '@socklab/shared/results';
import { RunDir } from '../results/run-dir.js';
import { fanOut, rawFiles, type TrialOutput } from './outputs.js';

describe("a trial's collection, told to its outputs", () => {
  it('every output is told everything, in the order it happened, start to stop', () => {
    const told: string[] = [];
    const spy = (who: string): TrialOutput => ({
      start: (at) => told.push(`${who} start ${at}`),
      sample: (server, raw) => told.push(`${who} sample ${server} ${raw}`),
      stats: (server) => told.push(`${who} stats ${server}`),
      lost: (server, what) => told.push(`${who} lost ${server} ${what}`),
      swarm: (name) => told.push(`${who} swarm ${name}`),
      stop: () => told.push(`${who} stop`),
    });
    const out = fanOut([spy('a'), spy('b'), {}]);
    out.start(5);
    out.sample('srv', '{}', null);
    out.stats('srv', { t: 1, memoryBytes: 1, cpuCores: 0, pids: 1 });
    out.lost('srv', 'samples: gone');
    out.swarm('clients', {} as SwarmSummary);
    out.stop();
    assert.deepEqual(told, [
      'a start 5', 'b start 5', 'a sample srv {}', 'b sample srv {}', 'a stats srv', 'b stats srv',
      'a lost srv samples: gone', 'b lost srv samples: gone', 'a swarm clients', 'b swarm clients', 'a stop', 'b stop',
    ]);
  });

  it('the raw files: each sampler line and stats reading as it comes, each swarm summary as JSON', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'socklab-out-'));
    try {
      const out = fanOut([rawFiles(new RunDir(dir), '2')]);
      out.sample('srv', '{"t":1}', null);
      out.sample('srv', '{"t":2}', null);
      out.stats('srv', { t: 3, memoryBytes: 10, cpuCores: 0.5, pids: 4 });
      out.swarm('clients', { durationMs: 7 } as unknown as SwarmSummary);
      assert.equal(readFileSync(path.join(dir, 'trial-2', 'samples-srv.jsonl'), 'utf8'), '{"t":1}\n{"t":2}\n');
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'trial-2', 'stats-srv.jsonl'), 'utf8')), { t: 3, memoryBytes: 10, cpuCores: 0.5, pids: 4 });
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'trial-2', 'swarm-clients.json'), 'utf8')), { durationMs: 7 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
