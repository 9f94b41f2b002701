import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readResults, REPO_ROOT, trialMeasures } from '@socklab/orchestrator';
import { socklab } from './support/cli.js';

const PLAIN_IMAGE = 'socklab-test/plain-server:latest';

/** A copy of an example with a shorter work period (the course's 5 s makes a serial server take 50 s). */
function variant(dir: string, example: string, seconds = 1): string {
  const file = path.join(dir, path.basename(example));
  writeFileSync(file, readFileSync(path.join(REPO_ROOT, 'examples', example), 'utf8').replace(/^ESPERA = \d+/m, `ESPERA = ${seconds}`));
  return file;
}

const runDirs = (out: string): string[] => readdirSync(out).filter((d) => d.startsWith('socklab-')).map((d) => path.join(out, d));

describe('classroom: students\' own servers, socklab check, reports in Portuguese', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'socklab-class-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    spawnSync('docker', ['rmi', '-f', PLAIN_IMAGE]);
  });

  it('check passes on the shipped asyncio server: every criterion measured, a picture for RELATORIO.md', () => {
    const out = path.join(dir, 'ok');
    const r = socklab(['check', variant(dir, 'server_async.py'), '--out', out], {}, 300_000);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /10 nervous clients, all ok +10\/10 ok +pass/);
    assert.match(r.stdout, /served concurrently .* +done between 1\.\d\d s and 1\.\d\d s +pass/);
    assert.match(r.stdout, /one thread in the server process +1 thread +pass/);
    assert.match(r.stdout, /200 connections at once, all ok +200\/200 ok +pass/);
    const check = readdirSync(out).find((d) => d.startsWith('check-'))!;
    if (existsSync('/usr/bin/chromium')) assert.ok(existsSync(path.join(out, check, 'check.png')), 'check.png');
    const json = JSON.parse(readFileSync(path.join(out, check, 'check.json'), 'utf8')) as { passed: boolean; runs: string[] };
    assert.equal(json.passed, true);
    assert.equal(json.runs.length, 2, 'the nervous run and the challenge, each with its report');
  });

  it('check fails a time.sleep server on concurrency, and says what it means', () => {
    const r = socklab(['check', variant(dir, 'erros/server_async_time_sleep.py'), '--out', path.join(dir, 'sleep')], {}, 300_000);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /served concurrently .* +done between 1\.\d\d s and 1\d\.\d\d s +FAIL/);
    assert.match(r.stdout, /200 connections at once, all ok +not run: the server does not serve concurrently +not run/);
    assert.match(r.stdout, /served one after another .*time\.sleep instead of await asyncio\.sleep/);
  });

  it('check fails a thread-per-connection server on its thread count, in Portuguese when asked', () => {
    const r = socklab(['check', variant(dir, 'erros/server_async_threads.py'), '--out', path.join(dir, 'threads'), '--lang', 'pt-BR'], {}, 300_000);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /uma única thread no processo do servidor +(1[1-9]|[2-9]\d) threads +FALHOU/);
    assert.match(r.stdout, /atendidos em concorrência .* +ok/);
    assert.match(r.stdout, /O processo chegou a \d+ threads/);
  });

  it('a loopback-only server (the course\'s HOST = 127.0.0.1): clients run in its namespace, all ok, the probe sees it', () => {
    const out = path.join(dir, 'loopback');
    const r = socklab(['run', '--server-file', variant(dir, 'servidor_threads.py'), '--port', '65432', '--preset', 'nervous', '--out', out], {}, 300_000);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /listens on 127\.0\.0\.1:65432 only: its clients run in its own network namespace against 127\.0\.0\.1 \(--localhost\)/);
    const results = readResults(runDirs(out)[0]!);
    const t = results.trials[0]!;
    const m = trialMeasures(t);
    assert.equal(m.outcomes.ok, 10);
    assert.equal(t.servers[0]?.localhost, true);
    assert.ok((t.servers[0]?.probe.length ?? 0) > 3, 'probe samples');
    assert.ok((m.servers[0]?.threadsPeak ?? 0) >= 11, `a thread per client, seen by the probe: ${m.servers[0]?.threadsPeak}`);
    assert.match(readFileSync(path.join(runDirs(out)[0]!, 'report.md'), 'utf8'), /listened on loopback only \(127\.0\.0\.1:65432\)/);
  });

  it('--server-image: any image as the server, observed from outside; the report in both languages', () => {
    const ctx = path.join(dir, 'image');
    spawnSync('mkdir', ['-p', ctx]);
    writeFileSync(path.join(ctx, 'Dockerfile'), `FROM socklab/swarm\nENTRYPOINT ["node", "-e", "require('net').createServer((s) => s.on('data', (d) => setTimeout(() => s.end(d), 300))).listen(7000)"]\n`);
    const b = spawnSync('docker', ['build', '-q', '-t', PLAIN_IMAGE, ctx], { encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    assert.equal(b.status, 0, b.stderr);
    const out = path.join(dir, 'plain');
    const r = socklab(['run', '--server-image', PLAIN_IMAGE, '--port', '7000', '--clients', '5', '--out', out], {}, 300_000);
    assert.equal(r.status, 0, r.stderr);
    const run = runDirs(out)[0]!;
    const results = readResults(run);
    assert.equal(trialMeasures(results.trials[0]!).outcomes.ok, 5);
    assert.equal(results.trials[0]?.servers[0]?.model, `image:${PLAIN_IMAGE}`);
    assert.ok((results.trials[0]?.servers[0]?.probe.length ?? 0) > 3, 'probe data present');
    assert.match(readFileSync(path.join(run, 'report.md'), 'utf8'), /5 of 5 connections ended ok/);
    const pt = socklab(['report', run, '--lang', 'pt-BR'], {}, 300_000);
    assert.equal(pt.status, 0, pt.stderr);
    const md = readFileSync(path.join(run, 'report.md'), 'utf8');
    assert.match(md, /5 de 5 conexões terminaram ok/);
    assert.match(md, /## O que aconteceu/);
    assert.match(readFileSync(path.join(run, 'report.html'), 'utf8'), /<html lang="pt-BR">/);
    const bad = socklab(['report', run, '--lang', 'fr'], {}, 30_000);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid --lang "fr": expected one of en, pt-BR/);
  });
});
