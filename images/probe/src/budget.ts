/** The share of a core the probe's readings may take once they count many sockets. */
export const PROBE_CPU_BUDGET = 0.05;

/**
 * Below this many sockets on the port a reading costs well under a millisecond of CPU and is never held back:
 * the lab's small scenarios are read every time they are asked (the sequential server's queue within 100 ms).
 */
export const BUDGET_FROM_SOCKETS = 10_000;

/** CPU time used so far, in ms: the probe's own process and its census helper (the kernel's table walk included). */
export type CpuClock = () => number;

/**
 * Keeps the probe within PROBE_CPU_BUDGET of a core when it counts many sockets: a census of 100,000 makes the
 * kernel walk every TCP socket of the host (tens of ms of CPU), and the sampler asks for a fresh one every 100 ms.
 * After such a reading the probe rests for as long as makes all the CPU it used since the end of the previous
 * reading (this reading, and what it did between the two: answering the sampler, Prometheus, its runtime) the
 * budget's share of that rest; within the rest, the last reading stands (it carries the time it was taken).
 * CPU time, not wall time: a reading that merely waited for a busy core costs nothing.
 */
export class ReadingBudget {
  private restUntil = -Infinity;
  /** Where the last reading ended: the wall clock and the CPU clock then. */
  private mark: { at: number; cpu: number } | undefined;
  private told = false;

  constructor(
    private readonly cpuMs: CpuClock,
    private readonly now: () => number = () => performance.now(),
    private readonly tell: (line: string) => void = (l) => console.error(l),
  ) {}

  /** True while the last reading's rest lasts: hand out the last reading instead of taking one. */
  resting(): boolean {
    return this.now() < this.restUntil;
  }

  /** Marks a reading's start: what the CPU clock and the wall clock said then. */
  begin(): { at: number; cpu: number } {
    return { at: this.now(), cpu: this.cpuMs() };
  }

  /** After a reading that began at `start` and counted `sockets` on the port: how long to rest (ms, 0 for none). */
  spent(start: { at: number; cpu: number }, sockets: number): number {
    const from = this.mark ?? start;
    const end = { at: this.now(), cpu: this.cpuMs() };
    this.mark = end;
    if (sockets < BUDGET_FROM_SOCKETS) {
      this.restUntil = -Infinity;
      return 0;
    }
    // Each reading's CPU (with what the probe did since the last one) buys a rest of its own after it: the rests
    // never overlap, so over any stretch the probe's CPU is at most the budget's share of it.
    const cost = Math.max(0, end.cpu - from.cpu);
    const rest = cost / PROBE_CPU_BUDGET;
    this.restUntil = end.at + rest;
    if (!this.told && rest > 0) {
      this.told = true;
      this.tell(
        `socklab probe: ${sockets} sockets on the port, a reading costs ${(end.cpu - start.cpu).toFixed(1)} ms of CPU here: ` +
          `resting ${rest.toFixed(0)} ms after it (${PROBE_CPU_BUDGET * 100}% of a core), each stamped when taken`,
      );
    }
    return rest;
  }
}

/** The probe process's own CPU time so far, in ms. */
export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
