import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalOffsets } from './runner.js';
import { percentiles } from './summary.js';

describe('arrival patterns', () => {
  it('burst starts everyone at once', () => {
    assert.deepEqual(arrivalOffsets({ arrival: 'burst', clients: 3, rate: 0, durationMs: 0 }), [0, 0, 0]);
  });

  it('steady spaces starts at the rate for the duration', () => {
    const o = arrivalOffsets({ arrival: 'steady', clients: 1, rate: 10, durationMs: 2000 });
    assert.equal(o.length, 20);
    assert.equal(o[1], 100);
    assert.equal(o[19], 1900);
  });

  it('ramp starts slowly and ends at the target rate', () => {
    const o = arrivalOffsets({ arrival: 'ramp', clients: 1, rate: 100, durationMs: 2000 });
    assert.equal(o.length, 100);
    const firstGap = (o[1] ?? 0) - (o[0] ?? 0);
    const lastGap = (o[99] ?? 0) - (o[98] ?? 0);
    assert.ok(firstGap > 10 * lastGap, `${firstGap} vs ${lastGap}`);
    assert.ok((o[99] ?? 0) <= 2000);
    assert.ok(lastGap > 9 && lastGap < 12, `the final rate is ~100/s: gap ${lastGap}ms`);
  });
});

describe('percentiles', () => {
  it('uses nearest rank', () => {
    const p = percentiles([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]);
    assert.deepEqual(p, { count: 10, p50: 5, p90: 9, p99: 10, max: 10 });
  });
});
