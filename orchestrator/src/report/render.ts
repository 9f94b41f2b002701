import type { Results } from '../results/types.js';
import { compareCharts, trialCharts, type Chart } from './charts.js';
import { compareFindings, trialFindings } from './findings.js';
import { WORDS, type Lang, type Words } from './i18n.js';
import { connectionsTable, expectationsTable, missingData, outcomesTable, serversTable, textTable, type Table } from './tables.js';

/** Everything a report shows, computed once from the results; markdown and HTML only lay it out. */
export interface ReportModel {
  readonly lang: Lang;
  readonly words: Words;
  readonly title: string;
  readonly subtitle: string;
  readonly question: string;
  readonly seed?: string;
  readonly stage?: string;
  readonly findings: ReadonlyArray<{ readonly heading: string; readonly paragraphs: readonly string[] }>;
  readonly outcomes: Table;
  readonly servers: Table;
  readonly connections: Table | null;
  readonly expectations: Table | null;
  readonly missing: readonly string[];
  readonly charts: readonly Chart[];
  readonly manifest: ReadonlyArray<readonly [string, string]>;
}

export function reportModel(r: Results, lang: Lang = 'en'): ReportModel {
  const w = WORDS[lang];
  const s = r.plan.scenario;
  const findings: Array<{ heading: string; paragraphs: string[] }> = [];
  if (r.kind === 'compare') {
    const across = compareFindings(r, lang);
    if (across.length > 0) findings.push({ heading: w.across, paragraphs: across });
  }
  for (const t of r.trials) {
    const cell = Object.entries(t.cell).map(([k, v]) => `${k} ${v}`).join(', ');
    const heading = r.trials.length === 1 ? w.whatHappened : `${w.trial} ${t.id}${cell ? `: ${cell}` : ''}${t.repetition > 1 ? `, ${w.repetition} ${t.repetition}` : ''}`;
    findings.push({ heading, paragraphs: trialFindings(t, lang) });
  }
  const m = r.manifest;
  const first = r.trials[0];
  return {
    title: s.title,
    lang,
    words: w,
    subtitle: `${r.kind === 'compare' ? w.comparison : w.run} ${r.runId}, ${m.startedAt.replace('T', ' ').slice(0, 19)} UTC`,
    question: s.question,
    ...(s.seed !== undefined && { seed: s.seed }),
    ...(s.stage !== undefined && { stage: s.stage }),
    findings,
    outcomes: outcomesTable(r),
    servers: serversTable(r),
    connections: first && r.trials.length === 1 ? connectionsTable(first) : null,
    expectations: expectationsTable(r),
    missing: missingData(r),
    charts: [...(r.kind === 'compare' ? compareCharts(r) : []), ...(r.kind === 'run' && first ? trialCharts(first) : [])],
    manifest: [
      ['socklab', `${m.socklabVersion}${m.gitCommit ? ` (${m.gitCommit.slice(0, 12)})` : ''}`],
      ['engine', m.engine ? `Docker ${m.engine.version}, ${m.engine.os}, ${m.engine.arch}, kernel ${m.engine.kernel}, cgroup ${m.engine.cgroup}` : 'unknown'],
      ['shaping', m.kernel ? `${m.kernel.shapingMethod} (netem ${m.kernel.netem ? 'yes' : 'no'}, NFQUEUE ${m.kernel.nfqueue ? 'yes' : 'no'}, ifb ${m.kernel.ifb ? 'yes' : 'no'})` : 'unknown'],
      ['sysctls', m.sysctls ? Object.entries(m.sysctls).map(([k, v]) => `${k}=${v}`).join(', ') : 'unknown'],
      ['images', Object.entries(m.images).map(([k, v]) => `${k} ${v ? v.replace('sha256:', '').slice(0, 12) : 'missing'}`).join(', ')],
      ['seed', String(m.seed)],
      ['scenario', r.plan.source],
      ['host', `${m.host.platform} ${m.host.arch}, Node ${m.node}`],
      ['time', timeSpent(r)],
    ],
  };
}

/** Where the run's time went, phase by phase (a trial's figures are medians when there are several). */
function timeSpent(r: Results): string {
  const t = r.timings;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
  const per = (k: keyof Results['trials'][number]['timings']): string => `${Math.round(median(r.trials.map((x) => x.timings[k])))} ms`;
  const trials = r.trials.length === 0 ? '' : `; ${r.trials.length > 1 ? `per trial (median of ${r.trials.length})` : 'the trial'}: start ${per('startMs')}, ready ${per('readinessMs')}, clients ${per('experimentMs')}, collect ${per('collectMs')}, teardown ${per('teardownMs')}`;
  return `${(t.totalMs / 1000).toFixed(1)} s in all: preflight ${Math.round(t.preflightMs)} ms, network ${Math.round(t.networkMs)} ms${trials}, cleanup ${Math.round(t.cleanupMs)} ms`;
}

