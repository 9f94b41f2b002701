import { arrivalCount, LAB_PORT, SWARM_LIMITS } from '@socklab/shared';
import type { Scenario, ServerInput, SwarmInput } from '@socklab/shared/scenario';
import { swarmArgs } from '../roles/swarm.js';
import { spellPreset } from './preset.js';

/**
 * How many connections one process and one client address can hold, and how a scenario's servers and swarms are
 * sized to them: the open files each process may have (the engine's limit, which a container cannot raise) and
 * the ephemeral ports one address has toward one server port (the swarm's containers widen the range to
 * 1024-65535). What no single process can hold is spread over worker processes (event-loop-workers) on the
 * server's side and over swarm containers, each with an address of its own, on the clients' side.
 */

/** File descriptors a process keeps for itself (the runtime, its metrics server, logs): not for connections. */
const RESERVED_FILES = 256;
/** Ephemeral ports of one address toward one server port, with the swarm's range of 1024-65535. */
const PORTS_PER_ADDRESS = 65_535 - 1024 + 1;
/** Docker's usual open-files limit where none was measured (these machines' engine has 20,000). */
export const ASSUMED_OPEN_FILES = 1_048_576;

export interface OpenFiles {
  /** Open files per process in a lab container. */
  readonly perProcess: number;
  /** Read from the engine (a one-shot container), or assumed when it could not be. */
  readonly measured: boolean;
}

export interface Sizing {
  readonly openFiles: OpenFiles;
  /** What the plan decided from the limits, in words (printed by --dry-run and at the start of a run). */
  readonly notes: readonly string[];
}

/** The connections a swarm makes: its clients, or what its arrival makes at its rate for its duration. */
export function connectionsOf(given: SwarmInput): number {
  const sw = spellPreset(given);
  if (sw.clients !== undefined) return sw.clients;
  const { config } = swarmArgs(sw, sw.target, { port: LAB_PORT });
  return config.arrival === 'steady' || config.arrival === 'ramp' ? arrivalCount(config.arrival, config.rate, config.durationMs) : config.clients;
}

/**
 * Connections one swarm container is given: its open files less its own, its address's ports, and no more than
 * connect() handles before it slows (about 14,000 per address toward one server port).
 */
function perSwarmContainer(openFiles: number): number {
  return Math.min(openFiles - RESERVED_FILES, PORTS_PER_ADDRESS, SWARM_LIMITS.maxClients, SWARM_LIMITS.connectSlowsPast);
}

/** A swarm cut into `k` containers of its own address each, the clients and the arrival rate shared out. */
function split(sw: SwarmInput, k: number, total: number): SwarmInput[] {
  return Array.from({ length: k }, (_, i) => {
    const clients = Math.floor(total / k) + (i < total % k ? 1 : 0);
    // A steady or ramp arrival given by its duration keeps it, at a k-th of the rate; otherwise the clients are shared.
    const byDuration = sw.duration !== undefined && sw.clients === undefined;
    return {
      ...sw,
      name: `${sw.name}-${i + 1}`,
      ...(!byDuration && { clients }),
      ...(sw.rate !== undefined && { rate: Math.max(1, Math.round(sw.rate / k)) }),
      ...(sw.concurrency !== undefined && { concurrency: Math.max(1, Math.ceil(sw.concurrency / k)) }),
    };
  });
}

/** Processes an event-loop-workers server needs for `connections` when each may open `openFiles`. */
export function processesFor(connections: number, openFiles: number): number {
  return Math.max(2, Math.ceil(connections / (openFiles - RESERVED_FILES)));
}

/** The models that serve from one process (prefork and event-loop-workers spread over several). */
const ONE_PROCESS = new Set(['sequential', 'threaded', 'worker-threads', 'pool', 'event-loop', 'polling']);

function sizeServer(srv: ServerInput, connections: number, atOnce: number, engine: OpenFiles, notes: string[]): ServerInput {
  const files = srv.openFiles ?? engine.perProcess;
  const room = files - RESERVED_FILES;
  if (srv.model === 'event-loop-workers' && srv.processes === undefined) {
    const processes = processesFor(connections, files);
    notes.push(`${srv.name}: ${processes} worker processes for ${connections.toLocaleString('en-US')} connections, each process holding at most ${room.toLocaleString('en-US')} (${files.toLocaleString('en-US')} open files less ${RESERVED_FILES} of its own)`);
    return { ...srv, processes };
  }
  if (srv.model !== undefined && ONE_PROCESS.has(srv.model) && atOnce > room) {
    notes.push(
      `${srv.name}: one ${srv.model} process may open ${files.toLocaleString('en-US')} files, fewer than the ${atOnce.toLocaleString('en-US')} connections aimed at it at once: expect failures past about ${room.toLocaleString('en-US')} (EMFILE); event-loop-workers spreads them over processes`,
    );
  }
  return srv;
}

/** Connections a swarm has open at once: all of a burst or of held ones, a closed loop's concurrency; else unknown (0). */
function openAtOnce(sw: SwarmInput): number {
  if (sw.arrival === 'closed') return sw.concurrency ?? 0;
  if (sw.hold !== undefined || sw.arrival === undefined || sw.arrival === 'burst') return connectionsOf(sw);
  return 0;
}

/**
 * Size a scenario to the limits: every swarm larger than one container holds becomes as many containers as it
 * needs, and every event-loop-workers server without `processes` gets as many as its connections need.
 */
export function sizeForLimits(s: Scenario, engine: OpenFiles): { scenario: Scenario; sizing: Sizing } {
  const notes: string[] = [];
  const swarms = s.swarms.flatMap((sw) => {
    const n = connectionsOf(sw);
    const files = sw.openFiles ?? engine.perProcess;
    const cap = perSwarmContainer(files);
    if (n <= cap) return [sw];
    const k = Math.ceil(n / cap);
    notes.push(`${sw.name}: ${n.toLocaleString('en-US')} connections in ${k} swarm containers of their own address each (one is given at most ${cap.toLocaleString('en-US')}: ${files.toLocaleString('en-US')} open files less ${RESERVED_FILES} of its own, ${PORTS_PER_ADDRESS.toLocaleString('en-US')} ports toward one server port, connect() slowing past ${SWARM_LIMITS.connectSlowsPast.toLocaleString('en-US')})`);
    return split(sw, k, n);
  });
  const aimed = (name: string, count: (w: SwarmInput) => number): number => s.swarms.filter((w) => w.target === name).reduce((a, w) => a + count(w), 0);
  const servers = s.servers.map((srv) => sizeServer(srv, aimed(srv.name, connectionsOf), aimed(srv.name, openAtOnce), engine, notes));
  if (notes.length > 0 && !engine.measured) notes.unshift(`open files per process: ${engine.perProcess.toLocaleString('en-US')}, assumed (Docker's usual default; not read from this engine)`);
  else if (notes.length > 0) notes.unshift(`open files per process: ${engine.perProcess.toLocaleString('en-US')}, read from this engine`);
  return { scenario: { ...s, servers, swarms }, sizing: { openFiles: engine, notes } };
}
