import type { Sizing } from './capacity.js';
import type { Scenario } from '@socklab/shared/scenario';
import type { ContainerSpec } from '../runtime/spec.js';

export type { ContainerSpec, NetworkAttach, Readiness } from '../runtime/spec.js';

/** A server with the containers that go with it: its probe, which samples too, or its probe and its sampler. */
export interface ServerPlan {
  readonly name: string;
  readonly model: string;
  /** The port it listens on (7000 for socklab's models; a server of one's own says). */
  readonly port: number;
  /** A server of one's own (an image or a Python file): observed from outside, ready once its port listens. */
  readonly userServer: boolean;
  /**
   * Where its clients run: on the run network, or in its own network namespace against 127.0.0.1 (a server
   * bound to loopback, as the course's programs are); `auto` decides once the probe sees where it listens.
   */
  readonly localhost: boolean | 'auto';
  readonly server: ContainerSpec;
  /** Its probe; for a socklab model on the run network, the sampler's process too (roles/sampler's withSampler). */
  readonly probe: ContainerSpec;
  /**
   * Its sampler's own container: for a server of one's own (whose first probe may give way to one on loopback
   * once it is seen where it listens) and one bound to loopback. Absent where the probe samples.
   */
  readonly sampler?: ContainerSpec;
  /** With `localhost: 'auto'`: the containers that take over once the server turns out to listen on loopback only. */
  readonly loopback?: LoopbackPlan;
}

/**
 * The clients of a server bound to 127.0.0.1 (as the course's programs are) run in its own network namespace: a
 * probe shaping `lo` when shaping is asked for, a sampler reading those swarms on 127.0.0.1, and each swarm.
 */
export interface LoopbackPlan {
  readonly probe: ContainerSpec;
  readonly sampler: ContainerSpec;
  /** By swarm name. */
  readonly swarms: Readonly<Record<string, ContainerSpec>>;
}

export interface SwarmPlan {
  readonly name: string;
  /** Name of the server it targets. */
  readonly target: string;
  readonly clients: number;
  /** Its clients' timeouts as decided here (0: none), for the report to explain what a timeout meant. */
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Its clients wait for the server to speak first (one side of the notebook's deadlock). */
  readonly expectGreeting: boolean;
  /**
   * The client host whose swarm agent runs it, as a job of the trial (over the run network). Then `container`
   * describes that job's process (its flags, open files, namespace) rather than a container of its own, which it
   * gets only without a host (inside a server bound to loopback) or when its server turns out to listen on
   * loopback only (`ServerPlan.loopback`).
   */
  readonly host?: string;
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
  /** After the clients, keep reading the servers until their sockets settle, at most this long (0: one reading). */
  readonly settleMs: number;
}

export const PLAN_VERSION = 3;

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
  /** Run-long containers: each swarm's client host on the run network, which every trial's swarm joins. */
  readonly clientHosts: readonly ContainerSpec[];
  readonly trials: readonly TrialPlan[];
  /** The open-files limit the plan was sized to, and what it decided from it (swarms split, worker processes). */
  readonly sizing: Sizing;
}
