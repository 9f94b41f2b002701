import type { Outcome } from '@socklab/shared';
import { medianGap, okEnds, type ServerMeasures } from '../results/measures.js';
import type { TrialResult } from '../results/types.js';
import { workOf, type TrialFacts, type Work } from './facts.js';

/**
 * The answer to a scenario's question, as data: what the first paragraph of its report says, yes or no where the
 * question asks that, with the two or three measured numbers that decide it. Which answer depends on the kind of
 * question the scenario asks (`asks`); the numbers come from the same measures as the tables.
 */
export type Answer =
  | {
      readonly kind: 'outcomes';
      readonly ok: number;
      readonly connections: number;
      readonly others: ReadonlyArray<readonly [Outcome, number]>;
      readonly completionMs: number | null;
      /** Servers that died during the trial: what the answer says first, since it decides every outcome after it. */
      readonly died: ReadonlyArray<{ readonly model: string; readonly code: number | null; readonly oomKilled: boolean }>;
    }
  | { readonly kind: 'one-at-a-time'; readonly yes: boolean; readonly model: string; readonly inService: number | null; readonly finishedMs: readonly number[]; readonly queuePeak: number | null; readonly queueFirstMs: number | null }
  | {
      readonly kind: 'refused-or-timed-out';
      readonly outcomes: Readonly<Record<Outcome, number>>;
      readonly connections: number;
      readonly queuePeak: number | null;
      readonly backlog: number | null;
      readonly overflows: number | null;
    }
  | { readonly kind: 'threads'; readonly servers: readonly ThreadsRow[] }
  | { readonly kind: 'one-thread'; readonly yes: boolean; readonly servers: readonly OneThreadRow[] }
  | {
      readonly kind: 'capacity';
      readonly yes: boolean;
      readonly ok: number;
      readonly connections: number;
      readonly threads: number | null;
      readonly completionMs: number | null;
      readonly rssGrowth: number | null;
      /** Connections held at once (the probe's count) and when it first saw that many; null where it saw few. */
      readonly held: number | null;
      readonly heldAtMs: number | null;
      /** What the clients' own memory grew by (summed over their swarms), when they reported it. */
      readonly clientsGrowth: number | null;
      /** The clients' memory per connection where they held the most open at once, and how many that was. */
      readonly clientsPerHeld: number | null;
      readonly clientsHeld: number | null;
      /** The machine's TCP buffer memory (sockstat's mem) before the clients and at most, when the probe read it. */
      readonly tcpMemory: { readonly restBytes: number; readonly peakBytes: number } | null;
    }
  | { readonly kind: 'deadlock'; readonly yes: boolean; readonly stalled: number; readonly waiting: number; readonly readTimeoutMs: number | null; readonly outcomes: Readonly<Record<Outcome, number>> }
  | { readonly kind: 'deadlock-fix'; readonly yes: boolean; readonly recvTimeoutMs: number | null; readonly fired: number; readonly nextOkMs: number | null; readonly gaveUp: number }
  | { readonly kind: 'cpu'; readonly atRest: number | null; readonly serving: number | null; readonly ok: number; readonly connections: number }
  | { readonly kind: 'cpu-vs-io'; readonly servers: readonly WorkRow[] }
  | { readonly kind: 'refusal-policy'; readonly servers: readonly PolicyRow[] }
  | {
      readonly kind: 'slow-link';
      readonly delayMs: number | null;
      readonly loss: number | null;
      readonly connectP50: number | null;
      readonly synRetrans: number | null;
      readonly overflows: number | null;
      readonly outcomes: Readonly<Record<Outcome, number>>;
      readonly connections: number;
    }
  | { readonly kind: 'memory-limit'; readonly killed: boolean; readonly code: number | null; readonly threads: number | null; readonly containerPeak: number | null; readonly lastRead: ServerMeasures['containerLastRead']; readonly limit: number | null; readonly rssPeak: number | null };

export interface ThreadsRow {
  readonly name: string;
  readonly model: string;
  /** A server of one's own: its threads are all its own. */
  readonly userServer: boolean;
  readonly peak: number | null;
  readonly inService: number | null;
  readonly runtime: number | null;
  readonly stack: ServerMeasures['stack'];
  readonly rssGrowth: number | null;
}

export interface OneThreadRow {
  readonly name: string;
  readonly model: string;
  readonly userServer: boolean;
  readonly threads: number | null;
  readonly runtime: number | null;
  readonly inService: number | null;
  readonly ok: number;
  readonly connections: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
  /** Where the answers came one after another (not together): the median time between two of them. */
  readonly apartMs: number | null;
}

export interface WorkRow {
  readonly name: string;
  readonly model: string;
  readonly work: Work | null;
  readonly ok: number;
  readonly connections: number;
  readonly firstMs: number | null;
  readonly lastMs: number | null;
  /** How its answers came, as measured (see `answerShape`), and the median time between two of them. */
  readonly shape: AnswerShape;
  readonly gapMs: number | null;
  /** The CPU the plan gave the server, in cores (null: the machine's). */
  readonly cpus: number | null;
}

