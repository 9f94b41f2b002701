import { emptyOutcomeCounts, OUTCOMES, type BlockingCall, type Outcome } from '@socklab/shared';
import type { ProbeSample, ServerResult, SwarmResult, TrialResult } from './types.js';

/**
 * The figures a report states and expectations check, computed once from a trial's results: the report's text,
 * its tables and its charts all read them from here, so a number cannot differ between them.
 */

/** One connection of a swarm on the trial's clock: when it started and ended (ms after the first swarm started). */
export interface ConnectionTimes {
  readonly swarm: string;
  readonly outcome: Outcome;
  readonly startMs: number;
  readonly endMs: number;
  readonly connectMs: number | null;
  readonly errno: string | null;
}

/** What a server's clients saw (the swarms aimed at it). */
export interface ClientMeasures {
  readonly swarms: readonly string[];
  readonly clients: number;
  readonly connections: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  /** When the first of these clients started (trial clock: a swarm with a delay starts later than the trial). */
  readonly startMs: number | null;
  /** From the first swarm's start until the last of these connections ended (trial clock). */
  readonly completionMs: number | null;
  /** Each connection (up to the swarms' detail limit), in start order, on the trial's clock. */
  readonly each: readonly ConnectionTimes[];
  readonly connectP50Ms: number | null;
  readonly connectP99Ms: number | null;
  /** The clients' own timeouts, as the plan set them (0: none). */
  readonly connectTimeoutMs: number | null;
  readonly readTimeoutMs: number | null;
  readonly expectGreeting: boolean;
  /** How much the swarms' own resident memory grew while they ran (summed), when they reported it. */
  readonly memoryGrowthBytes: number | null;
  /**
   * What the swarms' memory held per open connection, read where each held the most at once (above its memory at
   * rest, summed over swarms, over the connections they held then); null where none reported it.
   */
  readonly memoryPerHeldBytes: number | null;
  /** The connections the swarms held open at once, summed (each at its own most); null where none reported it. */
  readonly heldConnections: number | null;
}

/** The swarms' memory where each held the most connections at once, per connection held. */
function heldMemory(swarms: readonly SwarmResult[]): Pick<ClientMeasures, 'memoryPerHeldBytes' | 'heldConnections'> {
  const held = swarms.flatMap((w) => {
    const m = w.summary?.memory;
    return m?.heldBytes !== undefined && m.heldConnections ? [{ bytes: m.heldBytes - m.idleBytes, n: m.heldConnections }] : [];
  });
  const n = held.reduce((a, h) => a + h.n, 0);
  return n === 0 ? { memoryPerHeldBytes: null, heldConnections: null } : { memoryPerHeldBytes: held.reduce((a, h) => a + h.bytes, 0) / n, heldConnections: n };
}

