import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IMAGES, LAB_IMAGES } from '@socklab/shared';
import { DockerRuntime, OFFICIAL, OFFLINE, REPO_ROOT } from '@socklab/orchestrator';
import { COMPOSE } from './support/compose.js';
import { until } from './support/prometheus.js';
import { foregroundLab } from './support/foreground-lab.js';

/**
 * A newcomer's first hour, exactly as the README writes it, in a fresh clone of this repository (its committed
 * state: `git clone` of the working tree's HEAD): `npm ci`, then `npx socklab …` with nothing else run; socklab as a
 * package a student installs (`npm pack`, installed into an empty folder, `socklab check` from there); and the
 * README's first command, `docker compose up` on Compose v2, with socklab's images not built beforehand.
 */
const base = mkdtempSync(path.join(tmpdir(), 'socklab-first-hour-'));
const clone = path.join(base, 'socklab');
const rt = new DockerRuntime();

const sh = (cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}, timeout = 600_000): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout, env: { ...process.env, ...env } });
const said = (r: SpawnSyncReturns<string>): string => `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n${r.stdout}\n${r.stderr}`.slice(-4000);
/** `npx socklab …` as a person types it, in a folder of theirs. */
const npx = (cwd: string, args: readonly string[], timeout = 300_000) => sh('npx', ['socklab', ...args], cwd, {}, timeout);

