/**
 * The results of a run, defined once as a zod schema: the types are derived from it, and results.json is
 * decoded strictly against it, so a field cannot be added to one and missing from the other. Results are data:
 * nothing here knows the engine, the report or the terminal.
 */
import { z } from 'zod';
import { BLOCKING_CALLS, OUTCOMES } from '@socklab/shared';
import { ShapingAnswerSchema, SwarmSummarySchema } from '@socklab/shared/results';
import { EXPECTATION_KEYS } from '@socklab/shared/scenario';
import { PLAN_VERSION, type RunPlan } from '../plan/types.js';

export const RESULTS_SCHEMA_VERSION = 2;

const n = z.number();
const ms = z.number().nonnegative();
const strings = z.record(z.string(), z.string());
const outcomeCounts = z.strictObject(Object.fromEntries(OUTCOMES.map((o) => [o, n])) as Record<(typeof OUTCOMES)[number], typeof n>);

/** The server's own metrics at one instant (from the sampler), stamped when read. */
const ServerSampleSchema = z.strictObject({
  t: n,
  accepted: n,
  active: n,
  inService: n,
  /** Every OS thread of the server process (the runtime's included). */
  threads: n,
  /** The model's own threads (named sl-*): what the course counts. */
  modelThreads: n,
  /** The highest in-service count and own-thread count the server itself saw since it started (its peak gauges). */
  inServicePeak: n,
  modelThreadsPeak: n,
  processes: n,
  rssBytes: n,
  cpuSeconds: n,
  handled: z.partialRecord(z.enum(OUTCOMES), n),
});
export type ServerSample = z.infer<typeof ServerSampleSchema>;

/** The kernel's view at one instant (the probe's /state, through the sampler), stamped when the probe read it. */
const ProbeSampleSchema = z.strictObject({
  t: n,
  listening: z.boolean(),
  acceptQueue: n,
  acceptQueueMax: n.nullable(),
  synRecv: n,
  established: n,
  unaccepted: n,
  closeWait: n,
  /** Bytes arrived on accepted connections that the server has not read (their receive queues), on how many. */
  unreadBytes: n.optional(),
  unreadSockets: n.optional(),
  /** Threads of the processes in the server's PID namespace (the probe's thread view), when it has one. */
  threads: n.nullable(),
  /** Of those, the model's own (sl-*) or, for a program of one's own, all of them. */
  ownThreads: n.nullable(),
  /** Threads blocked in recv on an empty socket for a while (one side of a deadlock). */
  stalledRecv: n,
  /** Where its own threads (the model's, or a program's) were: running, or blocked in each call. */
  ownCalls: z.partialRecord(z.enum([...BLOCKING_CALLS, 'running']), n).nullable(),
  /** What each of its own threads' stacks costs: the median mapping and its resident part (smaps), when measured. */
  stack: z.strictObject({ threads: n, mappedBytes: n, residentBytes: n }).nullable(),
  /** Resident memory of the processes in the server's PID namespace (VmRSS), when the probe read them. */
  rssBytes: n.nullable(),
  /** Absolute kernel counters of the namespace, by kernel name ("TcpExt ListenOverflows", ...). */
  counters: z.record(z.string(), n),
  /** The machine's TCP buffer memory (sockstat's mem, in bytes: every namespace, both ends), when read. */
  tcpMemoryBytes: n.nullable().optional(),
});
export type ProbeSample = z.infer<typeof ProbeSampleSchema>;

/** The swarms' live counts at one instant (their metrics, through the sampler). */
const LiveSampleSchema = z.strictObject({ t: n, outcomes: outcomeCounts, inFlight: n });
export type LiveSample = z.infer<typeof LiveSampleSchema>;

const ReadCountSchema = z.strictObject({ ok: n, failed: n, lastError: z.string().nullable() });
export type ReadCount = z.infer<typeof ReadCountSchema>;

/** One reading of a container's resource use by the engine (about one a second). */
const StatsSampleSchema = z.strictObject({
  t: n,
  memoryBytes: n,
  /** CPU in cores since the previous reading (1 = one core busy). */
  cpuCores: n,
  pids: n,
});

const ExitReportSchema = z.strictObject({
  code: n,
  oomKilled: z.boolean(),
  /** The container's memory limit, when it had one and the kernel killed it for hitting it. */
  memoryLimitBytes: n.optional(),
  /** When the engine told of the exit (epoch ms), for a container that ended during a trial. */
  at: n.optional(),
});
export type ExitReport = z.infer<typeof ExitReportSchema>;

const ServerResultSchema = z.strictObject({
  name: z.string(),
  model: z.string(),
  /** A server of one's own (an image or a Python file), observed from outside. */
  userServer: z.boolean(),
  port: n,
  /** Its clients ran in its own network namespace against 127.0.0.1 (it listened on loopback only). */
  localhost: z.boolean(),
  container: z.string(),
  env: strings,
  sysctls: strings,
  /** The container's limits as the plan set them: memory in bytes, CPU in cores (null: none). */
  memoryLimitBytes: n.nullable(),
  cpus: n.nullable(),
  /** Set when the server stopped during the trial (it should not). */
  died: ExitReportSchema.nullable(),
  samples: z.array(ServerSampleSchema),
  probe: z.array(ProbeSampleSchema),
  stats: z.array(StatsSampleSchema),
  shaping: ShapingAnswerSchema.nullable(),
  /** Namespace sysctls as the probe read them. */
  sysctlsSeen: strings.nullable(),
  /**
   * How many readings of the server's own metrics (null: a server of one's own has none) and of the probe's
   * kernel view were taken and how many failed while the server lived, with the last failure's reason.
   */
  reads: z.strictObject({ server: ReadCountSchema.nullable(), probe: ReadCountSchema }).optional(),
  /** Which of this server's data are missing, and why. */
  missing: z.array(z.string()),
});
export type ServerResult = z.infer<typeof ServerResultSchema>;

