import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil, type Clock } from './poll.js';

/** A clock that only moves when the poll sleeps. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

describe('pollUntil', () => {
  it('returns the first answer and asks no more', async () => {
    const clock = fakeClock();
    let calls = 0;
    const v = await pollUntil(() => (++calls === 3 ? 'ready' : undefined), { everyMs: 200, timeoutMs: 5000, clock });
    assert.equal(v, 'ready');
    assert.equal(calls, 3);
    assert.deepEqual(clock.slept, [200, 200]);
  });

  it('gives up at the timeout, never sleeping past it', async () => {
    const clock = fakeClock();
    const v = await pollUntil(() => undefined, { everyMs: 300, timeoutMs: 1000, clock });
    assert.equal(v, undefined);
    assert.deepEqual(clock.slept, [300, 300, 300, 100]);
  });

  it('counts an attempt that throws as no answer yet', async () => {
    const clock = fakeClock();
    let calls = 0;
    const v = await pollUntil(
      () => {
        calls += 1;
        if (calls < 2) throw new Error('not up');
        return 42;
      },
      { everyMs: 10, timeoutMs: 100, clock },
    );
    assert.equal(v, 42);
  });

  it('stops at once when the signal aborts', async () => {
    const c = new AbortController();
    c.abort();
    let calls = 0;
    const v = await pollUntil(() => void (calls += 1), { everyMs: 1000, timeoutMs: 60_000, signal: c.signal });
    assert.equal(v, undefined);
    assert.equal(calls, 1);
  });
});