/**
 * How a server's answers came, from their end times alone: all together soon after one request's work
 * ('together-early': they waited at once), all together but only after several requests' worth of it
 * ('together-late': they shared a core), one after another about one request's work apart ('staircase'), or
 * none of these ('spread', of which nothing more is said).
 */
export type AnswerShape = 'together-early' | 'together-late' | 'staircase' | 'spread';

export function answerShape(ends: readonly number[], workMs: number | null): AnswerShape {
  const first = ends[0];
  const last = ends[ends.length - 1];
  if (first === undefined || last === undefined || workMs === null || workMs <= 0 || ends.length < 3) return 'spread';
  if (last - first <= Math.max(0.25 * workMs, 50)) return last < 2 * workMs ? 'together-early' : 'together-late';
  const gap = medianGap(ends);
  return gap !== null && gap >= 0.7 * workMs && gap <= 1.5 * workMs ? 'staircase' : 'spread';
}

export interface PolicyRow {
  readonly name: string;
  readonly policy: 'drop' | 'abort-on-overflow' | 'reject-above';
  readonly limit: number | null;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly connections: number;
}

const growth = (s: ServerMeasures): number | null => (s.rssIdleBytes === null || s.rssPeakBytes === null ? null : s.rssPeakBytes - s.rssIdleBytes);

function oneAtATime(s: ServerMeasures): Answer {
  const ends = okEnds(s.clients);
  return { kind: 'one-at-a-time', yes: s.inServicePeak === 1 && ends.length >= 2, model: s.model, inService: s.inServicePeak, finishedMs: ends, queuePeak: s.acceptQueuePeak, queueFirstMs: s.acceptQueueFirstMs };
}

function oneThread(servers: readonly ServerMeasures[]): Answer {
  const rows = servers.map((s) => {
    const ends = okEnds(s.clients);
    const firstMs = ends[0] ?? null;
    const lastMs = ends[ends.length - 1] ?? null;
    // Concurrent: the last ok client was answered well within the time it would take to serve them one by one.
    const together = firstMs !== null && lastMs !== null && lastMs - firstMs <= Math.max(500, 0.5 * firstMs);
    const apartMs = together ? null : medianGap(ends);
    return { name: s.name, model: s.model, userServer: s.userServer, threads: s.threadsPeak, runtime: s.runtimeThreads, inService: s.inServicePeak, ok: s.clients.outcomes.ok, connections: s.clients.connections, firstMs, lastMs, apartMs, together };
  });
  const yes = rows.every((r) => r.threads === 1 && r.ok === r.connections && r.ok > 0 && r.together);
  return { kind: 'one-thread', yes, servers: rows.map(({ together: _, ...r }) => r) };
}

function refusalPolicy(t: TrialResult, servers: readonly ServerMeasures[]): Answer {
  const rows = servers.map((s): PolicyRow => {
    const srv = t.servers.find((x) => x.name === s.name);
    const refusal = srv?.shaping?.config?.refusal;
    const policy = srv?.sysctls['net.ipv4.tcp_abort_on_overflow'] === '1' ? 'abort-on-overflow' : refusal?.kind === 'reject-above' ? 'reject-above' : 'drop';
    return { name: s.name, policy, limit: refusal?.kind === 'reject-above' ? refusal.n : null, outcomes: s.clients.outcomes, connections: s.clients.connections };
  });
  return { kind: 'refusal-policy', servers: rows };
}

function slowLink(t: TrialResult, s: ServerMeasures): Answer {
  const c = t.servers.find((x) => x.name === s.name)?.shaping?.config;
  return {
    kind: 'slow-link',
    delayMs: c?.delayMs ?? null,
    loss: c?.loss ?? null,
    connectP50: s.clients.connectP50Ms,
    synRetrans: s.synRetrans,
    overflows: s.listenOverflows,
    outcomes: s.clients.outcomes,
    connections: s.clients.connections,
  };
}

function memoryLimit(t: TrialResult, s: ServerMeasures): Answer {
  const died = t.servers.find((x) => x.name === s.name)?.died ?? null;
  return {
    kind: 'memory-limit',
    killed: died?.oomKilled ?? false,
    code: died?.code ?? null,
    threads: s.threadsPeak,
    containerPeak: s.containerMemoryPeakBytes,
    lastRead: s.containerLastRead,
    limit: s.memoryLimitBytes,
    rssPeak: s.rssPeakBytes,
  };
}

