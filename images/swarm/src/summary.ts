import { emptyOutcomeCounts, OUTCOMES, type Outcome } from '@socklab/shared';
import type { ConnectionResult } from './connection.js';

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The swarm's final JSON summary (last line of stdout). Times in milliseconds. */
export interface SwarmSummary {
  readonly target: string;
  readonly clients: number;
  readonly waves: number;
  readonly outcomes: Record<Outcome, number>;
  readonly errno: Record<string, number>;
  readonly latencyMs: { readonly connect: Percentiles; readonly firstByte: Percentiles; readonly total: Percentiles };
  /** Per second since the start: how many connections ended, by outcome. */
  readonly timeline: ReadonlyArray<{ readonly second: number } & Partial<Record<Outcome, number>>>;
  readonly durationMs: number;
  /** Each connection in start order (only for runs of at most DETAIL_LIMIT connections). */
  readonly connections?: ReadonlyArray<{ readonly outcome: Outcome; readonly totalMs: number; readonly connectMs?: number; readonly errno?: string }>;
  /** True when --max-duration cut the run short. */
  readonly truncated: boolean;
}

/** Per-connection details are listed up to this many connections. */
export const DETAIL_LIMIT = 1000;

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0);
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(sorted[sorted.length - 1] ?? 0) };
}

const round = (ms: number): number => Math.round(ms * 100) / 100;

export function summarize(
  results: readonly ConnectionResult[],
  meta: { target: string; clients: number; waves: number; startedAt: number; durationMs: number; truncated: boolean },
): SwarmSummary {
  const outcomes = emptyOutcomeCounts();
  const errno: Record<string, number> = {};
  const connect: number[] = [];
  const firstByte: number[] = [];
  const total: number[] = [];
  const buckets = new Map<number, Partial<Record<Outcome, number>>>();
  for (const r of results) {
    outcomes[r.outcome] += 1;
    if (r.errno !== undefined) errno[r.errno] = (errno[r.errno] ?? 0) + 1;
    if (r.connectMs !== undefined) connect.push(r.connectMs);
    if (r.firstByteMs !== undefined) firstByte.push(r.firstByteMs);
    total.push(r.totalMs);
    const second = Math.floor((r.startedAt + r.totalMs - meta.startedAt) / 1000);
    const b = buckets.get(second) ?? {};
    b[r.outcome] = (b[r.outcome] ?? 0) + 1;
    buckets.set(second, b);
  }
  return {
    target: meta.target,
    clients: meta.clients,
    waves: meta.waves,
    outcomes,
    errno,
    latencyMs: { connect: percentiles(connect), firstByte: percentiles(firstByte), total: percentiles(total) },
    timeline: [...buckets.entries()].sort(([a], [b]) => a - b).map(([second, b]) => ({ second, ...b })),
    durationMs: round(meta.durationMs),
    ...(results.length <= DETAIL_LIMIT && {
      connections: [...results].sort((a, b) => a.seq - b.seq).map((r) => ({
        outcome: r.outcome,
        totalMs: round(r.totalMs),
        ...(r.connectMs !== undefined && { connectMs: round(r.connectMs) }),
        ...(r.errno !== undefined && { errno: r.errno }),
      })),
    }),
    truncated: meta.truncated,
  };
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
