import {
  agentMessage,
  deadline,
  IMAGES,
  LAB_PORT,
  parseJobLine,
  parseSwarmArgs,
  SWARM_AGENT_FLAG,
  SWARM_METRICS_PORT,
  SWARM_READY_LINE,
  SWARM_START_SIGNAL,
  type SwarmAgentMessage,
  type SwarmConfig,
  type SwarmJobEvent,
} from '@socklab/shared';
import { decode, SwarmSummarySchema, type SwarmSummary } from '@socklab/shared/results';
import type { SwarmInput } from '@socklab/shared/scenario';
import type { ContainerSpec } from '../runtime/spec.js';
import { SocklabError } from '../errors.js';
import type { ContainerHandle, ContainerRuntime, ExitInfo, LogLine } from '../runtime/runtime.js';
import { containerName, roleLabels } from './common.js';
import { indent, waitReady } from './ready.js';
import type { RoleContext } from './server.js';

/** A swarm in a run is bounded even when the scenario says nothing. */
export const DEFAULT_RUN_MAX_DURATION = '2m';

/**
 * The swarm's flags for a scenario's swarm against `host` (validated by the swarm's own parser). `startOnSignal`:
 * it boots, says it is ready and waits for the start signal (a run sets a trial's swarms off together).
 */
export function swarmArgs(
  s: Partial<SwarmInput>,
  host: string,
  opts: { metrics?: boolean; port?: number; metricsPort?: number; startOnSignal?: boolean } = {},
): { args: string[]; config: SwarmConfig } {
  const a: string[] = ['--target', `${host}:${opts.port ?? LAB_PORT}`];
  const put = (flag: string, v: string | number | undefined): void => void (v !== undefined && a.push(`--${flag}`, String(v)));
  put('preset', s.preset);
  put('clients', s.clients);
  put('arrival', s.arrival);
  put('rate', s.rate);
  put('duration', s.duration);
  put('concurrency', s.concurrency);
  put('delay', s.delay);
  put('connect-timeout', s.connectTimeout);
  put('read-timeout', s.readTimeout);
  put('message', s.message);
  put('hold', s.hold);
  put('request-interval', s.requestInterval);
  if (s.expectGreeting) a.push('--expect-greeting');
  put('max-duration', s.maxDuration ?? DEFAULT_RUN_MAX_DURATION);
  // Metrics on for the live view; its own summary carries the final counts, so it need not linger for them.
  a.push('--metrics-port', opts.metrics === false ? '0' : String(opts.metricsPort ?? SWARM_METRICS_PORT));
  if (opts.startOnSignal) a.push('--start-on-signal');
  return { args: a, config: parseSwarmArgs(a) };
}

/** More ephemeral ports per tuple, and reuse of TIME_WAIT ports when the swarm closes first (as in compose). */
const CLIENT_SYSCTLS = { 'net.ipv4.ip_local_port_range': '1024 65535', 'net.ipv4.tcp_tw_reuse': '1' } as const;

/**
 * A client swarm; it runs to its end and leaves its JSON summary as the last line of stdout. On the run network
 * under its name, or inside another container's network namespace (`inside`: its client host, or a server of
 * one's own bound to loopback). Started with --start-on-signal, it is ready once it says so, and waits for `start()`.
 */
export function swarmSpec(ctx: RoleContext, name: string, args: readonly string[], inside?: string): ContainerSpec {
  return {
    name: containerName(ctx, name),
    role: 'swarm',
    image: IMAGES.swarm,
    env: {},
    cmd: [...args],
    labels: roleLabels(ctx.run, 'swarm', { 'socklab.name': name }),
    network: inside === undefined ? { kind: 'bridge', network: ctx.network, aliases: [name] } : { kind: 'container', of: inside },
    // A namespace's sysctls are set by the container that makes it.
    sysctls: inside === undefined ? { ...CLIENT_SYSCTLS } : {},
    capAdd: [],
    ready: args.includes('--start-on-signal') ? { kind: 'log', pattern: SWARM_READY_LINE, timeoutMs: 30_000 } : { kind: 'none' },
  };
}

