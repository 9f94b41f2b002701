import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@socklab/orchestrator';

/** The CLI as users run it (`npx socklab` is this file). */
export const CLI = path.join(REPO_ROOT, 'orchestrator/dist/cli.js');

/** Run the CLI to its end. */
export const socklab = (args: string[], env: NodeJS.ProcessEnv = {}, timeout = 180_000) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout, env: { ...process.env, ...env } });

/** The one run folder a command wrote under `--out` (there must be exactly one). */
export function runDir(out: string): string {
  const dirs = readdirSync(out).filter((d) => d.startsWith('socklab-') && statSync(path.join(out, d)).isDirectory());
  assert.equal(dirs.length, 1, `one run folder in ${out}: ${dirs.join(', ')}`);
  return path.join(out, dirs[0]!);
}

/** The id of the running container of one role of a run ('' when there is none). */
export const containerOf = (run: string, role: string): string =>
  spawnSync('docker', ['ps', '-q', '--filter', `label=socklab.run=${run}`, '--filter', `label=socklab.role=${role}`], { encoding: 'utf8' }).stdout.trim();

export interface BackgroundRun {
  readonly child: ChildProcess;
  /** The run id, once its swarm started. */
  readonly started: Promise<string>;
  /** The CLI's exit code (null when a signal ended it). */
  readonly exit: Promise<number | null>;
  readonly stderr: () => string;
}

/** A CLI run in the background, for tests that do something to it while it runs. */
export function background(args: string[], env: NodeJS.ProcessEnv = {}): BackgroundRun {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', r));
  const started = new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', () => {
      if (/\] swarm: /.test(err)) resolve(/network: (socklab-\S+)/.exec(err)?.[1] ?? '');
    });
    void exit.then(() => reject(new Error(`exited before its swarm started:\n${err}`)));
  });
  started.catch(() => {});
  return { child, started, exit, stderr: () => err };
}
