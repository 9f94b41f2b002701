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
import { renderHtml, renderMarkdown, renderText, reportModel } from './render.js';

async function backlogResults() {
  const rt = new FakeRuntime(backlogScript());
  const plan = buildPlan(loadScenario('backlog').scenario, { source: 'builtin:backlog', seed: 1 });
  return (await runExperiment(rt, plan, { outDir: mkdtempSync(path.join(tmpdir(), 'socklab-rep-')), emit: () => {}, signal: new AbortController().signal })).results;
}

describe('reports, rendered from results alone', () => {
  it('the answer is written from the measured values', async () => {
    const r = await backlogResults();
    const m = trialMeasures(r.trials[0]!);
    const md = renderMarkdown(reportModel(r));
    assert.match(md, /^# 1\.2 listen\(1\) under ten nervous clients/);
    assert.match(md, /\*\*Question\.\*\* Why did clientenervoso\.py fail/);
    assert.match(md, new RegExp(`${m.outcomes.ok} of ${m.connections} connections ended ok; ${m.outcomes.connect_timeout} connect_timeout`));
    assert.match(md, new RegExp(`The accept queue held ${m.servers[0]!.acceptQueuePeak} connection\\(s\\) against a limit of 1 \\(listen backlog 1`));
    assert.match(md, new RegExp(`TcpExt ListenOverflows \\+${m.servers[0]!.listenOverflows}`));
    assert.match(md, /4 of 10 clients timed out connecting after 3\.00 s: their SYNs, and the client.s retries, were dropped unanswered/);
    assert.match(md, /Linux dropped, never refused/);
    assert.match(md, /\| 1 \(#1\) \| sequential \| 6 \| 0 \| 0 \| 4 \| 0 \| 0 \|/);
    assert.match(md, /\| 1 \(#1\) \| server \(sequential\) \| 2\/1 \| 28 \|/);
    assert.match(md, /!\[Client outcomes over time\]\(charts\/outcomes-1\.svg\)/);
    assert.match(md, /- \*\*shaping\*\*: nfqueue \(netem no, NFQUEUE yes/);
    const t = r.trials[0]!.timings;
    assert.match(md, new RegExp(`- \\*\\*time\\*\\*: [\\d.]+ s in all: preflight \\d+ ms, network \\d+ ms; the trial: start ${Math.round(t.startMs)} ms, ready ${Math.round(t.readinessMs)} ms, clients ${Math.round(t.experimentMs)} ms, collect ${Math.round(t.collectMs)} ms, teardown ${Math.round(t.teardownMs)} ms, cleanup \\d+ ms`), 'where the time went, phase by phase');
  });

  it('the HTML is one self-contained file with a chart per figure, each with data', async () => {
    const r = await backlogResults();
    const html = renderHtml(reportModel(r));
    assert.doesNotMatch(html.replace(/xmlns(:\w+)?="http:\/\/www\.w3\.org\/[^"]+"/g, ''), /(src|href)="https?:/, 'nothing fetched from the network');
    assert.doesNotMatch(html, /<script/);
    const figures = html.match(/<figure class="chart"[^>]*>/g) ?? [];
    assert.deepEqual(figures.map((f) => /id="([^"]+)"/.exec(f)?.[1]), ['outcomes-1', 'queue-1-server', 'threads-1-server', 'latency-1']);
    for (const id of ['outcomes-1', 'latency-1']) {
      const svg = html.slice(html.indexOf(`id="${id}"`), html.indexOf('</figure>', html.indexOf(`id="${id}"`)));
      assert.ok((svg.match(/<path/g) ?? []).length > 5, `${id} has drawn marks`);
    }
  });

  it('a server the kernel killed for memory: the kill, its limit and the threads it reached; no deadlock claimed', async () => {
    const rt = new FakeRuntime(backlogScript({ oomKilled: true, probeDies: true }));
    const sc = loadScenario('backlog').scenario;
    const plan = buildPlan({ ...sc, servers: [{ ...sc.servers[0]!, memory: '128m' }] }, { source: 'builtin:backlog', seed: 1 });
    const r = (await runExperiment(rt, plan, { outDir: mkdtempSync(path.join(tmpdir(), 'socklab-rep-')), emit: () => {}, signal: new AbortController().signal })).results;
    assert.equal(r.trials[0]!.servers[0]!.died?.memoryLimitBytes, 128 * 1024 * 1024);
    const md = renderMarkdown(reportModel(r));
    assert.match(md, /The sequential server died during the run: exit 137: killed by the kernel because it ran out of memory \(OOM\), at its limit of 128\.0 MiB\. Before it died it had reached 2600 threads and [\d.]+ MiB resident/);
    assert.doesNotMatch(md, /speak first/);
    assert.match(md, /probe state: \d+ of \d+ reads failed \(last: ECONNREFUSED\); the probe shares the server's PID namespace and ended when the server died/);
    const pt = renderMarkdown(reportModel(r, 'pt-BR'));
    assert.match(pt, /O servidor sequential morreu durante a execução: saída 137: morto pelo kernel por falta de memória \(OOM\), no seu limite de 128\.0 MiB\. Antes de morrer chegou a 2600 threads/);
  });

  it('in Portuguese, the same facts, with the kernel\'s terms kept', async () => {
    const r = await backlogResults();
    const md = renderMarkdown(reportModel(r, 'pt-BR'));
    assert.match(md, /\*\*Pergunta\.\*\* Why did clientenervoso/);
    assert.match(md, /## O que aconteceu/);
    assert.match(md, /6 de 10 conexões terminaram ok; 4 connect_timeout/);
    assert.match(md, /A accept queue chegou a 2 conexão\(ões\) para um limite de 1 \(backlog do listen 1/);
    assert.match(md, /TcpExt ListenOverflows \+28/);
    assert.match(md, /O Linux descartou, nunca recusou/);
    assert.match(renderHtml(reportModel(r, 'pt-BR')), /<html lang="pt-BR">/);
  });

  it('the terminal text carries the table and the expectations', async () => {
    const text = renderText(reportModel(await backlogResults()));
    assert.match(text, /Expectations:\ntrial +measure/);
    assert.match(text, /listenOverflows +>= 1 +28 +yes/);
  });
});
