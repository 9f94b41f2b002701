/**
 * One shared timer for every connection's timeouts: a wheel of 10 ms ticks. A connection costs a slot in
 * an array instead of a Node Timeout object, which matters at C10K. Cancelling is lazy: a connection whose
 * `due` tick no longer matches when its bucket comes up is skipped.
 */
export const TICK_MS = 10;

export interface WheelEntry {
  /** The tick this entry is due at; 0 when nothing is armed. */
  due: number;
  fire(): void;
}

export class TimerWheel {
  private readonly buckets = new Map<number, WheelEntry[]>();
  private readonly t0 = performance.now();
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  private tickNow(): number {
    return Math.floor((performance.now() - this.t0) / TICK_MS);
  }

  /** Arm `entry` to fire after `ms` (rounded up to the next tick); replaces what it had armed. */
  schedule(entry: WheelEntry, ms: number): void {
    const due = Math.max(this.tickNow() + Math.ceil(ms / TICK_MS), this.last + 1);
    entry.due = due;
    const bucket = this.buckets.get(due);
    if (bucket) bucket.push(entry);
    else this.buckets.set(due, [entry]);
    this.timer ??= setInterval(() => this.advance(), TICK_MS).unref();
  }

  cancel(entry: WheelEntry): void {
    entry.due = 0;
  }

  private advance(): void {
    const now = this.tickNow();
    while (this.last < now) {
      this.last += 1;
      const bucket = this.buckets.get(this.last);
      if (!bucket) continue;
      this.buckets.delete(this.last);
      for (const e of bucket) {
        if (e.due !== this.last) continue; // cancelled or re-armed
        e.due = 0;
        e.fire();
      }
    }
    if (this.buckets.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

export const wheel = new TimerWheel();
