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
    assert.match(r.stdout, /closes every connection \(none left in CLOSE_WAIT\) +0 in CLOSE_WAIT [\d.]+ s after +pass/);
    assert.match(r.stdout, /200 connections at once, all ok +200\/200 ok +pass/);
    assert.match(r.stdout, /^Yes: server_async\.py served 10 of 10 clients on 1 thread/m, 'the answer to the check\'s question');
    const check = readdirSync(out).find((d) => d.startsWith('check-'))!;
    if (existsSync('/usr/bin/chromium')) assert.ok(existsSync(path.join(out, check, 'check.png')), 'check.png');
    const json = JSON.parse(readFileSync(path.join(out, check, 'check.json'), 'utf8')) as { passed: boolean; runs: string[] };
    assert.equal(json.passed, true);
    assert.equal(json.runs.length, 2, 'the nervous run and the challenge, each with its report');
  });

  /**
   * The mistakes an asyncio beginner makes, each a program that makes it, and programs that only look like they do:
   * each diagnosis names its mistake and no other, and the look-alikes get none they do not deserve.
   */
  const MISTAKES: Array<{ file: string; exit: number; mistakes: string[]; says: RegExp; lang?: 'pt-BR'; report?: RegExp }> = [
    {
      file: 'examples/erros/server_async_time_sleep.py',
      exit: 3,
      mistakes: ['blocking'],
      says: /served one after another, from 1\.\d\d s to [\d.]+ s, about 1\.\d\d s apart: a blocking call in the coroutine \(time\.sleep instead of await asyncio\.sleep, or a long computation\) holds the event loop's one thread, and the probe saw it waiting in sleep\./,
      // The run's own report answers the same way first: one after another, a second apart.
      report: /\*\*Answer\.\*\* No: server_async_time_sleep\.py served \d+ of 10 clients on 1 thread, answered one after another, about 1\.\d\d s apart/,
    },
    { file: 'examples/erros/server_async_threads.py', exit: 3, mistakes: ['threads'], says: /O processo chegou a (1[1-9]|[2-9]\d) threads/, lang: 'pt-BR' },
    { file: 'examples/erros/server_async_sem_close.py', exit: 3, mistakes: ['never-closes'], says: /never closed 10 connections after answering: [\d.]+ s after the last client they were still in CLOSE_WAIT/ },
    // The notebook's deadlock in two asyncio forms: the requests were read (nothing left in the kernel's receive
    // queues), and the server waited for more than the clients send.
    {
      file: 'examples/erros/server_async_read_sem_tamanho.py',
      exit: 3,
      mistakes: ['never-answers'],
      says: /no answer came before their read timeout of 10\.0 s, while the server's loop waited idle in epoll, and nothing was left unread in the server's receive queues: it had read the requests\. The server waited for more than the client sends.*reader\.read\(\) with no size waits for the client to close \(EOF\)/,
    },
    {
      file: 'examples/erros/server_async_readexactly.py',
      exit: 3,
      mistakes: ['never-answers'],
      says: /O servidor esperou mais do que o cliente manda, e os dois lados esperaram um pelo outro \(o deadlock do notebook, na forma asyncio\).*readexactly\(n\) espera todos os n bytes.* e responda\.( Quando os clientes desistiram, 10 conexões ficaram em CLOSE_WAIT do lado do servidor: o handler nunca passou da leitura para o close \(readexactly levanta IncompleteReadError no EOF, e este Python não fechou a conexão de um handler que terminou numa exceção\)\.)?$/m,
      lang: 'pt-BR',
    },
    { file: 'examples/erros/server_async_sem_serve_forever.py', exit: 3, mistakes: ['exits'], says: /ended at once \(exit 0\) without staying to listen: .*serve_forever/ },
    // Look-alikes: blocking and closing late (not never); closing without wait_closed (no mistake at all).
    { file: 'test/fixtures/python/time_sleep_close_late.py', exit: 3, mistakes: ['blocking'], says: /closed late, not never|served one after another/ },
    { file: 'test/fixtures/python/no_wait_closed.py', exit: 0, mistakes: [], says: /^Yes: no_wait_closed\.py served 10 of 10 clients on 1 thread/m },
    // No answer either, but the requests were never read: the probe sees them in the receive queues.
    {
      file: 'test/fixtures/python/accepts_never_reads.py',
      exit: 3,
      mistakes: ['never-answers'],
      says: /their requests sat unread in the server's receive queues \([\d,]+ bytes on 10 connections\): the program never read them\..* When the clients gave up, 10 connections stayed in CLOSE_WAIT on the server's side: the program got to neither its read nor its close\./,
    },
  ];
  for (const m of MISTAKES) {
    it(`check on ${path.basename(m.file)}: ${m.mistakes.length > 0 ? `diagnoses ${m.mistakes.join(', ')} and nothing else` : 'no diagnosis: it is not a mistake'}`, () => {
      const src = path.join(REPO_ROOT, m.file);
      const copy = path.join(dir, path.basename(m.file));
      writeFileSync(copy, readFileSync(src, 'utf8').replace(/^ESPERA = \d+/m, 'ESPERA = 1'));
      const out = path.join(dir, `m-${path.basename(m.file, '.py')}`);
      const t0 = Date.now();
      const r = socklab(['check', copy, '--out', out, ...(m.lang ? ['--lang', m.lang] : [])], {}, 120_000);
      assert.ok(Date.now() - t0 < 60_000, `a check ends within a minute: ${Date.now() - t0} ms`);
      assert.equal(r.status, m.exit, r.stdout + r.stderr);
      assert.match(r.stdout, m.says);
      const check = readdirSync(out).find((d) => d.startsWith('check-'))!;
      const json = JSON.parse(readFileSync(path.join(out, check, 'check.json'), 'utf8')) as { mistakes: Array<{ kind: string }> };
      assert.deepEqual(json.mistakes.map((x) => x.kind), m.mistakes);
      if (m.report) assert.match(readFileSync(path.join(runDirs(out)[0]!, 'report.md'), 'utf8'), m.report);
    });
  }

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
