import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

interface Manifest {
  version: string;
  dependencies?: Record<string, string>;
  bundleDependencies?: string[];
  bin?: Record<string, string>;
  files?: string[];
}
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(path.join(REPO_ROOT, dir, 'package.json'), 'utf8')) as Manifest;

/**
 * The published package is the repository's root (so the images, compose files and scenarios keep their places):
 * its dependencies are the CLI's, with the same ranges; the shared package travels inside it (bundled).
 */
describe('the socklab package', () => {
  const root = manifest('.');
  const cli = manifest('orchestrator');
  const shared = manifest('images/shared');

  it('depends on exactly what the CLI depends on, with the same ranges, and bundles the shared package (with its own dependencies)', () => {
    for (const [name, range] of Object.entries(shared.dependencies ?? {})) assert.equal(cli.dependencies?.[name] ?? range, range, `${name}: one range for both`);
    assert.deepEqual(Object.entries(root.dependencies ?? {}).sort(), Object.entries(cli.dependencies ?? {}).sort());
    assert.deepEqual(root.bundleDependencies, ['@socklab/shared']);
  });

  it('has one version, and its command is the bin npm links', () => {
    assert.equal(root.version, cli.version);
    assert.equal(root.version, shared.version);
    assert.deepEqual(root.bin, { socklab: 'orchestrator/bin/socklab.js' });
    assert.deepEqual(cli.bin, { socklab: 'bin/socklab.js' });
    // The compose lab labels the images it builds with it, as `socklab build` does, so a run takes them as they are.
    const compose = readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
    const labelled = [...compose.matchAll(/socklab\.version: "([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(labelled, [root.version, root.version], 'both of its builds (server, swarm)');
  });

  it('carries every Dockerfile socklab builds from, so an installed socklab builds each image it runs', () => {
    const dockerfiles = ['images/Dockerfile', ...readdirSync(path.join(REPO_ROOT, 'images')).map((d) => `images/${d}/Dockerfile`)].filter((f) => existsSync(path.join(REPO_ROOT, f)));
    assert.ok(dockerfiles.includes('images/cluster-node/Dockerfile'), dockerfiles.join(', '));
    const shipped = (f: string): boolean => (root.files ?? []).some((entry) => f === entry || f.startsWith(`${entry}/`));
    assert.deepEqual(dockerfiles.filter((f) => !shipped(f)), []);
  });
});
