/** The page, text and Markdown of `socklab check`: its criteria, what the failures mean, and the nervous run's answer and charts. */
import { sayMistake, type Criterion, type Mistake } from './check-facts.js';
import type { Results } from '../results/types.js';
import { trialCharts } from './charts.js';
import type { Lang } from './lang.js';
import { CSS, html, htmlTable, mdTable, reportModel } from './render.js';
import { textTable, type Table } from './tables.js';
import { WORDS } from './words.js';

export interface CheckPage {
  readonly target: string;
  readonly criteria: readonly Criterion[];
  readonly mistakes: readonly Mistake[];
  /** The run of the ten nervous clients, when it ran. */
  readonly nervous: Results | null;
  readonly lang: Lang;
}

function criteriaTable(p: CheckPage): Table {
  const w = WORDS[p.lang];
  return { head: [w.criterion, w.value, w.result], rows: p.criteria.map((c) => [c.label, c.measured, c.passed === null ? w.notRun : c.passed ? w.pass : w.fail]) };
}

/** The answer the nervous run's report opens with: does it serve every client, concurrently, on one thread? */
const answerOf = (p: CheckPage): string | null => (p.nervous ? reportModel(p.nervous, p.lang).answer : null);

export function renderCheckText(p: CheckPage): string {
  const answer = answerOf(p);
  return [textTable(criteriaTable(p)), ...(answer ? ['', answer] : []), ...(p.mistakes.length > 0 ? ['', ...p.mistakes.map((m) => sayMistake(m, p.lang))] : [])].join('\n');
}

export function renderCheckMarkdown(p: CheckPage): string {
  const w = WORDS[p.lang];
  const answer = answerOf(p);
  return [`# socklab check: ${p.target}`, '', ...(answer ? [`**${w.answer}.** ${answer}`, ''] : []), mdTable(criteriaTable(p)), '', ...(p.mistakes.length > 0 ? [`## ${w.mistakes}`, '', ...p.mistakes.flatMap((m) => [sayMistake(m, p.lang), ''])] : [])].join('\n');
}

/** The check's page: self-contained, like a report, with the nervous run's charts of its clients, threads and queue. */
export function renderCheckHtml(p: CheckPage): string {
  const w = WORDS[p.lang];
  const t = p.nervous?.trials[0];
  const charts = p.nervous && t ? trialCharts(p.nervous, t, p.lang).filter((c) => /^(outcomes|threads|queue)-/.test(c.id)) : [];
  const answer = answerOf(p);
  const rows = criteriaTable(p);
  const marks = p.criteria.map((c) => (c.passed === false ? 'fail' : c.passed ? 'pass' : 'skip'));
  const table = htmlTable(rows, 'criteria').replace(/<tr><td>/g, () => `<tr class="${marks.shift() ?? ''}"><td>`);
  return [
    `<!doctype html><html lang="${p.lang}"><head><meta charset="utf-8"><title>socklab check: ${html(p.target)}</title><style>${CSS}`,
    'tr.pass td:last-child{color:#2e7d32;font-weight:600}tr.fail td:last-child{color:#c62828;font-weight:600}tr.skip td:last-child{color:#777}</style></head><body>',
    `<h1>socklab check: ${html(p.target)}</h1>`,
    ...(answer ? [`<p class="answer"><strong>${w.answer}.</strong> ${html(answer)}</p>`] : []),
    table,
    ...(p.mistakes.length > 0 ? [`<h2>${w.mistakes}</h2>`, ...p.mistakes.map((m) => `<p>${html(sayMistake(m, p.lang))}</p>`)] : []),
    ...(charts.length > 0 ? [`<h2>${w.charts}</h2><div class="charts">`, ...charts.map((c) => `<figure class="chart" id="${html(c.id)}" data-points="${c.points}" role="img" aria-label="${html(c.title)}">${c.svg}</figure>`), '</div>'] : []),
    '</body></html>',
  ].join('\n');
}
