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
  it('a reading of 100,000 sockets that used 50 ms of CPU is the last for 1 s; within it the last reading stands', () => {
    const c = clocks();
    const start = c.budget.begin();
    c.wall += 60;
    c.cpu += 50;
    const rest = c.budget.spent(start, 100_000);
    assert.equal(rest, 50 / PROBE_CPU_BUDGET - 60);
    assert.equal(c.budget.resting(), true);
    c.wall += rest - 1;
    assert.equal(c.budget.resting(), true);
    c.wall += 1;
    assert.equal(c.budget.resting(), false, 'at 1 s after it began, the next reading is taken');
    assert.equal(c.told.length, 1);
    assert.match(c.told[0] ?? '', /100000 sockets.*50\.0 ms of CPU.*every 1000 ms/);
  });

  it('counts CPU time, not wall time: a reading that waited 500 ms for a busy core but used 2 ms rests 40 ms in all', () => {
    const c = clocks();
    const start = c.budget.begin();
    c.wall += 500;
    c.cpu += 2;
    assert.equal(c.budget.spent(start, 100_000), 0, 'its share of the time since it began is already under 5%');
    assert.equal(c.budget.resting(), false);
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
    // The first reading ended at 1,050 ms; from then, 10 + 40 ms of CPU allow the next reading 1,000 ms later.
    assert.equal(c.wall + second, 1050 + (10 + 40) / PROBE_CPU_BUDGET);
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
