import type { Work } from '@socklab/shared';

/** Spin the CPU for `ms` milliseconds on the calling thread (blocks an event loop on purpose). */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* busy */
  }
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
