import { sleep } from './sleep.js';

/** The time a poll reads and the pause it takes: the real clock, or a test's. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const REAL_CLOCK: Clock = { now: () => Date.now(), sleep };

export interface PollOptions {
  /** Pause between attempts (from the start of one to the start of the next). */
  readonly everyMs: number;
  /** Give up once this much time has passed since the first attempt. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly clock?: Clock;
}

/**
 * Ask `attempt` again and again until it answers something other than undefined, the time is up, or the signal
 * aborts; an attempt that throws counts as no answer yet. Resolves with the answer, or undefined when there was none.
 */
export async function pollUntil<T>(attempt: () => Promise<T | undefined> | T | undefined, o: PollOptions): Promise<T | undefined> {
  const clock = o.clock ?? REAL_CLOCK;
  const start = clock.now();
  for (;;) {
    const began = clock.now();
    try {
      const v = await attempt();
      if (v !== undefined) return v;
    } catch {
      /* not yet */
    }
    if (o.signal?.aborted || clock.now() - start >= o.timeoutMs) return undefined;
    await clock.sleep(Math.max(0, Math.min(o.everyMs - (clock.now() - began), o.timeoutMs - (clock.now() - start))), o.signal);
    if (o.signal?.aborted) return undefined;
  }
}
