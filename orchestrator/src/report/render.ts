import type { Results } from '../results/types.js';
import { median } from '../results/measures.js';
import { answerOf } from './answers.js';
import { compareCharts, trialCharts, type Chart } from './charts.js';
import { trialFacts, type TrialFacts } from './facts.js';
import { fmt, type Lang } from './lang.js';
import { SAY } from './say.js';
import { connectionsTable, expectationsTable, measuresOf, missingData, outcomesTable, serversTable, textTable, type Table } from './tables.js';
import { coreCount, WORDS, type Words } from './words.js';

/** Everything a report shows, computed once from the results; markdown, HTML and text only lay it out. */
export interface ReportModel {
  readonly lang: Lang;
  readonly words: Words;
  readonly title: string;
  readonly subtitle: string;
  readonly question: string;
  readonly stage?: string;
  readonly reproduces?: string;
  /** The answer to the question: the report's first paragraph. */
  readonly answer: string;
  readonly sections: ReadonlyArray<{ readonly heading: string; readonly paragraphs: readonly string[] }>;
  readonly outcomes: Table;
  readonly servers: Table;
  readonly connections: Table | null;
  readonly expectations: Table | null;
  readonly missing: readonly string[];
  readonly charts: readonly Chart[];
  readonly manifest: ReadonlyArray<readonly [string, string]>;
}

/** A trial's sections: one of facts per server (its name as heading when there are several), then the comparison. */
function trialSections(f: TrialFacts, lang: Lang, heading: string | null): Array<{ heading: string; paragraphs: string[] }> {
  const say = SAY[lang];
  const w = WORDS[lang];
  const several = f.servers.length > 1;
  const out = f.servers.map((s) => ({
    heading: [heading, several ? `${w.server} ${s.server.name} (${s.server.model})` : null].filter(Boolean).join(': ') || w.whatHappened,
    // A single server's outcomes are the answer itself when the question asks for outcomes: not said twice.
    paragraphs: s.facts.filter((x) => !(x.kind === 'clients' && !several && f.asks === 'outcomes')).map((x) => say.fact(x, s.server.name)),
  }));
  if (f.comparison) out.push({ heading: [heading, w.compared].filter(Boolean).join(': '), paragraphs: [say.compare(f.comparison)] });
  return out;
}

/** For a compare: per client count (and delay), which model finished first and which last. */
function acrossCells(r: Results, facts: readonly TrialFacts[], lang: Lang): string[] {
  const groups = new Map<string, Array<{ t: Results['trials'][number]; f: TrialFacts }>>();
  r.trials.forEach((t, i) => {
    const k = `${t.cell.clients ?? '?'}|${t.cell.delay ?? ''}`;
    groups.set(k, [...(groups.get(k) ?? []), { t, f: facts[i]! }]);
  });
  const out: string[] = [];
  for (const g of groups.values()) {
    const rows = g
      .map(({ t, f }) => ({ name: t.cell.model ?? '?', model: t.cell.model ?? '?', ok: f.measures.outcomes.ok, connections: f.measures.connections, completionMs: f.measures.completionMs, threads: f.measures.servers[0]?.threadsPeak ?? null, inService: f.measures.servers[0]?.inServicePeak ?? null }))
      .filter((x) => x.completionMs !== null)
      .sort((a, b) => (a.completionMs ?? 0) - (b.completionMs ?? 0));
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last || rows.length < 2) continue;
    const delay = g[0]?.t.cell.delay && g[0].t.cell.delay !== '0ms' ? g[0].t.cell.delay : null;
    out.push(SAY[lang].compareCells({ clients: g[0]?.t.cell.clients ?? '?', delay }, first, last));
  }
  return out;
}

