import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './sleep.js';

describe('sleep', () => {
  it('waits the time when nothing aborts it', async () => {
    const t0 = performance.now();
    await sleep(60);
    assert.ok(performance.now() - t0 >= 55);
  });

  it('ends at once when the signal aborts while it waits', async () => {
    const c = new AbortController();
    const t0 = performance.now();
    setTimeout(() => c.abort(), 20);
    await sleep(5000, c.signal);
    assert.ok(performance.now() - t0 < 1000);
  });

  it('ends at once when the signal had aborted before it was called (no abort event comes then)', async () => {
    const c = new AbortController();
    c.abort();
    const t0 = performance.now();
    await sleep(5000, c.signal);
    assert.ok(performance.now() - t0 < 1000);
  });
});
