import { emptyOutcomeCounts, OUTCOMES } from '@socklab/shared';
import type { TrialOutput } from '../collect/outputs.js';
import type { DecodedLine } from '../collect/sampler.js';
import type { TrialPlan } from '../plan/types.js';
import type { LiveSample } from '../results/types.js';
import type { Emit } from './events.js';

/** The live counts of several samplers added up (each counts the swarms aimed at its server). */
function sumLive(parts: readonly LiveSample[], t: number): LiveSample {
  const outcomes = emptyOutcomeCounts();
  let inFlight = 0;
  for (const p of parts) {
    for (const k of OUTCOMES) outcomes[k] += p.outcomes[k];
    inFlight += p.inFlight;
  }
  return { t, outcomes, inFlight };
}

/**
 * The live line of a trial, as an output of its collection: the clients' counts summed over its servers'
 * samplers and the first server's accept queue, from the moment the swarms were set off (`startedAt`).
 */
export class LiveOutput implements TrialOutput {
  /** The summed counts over time, kept for the results. */
  readonly series: LiveSample[] = [];
  private readonly latest = new Map<string, { live: LiveSample; queue: number | null; limit: number | null }>();

  /** When the swarms were set off; nothing is shown before. */
  private since: number | null = null;

  constructor(
    private readonly trial: TrialPlan,
    private readonly emit: Emit,
  ) {}

  start(at: number): void {
    this.since = at;
  }

  sample(server: string, _raw: string, d: DecodedLine | null): void {
    if (!d?.live) return;
    this.latest.set(server, { live: d.live, queue: d.probe?.acceptQueue ?? null, limit: d.probe?.acceptQueueMax ?? null });
    const since = this.since;
    if (since === null) return;
    const sum = sumLive([...this.latest.values()].map((x) => x.live), d.live.t);
    this.series.push(sum);
    const first = this.latest.get(this.trial.servers[0]?.name ?? '');
    this.emit({
      type: 'live',
      trial: this.trial.id,
      elapsedMs: Date.now() - since,
      outcomes: sum.outcomes,
      inFlight: sum.inFlight,
      acceptQueue: first?.queue ?? null,
      acceptQueueMax: first?.limit ?? null,
    });
  }
}
