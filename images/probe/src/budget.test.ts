import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUDGET_FROM_SOCKETS, PROBE_CPU_BUDGET, ReadingBudget } from './budget.js';

/** A budget on clocks the test moves: wall time and CPU time, in ms. */
function clocks(): { wall: number; cpu: number; told: string[]; budget: ReadingBudget } {
  const c = { wall: 1000, cpu: 0, told: [] as string[], budget: undefined as unknown as ReadingBudget };
  c.budget = new ReadingBudget(() => c.cpu, () => c.wall, (l) => c.told.push(l));
  return c;
}

describe('the probe keeps its readings within 5% of a core when it counts many sockets', () => {
  it('a reading of 100,000 sockets that used 50 ms of CPU is followed by a rest of 1 s; within it the last reading stands', () => {
    const c = clocks();
    const start = c.budget.begin();
    c.wall += 60;
    c.cpu += 50;
    const rest = c.budget.spent(start, 100_000);
    assert.equal(rest, 50 / PROBE_CPU_BUDGET);
    assert.equal(c.budget.resting(), true);
    c.wall += rest - 1;
    assert.equal(c.budget.resting(), true);
    c.wall += 1;
    assert.equal(c.budget.resting(), false, 'a rest of 1 s after it, the next reading is taken');
    assert.equal(c.told.length, 1);
    assert.match(c.told[0] ?? '', /100000 sockets.*50\.0 ms of CPU.*resting 1000 ms after it/);
  });

  it('counts CPU time, not wall time: a reading that waited 500 ms for a busy core but used 2 ms rests 40 ms', () => {
    const c = clocks();
    const start = c.budget.begin();
    c.wall += 500;
    c.cpu += 2;
    assert.equal(c.budget.spent(start, 100_000), 2 / PROBE_CPU_BUDGET);
  });

  it('never holds back a reading of fewer sockets than that, however costly: small scenarios are read when asked', () => {
    const c = clocks();
    const start = c.budget.begin();
    c.wall += 5;
    c.cpu += 40;
    assert.equal(c.budget.spent(start, BUDGET_FROM_SOCKETS - 1), 0);
    assert.equal(c.budget.resting(), false);
    assert.deepEqual(c.told, []);
  });

  it('what the probe does between readings counts too: the next rest covers it, so the probe as a whole stays within 5%', () => {
    const c = clocks();
    let start = c.budget.begin();
    c.wall += 50;
    c.cpu += 40;
    const first = c.budget.spent(start, 100_000);
    c.wall += first;
    c.cpu += 10; // answering the sampler and Prometheus while it rested
    start = c.budget.begin();
    c.wall += 50;
    c.cpu += 40;
    const second = c.budget.spent(start, 100_000);
    // 10 ms while it rested and 40 ms reading: the second rest is 1 s, after the second reading.
    assert.equal(second, (10 + 40) / PROBE_CPU_BUDGET);
    // Over the whole stretch, from the first reading's start to the end of the second rest: at most 5%.
    assert.ok((40 + 10 + 40) / (c.wall + second - 1000) <= PROBE_CPU_BUDGET);
  });

  it('a rest ends as soon as the sockets fall below the threshold again', () => {
    const c = clocks();
    let start = c.budget.begin();
    c.cpu += 30;
    c.budget.spent(start, 50_000);
    assert.equal(c.budget.resting(), true);
    start = c.budget.begin();
    c.budget.spent(start, 10);
    assert.equal(c.budget.resting(), false);
  });
});
