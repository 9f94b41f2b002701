import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryWatch } from './memory.js';

describe('the swarm\'s memory readings', () => {
  it('idle before, peak at most, and held where the most connections were open (the lower reading on a tie)', () => {
    const rss = [100, 150, 400, 380, 360, 500, 200];
    const open = [0, 10, 50, 50, 50, 20, 0];
    let i = 0;
    const w = new MemoryWatch(() => rss[i]!, () => open[i]!, 60_000);
    for (i = 1; i < rss.length; i += 1) w.read();
    assert.deepEqual(w.stop(), { idleBytes: 100, peakBytes: 500, heldBytes: 360, heldConnections: 50 });
  });

  it('holding nothing leaves no held reading', () => {
    const w = new MemoryWatch(() => 10, () => 0, 60_000);
    w.read();
    assert.deepEqual(w.stop(), { idleBytes: 10, peakBytes: 10 });
  });
});
