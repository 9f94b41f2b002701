import type { Work } from '@socklab/shared';
import { native } from './native.js';

/**
 * Compute on the calling thread until it has had `ms` of CPU time (the addon counts the thread's own CPU clock,
 * not the wall clock): an event loop doing it serves no one meanwhile, and threads doing it share the cores.
 */
export function spin(ms: number): void {
  native().spinCpu(ms);
}

/** The request's work, the event-loop way: io is a timer (the loop stays free), cpu blocks the loop. */
export async function doWorkAsync(work: Work): Promise<void> {
  switch (work.kind) {
    case 'none':
      return;
    case 'io':
      await new Promise<void>((resolve) => setTimeout(resolve, work.ms));
      return;
    case 'cpu':
      spin(work.ms);
      return;
  }
}
