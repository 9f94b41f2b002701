import type { RunDir } from '../results/run-dir.js';
import type { Results } from '../results/types.js';
import type { Chart } from './charts.js';
import type { Lang } from './lang.js';
import { renderHtml, renderMarkdown, reportModel } from './render.js';

/** Render and write a run's report files: report.md, report.html and charts/*.svg. Returns their paths. */
export function writeReport(dir: RunDir, results: Results, lang: Lang = 'en'): { markdown: string; html: string; charts: string[] } {
  const model = reportModel(results, lang);
  const charts = model.charts.map((c: Chart) => dir.write(`charts/${c.id}.svg`, c.svg));
  return { markdown: dir.write('report.md', renderMarkdown(model)), html: dir.write('report.html', renderHtml(model)), charts };
}

/** Write results.json (the data) and the report next to plan.json. */
export function writeResults(dir: RunDir, results: Results, lang: Lang = 'en'): { results: string; markdown: string; html: string; charts: string[] } {
  const file = dir.json('results.json', results);
  return { results: file, ...writeReport(dir, results, lang) };
}
