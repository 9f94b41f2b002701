import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LABELS } from '@socklab/shared';
import { DockerRuntime, REPO_ROOT } from '@socklab/orchestrator';
import { socklab } from './support/cli.js';

/** The CLI with a minute at most: none of these commands runs an experiment. */
const cli = (...args: string[]) => socklab(args, {}, 60_000);

describe('socklab CLI, run as a user would', () => {
  it('lists its commands in --help', () => {
    const r = cli('--help');
    assert.equal(r.status, 0);
    for (const c of ['build', 'lab', 'down']) assert.match(r.stdout, new RegExp(`\\b${c}\\b`));
  });

  it('says its version, as its package does', () => {
    const { version } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator', 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = cli(flag);
      assert.equal(r.status, 0);
      assert.equal(r.stdout.trim(), version);
    }
  });

  it('rejects bad input with exit 2, naming the bad value and the valid ones, before touching Docker', () => {
    const cases: Array<[string[], RegExp]> = [
      [['build', '--base', 'cloud'], /--base "cloud".*auto, official, offline/],
      [['build', '--ca-file', '/no/such/ca.pem'], /--ca-file "\/no\/such\/ca.pem".*readable PEM/],
      [['launch'], /unknown command 'launch'/],
    ];
    for (const [args, re] of cases) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  it('down removes what carries a run\'s label, and only that', async () => {
    const run = `test-cli-${randomBytes(3).toString('hex')}`;
    const other = `${run}-other`;
    const make = (r: string): void => {
      const n = spawnSync('docker', ['network', 'create', '--internal', '--label', `${LABELS.run}=${r}`, r], { encoding: 'utf8' });
      assert.equal(n.status, 0, n.stderr);
      const c = spawnSync('docker', ['create', '--label', `${LABELS.run}=${r}`, '--network', r, 'socklab/swarm', '--help'], { encoding: 'utf8' });
      assert.equal(c.status, 0, c.stderr);
    };
    make(run);
    make(other);
    const rt = new DockerRuntime();
    try {
      const r = cli('down', '--run', run);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /removed 1 containers, 1 networks, 0 volumes/);
      assert.deepEqual(await rt.listLabelled(run), { containers: [], networks: [], volumes: [] });
      const kept = await rt.listLabelled(other);
      assert.equal(kept.containers.length + kept.networks.length, 2, 'another run is left alone');
    } finally {
      await rt.removeLabelled(other);
      await rt.removeLabelled(run);
    }
  });
});
