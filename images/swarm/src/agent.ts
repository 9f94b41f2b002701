import { createInterface } from 'node:readline';
import { failureOf, parseAgentMessage, parseSwarmArgs, SWARM_AGENT_READY_LINE, swarmJobLine, type SwarmAgentMessage } from '@socklab/shared';
import { limitWarnings } from './limits.js';
import { SwarmMetrics } from './metrics.js';
import { runSwarm } from './run.js';
import { checkTarget } from './safety.js';
import { humanTable } from './summary.js';

/** Where a job's lines go: stderr (what people read) and stdout (its JSON summary). */
export interface AgentOutput {
  err(line: string): void;
  out(line: string): void;
}

/**
 * The agent's own output: every line on stdout, so its log keeps their order (an engine's log stream does not keep
 * the order between stdout and stderr); a job's summary is told apart as its JSON line.
 */
const agentOutput: AgentOutput = { err: (l) => console.log(l), out: (l) => console.log(l) };

/**
 * One job: a swarm's flags, read and served (its metrics) as soon as it comes, then set off on go, ended by stop
 * or its own --max-duration (which bounds its wait for go too, as for a swarm container).
 */
class Job {
  private readonly bound = new AbortController();
  private go!: () => void;
  private readonly set = new Promise<void>((r) => (this.go = r));

  constructor(
    readonly id: string,
    private readonly args: readonly string[],
    private readonly io: AgentOutput,
  ) {
    this.bound.signal.addEventListener('abort', () => this.go(), { once: true });
  }

  start(): void {
    this.go();
  }

  stop(): void {
    this.bound.abort();
  }

  /** Run it to its end: framed by its begins and done lines, its failures told as the swarm's own would be. */
  async run(): Promise<void> {
    this.io.err(swarmJobLine.begins(this.id));
    // What the jobs before it left on the heap is collected now (the agent runs with --expose-gc), so this job's
    // memory readings, taken from its first wave on, are its own.
    (globalThis as { gc?: () => void }).gc?.();
    let code = 0;
    const metrics = new SwarmMetrics();
    try {
      await this.body(metrics);
    } catch (e) {
      const f = failureOf('socklab swarm', e);
      this.io.err(f.line);
      code = f.code;
    } finally {
      await metrics.close();
    }
    this.io.err(swarmJobLine.done(this.id, code));
  }

  private async body(metrics: SwarmMetrics): Promise<void> {
    const cfg = parseSwarmArgs([...this.args]);
    for (const w of limitWarnings(cfg)) this.io.err(`socklab swarm: warning: ${w}`);
    const timer = setTimeout(() => this.bound.abort(), cfg.maxDurationMs);
    try {
      await metrics.listen(cfg.metricsPort);
      this.io.err(swarmJobLine.ready(this.id));
      await this.set;
      const address = await checkTarget(cfg.target.host);
      const summary = await runSwarm(cfg, address, metrics, this.bound.signal, this.io.err);
      this.io.err(humanTable(summary));
      this.io.out(JSON.stringify(summary));
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The agent: jobs from `input`, one JSON message per line (@socklab/shared's swarm-agent), run one at a time; a
 * new job ends the one still running first. It ends when its input does or on SIGTERM/SIGINT, once the job in
 * hand has ended.
 */
export async function runAgent(input: NodeJS.ReadableStream, io: AgentOutput = agentOutput): Promise<void> {
  let current: Job | undefined;
  let queue: Promise<void> = Promise.resolve();
  const handle = (m: SwarmAgentMessage): void => {
    if ('job' in m) {
      current?.stop();
      const job = new Job(m.job, m.args, io);
      current = job;
      queue = queue.then(() => job.run());
      return;
    }
    if ('stop' in m) {
      // A stop may cross the job's own end, or come after a new job ended it: nothing to do then.
      if (current?.id === m.stop) current.stop();
      return;
    }
    if (current?.id !== m.go) return void io.err(`socklab swarm: warning: go for job ${m.go}, which is not the job in hand (${current?.id ?? 'none'}): ignored`);
    current.start();
  };
  const lines = createInterface({ input });
  const end = (): void => {
    current?.stop();
    lines.close();
  };
  process.once('SIGTERM', end);
  process.once('SIGINT', end);
  io.err(SWARM_AGENT_READY_LINE);
  for await (const line of lines) {
    if (line.trim() === '') continue;
    try {
      handle(parseAgentMessage(line));
    } catch (e) {
      io.err(failureOf('socklab swarm', e).line);
    }
  }
  process.off('SIGTERM', end);
  process.off('SIGINT', end);
  current?.stop();
  await queue;
}
