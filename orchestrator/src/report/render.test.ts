import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildPlan } from '../plan/build.js';
import { FakeRuntime } from '../runtime/fake.js';
import { loadScenario } from '../scenario/load.js';
import { runExperiment } from '../experiment/run.js';
import { backlogScript } from '../testing/fixtures.js';
import { trialMeasures } from '../results/measures.js';
import { fmt } from './lang.js';
import { WORDS } from './words.js';
import { checkExpectations } from '../results/expect.js';
import { textWidth } from './text-width.js';
import { renderHtml, renderMarkdown, renderText, reportModel } from './render.js';
import { latencyBins, niceMax, pointsOf } from './charts.js';
import { answer as answerPt, compare as comparePt } from './say-pt.js';
import { compare as compareEn } from './say-en.js';
import { comparison } from './facts.js';
import { answerShape } from './answers.js';
import type { TrialMeasures } from '../results/measures.js';
import type { Outcome } from '@socklab/shared';

async function backlogResults(opts: Parameters<typeof backlogScript>[0] = {}, memory?: string) {
  const rt = new FakeRuntime(backlogScript(opts));
  const sc = loadScenario('backlog').scenario;
  const plan = buildPlan(memory ? { ...sc, servers: [{ ...sc.servers[0]!, memory }] } : sc, { source: 'builtin:backlog', seed: 1 });
  return (await runExperiment(rt, plan, { outDir: mkdtempSync(path.join(tmpdir(), 'socklab-rep-')), emit: () => {}, signal: new AbortController().signal })).results;
}

