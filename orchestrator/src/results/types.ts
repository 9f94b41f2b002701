import type { Outcome } from '@socklab/shared';
import type { ShapingAnswer, SwarmSummary } from '@socklab/shared/results';
import type { ExpectationKey } from '@socklab/shared/scenario';
import type { RunPlan } from '../plan/types.js';
import type { EngineInfo, StatsSample } from '../runtime/runtime.js';

export const RESULTS_SCHEMA_VERSION = 1;

/** The server's own metrics at one instant (from the sampler). */
export interface ServerSample {
  readonly t: number;
  readonly accepted: number;
  readonly active: number;
  readonly inService: number;
  readonly threads: number;
  readonly processes: number;
  readonly rssBytes: number;
  readonly cpuSeconds: number;
  readonly handled: Readonly<Partial<Record<Outcome, number>>>;
}

/** The kernel's view at one instant (the probe's /state, through the sampler). */
export interface ProbeSample {
  readonly t: number;
  readonly listening: boolean;
  readonly acceptQueue: number;
  readonly acceptQueueMax: number | null;
  readonly synRecv: number;
  readonly established: number;
  readonly unaccepted: number;
  readonly closeWait: number;
  /** Threads of the processes in the server's PID namespace (the probe's thread view), when it has one. */
  readonly threads: number | null;
  /** Absolute kernel counters of the namespace, by kernel name ("TcpExt ListenOverflows", ...). */
  readonly counters: Readonly<Record<string, number>>;
}

/** The swarms' live counts at one instant (their metrics, through the sampler). */
export interface LiveSample {
  readonly t: number;
  readonly outcomes: Readonly<Record<Outcome, number>>;
  readonly inFlight: number;
}

export interface ExitReport {
  readonly code: number;
  readonly oomKilled: boolean;
  /** For people: "exit 137: killed (SIGKILL), out of memory (OOM)". */
  readonly explanation: string;
  /** The container's memory limit, when it had one and the kernel killed it for hitting it. */
  readonly memoryLimitBytes?: number;
}

export interface ServerResult {
  readonly name: string;
  readonly model: string;
  /** A server of one's own (an image or a Python file), observed from outside. */
  readonly own: boolean;
  readonly port: number;
  /** Its clients ran in its own network namespace against 127.0.0.1 (it listened on loopback only). */
  readonly localhost: boolean;
  readonly container: string;
  readonly env: Readonly<Record<string, string>>;
  readonly sysctls: Readonly<Record<string, string>>;
  /** Set when the server stopped during the trial (it should not). */
  readonly died: ExitReport | null;
  readonly samples: readonly ServerSample[];
  readonly probe: readonly ProbeSample[];
  readonly stats: readonly StatsSample[];
  readonly shaping: ShapingAnswer | null;
  /** Namespace sysctls as the probe read them. */
  readonly sysctlsSeen: Readonly<Record<string, string>> | null;
  /** Which of this server's data are missing, and why. */
  readonly missing: readonly string[];
}

export interface SwarmResult {
  readonly name: string;
  readonly target: string;
  readonly clients: number;
  readonly args: readonly string[];
  readonly exit: ExitReport | null;
  readonly summary: SwarmSummary | null;
  readonly waves: readonly string[];
  readonly missing: readonly string[];
}

export interface TrialResult {
  readonly id: string;
  readonly cell: Readonly<Record<string, string>>;
  readonly repetition: number;
  readonly startedAt: string;
  /** When the swarms started (epoch ms): time zero of the trial's charts. */
  readonly swarmsStartedAt: number;
  /** From the swarms' start to the last one's end. */
  readonly durationMs: number;
  readonly servers: readonly ServerResult[];
  readonly swarms: readonly SwarmResult[];
  readonly live: readonly LiveSample[];
  readonly interrupted: boolean;
}

export interface Manifest {
  readonly socklabVersion: string;
  readonly gitCommit: string | null;
  readonly node: string;
  readonly host: { readonly platform: string; readonly arch: string };
  readonly engine: EngineInfo | null;
  readonly images: Readonly<Record<string, string | null>>;
  /** What the kernel offers for shaping (from the first probe): netem, or the NFQUEUE fallback. */
  readonly kernel: { readonly shapingMethod: string; readonly netem: boolean; readonly nfqueue: boolean; readonly ifb: boolean; readonly tbf: boolean } | null;
  readonly sysctls: Readonly<Record<string, string>> | null;
  readonly seed: number;
  readonly startedAt: string;
  readonly finishedAt: string;
}

export interface ExpectationCheck {
  readonly trial: string;
  readonly key: ExpectationKey;
  readonly expected: string;
  readonly measured: number | null;
  readonly met: boolean;
}

export interface Results {
  readonly schemaVersion: typeof RESULTS_SCHEMA_VERSION;
  readonly runId: string;
  readonly kind: 'run' | 'compare';
  readonly plan: RunPlan;
  readonly manifest: Manifest;
  readonly trials: readonly TrialResult[];
  readonly expectations: readonly ExpectationCheck[];
  readonly interrupted: boolean;
  /** Run-wide problems worth a line in the report (a trial that failed to start, ...). */
  readonly problems: readonly string[];
}
