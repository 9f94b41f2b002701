import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@socklab/shared';
import { ShapingAnswerSchema, SwarmSummarySchema } from '@socklab/shared/results';
import type { Chart } from '../report/charts.js';
import { renderHtml, renderMarkdown, reportModel } from '../report/render.js';
import type { Lang } from '../report/i18n.js';
import { RunDir } from './run-dir.js';
import { RESULTS_SCHEMA_VERSION, type Results } from './types.js';

const n = z.number();
const exit = z.strictObject({ code: n, oomKilled: z.boolean(), explanation: z.string(), memoryLimitBytes: n.optional() }).nullable();
const ServerResultSchema = z.strictObject({
  name: z.string(),
  model: z.string(),
  own: z.boolean(),
  port: n,
  localhost: z.boolean(),
  container: z.string(),
  env: z.record(z.string(), z.string()),
  sysctls: z.record(z.string(), z.string()),
  died: exit,
  samples: z.array(z.strictObject({ t: n, accepted: n, active: n, inService: n, threads: n, processes: n, rssBytes: n, cpuSeconds: n, handled: z.record(z.string(), n) })),
  probe: z.array(
    z.strictObject({
      t: n,
      listening: z.boolean(),
      acceptQueue: n,
      acceptQueueMax: n.nullable(),
      synRecv: n,
      established: n,
      unaccepted: n,
      closeWait: n,
      threads: n.nullable(),
      counters: z.record(z.string(), n),
    }),
  ),
  stats: z.array(z.strictObject({ t: n, memoryBytes: n, cpuCores: n, pids: n })),
  shaping: ShapingAnswerSchema.nullable(),
  sysctlsSeen: z.record(z.string(), z.string()).nullable(),
  missing: z.array(z.string()),
});
const SwarmResultSchema = z.strictObject({
  name: z.string(),
  target: z.string(),
  clients: n,
  args: z.array(z.string()),
  exit,
  summary: SwarmSummarySchema.nullable(),
  waves: z.array(z.string()),
  missing: z.array(z.string()),
});
const ResultsSchema = z.strictObject({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  kind: z.enum(['run', 'compare']),
  plan: z.looseObject({ planVersion: z.literal(1), runId: z.string(), scenario: z.looseObject({ name: z.string(), title: z.string(), question: z.string() }) }),
  manifest: z.looseObject({ socklabVersion: z.string(), seed: n, startedAt: z.string(), finishedAt: z.string() }),
  trials: z.array(
    z.strictObject({
      id: z.string(),
      cell: z.record(z.string(), z.string()),
      repetition: n,
      startedAt: z.string(),
      swarmsStartedAt: n,
      durationMs: n,
      servers: z.array(ServerResultSchema),
      swarms: z.array(SwarmResultSchema),
      live: z.array(z.strictObject({ t: n, outcomes: z.record(z.string(), n), inFlight: n })),
      interrupted: z.boolean(),
    }),
  ),
  expectations: z.array(z.strictObject({ trial: z.string(), key: z.string(), expected: z.string(), measured: n.nullable(), met: z.boolean() })),
  interrupted: z.boolean(),
  problems: z.array(z.string()),
});

/** Read results/<id>/results.json strictly: a file of another schema version or shape is refused, not guessed at. */
export function readResults(dir: string): Results {
  const file = path.join(dir, 'results.json');
  if (!existsSync(file)) throw new ConfigError(`invalid results directory ${JSON.stringify(dir)}: expected a folder with results.json (as written by socklab run)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`invalid ${file}: not JSON (${(e as Error).message})`);
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (version !== RESULTS_SCHEMA_VERSION) throw new ConfigError(`invalid ${file}: schemaVersion ${JSON.stringify(version)}; this socklab reads version ${RESULTS_SCHEMA_VERSION}`);
  const r = ResultsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(`invalid ${file}: ${i ? `${i.path.join('.')}: ${i.message}` : 'unreadable'}`);
  }
  return r.data as unknown as Results;
}

/** Render and write a run's report files: report.md, report.html and charts/*.svg. Returns their paths. */
export function writeReport(dir: RunDir, results: Results, lang: Lang = 'en'): { markdown: string; html: string; charts: string[] } {
  const model = reportModel(results, lang);
  const charts = model.charts.map((c: Chart) => dir.write(`charts/${c.id}.svg`, c.svg));
  return { markdown: dir.write('report.md', renderMarkdown(model)), html: dir.write('report.html', renderHtml(model)), charts };
}

/** Write results.json and the report next to plan.json. */
export function writeResults(dir: RunDir, results: Results, lang: Lang = 'en'): { results: string; markdown: string; html: string; charts: string[] } {
  const file = dir.json('results.json', results);
  return { results: file, ...writeReport(dir, results, lang) };
}