describe('reports, rendered from results alone', () => {
  it('opens with the answer to its question, in the numbers the tables show', async () => {
    const r = await backlogResults();
    const m = trialMeasures(r.trials[0]!);
    const s = m.servers[0]!;
    const md = renderMarkdown(reportModel(r));
    assert.match(md, /^# 1\.2 listen\(1\) under ten nervous clients/);
    assert.match(md, /Lab guide stage 1\.2 \(reproduces servergargalo\.py/);
    const answer = /\*\*Answer\.\*\* (.*)/.exec(md)?.[1] ?? '';
    assert.match(answer, /^Timeouts, not refusals\./, 'yes or no first');
    assert.match(answer, new RegExp(`queued at most ${s.acceptQueuePeak} connections`));
    assert.match(answer, new RegExp(`ListenOverflows \\+${s.listenOverflows}\\)`));
    assert.match(answer, new RegExp(`${s.clients.outcomes.connect_timeout} of ${s.clients.connections} clients timed out connecting`));
    // The same figures in the tables.
    assert.match(md, new RegExp(`\\| 1 \\(#1\\) \\| server \\(sequential\\) \\| ${s.acceptQueuePeak}/${s.acceptQueueMax} \\| ${s.listenOverflows} \\|`));
    assert.match(md, /\| 1 \(#1\) \| server \(sequential\) \| 6 \| 0 \| 0 \| 4 \| 0 \| 0 \|/);
    assert.ok(md.indexOf('**Answer.**') < md.indexOf('## What happened'), 'the answer comes before the details');
    assert.match(md, /4 of 10 clients timed out connecting after 3\.00 s: their SYNs, and the client.s retries, were dropped unanswered/);
    assert.match(md, /!\[Client outcomes over time\]\(charts\/outcomes-1\.svg\)/);
    assert.match(md, /- \*\*shaping\*\*: nfqueue \(netem no, NFQUEUE yes/);
    const t = r.trials[0]!.timings;
    const f = fmt('en');
    assert.match(md, new RegExp(`- \\*\\*time\\*\\*: [\\d.]+ s in all: preflight [\\d.,]+ ms, network [\\d.,]+ ms; the trial: start ${f.ms(t.startMs)}, ready ${f.ms(t.readinessMs)}, clients ${f.ms(t.experimentMs)}, collect ${f.ms(t.collectMs)}, teardown ${f.ms(t.teardownMs)}, cleanup [\\d.,]+ ms`), 'where the time went, phase by phase');
  });

  it('puts every connection on the trial\'s clock: started at, ended at', async () => {
    const md = renderMarkdown(reportModel(await backlogResults()));
    // The swarm started 500 ms after the sampler's first reading; its first client at 0, ended at 2 s.
    assert.match(md, /\| #1 \| ok \| 0\.00 s \| 1\.0 ms \| 2\.00 s \|/);
    assert.match(md, /\| #7 \| connect_timeout \| 0\.06 s \| - \| 3\.06 s \| ETIMEDOUT \|/);
  });

  it('the latency histogram: equal round bins from 0, split by outcome, every connection counted once in its bin', () => {
    const each = [
      ...[2001, 2003, 2004, 2010, 2011, 2012].map((ms) => ({ outcome: 'ok' as const, ms })),
      ...[3000, 3001, 3002, 3003].map((ms) => ({ outcome: 'connect_timeout' as const, ms })),
      { outcome: 'reset' as const, ms: 12 },
    ];
    const { widthMs, counts } = latencyBins(each);
    assert.equal(widthMs, 200, 'a round width: at most 20 bins up to the slowest (3,003 ms)');
    assert.deepEqual(Object.keys(counts), ['ok', 'reset', 'connect_timeout'], 'one series per outcome seen, in the outcomes\' order');
    for (const [o, bins] of Object.entries(counts)) {
      assert.equal(bins!.length, 16, `${o}: the same bins for every outcome`);
      assert.equal(bins!.reduce((a, b) => a + b, 0), each.filter((c) => c.outcome === o).length, `${o}: every connection once`);
    }
    assert.equal(counts.ok![10], 6, 'ok: 2,001-2,012 ms in the bin from 2,000');
    assert.equal(counts.connect_timeout![15], 4, 'connect_timeout: 3,000-3,003 ms in the bin from 3,000');
    assert.equal(counts.reset![0], 1);
  });

  it('a chart\'s data points: numbers and [x, y] pairs with a y, never a gap (null)', () => {
    assert.equal(pointsOf([{ data: [[0, null], [1, 2], [2, 3]] }, { data: [3, null, { value: 4 }] }]), 4);
    assert.equal(pointsOf([{ data: [[0, null], [1, null]] }]), 0, 'all gaps: nothing drawn');
    assert.equal(pointsOf(undefined), 0);
  });

  it('the HTML is one self-contained file with a chart per figure, each with data', async () => {
    const r = await backlogResults();
    const html = renderHtml(reportModel(r));
    assert.doesNotMatch(html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]+"/g, ''), /(src|href)="https?:/, 'nothing fetched from the network');
    assert.doesNotMatch(html, /<script/);
    const figures = html.match(/<figure class="chart"[^>]*>/g) ?? [];
    assert.deepEqual(figures.map((x) => /id="([^"]+)"/.exec(x)?.[1]), ['outcomes-1', 'queue-1-server', 'threads-1-server', 'cpu-1-server', 'latency-1']);
    for (const fig of figures) assert.ok(Number(/data-points="(\d+)"/.exec(fig)?.[1]) > 0, `${fig}: data points drawn`);
    for (const id of ['outcomes-1', 'latency-1']) {
      const svg = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</figure>', html.indexOf(`id="${id}"`)));
      assert.ok((svg.match(/<path/g) ?? []).length > 5, `${id} has drawn marks`);
    }
    assert.match(html, /<p class="answer"><strong>Answer\.<\/strong> Timeouts, not refusals\./);
  });

  it('a server the kernel killed for memory: the kill, its limit and the threads it reached; no deadlock claimed', async () => {
    const r = await backlogResults({ oomKilled: true, probeDies: true }, '128m');
    assert.equal(r.trials[0]!.servers[0]!.died?.memoryLimitBytes, 128 * 1024 * 1024);
    const md = renderMarkdown(reportModel(r));
    assert.match(md, /The server died during the run: exit 137: killed by the kernel because it ran out of memory \(OOM\), at its limit of 128\.0 MiB\. Before it died it had reached 2,600 threads of its own and [\d.]+ MiB resident/);
    assert.doesNotMatch(md, /speak first/);
    // The runtime's threads beside the model's, sample by sample (7 of 8, then 8 of 2,608): not two peaks apart.
    assert.match(md, /\| 1→2,600 \| 7 \|/);
    // The probe answered once and then failed with the server (its PID namespace's): after a kill there was
    // nothing left to read, so it is not missing data.
    assert.deepEqual(r.trials[0]!.servers[0]!.reads!.probe, { ok: 1, failed: 0, lastError: 'ECONNREFUSED' });
    assert.doesNotMatch(md, /the kernel's view \(the probe's readings\)/);
    const pt = renderMarkdown(reportModel(r, 'pt-BR'));
    assert.match(pt, /O servidor morreu durante a execução: saída 137: morto pelo kernel por falta de memória \(OOM\), no seu limite de 128,0 MiB\. Antes de morrer chegou a 2\.600 threads próprias/);
  });

  it('in Portuguese: everything translated, the language\'s own numbers and plurals, the kernel\'s terms kept', async () => {
    const r = await backlogResults();
    const md = renderMarkdown(reportModel(r, 'pt-BR'));
    assert.match(md, /^# 1\.2 listen\(1\) sob dez clientes nervosos/);
    assert.match(md, /\*\*Pergunta\.\*\* Por que o clientenervoso\.py falhou/);
    assert.match(md, /\*\*Resposta\.\*\* Timeouts, não recusas\./);
    assert.match(md, /## O que aconteceu/);
    assert.match(md, /6 de 10 conexões terminaram ok; 4 connect_timeout/);
    assert.match(md, /A accept queue chegou a 2 conexões para um limite de 1 \(backlog do listen 1/);
    assert.match(md, /TcpExt ListenOverflows \+28/);
    assert.match(md, /O Linux descartou, nunca recusou/);
    assert.match(md, /\| ensaio \| servidor \| ok \| refused \| reset \| connect_timeout \| read_timeout \| error \| terminou em \|/, 'table heads translated, outcomes kept');
    assert.match(md, /\| 12,0 s \| 3\.000 ms \| 12\.000 ms \|/, 'one number format: decimal comma, thousands point');
    assert.match(md, /- \*\*semente aleatória\*\*: 1/);
    assert.doesNotMatch(md, /\(ões\)|\(s\)\b|conexão\(|pacote\(s\)/, 'no patched plurals');
    assert.doesNotMatch(md, /\b\d+\.\d{1,2} (s|MiB|KiB|ms)\b/, 'no English decimals in the Portuguese report');
    const html = renderHtml(reportModel(r, 'pt-BR'));
    assert.match(html, /<html lang="pt-BR">/);
    assert.match(html, /s após o início dos clientes/, 'chart axes translated');
    assert.doesNotMatch(html, /s after the clients started/);
    // Verbs agree with how many, as in English ("1 was reset", "2 were"): never "1 receberam".
    const outcomes = (o: Partial<Record<Outcome, number>>): Record<Outcome, number> => ({ ok: 0, refused: 0, reset: 0, connect_timeout: 0, read_timeout: 0, error: 0, ...o });
    const policies = answerPt({
      kind: 'refusal-policy',
      servers: [
        { name: 'drop', policy: 'drop', limit: null, outcomes: outcomes({ connect_timeout: 1, refused: 0 }), connections: 10 },
        { name: 'abort', policy: 'abort-on-overflow', limit: null, outcomes: outcomes({ reset: 1 }), connections: 10 },
        { name: 'reject', policy: 'reject-above', limit: 3, outcomes: outcomes({ refused: 7 }), connections: 10 },
      ],
    });
    assert.match(policies, /1 de 10 clientes terminou em timeout e 0 foram recusados/);
    assert.match(policies, /1 de 10 clientes recebeu reset depois do handshake/);
    assert.match(policies, /7 de 10 clientes foram recusados na hora/);
    // Where in the course: the lab guide's stage, or the notebook, the talk, beyond the guide; in each language.
    assert.match(md, /^Etapa do roteiro 1\.2 \(reproduz servergargalo\.py/m);
    assert.equal(WORDS['pt-BR'].stage('notebook'), 'Do notebook do curso sobre sockets');
    assert.equal(WORDS.en.stage('talk'), "From the course's talk on concurrency");
    // What is missing, framed in the language; the engine's and the OS's own words kept.
    assert.equal(WORDS['pt-BR'].missingLine('container stats: none'), 'estatísticas do contêiner: nenhuma');
    assert.equal(WORDS['pt-BR'].missingLine('figures at rest: none within 5000 ms'), 'números em repouso: nenhuma leitura completa em 5000 ms');
    assert.equal(WORDS['pt-BR'].missingLine('cleanup: connect ECONNREFUSED /var/run/docker.sock'), 'limpeza: connect ECONNREFUSED /var/run/docker.sock');
    // Expectations' bounds in the language's numbers, as the measured values beside them.
    const bounds = { ...r, plan: { ...r.plan, scenario: { ...r.plan.scenario, expect: { completionMs: { min: 1500.5, max: 20000 } } } } };
    assert.match(renderMarkdown(reportModel({ ...bounds, expectations: checkExpectations(bounds) }, 'pt-BR')), /\| 1 \| completionMs \| 1\.500,5\.\.20\.000 \| 12\.0\d\d(,\d+)? \| sim \|/);
  });

  it('says how each server\'s CPU was limited: whole cores pinned, fractions a quota, in each language', async () => {
    const sc = loadScenario('backlog').scenario;
    const servers = [{ ...sc.servers[0]!, cpus: 1 }, { ...sc.servers[0]!, name: 'half', cpus: 0.5 }];
    const plan = buildPlan({ ...sc, servers, swarms: sc.swarms.map((w) => ({ ...w })) }, { source: 'test', seed: 1, cores: 2 });
    const rt = new FakeRuntime(backlogScript());
    const r = (await runExperiment(rt, plan, { outDir: mkdtempSync(path.join(tmpdir(), 'socklab-rep-')), emit: () => {}, signal: new AbortController().signal })).results;
    assert.match(renderMarkdown(reportModel(r)), /- \*\*CPU limits\*\*: server: 1 core, pinned to core 0 \(cpuset\); half: 0\.5 cores, a quota of CPU time, on any core/);
    assert.match(renderMarkdown(reportModel(r, 'pt-BR')), /- \*\*limites de CPU\*\*: server: 1 núcleo, fixado no núcleo 0 \(cpuset\); half: 0,5 núcleos, uma cota/);
    assert.match(renderMarkdown(reportModel(r)), /Docker 0\.0\.0-fake, fake, x86_64, 2 CPUs,/);
  });

  it('the terminal text carries the answer, the table and the expectations', async () => {
    const text = renderText(reportModel(await backlogResults()));
    assert.match(text, /^1\.2 listen\(1\)/);
    assert.match(text, /Answer: Timeouts, not refusals\./);
    assert.match(text, /Expectations:\ntrial +measure/);
    assert.match(text, /listenOverflows +>= 1 +28 +yes/);
  });

  it('servers compared each on its own clients\' clock: one whose clients started later is not made slower by the wait', () => {
    // cpu-vs-io's shape: the threaded server's clients start 2.5 s after the loops'; it took 2.1 s, the blocked loop 2.2 s.
    const server = (name: string, model: string, startMs: number, completionMs: number, threads: number) => ({
      name,
      model,
      threadsPeak: threads,
      inServicePeak: threads === 1 ? 1 : 10,
      clients: { outcomes: { ok: 10 }, connections: 10, startMs, completionMs },
    });
    const m = { servers: [server('loop-io', 'event-loop', 0, 210, 1), server('loop-cpu', 'event-loop', 20, 2210, 1), server('threads-cpu', 'threaded', 2520, 4640, 11)] } as unknown as TrialMeasures;
    const c = comparison(m)!;
    assert.deepEqual(c.rows.map((r) => [r.name, r.completionMs]), [['loop-io', 210], ['threads-cpu', 2120], ['loop-cpu', 2190]]);
    const en = compareEn(c);
    assert.match(en, /^First done, each timed from its own clients' start: loop-io \(event-loop\) in 0\.21 s/);
    assert.match(en, /threads-cpu \(threaded\) in 2\.12 s \(10 of 10 ok, 11 threads of its own, at most 10 in service at once\), 1\.91 s longer \(10\.1× as long\)/);
    assert.doesNotMatch(en, /4\.64|later/);
    assert.match(comparePt(c), /^Primeiro a terminar, cada um contado a partir do início dos seus próprios clientes: /);
    // Started together, finished together: no "0.00 s later (1.00×)".
    const same = compareEn(comparison({ servers: [server('a', 'event-loop', 0, 5010, 1), server('b', 'event-loop', 0, 5012, 1)] } as unknown as TrialMeasures)!);
    assert.match(same, /^First done: a \(event-loop\) in 5\.01 s .*; then b \(event-loop\) in 5\.01 s \([^)]*\), just as long\.$/);
  });
});

describe('how a server\'s answers came, from their end times alone', () => {
  it('together early, together late, a staircase, or nothing said', () => {
    const ten = (f: (i: number) => number): number[] => Array.from({ length: 10 }, (_, i) => f(i));
    assert.equal(answerShape(ten((i) => 200 + i), 200), 'together-early', 'waiting: all at about one request\'s work');
    assert.equal(answerShape(ten((i) => 2090 + 3 * i), 200), 'together-late', 'ten computing threads on one core: together, after ten requests\' work');
    assert.equal(answerShape(ten((i) => 280 + 210 * i), 200), 'staircase', 'a blocked loop: one every request\'s work');
    assert.equal(answerShape(ten((i) => 1000 + 500 * i), 200), 'spread', 'one every 500 ms is not a 200 ms staircase');
    assert.equal(answerShape(ten((i) => 1000 + 100 * i), 200), 'spread', 'two cores halving the steps: no staircase claimed');
    assert.equal(answerShape([200, 201], 200), 'spread', 'two answers show no shape');
    assert.equal(answerShape(ten((i) => 200 + i), null), 'spread', 'no work: nothing to compare with');
  });
});

describe('axes that end on a tick', () => {
  it('round tops: at or above the data, never a label squeezed over the tick below it', () => {
    assert.deepEqual([0.11, 0.1, 1.01, 0.93, 2.6, 7, 13, 0.0004].map(niceMax), [0.12, 0.1, 1.2, 1, 3, 8, 15, 0.0004]);
  });
});

describe('chart text measured as a wide font draws it', () => {
  it('DejaVu Sans widths (as Chromium drew them at 12px), bold wider, unknown characters a full em', () => {
    // Chromium, 12px DejaVu Sans: 148.0 px and 62.4 px; ECharts' own guess without a canvas was 128.5 and 64.8.
    assert.ok(Math.abs(textWidth('accept queue (limit 511)', '12px system-ui, sans-serif') - 148.0) < 1);
    assert.ok(Math.abs(textWidth('SYN_RECV', '12px sans-serif') - 62.4) < 1);
    assert.ok(textWidth('memória', 'bold 14px sans-serif') > textWidth('memória', '14px sans-serif'));
    assert.equal(textWidth('→', '10px sans-serif'), 10);
  });
});

describe('how numbers read in each language', () => {
  it('Intl formats: decimals, thousands, lists and plural rules', () => {
    const en = fmt('en');
    const pt = fmt('pt-BR');
    assert.equal(en.secs(8014), '8.01 s');
    assert.equal(pt.secs(8014), '8,01 s');
    assert.equal(pt.mib(72.6 * 1024 * 1024), '72,6 MiB');
    assert.equal(en.num(2592, 0), '2,592');
    assert.equal(pt.num(2592, 0), '2.592');
    assert.equal(en.list(['a', 'b', 'c']), 'a, b, and c');
    assert.equal(pt.list(['a', 'b', 'c']), 'a, b e c');
    assert.equal(en.count(1, { one: 'connection', other: 'connections' }), '1 connection');
    assert.equal(en.count(2, { one: 'connection', other: 'connections' }), '2 connections');
    assert.equal(pt.count(1, { one: 'conexão', other: 'conexões' }), '1 conexão');
    assert.equal(pt.count(2, { one: 'conexão', other: 'conexões' }), '2 conexões');
    assert.equal(en.ratio(5110 / 5020), '1.02×', 'close ratios keep two decimals, not "1×"');
    assert.equal(pt.ratio(5110 / 5020), '1,02×');
    assert.equal(en.ratio(20.47), '20.5×');
  });
});
