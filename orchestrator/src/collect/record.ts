import type { ShapingAnswer } from '@socklab/shared/results';
import type { ServerPlan } from '../plan/types.js';
import type { ExitReport, ProbeSample, ReadCount, ServerResult, ServerSample } from '../results/types.js';
import type { StatsSample } from '../runtime/runtime.js';
import type { TrialOutput } from './outputs.js';
import type { DecodedLine } from './sampler.js';

type Wanted = (line: DecodedLine) => boolean;
/** A reading that failed: when, and why. */
type Failure = { readonly t: number; readonly error: string };

/** What one server of a trial produced while it ran, kept as it arrives. */
export class ServerRecord {
  readonly samples: ServerSample[] = [];
  readonly probe: ProbeSample[] = [];
  readonly stats: StatsSample[] = [];
  readonly missing: string[] = [];
  /** When each failed reading was taken: those after the server's death are not missing data, nothing was there. */
  private readonly failedAt: { server: Failure[]; probe: Failure[] } = { server: [], probe: [] };
  private firstProbeLine: number | undefined;
  private lastProbeLine: number | undefined;
  /** Lines that carried a probe reading (one reading shared by two lines counts twice, as failures count lines). */
  private probeLinesOk = 0;
  shaping: ShapingAnswer | null = null;
  sysctls: Readonly<Record<string, string>> | null = null;
  died: ExitReport | null = null;
  /** Its clients ran in its own network namespace against 127.0.0.1. */
  localhost = false;
  private waiting: Array<{ wanted: Wanted; resolve: (got: boolean) => void }> = [];

  constructor(readonly plan: ServerPlan) {}

  /** How many readings of the server's own metrics failed so far. */
  get serverErrors(): number {
    return this.failedAt.server.length;
  }

  /** Why the probe's last reading that failed did, or '' when none has. */
  get lastProbeError(): string {
    return this.failedAt.probe[this.failedAt.probe.length - 1]?.error ?? '';
  }

  /** Whether its sampler has printed a line yet (whatever it read): it is up, and handles a request for a reading. */
  get heard(): boolean {
    // Every line is either a reading of the server's metrics or a failure to read them.
    return this.samples.length + this.failedAt.server.length > 0;
  }

  add(d: DecodedLine): void {
    if (d.server) this.samples.push(d.server);
    else this.failedAt.server.push({ t: d.t, error: d.serverError ?? 'no metrics' });
    // A fresh reading is taken per request; one the probe was already taking is shared, so skip a repeat.
    if (d.probe) {
      this.firstProbeLine ??= d.t;
      this.lastProbeLine = d.t;
      this.probeLinesOk += 1;
    }
    if (d.probe && d.probe.t !== this.probe[this.probe.length - 1]?.t) this.probe.push(d.probe);
    else if (!d.probe) this.failedAt.probe.push({ t: d.t, error: d.probeError ?? 'no state' });
    if (d.shaping && !this.shaping) this.shaping = d.shaping;
    if (d.sysctls && !this.sysctls) this.sysctls = d.sysctls;
    const still: typeof this.waiting = [];
    for (const w of this.waiting) (w.wanted(d) ? w.resolve(true) : still.push(w));
    this.waiting = still;
  }

  /** Resolves true at the next line that is `wanted`, false when the signal aborts first. */
  next(wanted: Wanted, signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const entry = { wanted, resolve: (got: boolean): void => (signal.removeEventListener('abort', onAbort), resolve(got)) };
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((w) => w !== entry);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(entry);
    });
  }

  /** A reading of the whole server at rest: its own metrics (a socklab model) and the kernel's view. */
  static complete(userServer: boolean): Wanted {
    return (d) => d.probe !== null && (userServer || d.server !== null);
  }

  /** What is missing beyond the readings (counted in `reads`), said once the trial is over. */
  private gaps(): string[] {
    return this.stats.length === 0 ? [...this.missing, 'container stats: none'] : [...this.missing];
  }

  /**
   * The readings taken and failed once each part answered and while the server lived: the sampler starts before
   * the server and the probe listen (it is refused until they do); the probe lives in the server's PID namespace
   * and ends with it, and a dead server has no metrics, so neither is data that went missing. Of a server that
   * died, what failed after its part's last answer is counted as after the death.
   */
  private reads(): NonNullable<ServerResult['reads']> {
    // A server that died: the engine tells of it a little after the kill, and the probe (in its PID namespace) ends
    // with it, so the probe's last answer is the death's clock for both parts. A server too busy to answer its
    // metrics before then has gaps that count.
    const end = this.died ? Math.min(this.died.at ?? Infinity, this.lastProbeLine ?? Infinity) : Infinity;
    const counted = (all: readonly Failure[], ok: number, first: number | undefined): ReadCount => {
      const failed = first === undefined ? [] : all.filter((x) => x.t > first && x.t <= end);
      return { ok, failed: failed.length, lastError: (failed[failed.length - 1] ?? all[all.length - 1])?.error ?? null };
    };
    return {
      server: this.plan.userServer ? null : counted(this.failedAt.server, this.samples.length, this.samples[0]?.t),
      probe: counted(this.failedAt.probe, this.probeLinesOk, this.firstProbeLine),
    };
  }

  result(): ServerResult {
    const p = this.plan;
    return {
      name: p.name,
      model: p.model,
      userServer: p.userServer,
      port: p.port,
      localhost: this.localhost,
      container: p.server.name,
      env: p.server.env,
      sysctls: p.server.sysctls,
      memoryLimitBytes: p.server.memoryBytes ?? null,
      cpus: p.server.cpus ?? null,
      died: this.died,
      samples: this.samples,
      probe: this.probe,
      stats: this.stats,
      shaping: this.shaping,
      sysctlsSeen: this.sysctls,
      reads: this.reads(),
      missing: this.gaps(),
    };
  }
}

/** The result builder of a trial: one record per server, fed as an output of the trial's collection. */
export class TrialRecorder implements TrialOutput {
  readonly servers: ReadonlyMap<string, ServerRecord>;

  constructor(plans: readonly ServerPlan[]) {
    this.servers = new Map(plans.map((p) => [p.name, new ServerRecord(p)]));
  }

  of(server: string): ServerRecord {
    const r = this.servers.get(server);
    if (!r) throw new Error(`no server ${server} in this trial`);
    return r;
  }

  sample(server: string, _raw: string, line: DecodedLine | null): void {
    if (line) this.of(server).add(line);
  }

  stats(server: string, s: StatsSample): void {
    this.of(server).stats.push(s);
  }

  lost(server: string, what: string): void {
    this.of(server).missing.push(what);
  }
}
