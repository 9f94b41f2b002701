import { LATENCY_BUCKETS, OUTCOMES, type Outcome } from '@socklab/shared';

/**
 * The counter block every model reports into. Its layout mirrors native/socklab.h, so the native models'
 * C threads, prefork children (through shared memory) and the event loop all read out the same way.
 */
export const SLOT = {
  accepted: 0,
  active: 1,
  inService: 2,
  peak: 3,
  handled: 4, // one per outcome, in OUTCOMES order
  durationCount: 10,
  durationSumUs: 11,
  buckets: 12, // one per LATENCY_BUCKETS bound, then +Inf
} as const;
export const SLOTS = 64;

export interface CounterSnapshot {
  readonly accepted: number;
  readonly active: number;
  readonly inService: number;
  readonly peak: number;
  readonly handled: Record<Outcome, number>;
  readonly durationCount: number;
  readonly durationSumSeconds: number;
  /** Per-bucket (not cumulative) counts: one per LATENCY_BUCKETS bound, then +Inf. */
  readonly buckets: number[];
}

export function readSnapshot(v: ArrayLike<number>): CounterSnapshot {
  const handled = {} as Record<Outcome, number>;
  OUTCOMES.forEach((o, i) => (handled[o] = v[SLOT.handled + i] ?? 0));
  return {
    accepted: v[SLOT.accepted] ?? 0,
    active: v[SLOT.active] ?? 0,
    inService: v[SLOT.inService] ?? 0,
    peak: v[SLOT.peak] ?? 0,
    handled,
    durationCount: v[SLOT.durationCount] ?? 0,
    durationSumSeconds: (v[SLOT.durationSumUs] ?? 0) / 1e6,
    buckets: Array.from({ length: LATENCY_BUCKETS.length + 1 }, (_, i) => v[SLOT.buckets + i] ?? 0),
  };
}

/** The same block kept by JavaScript, for the event-loop model. */
export class CounterBlock {
  readonly v = new Float64Array(SLOTS);

  accepted(): void {
    this.v[SLOT.accepted]! += 1;
    this.v[SLOT.active]! += 1;
  }

  begin(): void {
    const now = (this.v[SLOT.inService]! += 1);
    if (now > this.v[SLOT.peak]!) this.v[SLOT.peak] = now;
  }

  end(): void {
    this.v[SLOT.inService]! -= 1;
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i += 1;
    this.v[SLOT.buckets + i]! += 1;
    this.v[SLOT.durationCount]! += 1;
    this.v[SLOT.durationSumUs]! += Math.round(seconds * 1e6);
  }

  closed(outcome: Outcome): void {
    this.v[SLOT.active]! -= 1;
    this.v[SLOT.handled + OUTCOMES.indexOf(outcome)]! += 1;
  }
}