/** Where the run's time went, phase by phase (a trial's figures are medians when there are several). */
function timeSpent(r: Results, lang: Lang): string {
  const f = fmt(lang);
  const t = r.timings;
  const pt = lang === 'pt-BR';
  const per = (k: keyof Results['trials'][number]['timings']): string => f.ms(median(r.trials.map((x) => x.timings[k])) ?? 0);
  const trials =
    r.trials.length === 0
      ? ''
      : pt
        ? `; ${r.trials.length > 1 ? `por ensaio (mediana de ${r.trials.length})` : 'o ensaio'}: início ${per('startMs')}, prontidão ${per('readinessMs')}, clientes ${per('experimentMs')}, coleta ${per('collectMs')}, remoção ${per('teardownMs')}`
        : `; ${r.trials.length > 1 ? `per trial (median of ${r.trials.length})` : 'the trial'}: start ${per('startMs')}, ready ${per('readinessMs')}, clients ${per('experimentMs')}, collect ${per('collectMs')}, teardown ${per('teardownMs')}`;
  return pt
    ? `${f.secs(t.totalMs)} ao todo: verificação ${f.ms(t.preflightMs)}, rede ${f.ms(t.networkMs)}${trials}, limpeza ${f.ms(t.cleanupMs)}`
    : `${f.secs(t.totalMs)} in all: preflight ${f.ms(t.preflightMs)}, network ${f.ms(t.networkMs)}${trials}, cleanup ${f.ms(t.cleanupMs)}`;
}

/** Each server's CPU limit as it ran: whole cores pinned (cpuset), or a quota spread over every core. */
function cpuLimits(r: Results, lang: Lang): string[] {
  const pt = lang === 'pt-BR';
  const seen = new Map<string, string>();
  for (const t of r.plan.trials) {
    for (const s of t.servers) {
      const { cpus, cores } = s.server;
      if (cpus === undefined || seen.has(s.name)) continue;
      const n = coreCount(cpus, lang);
      const how = cores
        ? pt ? `fixado ${cores.length === 1 ? 'no núcleo' : 'nos núcleos'} ${cores.join(', ')} (cpuset)` : `pinned to ${cores.length === 1 ? 'core' : 'cores'} ${cores.join(', ')} (cpuset)`
        : pt ? 'uma cota de tempo de CPU, em qualquer núcleo' : 'a quota of CPU time, on any core';
      seen.set(s.name, `${s.name}: ${n}, ${how}`);
    }
  }
  return seen.size === 0 ? [] : [[...seen.values()].join('; ')];
}

function manifestOf(r: Results, lang: Lang): Array<readonly [string, string]> {
  const m = r.manifest;
  const k = WORDS[lang].manifest;
  const yes = (b: boolean): string => (b ? WORDS[lang].yes : WORDS[lang].no.toLowerCase());
  return [
    [k.socklab, `${m.socklabVersion}${m.gitCommit ? ` (${m.gitCommit.slice(0, 12)})` : ''}`],
    [k.engine, m.engine ? `Docker ${m.engine.version}, ${m.engine.os}, ${m.engine.arch}${m.engine.cpus ? `, ${m.engine.cpus} CPUs` : ''}, kernel ${m.engine.kernel}, cgroup ${m.engine.cgroup}` : k.unknown],
    ...cpuLimits(r, lang).map((v) => [k.cpu, v] as const),
    [k.shaping, m.kernel ? `${m.kernel.shapingMethod} (netem ${yes(m.kernel.netem)}, NFQUEUE ${yes(m.kernel.nfqueue)}, ifb ${yes(m.kernel.ifb)})` : k.unknown],
    [k.sysctls, m.sysctls ? Object.entries(m.sysctls).map(([key, v]) => `${key}=${v}`).join(', ') : k.unknown],
    [k.images, Object.entries(m.images).map(([key, v]) => `${key} ${v ? v.replace('sha256:', '').slice(0, 12) : WORDS[lang].missingValue}`).join(', ')],
    [k.seed, String(m.seed)],
    [k.scenario, r.plan.source],
    [k.host, `${m.host.platform} ${m.host.arch}, Node ${m.node}`],
    [k.time, timeSpent(r, lang)],
  ];
}

