import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IMAGES } from '@socklab/shared';
import { dashboards, queriesOf } from '@socklab/grafana';
import { DockerRuntime, prometheusSpec, readResults, startRole, type Results } from '@socklab/orchestrator';
import { Lab } from './support/lab.js';
import { fetchFrom, startReference, type Reference } from './support/references.js';
import { socklab } from './support/cli.js';

const rt = new DockerRuntime();

/**
 * A scenario that gives every panel something to show: a listen(1) server overflowing, a threaded server behind a
 * 300 ms link (half-open handshakes linger in SYN_RECV), and the notebook's deadlock (a thread stalled in recv).
 */
const SCENARIO = `name: live-view
title: every panel lit
question: does every dashboard panel show data after a real run?
servers:
  - { name: gargalo, model: sequential, backlog: 1, work: io:2s }
  - { name: threads, model: threaded, work: io:1s, shaping: { delay: 300ms } }
  - { name: stuck, model: sequential }
swarms:
  - { name: nervous, target: gargalo, clients: 10, arrival: steady, rate: 100, duration: 100ms, connectTimeout: 3s, readTimeout: 15s }
  - { name: steady, target: threads, clients: 60, arrival: steady, rate: 20, duration: 3s }
  - { name: greeting, target: stuck, clients: 2, expectGreeting: true, readTimeout: "0", maxDuration: 7s }
`;

describe('live view: Prometheus follows a run, and every dashboard query returns data', () => {
  let lab: Lab;
  let querier: Reference;
  let prometheus: string;
  let results: Results;
  let out: string;

  before(async () => {
    lab = await Lab.create('live');
    const spec = prometheusSpec({ run: lab.run, network: lab.run, prefix: lab.run });
    await startRole(rt, spec);
    prometheus = spec.name;
    querier = await startReference({ run: lab.run, name: 'querier', network: { join: lab.network }, cmd: ['node', '-e', 'setInterval(() => {}, 1 << 30)'] });
    out = mkdtempSync(path.join(tmpdir(), 'socklab-live-'));
  });
  after(async () => {
    await lab?.[Symbol.asyncDispose]();
    rmSync(out, { recursive: true, force: true });
  });

  async function api(pathAndQuery: string): Promise<{ status: string; data: { result: Array<{ metric: Record<string, string>; values?: Array<[number, string]> }> } }> {
    const r = await fetchFrom(querier, `http://${prometheus}:9090/api/v1/${pathAndQuery}`);
    assert.equal(r.status, 200, r.body);
    return JSON.parse(r.body) as never;
  }

  it('promtool accepts the configuration', async () => {
    const r = spawnSync('docker', ['run', '--rm', '--entrypoint', 'promtool', IMAGES.prometheus, 'check', 'config', '/etc/prometheus/prometheus.yml'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /SUCCESS/);
  });

  it('socklab run attaches the running Prometheus, which scrapes the run with role, model, run and scenario labels', async () => {
    const file = path.join(out, 'live.yaml');
    writeFileSync(file, SCENARIO);
    const r = socklab(['run', file, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`live view: ${prometheus} scrapes this run \\(run="socklab-`));
    assert.doesNotMatch(r.stderr, /had not scraped/, 'the clients were set off once Prometheus had scraped every server and probe');
    results = readResults(path.join(out, readdirSync(out).find((d) => d.startsWith('socklab-'))!));
    const up = await api(`query?query=${encodeURIComponent(`count by (role, model, scenario) (up{run="${results.runId}"})`)}&time=${Date.parse(results.manifest.finishedAt) / 1000 - 3}`);
    const seen = up.data.result.map((x) => `${x.metric.role}/${x.metric.model}/${x.metric.scenario}`).sort();
    for (const want of ['server/sequential/live-view', 'server/threaded/live-view', 'probe/sequential/live-view', 'probe/threaded/live-view', 'swarm/threaded/live-view']) {
      assert.ok(seen.includes(want), `${want} in ${seen.join(', ')}`);
    }
    assert.equal((await rt.listLabelled(results.runId)).networks.length, 0, 'Prometheus left the run network, which is gone');
  });

  it('every query of every panel returns a series with non-zero samples in the run window', async () => {
    assert.ok(results, 'the run above');
    const start = Date.parse(results.manifest.startedAt) / 1000;
    const end = Date.parse(results.manifest.finishedAt) / 1000;
    const empty: string[] = [];
    for (const [name, d] of Object.entries(dashboards())) {
      for (const q of queriesOf(d)) {
        const expr = q.expr.replaceAll('$__rate_interval', '4s').replaceAll('$model', '.*').replaceAll('$server', '.*').replaceAll('$node', '.*').replaceAll('$run', results.runId);
        const r = await api(`query_range?query=${encodeURIComponent(expr)}&start=${start}&end=${end}&step=1`);
        const nonZero = r.data.result.some((s) => (s.values ?? []).some(([, v]) => Number(v) !== 0 && Number.isFinite(Number(v))));
        if (!nonZero) empty.push(`${name} / ${q.panel}: ${expr}`);
      }
    }
    assert.deepEqual(empty, [], 'panels whose query returned nothing');
  });
});