describe("a newcomer's first hour, as the README writes it", () => {
  before(() => {
    const r = sh('git', ['clone', '-q', REPO_ROOT, clone], base);
    assert.equal(r.status, 0, said(r));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('npm ci in a fresh clone, then npx socklab --help, scenarios and run backlog: nothing built beforehand', (t) => {
    assert.ok(!existsSync(path.join(clone, 'orchestrator/dist')), 'a fresh clone has no build');
    const t0 = performance.now();
    const ci = sh('npm', ['ci', '--no-audit', '--no-fund'], clone);
    assert.equal(ci.status, 0, said(ci));
    t.diagnostic(`npm ci (with the CLI's build, the root's prepare) took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const help = npx(clone, ['--help']);
    assert.equal(help.status, 0, said(help));
    assert.match(help.stdout, /Usage: socklab/);
    const list = npx(clone, ['scenarios']);
    assert.equal(list.status, 0, said(list));
    assert.match(list.stdout, /backlog/);
    const out = path.join(base, 'results-clone');
    const run = npx(clone, ['run', 'backlog', '--out', out]);
    assert.equal(run.status, 0, said(run));
    const runs = readdirSync(out).filter((d) => d.startsWith('socklab-'));
    assert.equal(runs.length, 1);
    assert.match(readFileSync(path.join(out, runs[0]!, 'report.md'), 'utf8'), /\*\*Answer\.\*\*/);
  });

  describe('socklab as a package a student installs', () => {
    let tarball = '';
    const student = path.join(base, 'student');

    it('npm pack: the CLI and everything it builds and runs from, and nothing else', (t) => {
      assert.ok(existsSync(path.join(clone, 'node_modules')), 'after npm ci');
      const pack = sh('npm', ['pack', '--pack-destination', base], clone);
      assert.equal(pack.status, 0, said(pack));
      tarball = path.join(base, pack.stdout.trim().split('\n').pop()!);
      const files = sh('tar', ['tzf', tarball], base).stdout.trim().split('\n').map((f) => f.replace(/^package\//, ''));
      for (const f of [
        'orchestrator/bin/socklab.js',
        'orchestrator/dist/cli.js',
        'orchestrator/scenarios/02-backlog.yaml',
        'orchestrator/scenario.schema.json',
        'node_modules/@socklab/shared/dist/index.js',
        'images/Dockerfile',
        'images/package-lock.json',
        'images/server/native/core.c',
        'images/server/src/main.ts',
        'images/probe/native/nfq-delay.c',
        'images/base/build.sh',
        'images/python/run.py',
        'images/prometheus/prometheus.yml',
        'grafana/dashboards/overview.json',
        'grafana/provisioning/datasources/socklab.yaml',
        'docker-compose.yml',
        'docker-compose.override.yml',
        'docker-stack.yml',
        '.dockerignore',
        'examples/server_async.py',
      ]) assert.ok(files.includes(f), `the package holds ${f}`);
      // Outside node_modules/ (which holds only the bundled shared package and what it depends on).
      const own = files.filter((f) => !f.startsWith('node_modules/'));
      const extra = own.filter(
        (f) =>
          /\.test\.|tsbuildinfo|\.map$/.test(f) ||
          /^images\/[^/]+\/(node_modules|dist|build)\//.test(f) ||
          /^(orchestrator\/src|orchestrator\/dist\/testing|docs|results|\.ci)\//.test(f) ||
          (/^test\//.test(f) && f !== 'test/package.json') ||
          (/^grafana\//.test(f) && !/^grafana\/(package\.json|grafana\.ini|dashboards\/|provisioning\/)/.test(f)),
      );
      const shared = files.filter((f) => f.startsWith('node_modules/@socklab/'));
      assert.deepEqual(shared.filter((f) => !/^node_modules\/@socklab\/shared\/(package\.json|dist\/)/.test(f) || /\.test\./.test(f)), [], 'the shared package: its manifest and built code only');
      assert.deepEqual(extra, [], 'no tests, no build output of the images, nothing the tool does not use');
      const size = statSync(tarball).size;
      t.diagnostic(`package: ${files.length} files (${own.length} of socklab's own), ${(size / 1e6).toFixed(1)} MB packed`);
      assert.ok(size < 4 * 1024 * 1024, `${size} bytes packed`);
    });

    it("installed into an empty folder: socklab check passes a correct server and diagnoses a faulty one, results under that folder", () => {
      assert.ok(tarball, 'packed above');
      mkdirSync(student);
      assert.equal(sh('npm', ['init', '-y'], student).status, 0);
      const install = sh('npm', ['install', '--no-audit', '--no-fund', tarball], student);
      assert.equal(install.status, 0, said(install));
      copyFileSync(path.join(REPO_ROOT, 'examples/server_async.py'), path.join(student, 'server_async.py'));
      copyFileSync(path.join(REPO_ROOT, 'examples/erros/server_async_time_sleep.py'), path.join(student, 'server_async_time_sleep.py'));
      const good = npx(student, ['check', 'server_async.py']);
      assert.equal(good.status, 0, said(good));
      assert.match(good.stdout, /concurrent/i);
      const bad = npx(student, ['check', 'server_async_time_sleep.py', '--lang', 'pt-BR']);
      assert.equal(bad.status, 3, said(bad));
      assert.match(bad.stdout, /time\.sleep/, 'the blocking call is named');
      const checks = readdirSync(path.join(student, 'results')).filter((d) => d.startsWith('check-'));
      assert.equal(checks.length, 2, `results/ in the student's folder: ${checks.join(', ')}`);
      for (const c of checks) assert.ok(existsSync(path.join(student, 'results', c, 'check.html')));
    });

    it('from that folder, a first use builds a missing image from the package\'s own files, with progress, then runs backlog into its results/', async () => {
      assert.ok(existsSync(path.join(student, 'node_modules', 'socklab')), 'installed above');
      // The image is kept under a second tag, so only its name goes (and comes back, whatever happens).
      const kept = `${IMAGES.server}:first-hour-kept`;
      assert.equal(sh('docker', ['tag', IMAGES.server, kept], base).status, 0);
      try {
        const untag = sh('docker', ['rmi', IMAGES.server], base);
        assert.equal(untag.status, 0, said(untag));
        const runsOf = (): string[] => readdirSync(path.join(student, 'results')).filter((d) => d.startsWith('socklab-'));
        const before = runsOf(); // the checks' own runs
        const run = npx(student, ['run', 'backlog'], 900_000);
        assert.equal(run.status, 0, said(run));
        assert.match(run.stderr, /socklab\/server not built here yet for socklab \d+\.\d+\.\d+: building socklab's images now/, 'says why it builds');
        assert.match(run.stderr, /socklab build: built socklab\/server \(/, 'with progress, image by image');
        assert.ok(await rt.imageInfo(IMAGES.server), 'built from the package');
        const runs = runsOf().filter((d) => !before.includes(d));
        assert.equal(runs.length, 1, `one run more in results/ in the student's folder: ${runs.join(', ')}`);
        assert.match(readFileSync(path.join(student, 'results', runs[0]!, 'report.md'), 'utf8'), /\*\*Answer\.\*\*/);
        // And by hand, as the README gives it: socklab build, from the student's folder.
        const build = npx(student, ['build'], 900_000);
        assert.equal(build.status, 0, said(build));
        assert.match(build.stderr, /socklab build: \d+ images in [\d.]+s/);
      } finally {
        if (!(await rt.imageInfo(IMAGES.server))) sh('docker', ['tag', kept, IMAGES.server], base);
        sh('docker', ['rmi', kept], base);
      }
    });

    it("socklab lab from that folder: the package's own compose files, every default server served, Ctrl-C leaves nothing", async () => {
      assert.ok(existsSync(path.join(student, 'node_modules', 'socklab')), 'installed above');
      await foregroundLab([path.join(student, 'node_modules', '.bin', 'socklab'), 'lab'], student, 'socklabstudent', 19089, {
        SOCKLAB_GRAFANA_PORT: '13009',
        SOCKLAB_SUBNET: '172.31.245.0/24',
      });
    });
  });

  const v2 = COMPOSE.find((c) => c.name === 'v2')!;
  describe('docker compose up (Compose v2) in the fresh clone, images not built beforehand', { skip: v2.skip }, () => {
    const PROJECT = 'socklab';
    const SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];
    const leftovers = (): string[] =>
      [['ps', '-aq'], ['network', 'ls', '-q'], ['volume', 'ls', '-q']].flatMap((k) =>
        sh('docker', [...k, '--filter', `label=com.docker.compose.project=${PROJECT}`], base).stdout.trim().split('\n').filter(Boolean),
      );
    let env: NodeJS.ProcessEnv = {};

    before(async () => {
      assert.deepEqual(leftovers(), [], `no compose project named ${PROJECT} runs here already`);
      // Only the base images move, and only where no registry answers (as here): the local offline base.
      const official = (await rt.imageInfo(OFFICIAL.node)) !== null || sh('docker', ['pull', '-q', OFFICIAL.node], base, {}, 120_000).status === 0;
      env = official ? {} : { SOCKLAB_NODE_IMAGE: OFFLINE.node, SOCKLAB_NODE_RUNTIME_IMAGE: OFFLINE.nodeRuntime, SOCKLAB_PROMETHEUS_IMAGE: OFFLINE.prometheus };
      // Not built beforehand: the lab's own tags go (what they were built from stays as the engine's cache).
      for (const image of LAB_IMAGES) sh('docker', ['image', 'rm', image], base);
      for (const image of LAB_IMAGES) assert.equal(await rt.imageInfo(image), null, `${image} is gone`);
    });
    after(async () => {
      sh('docker', ['compose', '-p', PROJECT, 'down', '-v', '--remove-orphans'], clone, env);
      // The later tests need the images: rebuilt from the cache if this test failed before Compose built them.
      if ((await Promise.all(LAB_IMAGES.map((i) => rt.imageInfo(i)))).some((i) => i === null)) sh(process.execPath, [path.join(REPO_ROOT, 'orchestrator/dist/cli.js'), 'build'], REPO_ROOT);
    });

    it('docker compose up -d (Grafana left out: --pull never --scale grafana=0) builds and starts the lab: all four servers serve, every Prometheus target is up', async () => {
      // Grafana's image cannot be pulled here: scaled to 0 alone, v2 still tries the pull (and stops); never pulling
      // leaves it out, and builds socklab's images.
      const up = sh('docker', ['compose', 'up', '-d', '--pull', 'never', '--scale', 'grafana=0'], clone, env, 1_200_000);
      assert.equal(up.status, 0, said(up));
      assert.doesNotMatch(up.stderr, /obsolete|WARN/, 'Compose v2 warns about nothing in the lab\'s files');
      for (const image of LAB_IMAGES) assert.ok(await rt.imageInfo(image), `${image} was built by docker compose up`);
      const accepted = await until(9090, 'sum by (server) (socklab_server_connections_accepted_total{run="lab", role="server"})', 'server', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > 0));
      for (const s of SERVERS) assert.ok((accepted.get(s) ?? 0) > 0, `${s} serves: ${JSON.stringify([...accepted])}`);
      // Every target: the four servers, their four probes, the clients of each and the challenge's (13).
      const targets = await until(9090, 'up', 'instance', (v) => v.size >= 13 && [...v.values()].every((x) => x === 1), 60_000);
      assert.ok(targets.size >= 13, `servers, probes and clients are all targets: ${JSON.stringify([...targets])}`);
      assert.deepEqual([...targets].filter(([, v]) => v !== 1), [], `every target up: ${JSON.stringify([...targets])}`);
    });

    it('docker compose down -v leaves nothing', () => {
      const down = sh('docker', ['compose', 'down', '-v'], clone, env);
      assert.equal(down.status, 0, said(down));
      assert.deepEqual(leftovers(), []);
    });
  });
});
