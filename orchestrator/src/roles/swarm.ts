import { IMAGES, LAB_PORT, parseSwarmArgs, SWARM_METRICS_PORT, type SwarmConfig } from '@socklab/shared';
import { decode, SwarmSummarySchema, type SwarmSummary } from '@socklab/shared/results';
import type { SwarmInput } from '@socklab/shared/scenario';
import type { ContainerSpec } from '../plan/types.js';
import type { ContainerHandle, ContainerRuntime, ExitInfo } from '../runtime/runtime.js';
import { roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/** A swarm in a run is bounded even when the scenario says nothing. */
export const DEFAULT_RUN_MAX_DURATION = '2m';

/** The swarm's flags for a scenario's swarm against `host` (validated by the swarm's own parser). */
export function swarmArgs(s: Partial<SwarmInput>, host: string, opts: { metrics?: boolean; port?: number; metricsPort?: number } = {}): { args: string[]; config: SwarmConfig } {
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
  // Metrics on for the live view; a linger so the last values are sampled before it exits.
  if (opts.metrics === false) a.push('--metrics-port', '0');
  else a.push('--metrics-port', String(opts.metricsPort ?? SWARM_METRICS_PORT), '--linger', '300ms');
  return { args: a, config: parseSwarmArgs(a) };
}

/** A client swarm on the run network; it runs to its end and leaves its JSON summary as the last line of stdout. */
export function swarmSpec(ctx: RoleContext, name: string, args: readonly string[], alias = name): ContainerSpec {
  return {
    name: `${ctx.prefix}-${name}`,
    role: 'swarm',
    image: IMAGES.swarm,
    env: {},
    cmd: [...args],
    labels: roleLabels(ctx.run, 'swarm', { 'socklab.name': name }),
    network: { kind: 'bridge', network: ctx.network, aliases: [alias] },
    // More ephemeral ports per tuple, and reuse of TIME_WAIT ports when the swarm closes first (as in compose).
    sysctls: { 'net.ipv4.ip_local_port_range': '1024 65535', 'net.ipv4.tcp_tw_reuse': '1' },
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
export function swarmSummaryOf(stdout: readonly string[]): { summary?: SwarmSummary; error?: string } {
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

  constructor(
    readonly handle: ContainerHandle,
    readonly spec: ContainerSpec,
    onStderr?: (line: string) => void,
  ) {
    const follow = (async (): Promise<void> => {
      for await (const l of handle.lines()) {
        (l.stream === 'stdout' ? this.stdout : this.stderr).push(l.line);
        if (l.stream === 'stderr') onStderr?.(l.line);
      }
    })().catch(() => {});
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
}

export async function startSwarm(rt: ContainerRuntime, spec: ContainerSpec, onStderr?: (line: string) => void): Promise<StartedSwarm> {
  return new StartedSwarm(await rt.start(spec), spec, onStderr);
}
