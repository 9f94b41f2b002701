import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerPlan } from '../plan/types.js';
import type { ProbeSample, ServerSample } from '../results/types.js';
import { ServerRecord } from './record.js';
import type { DecodedLine } from './sampler.js';

const plan = { name: 'server', model: 'sequential', userServer: false, port: 9000, server: { name: 'c', env: {}, sysctls: {} } } as unknown as ServerPlan;
const line = (t: number, server: boolean, probe: boolean): DecodedLine => ({
  t,
  server: server ? ({ t } as ServerSample) : null,
  probe: probe ? ({ t } as ProbeSample) : null,
  live: null,
  ...(!server && { serverError: 'ECONNREFUSED' }),
  ...(!probe && { probeError: t > 5 ? 'ECONNRESET' : 'ECONNREFUSED' }),
});

describe("a server's readings, counted", () => {
  it('failures before a part first answered (still starting) and after the server died are not missing data', () => {
    const r = new ServerRecord(plan);
    // Both refused while starting (1, 2); the server answers from 3, the probe from 4; each fails once while the
    // server lives (5, 6); the metrics stop answering at 6.2 (too busy), the probe answers last at 6.5; it is
    // killed then, and everything fails after it, though the engine tells of the death only at 9.
    const lines: Array<[number, boolean, boolean]> = [[1, false, false], [2, false, false], [3, true, false], [4, true, true], [5, false, true], [6, true, false], [6.2, false, true], [6.5, false, true], [7, false, false], [8, false, false], [10, false, false]];
    for (const [t, s, p] of lines) r.add(line(t, s, p));
    r.died = { code: 137, oomKilled: true, at: 9 };
    // The metrics' last failures (5, 6.2, 6.5) came while the probe still answered: gaps of a live server.
    assert.deepEqual(r.result().reads, { server: { ok: 3, failed: 3, lastError: 'ECONNREFUSED' }, probe: { ok: 4, failed: 1, lastError: 'ECONNRESET' } });
  });

  it('a part that never answered has no reading at all; a server of one\'s own has no metrics to count', () => {
    const r = new ServerRecord({ ...plan, userServer: true } as ServerPlan);
    r.add(line(1, false, false));
    assert.deepEqual(r.result().reads, { server: null, probe: { ok: 0, failed: 0, lastError: 'ECONNREFUSED' } });
  });
});