const SwarmResultSchema = z.strictObject({
  name: z.string(),
  target: z.string(),
  clients: n,
  /** Its clients' timeouts as the plan set them (0: none), and whether they waited for the server to speak. */
  connectTimeoutMs: n,
  readTimeoutMs: n,
  expectGreeting: z.boolean(),
  args: z.array(z.string()),
  exit: ExitReportSchema.nullable(),
  summary: SwarmSummarySchema.nullable(),
  waves: z.array(z.string()),
  missing: z.array(z.string()),
});
export type SwarmResult = z.infer<typeof SwarmResultSchema>;

/** Where a trial's time went, in ms: the engine's own work around the experiment, phase by phase. */
const TrialTimingsSchema = z.strictObject({
  /** Creating and starting its containers (for a server of one's own: until its clients' containers could start). */
  startMs: ms,
  /** Until servers, probes and clients were ready and a reading of each server at rest had come in. */
  readinessMs: ms,
  /** From setting the clients off until the last one was done. */
  experimentMs: ms,
  /** A last reading of each server and the clients' summaries. */
  collectMs: ms,
  /** Killing and removing its containers (with compare, while the next trial starts). */
  teardownMs: ms,
});
export type TrialTimings = z.infer<typeof TrialTimingsSchema>;

const TrialResultSchema = z.strictObject({
  id: z.string(),
  cell: strings,
  repetition: n,
  startedAt: z.string(),
  /** When the first swarm started (epoch ms, the clock the samples are stamped with): time zero of the charts. */
  swarmsStartedAt: n,
  /** From the swarms' start to the last one's end. */
  durationMs: n,
  servers: z.array(ServerResultSchema),
  swarms: z.array(SwarmResultSchema),
  live: z.array(LiveSampleSchema),
  interrupted: z.boolean(),
  timings: TrialTimingsSchema,
});
export type TrialResult = z.infer<typeof TrialResultSchema>;

/** Where a run's time went outside its trials, in ms. */
const RunTimingsSchema = z.strictObject({
  /** Asking the engine and checking the images, before anything was made. */
  preflightMs: ms,
  /** Creating the run's network and the swarms' client hosts (and attaching a live-view Prometheus). */
  networkMs: ms,
  /** Removing the network and whatever else the run's label still finds. */
  cleanupMs: ms,
  /** From the preflight to the end of the cleanup. */
  totalMs: ms,
});

const ManifestSchema = z.strictObject({
  socklabVersion: z.string(),
  gitCommit: z.string().nullable(),
  node: z.string(),
  host: z.strictObject({ platform: z.string(), arch: z.string() }),
  engine: z.strictObject({ version: z.string(), os: z.string(), arch: z.string(), kernel: z.string(), cgroup: z.string(), cpus: z.number().optional() }).nullable(),
  images: z.record(z.string(), z.string().nullable()),
  /** What the kernel offers for shaping (from the first probe): netem, or the NFQUEUE fallback. */
  kernel: z.strictObject({ shapingMethod: z.string(), netem: z.boolean(), nfqueue: z.boolean(), ifb: z.boolean(), tbf: z.boolean() }).nullable(),
  sysctls: strings.nullable(),
  seed: n,
  startedAt: z.string(),
  finishedAt: z.string(),
});
export type Manifest = z.infer<typeof ManifestSchema>;

const ExpectationCheckSchema = z.strictObject({
  trial: z.string(),
  key: z.enum(EXPECTATION_KEYS),
  expected: z.string(),
  measured: n.nullable(),
  met: z.boolean(),
});
export type ExpectationCheck = z.infer<typeof ExpectationCheckSchema>;

/** The plan a run ran, as plan.json has it: checked for its version and scenario, the rest taken as written. */
const RunPlanSchema = z.custom<RunPlan>((v) => {
  const p = v as { planVersion?: unknown; runId?: unknown; scenario?: { name?: unknown; title?: unknown; question?: unknown }; trials?: unknown };
  return p?.planVersion === PLAN_VERSION && typeof p.runId === 'string' && typeof p.scenario?.name === 'string' && Array.isArray(p.trials);
}, `a plan of version ${PLAN_VERSION}`);

export const ResultsSchema = z.strictObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  kind: z.enum(['run', 'compare']),
  plan: RunPlanSchema,
  manifest: ManifestSchema,
  trials: z.array(TrialResultSchema),
  expectations: z.array(ExpectationCheckSchema),
  interrupted: z.boolean(),
  /** Run-wide problems worth a line in the report (a trial that failed to start, ...). */
  problems: z.array(z.string()),
  timings: RunTimingsSchema,
});
export type Results = z.infer<typeof ResultsSchema>;
