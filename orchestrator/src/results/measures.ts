import { emptyOutcomeCounts, OUTCOMES, type Outcome } from '@socklab/shared';
import type { ServerResult, TrialResult } from './types.js';

/** Figures derived from a server's samples: what the report states and expectations check. */
export interface ServerMeasures {
  readonly name: string;
  readonly model: string;
  readonly backlog: number | null;
  readonly acceptQueuePeak: number | null;
  readonly acceptQueueMax: number | null;
  readonly listenOverflows: number | null;
  readonly listenDrops: number | null;
  readonly synRetrans: number | null;
  readonly resets: number | null;
  readonly synRecvPeak: number | null;
  readonly threadsIdle: number | null;
  readonly threadsPeak: number | null;
  readonly rssIdleBytes: number | null;
  readonly rssPeakBytes: number | null;
  readonly inServicePeak: number | null;
  readonly accepted: number | null;
  /** Mean CPU while the swarm ran, in cores (container stats). */
  readonly cpuCoresMean: number | null;
  readonly cpuCoresPeak: number | null;
  /** Connections the client closed and the server never did (CLOSE_WAIT on the server side). */
  readonly closeWaitPeak: number | null;
  /** The kernel killed it for running out of memory during the trial. */
  readonly oomKilled: boolean;
  /** The most tasks (threads) the engine counted in its container: a third, coarser view of the thread peak. */
  readonly tasksPeak: number | null;
}

export interface TrialMeasures {
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly connections: number;
  readonly clients: number;
  /** From the swarms' start until the last connection ended (the longest swarm). */
  readonly completionMs: number | null;
  readonly servers: readonly ServerMeasures[];
}

const max = (xs: number[]): number | null => (xs.length === 0 ? null : Math.max(...xs));
const delta = (s: ServerResult, key: string): number | null => {
  const first = s.probe[0]?.counters[key];
  const last = s.probe[s.probe.length - 1]?.counters[key];
  return first === undefined || last === undefined ? null : last - first;
};

export function serverMeasures(s: ServerResult): ServerMeasures {
  const idle = s.samples[0];
  // A server of one's own has no metrics of its own: its threads come from the probe, its memory from the engine.
  const probeThreads = s.probe.map((p) => p.threads).filter((x): x is number => x !== null);
  const stat = s.stats.map((x) => x.memoryBytes);
  const cpu = s.stats.map((x) => x.cpuCores).filter((x) => x > 0);
  const backlog = s.env.BACKLOG === undefined ? 511 : Number(s.env.BACKLOG);
  return {
    name: s.name,
    model: s.model,
    backlog: Number.isFinite(backlog) ? backlog : null,
    acceptQueuePeak: max(s.probe.map((p) => p.acceptQueue)),
    acceptQueueMax: s.probe.find((p) => p.acceptQueueMax !== null)?.acceptQueueMax ?? null,
    listenOverflows: delta(s, 'TcpExt ListenOverflows'),
    listenDrops: delta(s, 'TcpExt ListenDrops'),
    synRetrans: delta(s, 'TcpExt TCPSynRetrans'),
    resets: delta(s, 'Tcp OutRsts'),
    synRecvPeak: max(s.probe.map((p) => p.synRecv)),
    threadsIdle: idle?.threads ?? probeThreads[0] ?? null,
    // The server's own count and the probe's view are sampled apart: when a thread explosion kills the server,
    // one may have seen what the other missed.
    threadsPeak: max([...s.samples.map((x) => x.threads), ...probeThreads]),
    rssIdleBytes: idle?.rssBytes ?? stat[0] ?? null,
    rssPeakBytes: max(s.samples.map((x) => x.rssBytes)) ?? max(stat),
    closeWaitPeak: max(s.probe.map((p) => p.closeWait)),
    inServicePeak: max(s.samples.map((x) => x.inService)),
    accepted: s.samples.length === 0 ? null : (s.samples[s.samples.length - 1]?.accepted ?? 0) - (idle?.accepted ?? 0),
    cpuCoresMean: cpu.length === 0 ? null : cpu.reduce((a, b) => a + b, 0) / cpu.length,
    cpuCoresPeak: max(cpu),
    oomKilled: s.died?.oomKilled ?? false,
    tasksPeak: max(s.stats.map((x) => x.pids).filter((x) => x > 0)),
  };
}

export function trialMeasures(t: TrialResult): TrialMeasures {
  const outcomes = emptyOutcomeCounts();
  let connections = 0;
  for (const w of t.swarms) {
    if (!w.summary) continue;
    for (const o of OUTCOMES) outcomes[o] += w.summary.outcomes[o];
    connections += w.summary.connectionsTotal;
  }
  const durations = t.swarms.flatMap((w) => (w.summary ? [w.summary.durationMs] : []));
  return {
    outcomes,
    connections,
    clients: t.swarms.reduce((a, w) => a + w.clients, 0),
    completionMs: max(durations),
    servers: t.servers.map(serverMeasures),
  };
}
