/**
 * What the images answer, as types decoded strictly: the swarm's JSON summary (last line of its stdout), the
 * probe's `/state` and its `/shaping` answer. The images produce these shapes; the orchestrator, the tests and
 * reports decode them here instead of re-declaring them loosely. zod stays behind this subpath
 * (`@socklab/shared/results`), so images that only produce these types never load it.
 */
import { z } from 'zod';
import { OUTCOMES } from './outcomes.js';
import { DIRECTIONS, SHAPING_METHODS } from './shaping-config.js';
import { BLOCKING_CALLS, PROBE_TCP_STATES, THREAD_OWNERS, THREAD_STATES } from './metrics.js';

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();

const PercentilesSchema = z.strictObject({ count, p50: ms, p90: ms, p99: ms, max: ms });
export type Percentiles = z.infer<typeof PercentilesSchema>;

const outcomeCounts = z.strictObject(Object.fromEntries(OUTCOMES.map((o) => [o, count])) as Record<(typeof OUTCOMES)[number], typeof count>);
const outcomeEnum = z.enum(OUTCOMES);

export const SwarmSummarySchema = z.strictObject({
  target: z.string(),
  /** Wall-clock time (epoch ms, the swarm's own clock) when the first wave started: every timeline is relative to it. */
  startedAtMs: z.number(),
  clients: count,
  waves: count,
  outcomes: outcomeCounts,
  errno: z.record(z.string(), count),
  latencyMs: z.strictObject({ connect: PercentilesSchema, firstByte: PercentilesSchema, total: PercentilesSchema }),
  /** Per second since the start: how many connections ended, by outcome. */
  timeline: z.array(
    z.strictObject({
      second: z.number().int(),
      ok: count.optional(),
      refused: count.optional(),
      reset: count.optional(),
      connect_timeout: count.optional(),
      read_timeout: count.optional(),
      error: count.optional(),
    }),
  ),
  /** Histogram of total connection times over LATENCY_BUCKETS (ms upper bounds), every connection counted. */
  totalHistogramMs: z.array(z.strictObject({ le: z.number(), count })),
  durationMs: ms,
  /** Each connection in start order, for the first DETAIL_LIMIT connections: when it started (ms after startedAtMs) and how long it took. */
  connections: z
    .array(z.strictObject({ outcome: outcomeEnum, startMs: ms, totalMs: ms, connectMs: ms.optional(), errno: z.string().optional() }))
    .optional(),
  /** How many connections ran in all (the per-connection list stops at DETAIL_LIMIT). */
  connectionsTotal: count,
  truncated: z.boolean(),
  /**
   * The swarm's own resident memory (VmRSS, read every 500 ms): before its first connection, at most while it ran,
   * and when it held the most connections open at once (heldConnections: established, not yet ended).
   */
  memory: z.strictObject({ idleBytes: count, peakBytes: count, heldBytes: count.optional(), heldConnections: count.optional() }).optional(),
});
export type SwarmSummary = z.infer<typeof SwarmSummarySchema>;

const byState = z.strictObject(Object.fromEntries(THREAD_STATES.map((s) => [s, count])) as Record<(typeof THREAD_STATES)[number], typeof count>);
const byCall = z.strictObject(Object.fromEntries(BLOCKING_CALLS.map((s) => [s, count])) as Record<(typeof BLOCKING_CALLS)[number], typeof count>);
const byOwner = <T extends z.ZodType>(v: T) => z.strictObject(Object.fromEntries(THREAD_OWNERS.map((o) => [o, v])) as Record<(typeof THREAD_OWNERS)[number], T>);

