import type { Command } from 'commander';
import { ConfigError, parseInteger } from '@socklab/shared';
import type { Scenario } from '@socklab/shared/scenario';
import { endProgress, terminalProgress } from '../experiment/progress.js';
import { runExperiment } from '../experiment/run.js';
import { buildOnFirstUse, missingLabImages } from './first-use.js';
import { engineOpenFiles, needsOpenFiles } from '../experiment/limits.js';
import type { OpenFiles } from '../plan/capacity.js';
import { buildPlan, parseMatrix, type CompareMatrix } from '../plan/build.js';
import type { RunPlan } from '../plan/types.js';
import { reportModel, renderText } from '../report/render.js';
import { DockerRuntime } from '../runtime/docker.js';
import { hasExperimentFlags, scenarioFromFlags, type ExperimentFlags } from '../scenario/flags.js';
import { loadScenario } from '../scenario/load.js';
import { experimentFlags, parseLang } from './experiment-flags.js';
import path from 'node:path';
import { REPO_ROOT } from '../paths.js';
import { readPrograms } from '../scenario/programs.js';

interface OutputFlags {
  out: string;
  lang?: string;
  json?: boolean;
  dryRun?: boolean;
  seed?: string;
  sampleEvery: string;
}

/**
 * The engine's open-files limit, for a scenario that may meet it (its images built first if need be). A dry run
 * with no engine to ask, or no images yet, plans with Docker's usual default, and says so.
 */
async function measuredOpenFiles(rt: DockerRuntime, dryRun: boolean): Promise<OpenFiles | undefined> {
  try {
    await rt.ping();
  } catch (e) {
    if (dryRun) return undefined;
    throw e;
  }
  const missing = await missingLabImages(rt);
  if (missing.length > 0 && dryRun) return undefined;
  if (missing.length > 0) await buildOnFirstUse(rt)(missing);
  return { perProcess: await engineOpenFiles(rt), measured: true };
}

/** Plan, print (`--dry-run`), or execute with a terminal display; the exit code says how it went. */
async function plannedRun(scenario: Scenario, source: string, o: OutputFlags, compare?: CompareMatrix): Promise<void> {
  const lang = parseLang(o.lang);
  const baseDir = source.startsWith('builtin:') ? REPO_ROOT : source === 'flags' ? process.cwd() : path.dirname(source);
  const seed = o.seed === undefined ? undefined : parseInteger(o.seed, '--seed', 0, 2 ** 31 - 1);
  const sampleEveryMs = parseInteger(o.sampleEvery, '--sample-every', 50, 10_000);
  const programs = readPrograms(scenario, baseDir);
  const rt = new DockerRuntime();
  const openFiles = needsOpenFiles(scenario, compare?.clients) ? await measuredOpenFiles(rt, Boolean(o.dryRun)) : undefined;
  // Servers given whole cores are pinned to cores of the engine's own (a dry run with no engine plans a quota only).
  const cores = scenario.servers.some((s) => s.cpus !== undefined) ? await rt.engineInfo().then((i) => i.cpus, () => undefined) : undefined;
  const plan: RunPlan = buildPlan(scenario, { source, programs, ...(compare && { compare }), ...(seed !== undefined && { seed }), sampleEveryMs, ...(openFiles && { openFiles }), ...(cores !== undefined && { cores }) });
  for (const note of plan.sizing.notes) console.error(`socklab: ${note}`);
  if (o.dryRun) {
    console.log(JSON.stringify(plan, null, 2));
    return;
  }
  await rt.ping();
  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) console.error(`\nsocklab: ${sig}: stopping the run and removing its containers`);
    else console.error('socklab: still removing the containers; one moment');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const r = await runExperiment(rt, plan, { outDir: o.out, emit: terminalProgress(), signal: abort.signal, lang, build: buildOnFirstUse(rt) });
    endProgress();
    console.error(`\n${renderText(reportModel(r.results, lang))}\n`);
    console.error(`socklab: results in ${r.dir}/ (report.html, report.md, results.json, plan.json)`);
    if (r.exitCode === 3) console.error('socklab: the scenario\'s expectations were not met (exit 3)');
    if (o.json) console.log(JSON.stringify(r.results));
    process.exitCode = r.exitCode;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerRun(program: Command): void {
  experimentFlags(
    program
      .command('run')
      .argument('[scenario]', 'a built-in scenario (see `socklab scenarios`) or a scenario .yaml file')
      .description('run an experiment in isolated containers on a private internal network, measure it, and write a report'),
    { matrix: false },
  ).action(async (ref: string | undefined, o: ExperimentFlags & OutputFlags) => {
    let scenario: Scenario;
    let source = 'flags';
    if (ref !== undefined) {
      const loaded = loadScenario(ref);
      source = loaded.source;
      scenario = hasExperimentFlags(o) ? scenarioFromFlags(o, loaded.scenario) : loaded.scenario;
    } else {
      scenario = scenarioFromFlags(o);
    }
    await plannedRun(scenario, source, o);
  });
}

export function registerCompare(program: Command): void {
  experimentFlags(
    program
      .command('compare')
      .description('run a matrix of models x client counts (x delays) cell by cell on one network; one table and charts across cells')
      .requiredOption('--models <list>', 'comma-separated models, e.g. sequential,threaded,event-loop')
      .requiredOption('--clients <list>', 'comma-separated client counts, e.g. 10,200')
      .option('--delay <list>', 'comma-separated delays, e.g. 0,100ms'),
    { matrix: true },
  ).action(async (o: ExperimentFlags & OutputFlags & { models: string; clients: string; delay?: string }) => {
    const matrix = parseMatrix(o.models, o.clients, o.delay);
    const first = matrix.models[0];
    if (first === undefined) throw new ConfigError('--models needs at least one model');
    const scenario = scenarioFromFlags({ ...o, model: first, clients: String(matrix.clients[0]), delay: undefined });
    const delays = matrix.delays.length > 1 || matrix.delays[0] !== '0';
    const titled: Scenario = {
      ...scenario,
      name: 'compare',
      title: `${matrix.models.join(' vs ')} at ${matrix.clients.join(', ')} clients${delays ? `, delay ${matrix.delays.join(', ')}` : ''}`,
      question: 'How do these server models compare under the same clients?',
      translations: {
        'pt-BR': {
          title: `${matrix.models.join(' x ')} com ${matrix.clients.join(', ')} clientes${delays ? `, atraso ${matrix.delays.join(', ')}` : ''}`,
          question: 'Como esses modelos de servidor se comparam sob os mesmos clientes?',
        },
      },
    };
    await plannedRun(titled, 'flags', o, matrix);
  });
}
