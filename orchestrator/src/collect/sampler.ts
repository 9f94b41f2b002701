import { OUTCOMES, SERVER_METRICS as S, SWARM_METRICS as W, emptyOutcomeCounts, type BlockingCall, type Outcome } from '@socklab/shared';
import { decode, ProbeStateSchema, ShapingAnswerSchema, type ProbeState, type ShapingAnswer } from '@socklab/shared/results';
import type { LiveSample, ProbeSample, ServerSample } from '../results/types.js';

type Flat = Record<string, number>;

/** Sum of a family's series (all label sets), or of those whose labels contain `label`. */
export function family(m: Flat, name: string, label?: string): number | undefined {
  let sum: number | undefined;
  for (const [k, v] of Object.entries(m)) {
    if (k !== name && !k.startsWith(`${name}{`)) continue;
    if (label !== undefined && !k.includes(label)) continue;
    sum = (sum ?? 0) + v;
  }
  return sum;
}


/** Server metrics (flattened exposition) -> a ServerSample. */
function serverSample(t: number, m: Flat): ServerSample {
  const handled: Partial<Record<Outcome, number>> = {};
  for (const o of OUTCOMES) {
    const v = family(m, S.connectionsHandled.name, `outcome="${o}"`);
    if (v !== undefined) handled[o] = v;
  }
  return {
    t,
    accepted: family(m, S.connectionsAccepted.name) ?? 0,
    active: family(m, S.connectionsActive.name) ?? 0,
    inService: family(m, S.inService.name) ?? 0,
    threads: family(m, S.threads.name) ?? 0,
    modelThreads: family(m, S.modelThreads.name) ?? 0,
    inServicePeak: family(m, S.inServicePeak.name) ?? 0,
    modelThreadsPeak: family(m, S.modelThreadsPeak.name) ?? 0,
    processes: family(m, S.processes.name) ?? 1,
    rssBytes: family(m, S.rss.name) ?? 0,
    cpuSeconds: family(m, 'process_cpu_seconds_total') ?? 0,
    handled,
  };
}

/** Where the own threads of every process were (the model's, or a program's): running, or blocked by call. */
function ownCalls(threads: NonNullable<ProbeState['threads']>): Partial<Record<BlockingCall | 'running', number>> {
  const out: Partial<Record<BlockingCall | 'running', number>> = {};
  for (const p of threads) {
    const running = p.byOwnerState.model.running + p.byOwnerState.program.running;
    if (running > 0) out.running = (out.running ?? 0) + running;
    for (const [call, n] of Object.entries(p.ownByCall) as Array<[BlockingCall, number]>) if (n > 0) out[call] = (out[call] ?? 0) + n;
  }
  return out;
}

/**
 * The probe's /state -> a ProbeSample (strictly decoded; a malformed state is dropped by the caller), stamped with
 * when the probe read the kernel (`updatedAt`), or else `t`, when the sampler asked.
 */
function probeSample(t: number, state: unknown): ProbeSample & { sysctls: Record<string, string> } {
  const s = ProbeStateSchema.parse(state);
  const readAt = Date.parse(s.updatedAt);
  return {
    t: Number.isFinite(readAt) ? readAt : t,
    sysctls: s.sysctls,
    listening: s.listening,
    acceptQueue: s.acceptQueue,
    acceptQueueMax: s.acceptQueueMax,
    synRecv: s.connections.syn_recv,
    established: s.connections.established,
    unaccepted: s.connections.established_unaccepted,
    closeWait: s.connections.close_wait,
    ...(s.unread && { unreadBytes: s.unread.bytes, unreadSockets: s.unread.sockets }),
    threads: s.threads ? s.threads.reduce((a, p) => a + p.threads, 0) : null,
    ownThreads: s.threads ? s.threads.reduce((a, p) => a + p.byOwner.model + p.byOwner.program, 0) : null,
    stalledRecv: s.threads ? s.threads.reduce((a, p) => a + p.stalledRecv, 0) : 0,
    rssBytes: s.threads ? s.threads.reduce((a, p) => a + p.rssBytes, 0) : null,
    ownCalls: s.threads ? ownCalls(s.threads) : null,
    // The stacks of the process with the most threads of its own (the server, not a helper beside it).
    stack: [...(s.threads ?? [])].sort((a, b) => b.byOwner.model + b.byOwner.program - (a.byOwner.model + a.byOwner.program))[0]?.stack ?? null,
    counters: s.counters,
    tcpMemoryBytes: s.sockstat?.tcpMemoryBytes ?? null,
  };
}

/** The swarms' metrics -> live outcome counts and connections in flight, summed over swarms. */
function liveSample(t: number, swarms: Record<string, Flat | { error?: string }>): LiveSample | null {
  const outcomes = emptyOutcomeCounts();
  let inFlight = 0;
  let any = false;
  for (const m of Object.values(swarms)) {
    if ('error' in m) continue;
    any = true;
    for (const o of OUTCOMES) outcomes[o] += family(m as Flat, W.connections.name, `outcome="${o}"`) ?? 0;
    inFlight += family(m as Flat, W.inFlight.name) ?? 0;
  }
  return any ? { t, outcomes, inFlight } : null;
}

/** One sampler line, decoded. Parts that failed are null (and counted by the collector). */
export interface DecodedLine {
  /** When the sampler took the line (this machine's wall clock). */
  readonly t: number;
  readonly server: ServerSample | null;
  readonly probe: ProbeSample | null;
  readonly live: LiveSample | null;
  /** The namespace's sysctls as the probe read them. */
  readonly sysctls?: Readonly<Record<string, string>>;
  /** The probe's shaping answer (on the first line it could be read). */
  readonly shaping?: ShapingAnswer;
  readonly serverError?: string;
  readonly probeError?: string;
}

export function decodeSamplerLine(line: string): DecodedLine | null {
  let raw: { t?: number; server?: Flat; probe?: unknown; shaping?: unknown; swarms?: Record<string, Flat>; serverError?: string; probeError?: string };
  try {
    raw = JSON.parse(line) as typeof raw;
  } catch {
    return null;
  }
  if (typeof raw.t !== 'number') return null;
  let probe: ProbeSample | null = null;
  let sysctls: Record<string, string> | undefined;
  let probeError = raw.probeError;
  if (raw.probe !== undefined) {
    try {
      const { sysctls: seen, ...p } = probeSample(raw.t, raw.probe);
      probe = p;
      sysctls = seen;
    } catch (e) {
      probeError = `malformed /state: ${(e as Error).message.slice(0, 80)}`;
    }
  }
  let shaping: ShapingAnswer | undefined;
  try {
    if (raw.shaping !== undefined) shaping = decode(ShapingAnswerSchema, 'the probe\'s /shaping', raw.shaping);
  } catch {
    /* asked once; the report says the shaping is unknown */
  }
  return {
    t: raw.t,
    server: raw.server ? serverSample(raw.t, raw.server) : null,
    probe,
    live: raw.swarms ? liveSample(raw.t, raw.swarms) : null,
    ...(sysctls && { sysctls }),
    ...(shaping && { shaping }),
    ...(raw.serverError !== undefined && { serverError: raw.serverError }),
    ...(probeError !== undefined && { probeError }),
  };
}