export const ProbeStateSchema = z.strictObject({
  port: z.number().int(),
  listening: z.boolean(),
  acceptQueue: count,
  acceptQueueMax: count.nullable(),
  connections: z.strictObject(Object.fromEntries(PROBE_TCP_STATES.map((s) => [s, count])) as Record<(typeof PROBE_TCP_STATES)[number], typeof count>),
  counters: z.record(z.string(), z.number()),
  currEstab: count,
  sysctls: z.record(z.string(), z.string()),
  updatedAt: z.string(),
  refreshMs: z.number(),
  source: z.enum(['sock_diag', 'proc']),
  /**
   * The bytes that arrived on the port's accepted ESTABLISHED sockets and the process has not read yet (their
   * receive queues, summed), and on how many sockets: a request nobody reads waits there.
   */
  unread: z.strictObject({ bytes: count, sockets: count }).optional(),
  /**
   * /proc/net/sockstat's TCP line: `tcpInUse` and `tcpTimeWait` are the namespace's; orphans, allocated sockets and
   * the TCP buffer memory (in bytes) the machine's, every namespace together.
   */
  sockstat: z
    .strictObject({ tcpInUse: count, tcpOrphans: count, tcpTimeWait: count, tcpAllocated: count, tcpMemoryBytes: count })
    .nullable()
    .optional(),
  /** Where the threads of each process in the server's PID namespace are blocked. */
  threads: z
    .array(
      z.strictObject({
        pid: count,
        comm: z.string(),
        threads: count,
        byState,
        byCall,
        syscalls: z.record(z.string(), count),
        stalledRecv: count,
        /** Threads by owner: the model's own (named sl-*), the runtime's, or a program of one's own (whole). */
        byOwner: byOwner(count),
        /** Blocked threads of the model's own (or a program of one's own) by call. */
        ownByCall: byCall,
        byOwnerState: byOwner(byState),
        byOwnerCall: byOwner(byCall),
        /** The stacks of its own threads but the main one: median mapping size and median resident part (smaps). */
        stack: z.strictObject({ threads: count, mappedBytes: count, residentBytes: count }).nullable(),
        /** Its resident memory (VmRSS). */
        rssBytes: count,
      }),
    )
    .optional(),
});
export type ProbeState = z.infer<typeof ProbeStateSchema>;

const effect = z.strictObject({
  effect: z.enum(['delay', 'jitter', 'loss', 'rate']),
  direction: z.enum(['egress', 'ingress']),
  how: z.enum(['netem', 'nfqueue', 'tbf', 'ifb+netem', 'ifb+tbf', 'none']),
  real: z.boolean(),
});
const refusal = z.union([
  z.strictObject({ kind: z.literal('drop') }),
  z.strictObject({ kind: z.literal('abort-on-overflow') }),
  z.strictObject({ kind: z.literal('reject-above'), n: count }),
]);

export const ShapingAnswerSchema = z.strictObject({
  config: z
    .strictObject({
      delayMs: ms,
      jitterMs: ms,
      loss: z.number().min(0).max(1),
      rateBps: z.number().positive().nullable(),
      direction: z.enum(DIRECTIONS),
      refusal,
    })
    .nullable()
    .optional(),
  plan: z.strictObject({ method: z.enum(SHAPING_METHODS), effects: z.array(effect) }),
  capabilities: z.strictObject({ netem: z.boolean(), ifb: z.boolean(), nfqueue: z.boolean(), tbf: z.boolean() }),
  helper: z.strictObject({ received: count, accepted: count, dropped: count, pending: count }),
});
export type ShapingAnswer = z.infer<typeof ShapingAnswerSchema>;

/** Decode JSON text (or a parsed value) strictly; the error names what was being decoded and where it broke. */
export function decode<T>(schema: z.ZodType<T>, what: string, input: unknown): T {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new Error(`${what}: not JSON (${(e as Error).message}): ${input.slice(0, 120)}`);
    }
  }
  const r = schema.safeParse(value);
  if (!r.success) {
    const first = r.error.issues[0];
    throw new Error(`${what}: ${first ? `${first.path.join('.') || '(top)'}: ${first.message}` : 'invalid'}`);
  }
  return r.data;
}
