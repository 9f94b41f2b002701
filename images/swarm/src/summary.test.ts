import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DETAIL_LIMIT, RESERVOIR, SummaryBuilder, waveLine } from './summary.js';

describe('the summary of a long --repeat run stays bounded', () => {
  it('keeps counts, a histogram and the timeline for every connection, but records only the first 1,000', () => {
    const b = new SummaryBuilder(0);
    const n = 5000;
    for (let i = 0; i < n; i += 1) {
      b.add({ seq: i, outcome: i % 10 === 0 ? 'read_timeout' : 'ok', startedAt: i * 10, totalMs: (i % 100) + 1, connectMs: 1, requests: 1 });
    }
    const s = b.summary({ target: 't:1', clients: 50, waves: 100, durationMs: 50_000, startedAtMs: 0, truncated: false });
    assert.equal(s.connectionsTotal, n);
    assert.equal(s.connections?.length, DETAIL_LIMIT);
    assert.deepEqual(s.connections?.[0], { outcome: 'read_timeout', startMs: 0, totalMs: 1, connectMs: 1 });
    assert.equal(s.connections?.[1]?.startMs, 10, "each connection's start, on the run's clock");
    assert.equal(s.outcomes.ok + s.outcomes.read_timeout, n);
    assert.equal(s.outcomes.read_timeout, 500);
    assert.equal(s.totalHistogramMs.reduce((a, h) => a + h.count, 0), n, 'every connection is in the histogram');
    assert.equal(s.latencyMs.total.count, n);
    assert.equal(s.latencyMs.total.max, 100);
    assert.equal(s.timeline.reduce((a, t) => a + (t.ok ?? 0) + (t.read_timeout ?? 0), 0), n);
  });

  it('beyond the reservoir, percentiles come from a sample and the max stays exact', () => {
    const b = new SummaryBuilder(0);
    for (let i = 0; i < RESERVOIR + 20_000; i += 1) b.add({ seq: i, outcome: 'ok', startedAt: 0, totalMs: i === 7 ? 9999 : 10 + (i % 90), requests: 1 });
    const p = b.summary({ target: 't:1', clients: 1, waves: 1, durationMs: 1, startedAtMs: 0, truncated: false }).latencyMs.total;
    assert.equal(p.count, RESERVOIR + 20_000);
    assert.equal(p.max, 9999);
    assert.ok(p.p50 >= 50 && p.p50 <= 60, `p50 ${p.p50}`);
  });

  it('says what one wave did', () => {
    const before = { ok: 3, refused: 0, reset: 0, connect_timeout: 1, read_timeout: 0, error: 0 };
    const after = { ok: 10, refused: 0, reset: 0, connect_timeout: 4, read_timeout: 0, error: 0 };
    assert.equal(waveLine(2, 1500, after, before), 'wave 2: ok=7 connect_timeout=3 in 1.50s');
  });
});