/**
 * A swarm's client host: its network namespace and address on the run network (under the swarm's name), made
 * once for the whole run, whose one process is a swarm agent (images/swarm's --agent) that runs each trial's
 * swarm from it as a job: a trial starts no container and boots no Node for its clients, and the clients keep one
 * address, as a real client machine would. Its open-files limit is the most any of its swarms needs.
 */
export function clientHostSpec(ctx: RoleContext, name: string): ContainerSpec {
  return {
    name: containerName(ctx, name),
    role: 'client-host',
    image: IMAGES.swarm,
    env: {},
    cmd: [SWARM_AGENT_FLAG],
    // A full collection before each job (what the jobs before it left), so a job's memory readings are its own.
    entrypoint: ['node', '--expose-gc', '/app/main.js'],
    labels: roleLabels(ctx.run, 'client-host', { 'socklab.name': name }),
    network: { kind: 'bridge', network: ctx.network, aliases: [name] },
    sysctls: { ...CLIENT_SYSCTLS },
    capAdd: [],
    stdin: true,
    ready: { kind: 'none' },
  };
}

export interface SwarmRun {
  readonly exit: ExitInfo;
  /** Its whole log, stdout and stderr. */
  readonly logs: string;
  readonly summary: SwarmSummary | undefined;
  /** Why there is no summary, when there is none. */
  readonly summaryError?: string;
  /** Its stderr lines (the table, warnings, one line per wave). */
  readonly stderr: readonly string[];
}

