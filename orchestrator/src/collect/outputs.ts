import type { RunDir } from '../results/run-dir.js';
import type { StatsSample } from '../runtime/runtime.js';
import type { DecodedLine } from './sampler.js';
import type { SwarmSummary } from '@socklab/shared/results';

/**
 * One subscriber of a trial's collection (k6's `Output`): told when the clients are set off, each reading as it
 * arrives, each swarm's summary, and when the trial's collection ends. The engine only pumps the streams; what is
 * kept, written or shown is each output's own.
 */
export interface TrialOutput {
  /** The swarms were set off at `at` (epoch ms): what comes after is the experiment. */
  start?(at: number): void;
  /** A line of a server's sampler: its raw text and what it decodes to (null when it does not decode). */
  sample?(server: string, raw: string, line: DecodedLine | null): void;
  /** A reading of a server container's resource use from the engine. */
  stats?(server: string, s: StatsSample): void;
  /** A collector of a server failed (its stream broke): what is missing, and why. */
  lost?(server: string, what: string): void;
  /** A swarm's own summary, once it is done. */
  swarm?(name: string, summary: SwarmSummary): void;
  /** The trial's collection is over: nothing more comes. */
  stop?(): void;
}

/** Every output, told the same things in the same order. */
export function fanOut(outputs: readonly TrialOutput[]): Required<TrialOutput> {
  return {
    start: (at) => {
      for (const o of outputs) o.start?.(at);
    },
    sample: (server, raw, line) => {
      for (const o of outputs) o.sample?.(server, raw, line);
    },
    stats: (server, s) => {
      for (const o of outputs) o.stats?.(server, s);
    },
    lost: (server, what) => {
      for (const o of outputs) o.lost?.(server, what);
    },
    swarm: (name, summary) => {
      for (const o of outputs) o.swarm?.(name, summary);
    },
    stop: () => {
      for (const o of outputs) o.stop?.();
    },
  };
}

/**
 * Each collector's raw file as data arrive (trial-N/samples-<server>.jsonl, stats-<server>.jsonl: a crash loses
 * nothing written), and each swarm's summary (trial-N/swarm-<name>.json).
 */
export function rawFiles(dir: RunDir, trial: string): TrialOutput {
  return {
    sample: (server, raw) => dir.append(`trial-${trial}/samples-${server}.jsonl`, raw),
    stats: (server, s) => dir.append(`trial-${trial}/stats-${server}.jsonl`, JSON.stringify(s)),
    swarm: (name, summary) => dir.json(`trial-${trial}/swarm-${name}.json`, summary),
  };
}
