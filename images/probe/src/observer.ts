import { collectDefaultMetrics, Registry } from 'prom-client';
import { KERNEL_COUNTERS, PROBE_METRICS, PROBE_TCP_STATES, type ProbeTcpState } from '@socklab/shared';
import { registerMetrics, labelNode } from '@socklab/shared/prom';
import type { ProbeState } from '@socklab/shared/results';
import { pageBytes, readKernelCounters, readSocketTable, readSockstat, readSysctls, TABLES, type Sysctls, type Table } from './procnet.js';
import { readAcceptQueueMax } from './ss.js';
import { CensusHelper, type Census } from './census.js';
import { rxQueues, ThreadReader } from './threads.js';
import { ownCpuMs, ReadingBudget } from './budget.js';

/** The probe's reading of its namespace, served as JSON at /state: the shape every consumer decodes. */
export type KernelState = ProbeState;

/** Reads the kernel's view of one port every `refreshMs` and mirrors it into Prometheus metrics. */
export class Observer {
  readonly registry = new Registry();
  readonly m = registerMetrics(PROBE_METRICS, this.registry);
  private last: Record<string, number> = {};
  private timer: NodeJS.Timeout | undefined;
  /** The listener's limit changes only when it is re-created: ask ss (a process spawn) at most every 5 s. */
  private max: { value: number | null; at: number; listening: boolean } = { value: null, at: -Infinity, listening: false };
  /**
   * Reading a socket table makes the kernel walk every socket of the host (all namespaces): tens of ms at C10K.
   * So each refresh reads only the table(s) that held the port's sockets (tcp6 alone for a dual-stack
   * listener), and both every 10 s or when the listener appears or goes.
   */
  private tables: { which: readonly Table[]; at: number; listening: boolean } = { which: TABLES, at: -Infinity, listening: false };
  state: KernelState | undefined;
  /** The kernel's page size (sockstat counts TCP buffer memory in pages), read once. */
  private pageSize: number | undefined;
  /** The refresh under way, which a reader asking for a fresh state shares rather than starting another. */
  private pending: Promise<KernelState> | undefined;

  /** Census over netlink when the helper is there; /proc/net/tcp* text (and ss for the limit) otherwise. */
  private readonly census: CensusHelper | undefined;

  /** Where each thread of the server's processes is blocked (the probe shares its PID namespace). */
  private readonly threadReader: ThreadReader;

  /** At 100,000 sockets a reading costs tens of ms of CPU: readings are held to 5% of a core from 10,000 on. */
  private readonly budget = new ReadingBudget(() => ownCpuMs() + (this.census?.cpuMs ?? 0));

  constructor(
    readonly port: number,
    readonly refreshMs: number,
    stallMs = 2000,
    exclude: 'own-cgroup' | 'own-process' = 'own-cgroup',
  ) {
    // The probe's own process metrics (resident memory, CPU): the soak checks the probes stay flat too.
    collectDefaultMetrics({ register: this.registry });
    labelNode(this.registry);
    this.threadReader = new ThreadReader(stallMs, undefined, undefined, exclude);
    if (CensusHelper.available()) this.census = new CensusHelper(port);
  }

  private async fromProc(): Promise<Census> {
    const full = performance.now() - this.tables.at > 10_000;
    const table = await readSocketTable(this.port, full ? TABLES : this.tables.which);
    const listening = table.acceptQueue !== null;
    if (full || listening !== this.tables.listening) {
      this.tables = { which: table.holding.length > 0 ? table.holding : TABLES, at: full ? performance.now() : -Infinity, listening };
    }
    if (listening !== this.max.listening || performance.now() - this.max.at > 5000) {
      this.max = { value: listening ? await readAcceptQueueMax(this.port) : null, at: performance.now(), listening };
    }
    return { listening, acceptQueue: table.acceptQueue ?? 0, acceptQueueMax: this.max.value, states: table.states, unread: table.unread, cpuUs: null };
  }

  /** A reading taken now (or the one being taken), for a reader who needs to know when it was true. */
  fresh(): Promise<KernelState> {
    // Within the budget's rest the last reading stands: it carries the time it was taken, so nothing is misdated.
    if (!this.pending && this.state && this.budget.resting()) return Promise.resolve(this.state);
    this.pending ??= this.refresh().finally(() => (this.pending = undefined));
    return this.pending;
  }

  async refresh(): Promise<KernelState> {
    const t0 = performance.now();
    const spending = this.budget.begin();
    // The time of the reading: when the kernel was asked, not when the answer was put together.
    const readAt = new Date().toISOString();
    this.pageSize ??= await pageBytes();
    const [fromDiag, kernel, sysctls, threads, sockstat] = await Promise.all([
      this.census?.take() ?? null,
      readKernelCounters(),
      readSysctls(),
      this.threadReader.read((inodes) => rxQueues(inodes)),
      readSockstat(this.pageSize),
    ]);
    const census = fromDiag ?? (await this.fromProc());
    const max = census.acceptQueueMax;
    const table = { acceptQueue: census.listening ? census.acceptQueue : null, states: census.states };
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
    // Threads summed by process name (prefork's children share theirs): bounded label values.
    this.m.threads.reset();
    this.m.threadsBlocked.reset();
    this.m.threadsStalledRecv.reset();
    for (const p of threads) {
      for (const [owner, states] of Object.entries(p.byOwnerState)) {
        if (p.byOwner[owner as keyof typeof p.byOwner] === 0) continue;
        for (const [state, n] of Object.entries(states)) this.m.threads.inc({ process: p.comm, state, owner }, n);
        for (const [call, n] of Object.entries(p.byOwnerCall[owner as keyof typeof p.byOwnerCall])) this.m.threadsBlocked.inc({ process: p.comm, call, owner }, n);
      }
      this.m.threadsStalledRecv.inc({ process: p.comm }, p.stalledRecv);
    }
    this.m.sysctl.reset();
    this.m.sysctl.set(sysctls, 1);
    this.m.scrapeDuration.set((performance.now() - t0) / 1000);
    this.budget.spent(spending, Object.values(table.states).reduce((a, b) => a + b, 0));
    this.state = {
      port: this.port,
      listening: table.acceptQueue !== null,
      acceptQueue: table.acceptQueue ?? 0,
      acceptQueueMax: max,
      connections: table.states,
      counters: kernel.counters,
      currEstab: kernel.currEstab,
      sysctls,
      updatedAt: readAt,
      refreshMs: this.refreshMs,
      source: fromDiag ? 'sock_diag' : 'proc',
      unread: census.unread,
      sockstat,
      threads,
    };
    return this.state;
  }

  /** Refresh now, then every refreshMs (a slow read delays the next one instead of piling up). */
  async start(): Promise<void> {
    await this.refresh();
    const loop = (): void => {
      this.timer = setTimeout(() => {
        this.fresh().then(loop, (err: Error) => {
          console.error(`socklab probe: refresh failed: ${err.message}`);
          loop();
        });
      }, this.refreshMs);
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.census?.stop();
  }
}