export function reportModel(r: Results, lang: Lang = 'en'): ReportModel {
  const w = WORDS[lang];
  const s = r.plan.scenario;
  const measures = measuresOf(r);
  const facts = r.trials.map((t) => trialFacts(r, t));
  const first = r.trials[0];
  const firstFacts = facts[0];
  const sections: Array<{ heading: string; paragraphs: string[] }> = [];
  let answer: string;
  if (r.kind === 'compare') {
    answer = acrossCells(r, facts, lang).join(' ');
    facts.forEach((f, i) => {
      const t = r.trials[i]!;
      const cell = Object.entries(t.cell).map(([k, v]) => `${w.cellKey(k)} ${v}`).join(', ');
      sections.push(...trialSections(f, lang, `${w.trial} ${t.id}${cell ? `: ${cell}` : ''}${t.repetition > 1 ? `, ${w.repetition} ${t.repetition}` : ''}`));
    });
  } else {
    answer = first && firstFacts ? SAY[lang].answer(answerOf(first, firstFacts)) : '';
    facts.forEach((f, i) => sections.push(...trialSections(f, lang, r.trials.length > 1 ? `${w.trial} ${r.trials[i]!.id}` : null)));
  }
  const translated = s.translations?.[lang as 'pt-BR'];
  return {
    title: translated?.title ?? s.title,
    lang,
    words: w,
    subtitle: `${r.kind === 'compare' ? w.comparison : w.run} ${r.runId}, ${r.manifest.startedAt.replace('T', ' ').slice(0, 19)} UTC`,
    question: translated?.question ?? s.question,
    ...(s.stage !== undefined && { stage: s.stage }),
    ...(s.reproduces !== undefined && { reproduces: translated?.reproduces ?? s.reproduces }),
    answer,
    sections,
    outcomes: outcomesTable(r, lang, measures),
    servers: serversTable(r, lang, measures),
    connections: first && r.trials.length === 1 ? connectionsTable(first, lang) : null,
    expectations: expectationsTable(r, lang),
    missing: missingData(r, lang),
    charts: [...(r.kind === 'compare' ? compareCharts(r, lang) : []), ...(r.kind === 'run' && first ? trialCharts(r, first, lang, measures.get(first)) : [])],
    manifest: manifestOf(r, lang),
  };
}

