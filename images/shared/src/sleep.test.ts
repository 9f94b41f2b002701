import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deadline, sleep } from './sleep.js';

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

describe('deadline', () => {
  it('aborts when the time is up, or when the parent aborts, whichever comes first', async () => {
    const d = deadline(undefined, 30);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(d.signal.aborted, true);
    const parent = new AbortController();
    const e = deadline(parent.signal, 60_000);
    parent.abort();
    assert.equal(e.signal.aborted, true);
    e.clear();
  });

  it('clear() ends the wait: a sleep tied to it holds no timer after', async () => {
    const d = deadline(undefined, 60_000);
    const t0 = performance.now();
    const slept = sleep(60_000, d.signal);
    d.clear();
    await slept;
    assert.ok(performance.now() - t0 < 1000);
  });

  it('still fires after a garbage collection, with nothing else holding it', async () => {
    const d = deadline(new AbortController().signal, 50);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(d.signal.aborted, true);
  });
});
