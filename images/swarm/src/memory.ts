import type { SwarmSummary } from '@socklab/shared/results';

/**
 * The swarm's own memory, for what each connection costs on the clients' side: resident memory (VmRSS) before
 * the first connection, at most while it ran, and at the reading where it held the most connections open at once
 * (the figure per held connection is read there, not at a peak that garbage not yet collected may have set).
 */
export type MemoryReadings = NonNullable<SwarmSummary['memory']>;

export class MemoryWatch {
  readonly readings: MemoryReadings;
  private readonly timer: NodeJS.Timeout;

  /** `rss` reads resident memory; `held` counts the connections open now. */
  constructor(
    private readonly rss: () => number,
    private readonly held: () => number,
    everyMs = 500,
  ) {
    const idle = rss();
    this.readings = { idleBytes: idle, peakBytes: idle };
    this.timer = setInterval(() => this.read(), everyMs);
  }

  read(): void {
    const now = this.rss();
    const open = this.held();
    const r = this.readings;
    r.peakBytes = Math.max(r.peakBytes, now);
    // Most held so far; among readings holding as many, the one with the least memory (fewest leftovers).
    if (open > 0 && (open > (r.heldConnections ?? 0) || (open === r.heldConnections && now < (r.heldBytes ?? Infinity)))) {
      r.heldBytes = now;
      r.heldConnections = open;
    }
  }

  stop(): MemoryReadings {
    clearInterval(this.timer);
    return this.readings;
  }
}
