import { ConfigError } from './errors.js';

/**
 * A swarm agent: the one process of a client host (`socklab-swarm --agent`), alive for a whole run, that runs the
 * run's swarms from that host one job at a time, so a trial starts no container and boots no Node for its
 * clients. The orchestrator writes one JSON message per line on the agent's stdin:
 *
 *   {"job":"3","args":["--target","server:7000","--clients","10",...]}   prepare trial 3's swarm (its flags)
 *   {"go":"3"}                                                          set it off
 *   {"stop":"3"}                                                        end it now (its bound ended, or the trial did)
 *
 * and reads the job's output on the agent's log: everything between its `begins` and `done` lines is the job's,
 * the same lines a swarm container prints, its JSON summary last. The agent prints every line on stdout, in order
 * (an engine's log does not keep the order between its stdout and stderr): the summary is the JSON line.
 */
export const SWARM_AGENT_FLAG = '--agent';

/** What the agent prints once it reads its stdin. */
export const SWARM_AGENT_READY_LINE = 'socklab swarm: agent waiting for jobs';

export type SwarmAgentMessage = { readonly job: string; readonly args: readonly string[] } | { readonly go: string } | { readonly stop: string };

/** A job's id: what a trial is called (its number), no spaces, so the agent's lines parse back. */
const JOB_ID = /^[\w.-]{1,64}$/;

function jobId(v: unknown): string {
  if (typeof v !== 'string' || !JOB_ID.test(v)) throw new ConfigError(`invalid job id ${JSON.stringify(v)}: expected 1 to 64 letters, digits, '.', '_' or '-'`);
  return v;
}

export function agentMessage(m: SwarmAgentMessage): string {
  return `${JSON.stringify(m)}\n`;
}

/** A line of the agent's stdin as a message; a line that is none is a ConfigError naming it. */
export function parseAgentMessage(line: string): SwarmAgentMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new ConfigError(`invalid agent message ${JSON.stringify(line.slice(0, 200))}: expected one JSON object per line`);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if ('job' in o) {
    if (!Array.isArray(o.args) || !o.args.every((a) => typeof a === 'string')) throw new ConfigError(`invalid agent message ${JSON.stringify(line.slice(0, 200))}: a job's "args" are a list of strings`);
    return { job: jobId(o.job), args: o.args as string[] };
  }
  if ('go' in o) return { go: jobId(o.go) };
  if ('stop' in o) return { stop: jobId(o.stop) };
  throw new ConfigError(`invalid agent message ${JSON.stringify(line.slice(0, 200))}: expected {"job","args"}, {"go"} or {"stop"}`);
}

/** The lines that frame a job in the agent's output. */
export const swarmJobLine = {
  begins: (job: string): string => `socklab swarm: job ${job} begins`,
  /** Its flags are read and its metrics served: it waits for go. */
  ready: (job: string): string => `socklab swarm: job ${job} ready`,
  /** Its exit code, as the same swarm run as a container would have exited. */
  done: (job: string, code: number): string => `socklab swarm: job ${job} done (exit ${code})`,
};

export type SwarmJobEvent = { readonly job: string; readonly event: 'begins' | 'ready' } | { readonly job: string; readonly event: 'done'; readonly code: number };

const FRAME = /^socklab swarm: job ([\w.-]+) (begins|ready|done \(exit (-?\d+)\))$/;

/** A framing line back as its job and event; any other line is a job's own output (undefined). */
export function parseJobLine(line: string): SwarmJobEvent | undefined {
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const job = m[1] ?? '';
  if (m[3] !== undefined) return { job, event: 'done', code: Number(m[3]) };
  return { job, event: m[2] === 'begins' ? 'begins' : 'ready' };
}