/** Figures derived from a server's samples. */
export interface ServerMeasures {
  readonly name: string;
  readonly model: string;
  readonly userServer: boolean;
  readonly clients: ClientMeasures;
  readonly backlog: number | null;
  readonly acceptQueuePeak: number | null;
  readonly acceptQueueMax: number | null;
  /** When the accept queue was first seen non-empty (trial clock), if it was. */
  readonly acceptQueueFirstMs: number | null;
  readonly listenOverflows: number | null;
  readonly listenDrops: number | null;
  readonly synRetrans: number | null;
  readonly resets: number | null;
  readonly synRecvPeak: number | null;
  /** Connections established at once at most (the probe's count), and when it first saw that many (trial clock). */
  readonly establishedPeak: number | null;
  readonly establishedPeakMs: number | null;
  /** The model's own threads (or a program of one's own, whole) at rest and at the peak: what the course counts. */
  readonly threadsIdle: number | null;
  readonly threadsPeak: number | null;
  /**
   * The runtime's own threads beside the model's (V8, libuv): each sample's threads less the model's in that same
   * sample, at the median. Two peaks taken apart (the model's own peak is counted between samples) would differ by
   * less, even by none. null for a program of one's own, whose threads are all its own.
   */
  readonly runtimeThreads: number | null;
  /** What one of its own threads' stacks costs (the median mapping and its resident part), when measured. */
  readonly stack: { readonly threads: number; readonly mappedBytes: number; readonly residentBytes: number } | null;
  readonly rssIdleBytes: number | null;
  readonly rssPeakBytes: number | null;
  /**
   * The container's memory at most as the engine read it, about once a second (the kernel's share for its sockets
   * and threads included): a reading that comes before an OOM kill, never at its instant.
   */
  readonly containerMemoryPeakBytes: number | null;
  /** For a server that died: the engine's last reading of its container before, and how long before (ms). */
  readonly containerLastRead: { readonly bytes: number; readonly beforeDeathMs: number } | null;
  /** The machine's TCP buffer memory (sockstat's mem: every namespace, both ends) before the clients and at most. */
  readonly tcpMemoryRestBytes: number | null;
  readonly tcpMemoryPeakBytes: number | null;
  readonly memoryLimitBytes: number | null;
  readonly inServicePeak: number | null;
  readonly accepted: number | null;
  /** What the server itself saw of its connections (its own outcome counts), during the trial. */
  readonly handled: Readonly<Partial<Record<Outcome, number>>>;
  /** CPU in cores: before its clients started (at rest), and while they ran. */
  readonly cpuAtRestCores: number | null;
  readonly cpuServingCores: number | null;
  readonly cpuCoresPeak: number | null;
  /** Connections the client closed and the server had not (CLOSE_WAIT on the server side): the most, and at the end. */
  readonly closeWaitPeak: number | null;
  readonly closeWaitEnd: number | null;
  /**
   * Its receive queues while its clients ran, over the probe's readings that saw accepted connections: how many
   * readings, how many found bytes it had not read, and the most connections (with their bytes) holding some.
   * null when no such reading was taken (nothing accepted, or an older probe).
   */
  readonly unread: { readonly readings: number; readonly withUnread: number; readonly sockets: number; readonly bytes: number } | null;
  /** Threads the probe saw blocked in recv on an empty socket for a while (the most at once). */
  readonly stalledRecvPeak: number | null;
  /**
   * Where its own threads were while its clients ran, as the share of the probe's readings that found them
   * running or blocked in each call (0..1 each): a loop in `poll` is idle, one in `sleep` made a blocking call.
   */
  readonly ownWhere: Readonly<Partial<Record<BlockingCall | 'running', number>>>;
  /** How long after its clients were done the last reading of it came (the settle phase, when asked for). */
  readonly idleAtEndMs: number | null;
  /** The longest stretch while its clients ran in which its own metrics did not answer but the kernel's view did (ms). */
  readonly serverGapMs: number | null;
  readonly oomKilled: boolean;
  /** The most tasks (threads) the engine counted in its container: a third, coarser view of the thread peak. */
  readonly tasksPeak: number | null;
}

export interface TrialMeasures {
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly connections: number;
  readonly clients: number;
  /** From the first swarm's start until the last connection ended (trial clock). */
  readonly completionMs: number | null;
  readonly servers: readonly ServerMeasures[];
}