function mdTable(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${t.head.map(esc).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** The report as Markdown; charts are referenced as `charts/<id>.svg` next to it. */
export function renderMarkdown(m: ReportModel): string {
  const out = [`# ${m.title}`, '', `_${m.subtitle}_`, ''];
  const w = m.words;
  if (m.stage || m.seed) out.push(`${w.stage} ${m.stage ?? '-'}${m.seed ? `: ${m.seed}` : ''}`, '');
  out.push(`**${w.question}.** ${m.question}`, '');
  for (const f of m.findings) out.push(`## ${f.heading}`, '', ...f.paragraphs.flatMap((p) => [p, '']));
  out.push(`## ${w.clients}`, '', mdTable(m.outcomes), '', `## ${w.servers}`, '', mdTable(m.servers), '');
  if (m.connections) out.push(`### ${w.eachConnection}`, '', mdTable(m.connections), '');
  if (m.expectations) out.push(`## ${w.expectations}`, '', mdTable(m.expectations), '');
  if (m.charts.length > 0) out.push(`## ${w.charts}`, '', ...m.charts.flatMap((c) => [`![${c.title}](charts/${c.id}.svg)`, '']));
  if (m.missing.length > 0) out.push(`## ${w.missing}`, '', ...m.missing.map((x) => `- ${x}`), '');
  out.push(`## ${w.measured}`, '', ...m.manifest.map(([k, v]) => `- **${k}**: ${v}`), '');
  return out.join('\n');
}

const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function htmlTable(t: Table, cls = ''): string {
  return `<table class="${cls}"><thead><tr>${t.head.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const CSS = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}.sub{color:#666;margin-top:0}
.question{background:#f3f6fb;border-left:4px solid #1565c0;padding:.6rem 1rem}table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}th{background:#fafafa}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #eee;padding:.3rem}.missing{color:#b71c1c}
.scroll{overflow-x:auto}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:13px}dt{font-weight:600}`;

/** The report as one self-contained HTML file: inline CSS and SVG, nothing fetched, opens from disk. */
export function renderHtml(m: ReportModel): string {
  const parts = [
    `<!doctype html><html lang="${m.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${html(m.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${html(m.title)}</h1><p class="sub">${html(m.subtitle)}</p>`,
  ];
  const w = m.words;
  if (m.stage || m.seed) parts.push(`<p>${w.stage} ${html(m.stage ?? '-')}${m.seed ? `: ${html(m.seed)}` : ''}</p>`);
  parts.push(`<p class="question"><strong>${w.question}.</strong> ${html(m.question)}</p>`);
  for (const f of m.findings) parts.push(`<h2>${html(f.heading)}</h2>`, ...f.paragraphs.map((p) => `<p>${html(p)}</p>`));
  parts.push(`<h2>${w.clients}</h2>`, `<div class="scroll">${htmlTable(m.outcomes, 'outcomes')}</div>`, `<h2>${w.servers}</h2>`, `<div class="scroll">${htmlTable(m.servers, 'servers')}</div>`);
  if (m.connections) parts.push(`<h3>${w.eachConnection}</h3>`, htmlTable(m.connections, 'connections'));
  if (m.expectations) parts.push(`<h2>${w.expectations}</h2>`, htmlTable(m.expectations, 'expectations'));
  if (m.charts.length > 0) {
    parts.push(`<h2>${w.charts}</h2><div class="charts">`, ...m.charts.map((c) => `<figure class="chart" id="${html(c.id)}" data-title="${html(c.title)}">${c.svg}</figure>`), '</div>');
  }
  if (m.missing.length > 0) parts.push(`<h2>${w.missing}</h2><ul class="missing">`, ...m.missing.map((x) => `<li>${html(x)}</li>`), '</ul>');
  parts.push(`<h2>${w.measured}</h2><dl>`, ...m.manifest.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`), '</dl></body></html>');
  return parts.join('\n');
}

/** The terminal summary: findings and the results table. */
export function renderText(m: ReportModel): string {
  const out = [`${m.title}`, `${m.subtitle}`, ''];
  for (const f of m.findings) out.push(`${f.heading}:`, ...f.paragraphs.map((p) => `  ${p}`), '');
  out.push(textTable(m.outcomes), '', textTable(m.servers));
  if (m.expectations) out.push('', `${m.words.expectations}:`, textTable(m.expectations));
  if (m.missing.length > 0) out.push('', `${m.words.missing}:`, ...m.missing.map((x) => `  - ${x}`));
  return out.join('\n');
}