/** The answer to the scenario's question, from a trial's facts. */
export function answerOf(t: TrialResult, f: TrialFacts): Answer {
  const m = f.measures;
  const first = m.servers[0];
  const others = (['refused', 'reset', 'connect_timeout', 'read_timeout', 'error'] as Outcome[]).filter((k) => m.outcomes[k] > 0).map((k) => [k, m.outcomes[k]] as const);
  const died = m.servers.flatMap((s) => {
    const d = t.servers.find((x) => x.name === s.name)?.died;
    return d ? [{ model: s.model, code: d.code, oomKilled: d.oomKilled }] : [];
  });
  const outcomes: Answer = { kind: 'outcomes', ok: m.outcomes.ok, connections: m.connections, others, completionMs: m.completionMs, died };
  if (!first) return outcomes;
  switch (f.asks) {
    case 'outcomes':
      return outcomes;
    case 'one-at-a-time':
      return oneAtATime(first);
    case 'refused-or-timed-out':
      return { kind: 'refused-or-timed-out', outcomes: first.clients.outcomes, connections: first.clients.connections, queuePeak: first.acceptQueuePeak, backlog: first.backlog, overflows: first.listenOverflows };
    case 'threads':
      return {
        kind: 'threads',
        servers: m.servers.map((s) => ({ name: s.name, model: s.model, userServer: s.userServer, peak: s.threadsPeak, inService: s.inServicePeak, runtime: s.runtimeThreads, stack: s.stack, rssGrowth: growth(s) })),
      };
    case 'one-thread':
      return oneThread(m.servers);
    case 'capacity':
      return {
        kind: 'capacity',
        yes: first.clients.outcomes.ok === first.clients.connections && first.clients.connections > 0,
        ok: first.clients.outcomes.ok,
        connections: first.clients.connections,
        threads: first.threadsPeak,
        completionMs: first.clients.completionMs,
        rssGrowth: growth(first),
        // Worth saying where connections are held (keep-alive), not where each one is served and closed.
        held: (first.establishedPeak ?? 0) >= 100 ? first.establishedPeak : null,
        heldAtMs: (first.establishedPeak ?? 0) >= 100 ? first.establishedPeakMs : null,
        clientsGrowth: first.clients.memoryGrowthBytes,
        clientsPerHeld: first.clients.memoryPerHeldBytes,
        clientsHeld: first.clients.heldConnections,
        tcpMemory: first.tcpMemoryRestBytes !== null && first.tcpMemoryPeakBytes !== null ? { restBytes: first.tcpMemoryRestBytes, peakBytes: first.tcpMemoryPeakBytes } : null,
      };
    case 'deadlock': {
      const c = first.clients;
      const waiting = c.each.filter((x) => x.connectMs !== null).length;
      return { kind: 'deadlock', yes: c.outcomes.ok === 0 && waiting > 0, stalled: first.stalledRecvPeak ?? 0, waiting, readTimeoutMs: c.readTimeoutMs, outcomes: c.outcomes };
    }
    case 'deadlock-fix': {
      const fact = f.servers[0]?.facts.find((x) => x.kind === 'recv-timeout');
      const fired = fact?.kind === 'recv-timeout' ? fact.fired : 0;
      const nextOkMs = fact?.kind === 'recv-timeout' ? fact.nextOkMs : null;
      return { kind: 'deadlock-fix', yes: fired > 0 && nextOkMs !== null, recvTimeoutMs: fact?.kind === 'recv-timeout' ? fact.recvTimeoutMs : null, fired, nextOkMs, gaveUp: m.outcomes.read_timeout };
    }
    case 'cpu':
      return { kind: 'cpu', atRest: first.cpuAtRestCores, serving: first.cpuServingCores, ok: first.clients.outcomes.ok, connections: first.clients.connections };
    case 'cpu-vs-io':
      return workKinds(t, m.servers);
    case 'refusal-policy':
      return refusalPolicy(t, m.servers);
    case 'slow-link':
      return slowLink(t, first);
    case 'memory-limit':
      return memoryLimit(t, first);
  }
}

/** Servers given different work: when each answered its clients, on its own clients' clock, and how. */
function workKinds(t: TrialResult, servers: readonly ServerMeasures[]): Answer {
  return {
    kind: 'cpu-vs-io',
    servers: servers.map((s) => {
      // Each server's clients may start later than the trial (a delay keeps CPU-bound servers apart): its times
      // are counted from its own clients' start.
      const from = s.clients.startMs ?? 0;
      const ends = okEnds(s.clients).map((x) => x - from);
      const server = t.servers.find((x) => x.name === s.name)!;
      const work = workOf(server);
      return {
        name: s.name,
        model: s.model,
        work,
        ok: s.clients.outcomes.ok,
        connections: s.clients.connections,
        firstMs: ends[0] ?? null,
        lastMs: ends[ends.length - 1] ?? null,
        shape: answerShape(ends, work?.ms ?? null),
        gapMs: medianGap(ends),
        cpus: server.cpus,
      };
    }),
  };
}
