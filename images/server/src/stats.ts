import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * The default metrics a run's sampler reads beside the socklab families. prom-client reads the process's CPU when
 * its user-seconds metric is collected, and sets the total then: that one is asked for first.
 */
const OWN_PROCESS = new Set(['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes']);
import { formatWork, LATENCY_BUCKETS, SERVER_METRICS, type ServerConfig } from '@socklab/shared';
import { registerMetrics, labelNode } from '@socklab/shared/prom';
import { readSnapshot, SLOTS, type CounterSnapshot } from './counters.js';
import { childPids, modelThreadsOf, readProcStatus, readSomaxconn } from './proc.js';

/** What a running model exposes to metrics. */
export interface StatsSource {
  /** The counter block's slots, read now. */
  counters(): ArrayLike<number>;
  /** Backlog the kernel applies to the listener, when the model can read it (TCP_INFO); else min(backlog, somaxconn). */
  effectiveBacklog?(): number;
  /** Count child processes (prefork) as part of the server. */
  readonly childProcesses?: boolean;
}

/**
 * The server's Prometheus registry. Everything is read at scrape time from the counter block (kept by C
 * threads, prefork children or the event loop) and from /proc, so scraping never waits on a model.
 */
export class ServerStats {
  readonly registry = new Registry();
  private readonly m;
  private readonly labels: { model: string };
  private threadsPeak = 0;
  private modelThreadsPeak = 0;

  constructor(
    readonly config: ServerConfig,
    private readonly source: StatsSource,
  ) {
    this.labels = { model: config.model };
    const { requestDuration, ...rest } = SERVER_METRICS;
    this.m = registerMetrics(rest, this.registry);
    this.registry.registerMetric(new SnapshotHistogram(requestDuration.name, requestDuration.help, this.labels, () => this.last) as never);
    collectDefaultMetrics({ register: this.registry });
    labelNode(this.registry);
    this.m.info.set({ model: config.model, work: formatWork(config.work), protocol: config.protocol }, 1);
    this.m.backlogRequested.set(this.labels, config.backlog);
  }

  private last: CounterSnapshot = readSnapshot(new Float64Array(SLOTS));

  private update(): void {
    const s = (this.last = readSnapshot(this.source.counters()));
    const l = this.labels;
    this.m.connectionsAccepted.reset();
    this.m.connectionsAccepted.inc(l, s.accepted);
    this.m.connectionsActive.set(l, s.active);
    this.m.connectionsHandled.reset();
    for (const [outcome, n] of Object.entries(s.handled)) this.m.connectionsHandled.inc({ ...l, outcome }, n);
    this.m.inService.set(l, s.inService);
    this.m.inServicePeak.set(l, s.peak);
    this.m.backlogEffective.set(l, this.source.effectiveBacklog?.() ?? Math.min(this.config.backlog, readSomaxconn()));
    this.sampleProcess();
  }

  /** Child processes that are not the server's (the observer, when it runs inside the server's container). */
  readonly ignored = new Set<number>();

  /** Threads, processes and memory of the server (children included for prefork), from /proc. */
  private sampleProcess(): void {
    const l = this.labels;
    const pids = [process.pid, ...(this.source.childProcesses ? childPids().filter((p) => !this.ignored.has(p)) : [])];
    let threads = 0;
    let modelThreads = 0;
    let rss = 0;
    let rssPeak = 0;
    let alive = 0;
    for (const pid of pids) {
      const st = readProcStatus(pid);
      if (!st) continue;
      alive += 1;
      threads += st.threads;
      modelThreads += modelThreadsOf(pid);
      rss += st.rssBytes;
      rssPeak += st.rssPeakBytes;
    }
    this.threadsPeak = Math.max(this.threadsPeak, threads);
    this.m.threads.set(l, threads);
    this.m.threadsPeak.set(l, this.threadsPeak);
    this.modelThreadsPeak = Math.max(this.modelThreadsPeak, modelThreads);
    this.m.modelThreads.set(l, modelThreads);
    this.m.modelThreadsPeak.set(l, this.modelThreadsPeak);
    this.m.rss.set(l, rss);
    this.m.rssPeak.set(l, rssPeak);
    this.m.processes.set(l, this.source.childProcesses ? Math.max(alive - 1, 0) : 1);
  }

  async metrics(): Promise<string> {
    this.update();
    return this.registry.metrics();
  }

  /** The server's own families and the process's CPU and memory (SERVER_SAMPLE_PATH): what a run samples. */
  async own(): Promise<string> {
    this.update();
    // Every family is registered in the constructor: the names are read once.
    this.ownNames ??= this.registry.getMetricsAsArray().map((m) => m.name).filter((n) => n.startsWith('socklab_') || OWN_PROCESS.has(n));
    return (await Promise.all(this.ownNames.map((n) => this.registry.getSingleMetricAsString(n)))).join('\n') + '\n';
  }

  private ownNames: string[] | undefined;

  /** Sample threads between scrapes too, so a short-lived peak is not missed. */
  startSampling(intervalMs = 200): NodeJS.Timeout {
    const t = setInterval(() => this.sampleProcess(), intervalMs);
    t.unref();
    return t;
  }
}

/** A histogram whose buckets come from the counter block (prom-client's Histogram cannot be set). */
class SnapshotHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly labels: Record<string, string>,
    private readonly read: () => CounterSnapshot,
  ) {}

  get(): { name: string; help: string; type: string; aggregator: string; values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> } {
    const s = this.read();
    const values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }> = [];
    let cumulative = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i] ?? 0;
      values.push({ labels: { ...this.labels, le }, value: cumulative, metricName: `${this.name}_bucket` });
    });
    cumulative += s.buckets[LATENCY_BUCKETS.length] ?? 0;
    values.push({ labels: { ...this.labels, le: '+Inf' }, value: cumulative, metricName: `${this.name}_bucket` });
    values.push({ labels: this.labels, value: s.durationSumSeconds, metricName: `${this.name}_sum` });
    values.push({ labels: this.labels, value: s.durationCount, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {}
}
