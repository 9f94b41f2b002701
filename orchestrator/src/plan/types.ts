import type { Role } from '@socklab/shared';
import type { Scenario } from '@socklab/shared/scenario';

/** How a container joins the network: on the run's bridge under an alias, or inside another container's namespace. */
export type NetworkAttach =
  | { readonly kind: 'bridge'; readonly network: string; readonly aliases: readonly string[] }
  | { readonly kind: 'container'; readonly of: string };

/** A readiness check, defined by each role: a log line, or none (the container only has to start). */
export type Readiness = { readonly kind: 'log'; readonly pattern: string; readonly timeoutMs: number } | { readonly kind: 'none' };

/** Everything needed to create one container: pure data, serializable into plan.json. */
export interface ContainerSpec {
  /** Container name, unique on the engine: `<run>-<trial>-<role name>`. */
  readonly name: string;
  readonly role: Role;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cmd: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly network: NetworkAttach;
  /** Join this container's PID namespace (the probe sees the server's threads). */
  readonly pidOf?: string;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly capAdd: readonly string[];
  readonly memoryBytes?: number;
  /** Open-file limit (the swarm at C10K needs more than the default 1024). */
  readonly nofile?: number;
  readonly ready: Readiness;
}

/** A server with the containers that go with it: its probe and its sampler. */
export interface ServerPlan {
  readonly name: string;
  readonly model: string;
  /** The port it listens on (7000 for socklab's models; a server of one's own says). */
  readonly port: number;
  /** A server of one's own (an image or a Python file): observed from outside, ready once its port listens. */
  readonly own: boolean;
  /**
   * Where its clients run: on the run network, or in its own network namespace against 127.0.0.1 (a server
   * bound to loopback, as the seeds' programs are); `auto` decides once the probe sees where it listens.
   */
  readonly localhost: boolean | 'auto';
  readonly server: ContainerSpec;
  readonly probe: ContainerSpec;
  readonly sampler: ContainerSpec;
}

export interface SwarmPlan {
  readonly name: string;
  /** Name of the server it targets. */
  readonly target: string;
  readonly clients: number;
  readonly container: ContainerSpec;
}

/** One execution of the experiment: fresh servers and swarms, so peaks and counters start at zero. */
export interface TrialPlan {
  readonly id: string;
  /** The compare matrix coordinates of this trial (empty for a plain run), e.g. { model: 'threaded', clients: '10' }. */
  readonly cell: Readonly<Record<string, string>>;
  readonly repetition: number;
  readonly servers: readonly ServerPlan[];
  readonly swarms: readonly SwarmPlan[];
  /** Bound on the trial once its swarms run (their max-duration plus a margin). */
  readonly timeoutMs: number;
}

export const PLAN_VERSION = 1;

/** The whole experiment, pure and serializable: `--dry-run` prints it and every run writes it as plan.json. */
export interface RunPlan {
  readonly planVersion: typeof PLAN_VERSION;
  readonly runId: string;
  readonly kind: 'run' | 'compare';
  readonly scenario: Scenario;
  /** Where the scenario came from: a built-in name, a file path, or `flags`. */
  readonly source: string;
  readonly network: { readonly name: string; readonly internal: true; readonly labels: Readonly<Record<string, string>> };
  /** Seed of the random draws (the probe's loss and jitter), recorded so a rerun can repeat them. */
  readonly seed: number;
  /** Sampling period of the server metrics and the probe's state during a run. */
  readonly sampleEveryMs: number;
  /** Pause between the servers being ready and the swarms starting, so idle figures are taken at rest. */
  readonly warmupMs: number;
  readonly trials: readonly TrialPlan[];
}
