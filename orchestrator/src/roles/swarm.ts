import { IMAGES, LAB_PORT, parseSwarmArgs, SWARM_METRICS_PORT, SWARM_READY_LINE, SWARM_START_SIGNAL, type SwarmConfig } from '@socklab/shared';
import { decode, SwarmSummarySchema, type SwarmSummary } from '@socklab/shared/results';
import type { SwarmInput } from '@socklab/shared/scenario';
import type { ContainerSpec } from '../runtime/spec.js';
import type { ContainerHandle, ContainerRuntime, ExitInfo } from '../runtime/runtime.js';
import { containerName, roleLabels } from './common.js';
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
 * once for the whole run and idle, so each trial's swarm joins it instead of waiting for the engine to make a
 * namespace: trials start faster, and the clients keep one address, as a real client machine would.
 */
export function clientHostSpec(ctx: RoleContext, name: string): ContainerSpec {
  return {
    name: containerName(ctx, name),
    role: 'client-host',
    image: IMAGES.swarm,
    env: {},
    cmd: ['infinity'],
    entrypoint: ['sleep'],
    labels: roleLabels(ctx.run, 'client-host', { 'socklab.name': name }),
    network: { kind: 'bridge', network: ctx.network, aliases: [name] },
    sysctls: { ...CLIENT_SYSCTLS },
    capAdd: [],
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

/** A running swarm: follow its output, and its result when it exits. */
export class StartedSwarm {
  readonly done: Promise<SwarmRun>;
  private readonly stdout: string[] = [];
  private readonly stderr: string[] = [];

  /**
   * Resolves once its summary line is out (or its output ended): its clients are done, though the container may
   * take a moment more to be reported as exited.
   */
  readonly summarized: Promise<void>;

  constructor(
    readonly handle: ContainerHandle,
    readonly spec: ContainerSpec,
    onStderr?: (line: string) => void,
  ) {
    let summarized = (): void => {};
    this.summarized = new Promise<void>((r) => (summarized = r));
    const follow = (async (): Promise<void> => {
      for await (const l of handle.lines()) {
        (l.stream === 'stdout' ? this.stdout : this.stderr).push(l.line);
        if (l.stream === 'stderr') onStderr?.(l.line);
        else if (swarmSummaryOf([l.line]).summary) summarized();
      }
    })()
      .catch(() => {})
      .finally(summarized);
    this.done = (async () => {
      const exit = await handle.wait();
      await follow;
      const { summary, error } = swarmSummaryOf(this.stdout);
      return {
        exit,
        logs: [...this.stdout, ...this.stderr].join('\n'),
        summary,
        ...(error !== undefined && { summaryError: error }),
        stderr: this.stderr,
      };
    })();
    this.done.catch(() => {});
  }

  /** Set it off (a swarm started with --start-on-signal waits for this). */
  async start(): Promise<void> {
    await this.handle.signal(SWARM_START_SIGNAL);
  }
}

/** Create and start a swarm's container; one with --start-on-signal still waits for `start()`. */
export async function startSwarm(rt: ContainerRuntime, spec: ContainerSpec, onStderr?: (line: string) => void): Promise<StartedSwarm> {
  return new StartedSwarm(await rt.start(spec), spec, onStderr);
}
