/** Scripted containers for the fake runtime: a backlog-1 server overflowing under ten clients, as data. */
import { parseAgentMessage, swarmJobLine } from '@socklab/shared';
import type { ContainerSpec } from '../runtime/spec.js';
import type { FakeLine, FakeScript } from '../runtime/fake.js';

const T0 = 1_700_000_000_000;

export function probeState(acceptQueue: number, overflows: number): Record<string, unknown> {
  return {
    port: 7000,
    listening: true,
    acceptQueue,
    acceptQueueMax: 1,
    connections: { syn_recv: 0, established: acceptQueue + 1, established_unaccepted: acceptQueue, close_wait: 0, time_wait: 0 },
    counters: { 'TcpExt ListenOverflows': overflows, 'TcpExt ListenDrops': overflows, 'TcpExt TCPSynRetrans': overflows > 0 ? 3 : 0, 'Tcp OutRsts': 0 },
    currEstab: 1,
    sysctls: { somaxconn: '4096', tcp_abort_on_overflow: '0', tcp_syncookies: '1', tcp_max_syn_backlog: '2048' },
    updatedAt: new Date(T0).toISOString(),
    refreshMs: 250,
    source: 'sock_diag',
  };
}

const SHAPING_ANSWER = {
  plan: { method: 'nfqueue', effects: [] },
  capabilities: { netem: false, ifb: true, nfqueue: true, tbf: true },
  helper: { received: 0, accepted: 0, dropped: 0, pending: 0 },
};

function swarmSummary(): Record<string, unknown> {
  const connections = [
    ...Array.from({ length: 6 }, (_, i) => ({ outcome: 'ok', startMs: i * 10, totalMs: 2000 * (i + 1) - i * 10, connectMs: 1 })),
    ...Array.from({ length: 4 }, (_, i) => ({ outcome: 'connect_timeout', startMs: 60 + i * 10, totalMs: 3000, errno: 'ETIMEDOUT' })),
  ];
  return {
    target: 'server:7000',
    startedAtMs: T0 + 500,
    clients: 10,
    waves: 1,
    outcomes: { ok: 6, refused: 0, reset: 0, connect_timeout: 4, read_timeout: 0, error: 0 },
    errno: { ETIMEDOUT: 4 },
    latencyMs: {
      connect: { count: 6, p50: 1, p90: 1, p99: 1, max: 1 },
      firstByte: { count: 6, p50: 6000, p90: 12000, p99: 12000, max: 12000 },
      total: { count: 10, p50: 3000, p90: 10000, p99: 12000, max: 12000 },
    },
    timeline: [
      { second: 2, ok: 1 },
      { second: 3, connect_timeout: 4 },
      { second: 4, ok: 1 },
      { second: 6, ok: 1 },
      { second: 8, ok: 1 },
      { second: 10, ok: 1 },
      { second: 12, ok: 1 },
    ],
    totalHistogramMs: [
      { le: 2000, count: 1 },
      { le: 3000, count: 4 },
      { le: 4000, count: 1 },
      { le: 7500, count: 2 },
      { le: 15000, count: 2 },
    ],
    durationMs: 12004,
    connections,
    connectionsTotal: 10,
    truncated: false,
  };
}

/** Server metrics as the sampler flattens them. */
function serverMetrics(accepted: number, threads: number, modelThreads = 1): Record<string, number> {
  return {
    'socklab_server_connections_accepted_total{model="sequential"}': accepted,
    'socklab_server_connections_active{model="sequential"}': 1,
    'socklab_server_in_service{model="sequential"}': accepted > 0 ? 1 : 0,
    'socklab_server_threads{model="sequential"}': threads,
    'socklab_server_model_threads{model="sequential"}': modelThreads,
    'socklab_server_model_threads_peak{model="sequential"}': modelThreads,
    'socklab_server_in_service_peak{model="sequential"}': accepted > 0 ? 1 : 0,
    'socklab_server_processes{model="sequential"}': 1,
    'socklab_server_resident_memory_bytes{model="sequential"}': 70 * 1024 * 1024,
    process_cpu_seconds_total: 0.5,
  };
}

/**
 * A client host's swarm agent in the fake runtime: each job is ready as soon as it comes; on go it prints what
 * `run` says for the job's flags (an empty list: it never ends by itself), then its done line; stop ends it. As
 * the real agent, it prints all on stdout, and a job that comes while another is in hand begins once that one is
 * done (after its last line).
 */