/** The summary line: the last stdout line that is a JSON object. */
function swarmSummaryOf(stdout: readonly string[]): { summary?: SwarmSummary; error?: string } {
  const line = [...stdout].reverse().find((l) => l.startsWith('{'));
  if (line === undefined) return { error: 'the swarm printed no JSON summary' };
  try {
    return { summary: decode(SwarmSummarySchema, 'swarm summary', line) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A trial's swarm, wherever it runs: ready to be set off, then its clients done, then its result. */
export interface TrialSwarm {
  /** Resolves once it waits for `start()`; rejects, naming it with its last lines, if it ends or hangs first. */
  ready(signal: AbortSignal): Promise<void>;
  /** Set it off. */
  start(): Promise<void>;
  /** End it now, its summary said as cut short (its trial's bound is over). */
  stop(): Promise<void>;
  /** Resolves once its summary is out (or its output ended): its clients are done. */
  readonly summarized: Promise<void>;
  /** Its result once it has ended (a moment after its summary). */
  readonly done: Promise<SwarmRun>;
}

/** A swarm's output as it comes: stdout and stderr lines, the moment its summary is out, its result at the end. */
class SwarmOutput {
  private readonly stdout: string[] = [];
  private readonly stderr: string[] = [];
  readonly summarized: Promise<void>;
  private markSummarized = (): void => {};

  constructor(private readonly onStderr?: (line: string) => void) {
    this.summarized = new Promise<void>((r) => (this.markSummarized = r));
  }

  line(l: LogLine): void {
    (l.stream === 'stdout' ? this.stdout : this.stderr).push(l.line);
    if (l.stream === 'stderr') this.onStderr?.(l.line);
    else if (swarmSummaryOf([l.line]).summary) this.markSummarized();
  }

  /** No more lines will come. */
  end(): void {
    this.markSummarized();
  }

  /** The last `n` lines, as a container's tail shows them. */
  tail(n: number): string {
    return [...this.stdout, ...this.stderr].slice(-n).join('\n');
  }

  result(exit: ExitInfo): SwarmRun {
    const { summary, error } = swarmSummaryOf(this.stdout);
    return { exit, logs: [...this.stdout, ...this.stderr].join('\n'), summary, ...(error !== undefined && { summaryError: error }), stderr: this.stderr };
  }
}

/** A swarm in a container of its own (inside a server bound to loopback, or a test's): follow it, its result when it exits. */
export class StartedSwarm implements TrialSwarm {
  readonly done: Promise<SwarmRun>;
  readonly summarized: Promise<void>;

  constructor(
    readonly handle: ContainerHandle,
    readonly spec: ContainerSpec,
    onStderr?: (line: string) => void,
  ) {
    const output = new SwarmOutput(onStderr);
    this.summarized = output.summarized;
    const follow = (async (): Promise<void> => {
      for await (const l of handle.lines()) output.line(l);
    })()
      .catch(() => {})
      .finally(() => output.end());
    this.done = (async () => {
      const exit = await handle.wait();
      await follow;
      return output.result(exit);
    })();
    this.done.catch(() => {});
  }

  async ready(signal: AbortSignal): Promise<void> {
    await waitReady(this.handle, this.spec, { signal });
  }

  /** Set it off (a swarm started with --start-on-signal waits for this). */
  async start(): Promise<void> {
    await this.handle.signal(SWARM_START_SIGNAL);
  }

  /** SIGTERM: it cuts its clients short and prints its summary. */
  async stop(): Promise<void> {
    await this.handle.signal('SIGTERM');
  }
}

/** Create and start a swarm's container; one with --start-on-signal still waits for `start()`. */
export async function startSwarm(rt: ContainerRuntime, spec: ContainerSpec, onStderr?: (line: string) => void): Promise<StartedSwarm> {
  return new StartedSwarm(await rt.start(spec), spec, onStderr);
}

/** How long a job may take to be ready (its flags read, its metrics served), as a swarm container's boot. */
const JOB_READY_MS = 30_000;

/** A trial's swarm run by its client host's agent, told by the agent's lines between its begins and done. */
export class AgentJob implements TrialSwarm {
  readonly done: Promise<SwarmRun>;
  readonly summarized: Promise<void>;
  private readonly output: SwarmOutput;
  private readonly readyOrEnd: Promise<ExitInfo | 'ready'>;
  private markReady = (): void => {};
  private markEnd = (_: ExitInfo): void => {};
  private markLost = (_: unknown): void => {};
  private ended: ExitInfo | undefined;

  constructor(
    private readonly agent: SwarmAgent,
    /** Its id on the agent (the trial's). */
    readonly id: string,
    /** The swarm's name, for errors. */
    readonly name: string,
    onStderr?: (line: string) => void,
  ) {
    this.output = new SwarmOutput(onStderr);
    this.summarized = this.output.summarized;
    const end = new Promise<ExitInfo>((resolve, reject) => {
      this.markEnd = resolve;
      this.markLost = reject;
    });
    this.readyOrEnd = Promise.race([new Promise<'ready'>((r) => (this.markReady = () => r('ready'))), end]);
    this.done = end.then((exit) => this.output.result(exit));
    this.done.catch(() => {});
    this.readyOrEnd.catch(() => {});
  }

  /** Its agent could not be asked how it ended (the engine is lost): what waits on it is told so. */
  lost(e: unknown): void {
    if (this.ended) return;
    this.ended = { code: -1, oomKilled: false };
    this.output.end();
    this.markLost(e);
  }

  /** A line of the agent's while this job is in hand (its framing lines told apart). */
  line(l: LogLine, event: SwarmJobEvent | undefined): void {
    if (event?.event === 'ready') this.markReady();
    else if (event?.event === 'done') this.finish({ code: event.code, oomKilled: false });
    else if (!event) this.output.line(l);
  }

  /** It ended: done (its exit code as a swarm container's), or its agent ended with it in hand. */
  finish(exit: ExitInfo): void {
    if (this.ended) return;
    this.ended = exit;
    this.output.end();
    this.markEnd(exit);
  }

  async ready(signal: AbortSignal): Promise<void> {
    const bound = deadline(signal, JOB_READY_MS);
    const got = await Promise.race([this.readyOrEnd, new Promise<'late'>((r) => (bound.signal.aborted ? r('late') : bound.signal.addEventListener('abort', () => r('late'), { once: true })))]);
    bound.clear();
    if (got === 'ready') return;
    await this.stop();
    if (signal.aborted) throw new SocklabError(`interrupted while waiting for swarm ${this.name}`);
    const where = `swarm ${this.name} (trial ${this.id}'s job on the client host ${this.agent.handle.name})`;
    // Its own lines, or (none: the agent itself failed) the agent's last.
    const lines = `its last lines:\n${indent(this.output.tail(15) || this.agent.tail())}`;
    throw new SocklabError(got === 'late' ? `${where} not ready after ${JOB_READY_MS} ms; ${lines}` : `${where} ended (exit ${got.code}) before it was ready; ${lines}`, {
      container: this.agent.handle.name,
      ...(got !== 'late' && { exitCode: got.code }),
    });
  }

  async start(): Promise<void> {
    await this.agent.send({ go: this.id });
  }

  /** End it now if it still runs (its bound, or the trial's teardown): its agent is then free for the next trial's. */
  async stop(): Promise<void> {
    if (!this.ended) await this.agent.send({ stop: this.id }).catch(() => {});
  }
}


/**
 * A client host's swarm agent, as the run drives it: jobs written to its stdin, their lines read back from its
 * log (everything between a job's begins and done lines is that job's). One that ends takes the job in hand with
 * it, said with its exit code, and takes no more.
 */
export class SwarmAgent {
  /** The jobs given and not yet ended, by id. */
  private readonly jobs = new Map<string, AgentJob>();
  private exit: ExitInfo | undefined;
  /** Why it can be asked nothing more: the engine was lost. */
  private lostWith: unknown;
  /** Its last lines outside any job (its own failure, at boot or later), for the errors that name it. */
  private readonly own: string[] = [];

  constructor(readonly handle: ContainerHandle) {
    // Its wait is asked for now, while the engine answers: one asked once its log is cut would fail at once
    // instead of being told as a lost engine.
    const exited = handle.wait();
    exited.catch(() => {});
    void this.follow(exited);
  }

  private async follow(exited: Promise<ExitInfo>): Promise<void> {
    let current: AgentJob | undefined;
    try {
      for await (const l of this.handle.lines()) {
        // A framing line is its own job's; any other line is the job in hand's. The agent prints all on stdout
        // (to keep their order): a job's summary is its JSON line, the rest is what a swarm prints on stderr.
        const event = parseJobLine(l.line);
        const job = event ? this.jobs.get(event.job) : current;
        if (event?.event === 'begins') current = job;
        if (job) job.line({ stream: l.line.startsWith('{') ? 'stdout' : 'stderr', line: l.line }, event);
        else if (!event && this.own.push(l.line) > 15) this.own.shift();
        if (event?.event === 'done' && job) {
          this.jobs.delete(event.job);
          if (job === current) current = undefined;
        }
      }
    } catch {
      /* its log ends with it */
    }
    try {
      this.exit = await exited;
    } catch (e) {
      // The engine is lost: the trial in hand fails with that, as it does when it waits on a swarm container.
      this.exit = { code: -1, oomKilled: false };
      this.lostWith = e;
      for (const j of this.jobs.values()) j.lost(e);
      return;
    }
    for (const j of this.jobs.values()) j.finish(this.exit);
  }

  /** Its last lines outside any job, as an error shows them. */
  tail(): string {
    return this.own.join('\n');
  }

  /** Hand it a trial's swarm (`args`: the swarm's flags); the job boots, then waits for its start. */
  async job(id: string, name: string, args: readonly string[], onStderr?: (line: string) => void): Promise<AgentJob> {
    if (this.lostWith !== undefined) throw this.lostWith;
    if (this.exit) {
      const said = this.own.length > 0 ? `; its last lines:\n${indent(this.tail())}` : '';
      throw new SocklabError(`the client host ${this.handle.name} has ended (exit ${this.exit.code}): its swarm agent runs no more trials${said}`, { container: this.handle.name });
    }
    const job = new AgentJob(this, id, name, onStderr);
    this.jobs.set(id, job);
    await this.send({ job: id, args });
    return job;
  }

  send(m: SwarmAgentMessage): Promise<void> {
    return this.handle.write(agentMessage(m));
  }
}
