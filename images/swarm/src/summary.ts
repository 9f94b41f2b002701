import { emptyOutcomeCounts, LATENCY_BUCKETS, OUTCOMES, type Outcome } from '@socklab/shared';
import type { Percentiles, SwarmSummary } from '@socklab/shared/results';
import type { ConnectionResult } from './connection.js';

export type { SwarmSummary };

/** Per-connection details are listed up to this many connections. */
export const DETAIL_LIMIT = 1000;
/** Latency values kept for percentiles: exact up to this many, a uniform reservoir sample beyond (bounded memory). */
export const RESERVOIR = 100_000;

export function percentiles(values: ArrayLike<number>, count = values.length): Percentiles {
  if (values.length === 0) return { count, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { count, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

/** Latency values: all of them up to RESERVOIR, then a reservoir sample; the max and count stay exact. */
class Sample {
  private readonly values: number[] = [];
  private seen = 0;
  private max = 0;
  add(v: number): void {
    this.seen += 1;
    if (v > this.max) this.max = v;
    if (this.values.length < RESERVOIR) this.values.push(v);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < RESERVOIR) this.values[j] = v;
    }
  }
  percentiles(): Percentiles {
    const p = percentiles(this.values, this.seen);
    return this.seen === 0 ? p : { ...p, max: round(this.max) };
  }
}

const BUCKETS_MS = [...LATENCY_BUCKETS.map((s) => s * 1000), Infinity];

/**
 * The swarm's results, accumulated connection by connection: counts, latency samples, a histogram and the
 * per-second timeline, with per-connection records only for the first DETAIL_LIMIT. Memory stays bounded in
 * --repeat mode, however long it runs.
 */
export class SummaryBuilder {
  private readonly outcomes = emptyOutcomeCounts();
  private readonly errno: Record<string, number> = {};
  private readonly connect = new Sample();
  private readonly firstByte = new Sample();
  private readonly total = new Sample();
  private readonly histogram = new Array<number>(BUCKETS_MS.length).fill(0);
  private readonly timeline = new Map<number, Partial<Record<Outcome, number>>>();
  private readonly details: ConnectionResult[] = [];
  private n = 0;

  constructor(private readonly startedAt: number) {}

  get count(): number {
    return this.n;
  }

  add(r: ConnectionResult): void {
    this.n += 1;
    this.outcomes[r.outcome] += 1;
    if (r.errno !== undefined) this.errno[r.errno] = (this.errno[r.errno] ?? 0) + 1;
    if (r.connectMs !== undefined) this.connect.add(r.connectMs);
    if (r.firstByteMs !== undefined) this.firstByte.add(r.firstByteMs);
    this.total.add(r.totalMs);
    const bucket = BUCKETS_MS.findIndex((le) => r.totalMs <= le);
    this.histogram[bucket] = (this.histogram[bucket] ?? 0) + 1;
    const second = Math.max(0, Math.floor((r.startedAt + r.totalMs - this.startedAt) / 1000));
    const b = this.timeline.get(second) ?? {};
    b[r.outcome] = (b[r.outcome] ?? 0) + 1;
    this.timeline.set(second, b);
    if (this.details.length < DETAIL_LIMIT) this.details.push(r);
  }

  /** Outcome counts so far (for the per-wave line). */
  snapshot(): Readonly<Record<Outcome, number>> {
    return { ...this.outcomes };
  }

  summary(meta: { target: string; clients: number; waves: number; durationMs: number; startedAtMs: number; truncated: boolean; memory?: SwarmSummary['memory'] }): SwarmSummary {
    return {
      target: meta.target,
      startedAtMs: meta.startedAtMs,
      clients: meta.clients,
      waves: meta.waves,
      outcomes: { ...this.outcomes },
      errno: { ...this.errno },
      latencyMs: { connect: this.connect.percentiles(), firstByte: this.firstByte.percentiles(), total: this.total.percentiles() },
      timeline: [...this.timeline.entries()].sort(([a], [b]) => a - b).map(([second, b]) => ({ second, ...b })),
      totalHistogramMs: BUCKETS_MS.map((le, i) => ({ le: Number.isFinite(le) ? le : 1e9, count: this.histogram[i] ?? 0 })),
      durationMs: round(meta.durationMs),
      connections: [...this.details].sort((a, b) => a.seq - b.seq).map((r) => ({
        outcome: r.outcome,
        startMs: round(Math.max(0, r.startedAt - this.startedAt)),
        totalMs: round(r.totalMs),
        ...(r.connectMs !== undefined && { connectMs: round(r.connectMs) }),
        ...(r.errno !== undefined && { errno: r.errno }),
      })),
      connectionsTotal: this.n,
      truncated: meta.truncated,
      ...(meta.memory && { memory: meta.memory }),
    };
  }
}

/** What an errno tells a student about the limit that was hit. */
export const ERRNO_HINTS: Record<string, string> = {
  EADDRNOTAVAIL:
    'no ephemeral port left for this (source IP, server IP, port) tuple (28,232 by default); spread the load over several swarm containers or widen net.ipv4.ip_local_port_range',
  EMFILE: 'the swarm ran out of file descriptors (ulimit -n); raise the container nofile limit',
  ECONNREFUSED: 'nothing listens on that port (Linux never refuses because a backlog is full; it drops the SYN)',
  ETIMEDOUT: 'a timeout: connect_timeout means the SYN was never answered (a full accept queue drops it); read_timeout means no answer came in time',
  ECONNRESET: 'the server side reset the connection (for example net.ipv4.tcp_abort_on_overflow=1 on a full queue)',
};

/** One line per wave in --repeat mode: what this wave's connections ended as. */
export function waveLine(wave: number, ms: number, counts: Readonly<Record<Outcome, number>>, before: Readonly<Record<Outcome, number>>): string {
  const parts = OUTCOMES.map((o) => [o, counts[o] - before[o]] as const).filter(([, v]) => v > 0);
  return `wave ${wave}: ${parts.map(([o, v]) => `${o}=${v}`).join(' ') || 'no connections'} in ${(ms / 1000).toFixed(2)}s`;
}

/** A short table for people, on stderr. */
export function humanTable(s: SwarmSummary): string {
  const lines = [`swarm -> ${s.target}: ${s.clients} clients x ${s.waves} wave(s) in ${(s.durationMs / 1000).toFixed(2)}s${s.truncated ? ' (cut by --max-duration)' : ''}`];
  lines.push('outcome          count');
  for (const o of OUTCOMES) lines.push(`${o.padEnd(16)} ${String(s.outcomes[o]).padStart(5)}`);
  const l = s.latencyMs;
  lines.push('latency (ms)     p50      p90      p99      max');
  for (const [name, p] of [['connect', l.connect], ['first byte', l.firstByte], ['total', l.total]] as const) {
    lines.push(`${name.padEnd(12)} ${[p.p50, p.p90, p.p99, p.max].map((v) => v.toFixed(1).padStart(8)).join(' ')}`);
  }
  const errs = Object.entries(s.errno);
  if (errs.length > 0) lines.push(`errno: ${errs.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  for (const [code] of errs) {
    const hint = ERRNO_HINTS[code];
    if (hint) lines.push(`hint (${code}): ${hint}`);
  }
  return lines.join('\n');
}
