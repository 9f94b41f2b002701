import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@socklab/shared';
import type { Chart } from '../report/charts.js';
import { renderHtml, renderMarkdown, reportModel } from '../report/render.js';
import type { Lang } from '../report/lang.js';
import { RunDir } from './run-dir.js';
import { RESULTS_SCHEMA_VERSION, ResultsSchema, type Results } from './types.js';

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
  return r.data;
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
