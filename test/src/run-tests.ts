#!/usr/bin/env node
/**
 * The test command: unit tests next to the code and Docker-backed tests in test/, one file at a time
 * (the Docker tests measure timing on a 2-core machine; running them side by side would distort it).
 * Before and after, resources labelled by test runs are swept; any left after the run fails it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerRuntime, REPO_ROOT } from '@socklab/orchestrator';
import { digest } from './support/tap-digest.js';

const DIRS = ['images/shared/dist', 'images/server/dist', 'images/swarm/dist', 'images/probe/dist', 'orchestrator/dist', 'grafana/dist', 'test/dist'];

async function testRuns(rt: DockerRuntime): Promise<string[]> {
  const found = await rt.listLabelledRuns();
  return found.filter((run) => run.startsWith('test-'));
}

async function sweep(rt: DockerRuntime): Promise<string[]> {
  const runs = await testRuns(rt);
  for (const run of runs) await rt.removeLabelled(run);
  return runs;
}

async function main(): Promise<number> {
  const rt = new DockerRuntime();
  await rt.ping();
  const stale = await sweep(rt);
  if (stale.length > 0) console.error(`run-tests: removed resources of earlier test runs: ${stale.join(', ')}`);

  const filter = process.argv.slice(2);
  const targets = filter.length > 0 ? filter : DIRS.map((d) => path.join(REPO_ROOT, d));
  // The TAP goes to the terminal as always, and to a file: what failed is told again at the end.
  const tapDir = mkdtempSync(path.join(tmpdir(), 'socklab-tests-'));
  const tap = path.join(tapDir, 'run.tap');
  const reporters = ['--test-reporter=tap', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`];
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...targets], { cwd: REPO_ROOT, stdio: 'inherit' });
    child.on('close', (c) => resolve(c ?? 1));
  });
  try {
    const told = digest(readFileSync(tap, 'utf8'));
    if (told) console.error(`\n${told}`);
  } catch {
    /* no TAP written: the runner's own output says why */
  }
  rmSync(tapDir, { recursive: true, force: true });

  const left = await sweep(rt);
  if (left.length > 0) {
    console.error(`run-tests: FAILED to clean up: resources of ${left.join(', ')} were still there (now removed)`);
    return code === 0 ? 1 : code;
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('run-tests:', err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