export function fakeAgent(run: (args: readonly string[]) => readonly FakeLine[]): FakeScript {
  const jobs = new Map<string, readonly string[]>();
  const done = new Set<string>();
  let busyUntil = 0;
  const after = (ms: number) => (l: FakeLine): FakeLine => ({ ...l, afterMs: (l.afterMs ?? 0) + ms });
  return {
    lines: [{ stream: 'stdout', line: 'socklab swarm: agent waiting for jobs' }],
    onInput: (line) => {
      const m = parseAgentMessage(line);
      const wait = Math.max(0, busyUntil - Date.now());
      if ('job' in m) {
        jobs.set(m.job, m.args);
        const framing: FakeLine[] = [{ stream: 'stdout', line: swarmJobLine.begins(m.job) }, { stream: 'stdout', line: swarmJobLine.ready(m.job) }];
        return framing.map(after(wait + 1));
      }
      // A stop that crosses the job's own end does nothing (its done line is out already).
      if ('stop' in m) return done.has(m.stop) ? [] : (done.add(m.stop), [{ stream: 'stdout', line: swarmJobLine.done(m.stop, 0) }]);
      // All on stdout, as the real agent prints them.
      const lines = run(jobs.get(m.go) ?? []).map((l): FakeLine => ({ ...l, stream: 'stdout' }));
      if (lines.length === 0) return [];
      const end = Math.max(...lines.map((l) => l.afterMs ?? 0)) + 10;
      busyUntil = Date.now() + end;
      done.add(m.go);
      return [...lines, { stream: 'stdout', line: swarmJobLine.done(m.go, 0), afterMs: end }];
    },
  };
}

/** The nervous client's ten connections against the backlog-1 server, as its swarm prints them once set off. */
const nervousSwarm: readonly FakeLine[] = [
  { stream: 'stderr', line: 'swarm -> server:7000: 10 clients' },
  { stream: 'stdout', line: JSON.stringify(swarmSummary()), afterMs: 140 },
];

/** The scripted lab: which behaviour each role's container gets, with knobs to break one role. */
export function backlogScript(opts: { probeDies?: boolean; serverNeverReady?: boolean; oomKilled?: boolean } = {}): (spec: ContainerSpec) => FakeScript {
  return (spec) => {
    switch (spec.role) {
      case 'server':
        return opts.serverNeverReady
          ? { lines: [{ stream: 'stderr', line: 'socklab server: invalid BACKLOG "x"' }], exitAfterMs: 20, exitCode: 2 }
          : {
              lines: [{ stream: 'stdout', line: 'socklab server: model=sequential port=7000 backlog=1' }],
              stats: [{ t: T0, memoryBytes: 70e6, cpuCores: 0.02, pids: 8 }, ...(opts.oomKilled ? [{ t: T0 + 1000, memoryBytes: 120e6, cpuCores: 0.1, pids: 2600 }] : [])],
              ...(opts.oomKilled && { exitAfterMs: 100, exitCode: 137, oomKilled: true }),
            };
      case 'probe': {
        const probe: FakeScript = {
          lines: [{ stream: 'stdout', line: 'socklab probe: watching port 7000' }],
          exec: (cmd) => {
            const body = cmd.join(' ').includes('/shaping') ? SHAPING_ANSWER : probeState(0, 0);
            return { exitCode: 0, stdout: JSON.stringify({ status: 200, body: JSON.stringify(body) }), stderr: '' };
          },
        };
        if (spec.env.INTERVAL === undefined) return probe;
        // A probe that samples (pair.js): the sampler's lines on stdout, the probe's on stderr.
        const sampler = backlogScript(opts)({ ...spec, role: 'sampler' });
        return { ...sampler, ...probe, lines: [{ stream: 'stderr', line: 'socklab probe: watching port 7000' }, ...(sampler.lines ?? [])] };
      }
      case 'sampler': {
        const reading = (i: number, t: number): string =>
          JSON.stringify({
            t,
            server: serverMetrics(i, 8 + (opts.oomKilled && i >= 5 ? 2600 : 0), opts.oomKilled && i >= 5 ? 2600 : 1),
            ...(opts.probeDies && i > 0 ? { probeError: 'ECONNREFUSED' } : { probe: { ...probeState(Math.min(i, 2), i * 4), updatedAt: new Date(t).toISOString() } }),
            ...(i === 0 && { shaping: SHAPING_ANSWER }),
            swarms: { nervous: { 'socklab_swarm_connections_total{outcome="ok"}': Math.min(i, 6), socklab_swarm_connections_in_flight: Math.max(0, 10 - i) } },
          });
        return {
          lines: Array.from({ length: 7 }, (_, i) => ({ stream: 'stdout' as const, afterMs: i * 15, line: reading(i, T0 + i * 250) })),
          // Asked for a last reading once the clients are done: one stamped now.
          onSignal: { signal: 'SIGUSR2', script: { lines: [{ stream: 'stdout', line: () => reading(7, Date.now()) }] } },
        };
      }
      case 'client-host':
        return fakeAgent(() => nervousSwarm);
      case 'swarm':
        return { lines: [{ stream: 'stderr', line: 'socklab swarm: ready' }], onSignal: { signal: 'SIGUSR2', script: { lines: nervousSwarm, exitAfterMs: 150 } } };
      default:
        return {};
    }
  };
}
