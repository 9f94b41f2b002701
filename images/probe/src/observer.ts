import { Registry } from 'prom-client';
import { KERNEL_COUNTERS, PROBE_METRICS, PROBE_TCP_STATES, registerMetrics, type ProbeTcpState } from '@socklab/shared';
import { readKernelCounters, readSocketTable, readSysctls, type Sysctls } from './procnet.js';
import { readAcceptQueueMax } from './ss.js';

/** The probe's reading of its namespace, also served as JSON at /state. */
export interface KernelState {
  readonly port: number;
  readonly listening: boolean;
  readonly acceptQueue: number;
  readonly acceptQueueMax: number | null;
  readonly connections: Record<ProbeTcpState, number>;
  readonly counters: Record<string, number>;
  readonly currEstab: number;
  readonly sysctls: Sysctls;
  readonly updatedAt: string;
  readonly refreshMs: number;
}

/** Reads the kernel's view of one port every `refreshMs` and mirrors it into Prometheus metrics. */
export class Observer {
  readonly registry = new Registry();
  readonly m = registerMetrics(PROBE_METRICS, this.registry);
  private last: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  state: KernelState | undefined;

  constructor(
    readonly port: number,
    readonly refreshMs: number,
  ) {}

  async refresh(): Promise<KernelState> {
    const t0 = performance.now();
    const [table, kernel, max, sysctls] = await Promise.all([
      readSocketTable(this.port),
      readKernelCounters(),
      readAcceptQueueMax(this.port),
      readSysctls(),
    ]);
    const port = String(this.port);
    this.m.acceptQueue.set({ port }, table.acceptQueue ?? 0);
    if (max !== null) this.m.acceptQueueMax.set({ port }, max);
    for (const s of PROBE_TCP_STATES) this.m.tcpConnections.set({ port, state: s }, table.states[s]);
    for (const [group, field] of KERNEL_COUNTERS) {
      // Counters carry the kernel's absolute value: increment by what changed since the last read.
      const key = `${group} ${field}`;
      const now = kernel.counters[key] ?? 0;
      const delta = now - (this.last[key] ?? 0);
      if (delta > 0) this.m.kernelCounter.inc({ group, field }, delta);
      else this.m.kernelCounter.inc({ group, field }, 0);
      this.last[key] = now;
    }
    this.m.currEstab.set(kernel.currEstab);
    this.m.sysctl.reset();
    this.m.sysctl.set(sysctls, 1);
    this.m.scrapeDuration.set((performance.now() - t0) / 1000);
    this.state = {
      port: this.port,
      listening: table.acceptQueue !== null,
      acceptQueue: table.acceptQueue ?? 0,
      acceptQueueMax: max,
      connections: table.states,
      counters: kernel.counters,
      currEstab: kernel.currEstab,
      sysctls,
      updatedAt: new Date().toISOString(),
      refreshMs: this.refreshMs,
    };
    return this.state;
  }

  /** Refresh now, then every refreshMs (a slow read delays the next one instead of piling up). */
  async start(): Promise<void> {
    await this.refresh();
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.refresh().then(loop, (err: Error) => {
          console.error(`socklab probe: refresh failed: ${err.message}`);
          loop();
        });
      }, this.refreshMs);
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