export function mdTable(t: Table): string {
  const esc = (c: string): string => c.replace(/\|/g, '\\|');
  return [`| ${t.head.map(esc).join(' | ')} |`, `|${t.head.map(() => '---').join('|')}|`, ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

const stageLine = (m: ReportModel): string => `${m.words.stage(m.stage ?? '-')}${m.reproduces ? ` (${m.words.reproduces} ${m.reproduces})` : ''}`;

/** The report as Markdown; charts are referenced as `charts/<id>.svg` next to it. */
export function renderMarkdown(m: ReportModel): string {
  const w = m.words;
  const out = [`# ${m.title}`, '', `_${m.subtitle}_`, ''];
  if (m.stage || m.reproduces) out.push(stageLine(m), '');
  out.push(`**${w.question}.** ${m.question}`, '', `**${w.answer}.** ${m.answer}`, '');
  for (const s of m.sections) out.push(`## ${s.heading}`, '', ...s.paragraphs.flatMap((p) => [p, '']));
  out.push(`## ${w.clients}`, '', mdTable(m.outcomes), '', `## ${w.servers}`, '', mdTable(m.servers), '');
  if (m.connections) out.push(`### ${w.eachConnection}`, '', mdTable(m.connections), '');
  if (m.expectations) out.push(`## ${w.expectations}`, '', mdTable(m.expectations), '');
  if (m.charts.length > 0) out.push(`## ${w.charts}`, '', ...m.charts.flatMap((c) => [`![${c.title}](charts/${c.id}.svg)`, '']));
  if (m.missing.length > 0) out.push(`## ${w.missing}`, '', ...m.missing.map((x) => `- ${x}`), '');
  out.push(`## ${w.measured}`, '', ...m.manifest.map(([k, v]) => `- **${k}**: ${v}`), '');
  return out.join('\n');
}

/** Text for HTML. */
export const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function htmlTable(t: Table, cls = ''): string {
  return `<table class="${cls}"><thead><tr>${t.head.map((h) => `<th>${html(h)}</th>`).join('')}</tr></thead><tbody>${t.rows
    .map((r) => `<tr>${r.map((c) => `<td>${html(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/** The one stylesheet of socklab's pages (reports and the check). */
export const CSS = `body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}.sub{color:#666;margin-top:0}
.question{background:#f3f6fb;border-left:4px solid #1565c0;padding:.6rem 1rem}.answer{background:#f1f8e9;border-left:4px solid #2e7d32;padding:.6rem 1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:right}th{background:#fafafa}
td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1rem}.chart{border:1px solid #eee;padding:.3rem;margin:0}
.missing{color:#b71c1c}.scroll{overflow-x:auto}dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;font-size:13px}dt{font-weight:600}`;

/** The report as one self-contained HTML file: inline CSS and SVG, nothing fetched, opens from disk. */
export function renderHtml(m: ReportModel): string {
  const w = m.words;
  const parts = [
    `<!doctype html><html lang="${m.lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${html(m.title)}</title><style>${CSS}</style></head><body>`,
    `<h1>${html(m.title)}</h1><p class="sub">${html(m.subtitle)}</p>`,
  ];
  if (m.stage || m.reproduces) parts.push(`<p>${html(stageLine(m))}</p>`);
  parts.push(`<p class="question"><strong>${w.question}.</strong> ${html(m.question)}</p>`, `<p class="answer"><strong>${w.answer}.</strong> ${html(m.answer)}</p>`);
  for (const s of m.sections) parts.push(`<h2>${html(s.heading)}</h2>`, ...s.paragraphs.map((p) => `<p>${html(p)}</p>`));
  parts.push(`<h2>${w.clients}</h2>`, `<div class="scroll">${htmlTable(m.outcomes, 'outcomes')}</div>`, `<h2>${w.servers}</h2>`, `<div class="scroll">${htmlTable(m.servers, 'servers')}</div>`);
  if (m.connections) parts.push(`<h3>${w.eachConnection}</h3>`, htmlTable(m.connections, 'connections'));
  if (m.expectations) parts.push(`<h2>${w.expectations}</h2>`, htmlTable(m.expectations, 'expectations'));
  if (m.charts.length > 0) {
    parts.push(
      `<h2>${w.charts}</h2><div class="charts">`,
      ...m.charts.map((c) => `<figure class="chart" id="${html(c.id)}" data-title="${html(c.title)}" data-points="${c.points}" role="img" aria-label="${html(c.title)}">${c.svg}</figure>`),
      '</div>',
    );
  }
  if (m.missing.length > 0) parts.push(`<h2>${w.missing}</h2><ul class="missing">`, ...m.missing.map((x) => `<li>${html(x)}</li>`), '</ul>');
  parts.push(`<h2>${w.measured}</h2><dl>`, ...m.manifest.map(([k, v]) => `<dt>${html(k)}</dt><dd>${html(v)}</dd>`), '</dl></body></html>');
  return parts.join('\n');
}

/** The terminal summary: the answer, the findings and the results tables. */
export function renderText(m: ReportModel): string {
  const out = [`${m.title}`, `${m.subtitle}`, '', `${m.words.answer}: ${m.answer}`, ''];
  for (const s of m.sections) out.push(`${s.heading}:`, ...s.paragraphs.map((p) => `  ${p}`), '');
  out.push(textTable(m.outcomes), '', textTable(m.servers));
  if (m.expectations) out.push('', `${m.words.expectations}:`, textTable(m.expectations));
  if (m.missing.length > 0) out.push('', `${m.words.missing}:`, ...m.missing.map((x) => `  - ${x}`));
  return out.join('\n');
}
