import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { emptyOutcomeCounts } from '@socklab/shared';
import type { TrialPlan } from '../plan/types.js';
import type { DecodedLine } from '../collect/sampler.js';
import type { RunEvent } from './events.js';
import { LiveOutput } from './live.js';

const line = (t: number, ok: number, inFlight: number): DecodedLine => ({
  t,
  server: null,
  probe: null,
  live: { t, outcomes: { ...emptyOutcomeCounts(), ok }, inFlight },
});

describe('the live line, an output of the trial', () => {
  it('shows nothing before the clients are set off; after, the counts summed over servers and the time since the start', () => {
    const events: RunEvent[] = [];
    const trial = { id: '1', servers: [{ name: 'a' }, { name: 'b' }] } as unknown as TrialPlan;
    const live = new LiveOutput(trial, (e) => events.push(e));
    live.sample('a', '', line(1, 0, 0));
    assert.deepEqual(events, [], 'at rest: nothing shown, nothing kept');
    assert.deepEqual(live.series, []);
    live.start(Date.now() - 1500);
    live.sample('a', '', line(2, 3, 1));
    live.sample('b', '', line(3, 4, 2));
    const last = (events as RunEvent[]).at(-1);
    assert.equal(last?.type, 'live');
    if (last?.type !== 'live') return;
    assert.equal(last.outcomes.ok, 7, 'both servers\' swarms summed');
    assert.equal(last.inFlight, 3);
    assert.ok(last.elapsedMs >= 1500 && last.elapsedMs < 3000, `${last.elapsedMs} ms since the start`);
    assert.equal((live.series as unknown[]).length, 2);
  });
});
