import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSwarmArgs } from '@socklab/shared';
import { limitWarnings } from './limits.js';
import { humanTable, SummaryBuilder } from './summary.js';

describe('limits are said, not discovered', () => {
  const cfg = (...args: string[]) => parseSwarmArgs(['--target', '127.0.0.1:7000', ...args]);

  it('warns before a run that needs more ephemeral ports than one tuple has, or that will slow connect()', () => {
    assert.match(limitWarnings(cfg('--clients', '40000')).join('\n'), /ephemeral ports.*EADDRNOTAVAIL.*several swarm containers/);
    assert.match(limitWarnings(cfg('--clients', '15000')).join('\n'), /connect\(\) slows past about 14000/);
    assert.deepEqual(limitWarnings(cfg('--preset', 'nervous')), []);
  });

  it('explains an exhausted port range in the human table', () => {
    const b = new SummaryBuilder(0);
    b.add({ seq: 0, outcome: 'error', errno: 'EADDRNOTAVAIL', startedAt: 0, totalMs: 1, requests: 0 });
    const s = b.summary({ target: 't:1', clients: 1, waves: 1, durationMs: 1, startedAtMs: 0, truncated: false });
    assert.match(humanTable(s), /hint \(EADDRNOTAVAIL\): no ephemeral port left/);
  });
});
