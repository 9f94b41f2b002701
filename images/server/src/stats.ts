import { collectDefaultMetrics, Registry } from 'prom-client';
import { formatWork, registerMetrics, SERVER_METRICS, type Outcome, type ServerConfig } from '@socklab/shared';
import { childPids, readProcStatus, readSomaxconn } from './proc.js';

/**
 * What every model reports. Event-driven models call the methods as things happen; native models keep
 * atomic counters in C threads and `sync` them in at scrape time.
 */
export class ServerStats {
  readonly registry = new Registry();
  private readonly m = registerMetrics(SERVER_METRICS, this.registry);
  private readonly labels: { model: string };
  private inService = 0;
  private peak = 0;
  private threadsPeak = 0;
  /** Extra processes whose threads and memory count as the server's (prefork's children). */
  childProcesses = false;
  /** Called before every scrape, so natively kept counters are current. */
  beforeScrape: () => void = () => {};

  constructor(readonly config: ServerConfig) {
    this.labels = { model: config.model };
    collectDefaultMetrics({ register: this.registry });
    this.m.info.set({ model: config.model, work: formatWork(config.work), protocol: config.protocol }, 1);
    this.m.backlogRequested.set(this.labels, config.backlog);
    this.m.backlogEffective.set(this.labels, Math.min(config.backlog, readSomaxconn()));
    this.m.inService.set(this.labels, 0);
    this.m.inServicePeak.set(this.labels, 0);
    this.m.connectionsActive.set(this.labels, 0);
    this.m.connectionsAccepted.inc(this.labels, 0);
    this.m.processes.set(this.labels, 1);
  }

  accepted(n = 1): void {
    this.m.connectionsAccepted.inc(this.labels, n);
    this.m.connectionsActive.inc(this.labels, n);
  }

  begin(): void {
    this.inService += 1;
    this.m.inService.set(this.labels, this.inService);
    if (this.inService > this.peak) {
      this.peak = this.inService;
      this.m.inServicePeak.set(this.labels, this.peak);
    }
  }

  end(): void {
    this.inService -= 1;
    this.m.inService.set(this.labels, this.inService);
  }

  /** A connection is over; `seconds` is accept-to-response for served ones. */
  closed(outcome: Outcome, seconds?: number): void {
    this.m.connectionsActive.dec(this.labels);
    this.m.connectionsHandled.inc({ ...this.labels, outcome });
    if (seconds !== undefined) this.m.requestDuration.observe(this.labels, seconds);
  }

  /** Absolute values from native counters (set, not incremented). */
  setNative(v: { accepted: number; active: number; inService: number; peak: number; handled: Record<Outcome, number> }): void {
    this.m.connectionsAccepted.reset();
    this.m.connectionsAccepted.inc(this.labels, v.accepted);
    this.m.connectionsActive.set(this.labels, v.active);
    this.m.inService.set(this.labels, v.inService);
    this.m.inServicePeak.set(this.labels, v.peak);
    this.m.connectionsHandled.reset();
    for (const [outcome, n] of Object.entries(v.handled)) if (n > 0) this.m.connectionsHandled.inc({ ...this.labels, outcome }, n);
  }

  observeDuration(seconds: number): void {
    this.m.requestDuration.observe(this.labels, seconds);
  }

  /** Threads, processes and RSS of the server, read from /proc at scrape time. */
  private sampleProcess(): void {
    const pids = [process.pid, ...(this.childProcesses ? childPids() : [])];
    let threads = 0;
    let rss = 0;
    let alive = 0;
    for (const pid of pids) {
      const s = readProcStatus(pid);
      if (!s) continue;
      alive += 1;
      threads += s.threads;
      rss += s.rssBytes;
    }
    this.threadsPeak = Math.max(this.threadsPeak, threads);
    this.m.threads.set(this.labels, threads);
    this.m.threadsPeak.set(this.labels, this.threadsPeak);
    this.m.rss.set(this.labels, rss);
    this.m.processes.set(this.labels, this.childProcesses ? Math.max(alive - 1, 0) : 1);
  }

  async metrics(): Promise<string> {
    this.beforeScrape();
    this.sampleProcess();
    return this.registry.metrics();
  }
}