/** The median: the middle value, or the mean of the two middle ones; null for none. The one median of the reports. */
export function median(xs: readonly number[]): number | null {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return null;
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** When the ok clients were answered, in order, on the trial's clock. */
export function okEnds(c: Pick<ClientMeasures, 'each'>): number[] {
  return c.each.filter((x) => x.outcome === 'ok').map((x) => x.endMs).sort((a, b) => a - b);
}

/**
 * How far apart clients served one after another were answered: the median gap between consecutive answers, so
 * one client that came late (its SYN lost and sent again a second later) does not stretch the server's pace.
 */
export function medianGap(ends: readonly number[]): number | null {
  return median(ends.slice(1).map((e, i) => e - ends[i]!));
}

const max = (xs: readonly number[]): number | null => (xs.length === 0 ? null : Math.max(...xs));
const mean = (xs: readonly number[]): number | null => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

/** The receive queues of accepted connections between `from` and `to`, over the readings that saw some. */
function unreadOf(probe: readonly ProbeSample[], from: number, to: number): ServerMeasures['unread'] {
  const seen = probe.filter((p) => p.t >= from && p.t <= to && p.established > 0 && p.unreadSockets !== undefined);
  if (seen.length === 0) return null;
  const top = seen.reduce((a, p) => ((p.unreadSockets ?? 0) > (a.unreadSockets ?? 0) ? p : a));
  return { readings: seen.length, withUnread: seen.filter((p) => (p.unreadSockets ?? 0) > 0).length, sockets: top.unreadSockets ?? 0, bytes: top.unreadBytes ?? 0 };
}

/** Each connection of a swarm on the trial's clock (its own start moved to the trial's time zero). */
function connectionTimes(t: TrialResult, w: SwarmResult): ConnectionTimes[] {
  const s = w.summary;
  if (!s) return [];
  const offset = s.startedAtMs - t.swarmsStartedAt;
  return (s.connections ?? []).map((c) => ({
    swarm: w.name,
    outcome: c.outcome,
    startMs: offset + c.startMs,
    endMs: offset + c.startMs + c.totalMs,
    connectMs: c.connectMs ?? null,
    errno: c.errno ?? null,
  }));
}

function clientMeasures(t: TrialResult, swarms: readonly SwarmResult[]): ClientMeasures {
  const outcomes = emptyOutcomeCounts();
  let connections = 0;
  for (const w of swarms) {
    if (!w.summary) continue;
    for (const o of OUTCOMES) outcomes[o] += w.summary.outcomes[o];
    connections += w.summary.connectionsTotal;
  }
  const ends = swarms.flatMap((w) => (w.summary ? [w.summary.startedAtMs - t.swarmsStartedAt + w.summary.durationMs] : []));
  const starts = swarms.flatMap((w) => (w.summary ? [w.summary.startedAtMs - t.swarmsStartedAt] : []));
  const connect = swarms.length === 1 ? swarms[0]?.summary?.latencyMs.connect : undefined;
  const plans = t.swarms.length > 0 ? swarms.map((w) => w.name) : [];
  return {
    swarms: plans,
    clients: swarms.reduce((a, w) => a + w.clients, 0),
    connections,
    outcomes,
    startMs: starts.length === 0 ? null : Math.min(...starts),
    completionMs: max(ends),
    each: swarms.flatMap((w) => connectionTimes(t, w)).sort((a, b) => a.startMs - b.startMs),
    connectP50Ms: connect && connect.count > 0 ? connect.p50 : null,
    connectP99Ms: connect && connect.count > 0 ? connect.p99 : null,
    ...timeoutsOf(swarms),
    memoryGrowthBytes: swarms.some((w) => w.summary?.memory) ? swarms.reduce((a, w) => a + (w.summary?.memory ? w.summary.memory.peakBytes - w.summary.memory.idleBytes : 0), 0) : null,
    ...heldMemory(swarms),
  };
}

/** The clients' timeouts, from their flags as the plan set them (the swarm's defaults when a flag is absent). */
function timeoutsOf(swarms: readonly SwarmResult[]): Pick<ClientMeasures, 'connectTimeoutMs' | 'readTimeoutMs' | 'expectGreeting'> {
  const w = swarms[0];
  if (!w) return { connectTimeoutMs: null, readTimeoutMs: null, expectGreeting: false };
  return { connectTimeoutMs: w.connectTimeoutMs, readTimeoutMs: w.readTimeoutMs, expectGreeting: w.expectGreeting };
}

const delta = (s: ServerResult, key: string): number | null => {
  const first = s.probe[0]?.counters[key];
  const last = s.probe[s.probe.length - 1]?.counters[key];
  return first === undefined || last === undefined ? null : last - first;
};

/** CPU in cores from the server's own CPU-seconds counter between readings (100 ms apart), or the engine's stats. */
function cpuSeries(s: ServerResult): Array<{ t: number; cores: number }> {
  if (s.samples.length > 1) {
    return s.samples.slice(1).flatMap((x, i) => {
      const prev = s.samples[i]!;
      const dt = (x.t - prev.t) / 1000;
      return dt > 0 ? [{ t: x.t, cores: Math.max(0, (x.cpuSeconds - prev.cpuSeconds) / dt) }] : [];
    });
  }
  return s.stats.map((x) => ({ t: x.t, cores: x.cpuCores }));
}

/** The share of the probe's readings, while the clients ran, that found its own threads in each place. */
function ownWhere(s: ServerResult, from: number, to: number): Partial<Record<BlockingCall | 'running', number>> {
  const readings = s.probe.filter((p) => p.t > from && p.t <= to && p.ownCalls !== null);
  const out: Partial<Record<BlockingCall | 'running', number>> = {};
  for (const p of readings) {
    const total = Object.values(p.ownCalls ?? {}).reduce((a, b) => a + (b ?? 0), 0);
    if (total === 0) continue;
    for (const [k, v] of Object.entries(p.ownCalls ?? {}) as Array<[BlockingCall | 'running', number]>) out[k] = (out[k] ?? 0) + v / total / readings.length;
  }
  return out;
}

/** The container's memory at most as the engine read it; for a server that died, its last reading before. */
function containerPeak(s: ServerResult): Pick<ServerMeasures, 'containerMemoryPeakBytes' | 'containerLastRead'> {
  const last = s.stats[s.stats.length - 1];
  return {
    containerMemoryPeakBytes: max(s.stats.map((x) => x.memoryBytes)),
    containerLastRead: last && s.died?.at !== undefined ? { bytes: last.memoryBytes, beforeDeathMs: Math.max(0, s.died.at - last.t) } : null,
  };
}

/**
 * Mean CPU in cores over a window: the server's own CPU-seconds counter between the readings that bracket it
 * (exact however few readings came in meanwhile: a busy server may not answer its metrics), or the engine's stats.
 */
function cpuBetween(s: ServerResult, from: number, to: number, bracket: 'around' | 'inside' = 'around'): number | null {
  const inside = s.samples.filter((x) => x.t >= from && x.t <= to);
  const before = [...s.samples].reverse().find((x) => x.t <= from) ?? inside[0];
  const after = bracket === 'inside' ? inside[inside.length - 1] : (s.samples.find((x) => x.t >= to) ?? inside[inside.length - 1]);
  if (before && after && after.t - before.t >= 100) return Math.max(0, (after.cpuSeconds - before.cpuSeconds) / ((after.t - before.t) / 1000));
  return mean(s.stats.filter((x) => x.t >= from && x.t <= to).map((x) => x.cpuCores));
}

/**
 * The longest stretch, while its clients ran, in which the server's own metrics did not answer although the
 * sampler kept reading the kernel's view (so it was the server that did not answer, not the sampler that was gone).
 */
function longestGap(server: readonly number[], probe: readonly number[], from: number, to: number): number | null {
  if (to <= from) return null;
  const edges = [from, ...server.filter((x) => x > from && x < to), to];
  let longest = 0;
  edges.slice(1).forEach((x, i) => {
    const start = edges[i] ?? x;
    if (probe.filter((p) => p > start && p < x).length >= 2) longest = Math.max(longest, x - start);
  });
  return longest;
}

/** The most connections the probe saw established at once, and when it first saw them. */
function establishedPeak(s: ServerResult, t0: number): Pick<ServerMeasures, 'establishedPeak' | 'establishedPeakMs'> {
  const peak = max(s.probe.map((p) => p.established));
  const at = peak === null ? undefined : s.probe.find((p) => p.established === peak);
  return { establishedPeak: peak, establishedPeakMs: at ? at.t - t0 : null };
}

function serverMeasures(t: TrialResult, s: ServerResult): ServerMeasures {
  const t0 = t.swarmsStartedAt;
  const clients = clientMeasures(t, t.swarms.filter((w) => w.target === s.name));
  const idle = s.samples[0];
  const last = s.samples[s.samples.length - 1];
  // A socklab model counts its own threads (named sl-*); a server of one's own is seen whole by the probe.
  const seenByProbe = s.probe.map((p) => p.ownThreads).filter((x): x is number => x !== null);
  const modelThreads = s.userServer ? seenByProbe : s.samples.map((x) => x.modelThreads);
  // A server of one's own has no metrics of its own: its resident memory is the probe's reading of its processes.
  const rss = s.userServer ? s.probe.flatMap((p) => (p.rssBytes === null ? [] : [p.rssBytes])) : s.samples.map((x) => x.rssBytes);
  const cpu = cpuSeries(s);
  const end = t0 + (clients.completionMs ?? t.durationMs);
  // Its own clients' start (a scenario may set one server's clients off later than another's).
  const own = t0 + (clients.startMs ?? 0);
  const backlog = s.env.BACKLOG === undefined ? 511 : Number(s.env.BACKLOG);
  const firstQueued = s.probe.find((p) => p.t >= t0 && p.acceptQueue > 0);
  const stacks = s.probe.map((p) => p.stack).filter((x): x is NonNullable<typeof x> => x !== null);
  return {
    name: s.name,
    model: s.model,
    userServer: s.userServer,
    clients,
    backlog: Number.isFinite(backlog) ? backlog : null,
    acceptQueuePeak: max(s.probe.map((p) => p.acceptQueue)),
    acceptQueueMax: s.probe.find((p) => p.acceptQueueMax !== null)?.acceptQueueMax ?? null,
    acceptQueueFirstMs: firstQueued ? firstQueued.t - t0 : null,
    listenOverflows: delta(s, 'TcpExt ListenOverflows'),
    listenDrops: delta(s, 'TcpExt ListenDrops'),
    synRetrans: delta(s, 'TcpExt TCPSynRetrans'),
    resets: delta(s, 'Tcp OutRsts'),
    synRecvPeak: max(s.probe.map((p) => p.synRecv)),
    ...establishedPeak(s, t0),
    threadsIdle: modelThreads[0] ?? null,
    // The server keeps its own peak (sampled every 200 ms in it, read at each scrape) and the probe sees the
    // program whole: when a thread explosion kills the server, one may have seen what the other missed.
    threadsPeak: max([...modelThreads, ...s.samples.map((x) => x.modelThreadsPeak)]),
    // Every thread, the runtime's too: the server's count, the probe's and the engine's tasks.
    runtimeThreads: s.userServer ? null : median(s.samples.map((x) => Math.max(0, x.threads - x.modelThreads))),
    stack: [...stacks].sort((a, b) => b.threads - a.threads)[0] ?? null,
    rssIdleBytes: rss[0] ?? null,
    rssPeakBytes: max(rss),
    ...containerPeak(s),
    ...tcpMemory(s, t0),
    memoryLimitBytes: s.died?.memoryLimitBytes ?? s.memoryLimitBytes,
    // Its own peak gauge: exact even when its metrics could not be read while it was busiest.
    inServicePeak: max(s.samples.flatMap((x) => [x.inService, x.inServicePeak])),
    accepted: s.samples.length === 0 ? null : (last?.accepted ?? 0) - (idle?.accepted ?? 0),
    handled: handledDuring(s),
    // At rest: between readings both taken before the clients (a loop busy from the start answers its next one
    // only when it is free, and that reading would carry its work into the rest).
    cpuAtRestCores: cpuBetween(s, -Infinity, own, 'inside'),
    cpuServingCores: cpuBetween(s, own, end),
    cpuCoresPeak: max(cpu.map((c) => c.cores)),
    closeWaitPeak: max(s.probe.map((p) => p.closeWait)),
    closeWaitEnd: s.probe[s.probe.length - 1]?.closeWait ?? null,
    unread: unreadOf(s.probe, own, end),
    stalledRecvPeak: max(s.probe.map((p) => p.stalledRecv)),
    ownWhere: ownWhere(s, t0, end),
    idleAtEndMs: s.probe.length === 0 ? null : Math.max(0, (s.probe[s.probe.length - 1]?.t ?? end) - end),
    serverGapMs: s.userServer || s.died ? null : longestGap(s.samples.map((x) => x.t), s.probe.map((p) => p.t), t0, end),
    oomKilled: s.died?.oomKilled ?? false,
    tasksPeak: max(s.stats.map((x) => x.pids).filter((x) => x > 0)),
  };
}

/** The machine's TCP buffer memory at the last reading before the clients started, and the most after. */
function tcpMemory(s: ServerResult, t0: number): Pick<ServerMeasures, 'tcpMemoryRestBytes' | 'tcpMemoryPeakBytes'> {
  const read = s.probe.flatMap((p) => (p.tcpMemoryBytes === null || p.tcpMemoryBytes === undefined ? [] : [{ t: p.t, bytes: p.tcpMemoryBytes }]));
  const before = read.filter((r) => r.t < t0);
  return { tcpMemoryRestBytes: (before[before.length - 1] ?? read[0])?.bytes ?? null, tcpMemoryPeakBytes: max(read.map((r) => r.bytes)) };
}

/** The server's own outcome counts over the trial (last reading minus the one at rest). */
function handledDuring(s: ServerResult): Partial<Record<Outcome, number>> {
  const first = s.samples[0]?.handled ?? {};
  const last = s.samples[s.samples.length - 1]?.handled ?? {};
  const out: Partial<Record<Outcome, number>> = {};
  for (const o of OUTCOMES) {
    const n = (last[o] ?? 0) - (first[o] ?? 0);
    if (n > 0) out[o] = n;
  }
  return out;
}

export function trialMeasures(t: TrialResult): TrialMeasures {
  const all = clientMeasures(t, t.swarms);
  return {
    outcomes: all.outcomes,
    connections: all.connections,
    clients: all.clients,
    completionMs: all.completionMs,
    servers: t.servers.map((s) => serverMeasures(t, s)),
  };
}
