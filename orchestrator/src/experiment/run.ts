import path from 'node:path';
import type { RunPlan } from '../plan/types.js';
import { RunDir } from '../results/run-dir.js';
import { writeResults } from '../report/write.js';
import type { Results } from '../results/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { Emit } from './events.js';
import type { Lang } from '../report/lang.js';
import { checkImages, executePlan, type BuildImages } from './execute.js';

export interface ExperimentOutcome {
  readonly results: Results;
  readonly dir: string;
  readonly files: { results: string; markdown: string; html: string; charts: string[] };
  /** 0 done, 3 expectations not met, 130 interrupted. */
  readonly exitCode: number;
}

/**
 * The library entry of `socklab run` and `compare`: write plan.json, execute the plan (everything removed on
 * every exit path), write results.json and the report. Ctrl-C (the signal) still writes what was collected.
 */
export async function runExperiment(rt: ContainerRuntime, plan: RunPlan, opts: { outDir: string; emit: Emit; signal: AbortSignal; lang?: Lang; build?: BuildImages }): Promise<ExperimentOutcome> {
  // An engine that does not answer, or a missing image, ends here: before the run's folder is written (socklab's
  // own images are built first when `build` is given and one is missing).
  const t0 = performance.now();
  await rt.ping();
  const images = await checkImages(rt, plan, opts.build);
  const preflightMs = performance.now() - t0;
  const dir = new RunDir(path.join(opts.outDir, plan.runId));
  dir.json('plan.json', plan);
  const results = await executePlan(rt, plan, { dir, emit: opts.emit, signal: opts.signal, images, preflightMs });
  const files = writeResults(dir, results, opts.lang);
  const exitCode = results.interrupted ? 130 : results.expectations.some((e) => !e.met) ? 3 : 0;
  return { results, dir: dir.dir, files, exitCode };
}
