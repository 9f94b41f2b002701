import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCensus } from './census.js';

describe('census helper answers', () => {
  it('maps the helper\'s counts to the probe\'s states', () => {
    const c = parseCensus('census listening=1 queue=2 max=1 syn_recv=3 established=4 unaccepted=2 close_wait=5 time_wait=6 unread=120 unread_sockets=3 cpu_us=1234');
    assert.deepEqual(c, {
      listening: true,
      acceptQueue: 2,
      acceptQueueMax: 1,
      states: { syn_recv: 3, established: 4, established_unaccepted: 2, close_wait: 5, time_wait: 6 },
      unread: { bytes: 120, sockets: 3 },
      cpuUs: 1234,
    });
  });

  it('has no limit when nothing listens, and refuses what is not a census', () => {
    assert.equal(parseCensus('census listening=0 queue=0 max=0 syn_recv=0 established=0 unaccepted=0 close_wait=0 time_wait=3')?.acceptQueueMax, null);
    assert.equal(parseCensus('census listening=0 queue=0 max=0 syn_recv=0 established=0 unaccepted=0 close_wait=0 time_wait=3')?.cpuUs, null, 'an older helper says no CPU');
    assert.equal(parseCensus('error Operation not permitted'), null);
  });
});
