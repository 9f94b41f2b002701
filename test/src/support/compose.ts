/**
 * Both Compose tools the lab supports, as tests run them: v2 (`docker compose`, what users type) and 1.29
 * (`docker-compose`). Off CI a missing tool skips its tests; in CI (CI set) it fails them: CI installs both.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { COMPOSE_TOOLS, REPO_ROOT } from '@socklab/orchestrator';

export interface ComposeTool {
  readonly name: 'v2' | 'v1';
  /** How people call it. */
  readonly shown: string;
  readonly cmd: readonly string[];
  readonly v1: boolean;
  /** A reason to skip its tests, or false: off CI only. */
  readonly skip: string | false;
  readonly available: boolean;
}

function tool(name: 'v2' | 'v1'): ComposeTool {
  const cmd = COMPOSE_TOOLS[name];
  const [bin = 'docker', ...pre] = cmd;
  const r = spawnSync(bin, [...pre, 'version'], { encoding: 'utf8' });
  const available = !r.error && r.status === 0;
  const shown = cmd.join(' ');
  return { name, shown, cmd, v1: name === 'v1', available, skip: available || process.env.CI ? false : `${shown} is not installed` };
}

export const COMPOSE: readonly ComposeTool[] = [tool('v2'), tool('v1')];

/** Run a Compose command with one tool in the repository (or `cwd`); fails at once in CI when the tool is missing. */
export function compose(t: ComposeTool, args: readonly string[], env: NodeJS.ProcessEnv = process.env, cwd = REPO_ROOT, timeout = 600_000): SpawnSyncReturns<string> {
  if (!t.available) throw new Error(`${t.shown} is not installed here (CI installs Compose v2 and 1.29: see .ci/run)`);
  const [bin = 'docker', ...pre] = t.cmd;
  return spawnSync(bin, [...pre, ...args], { cwd, encoding: 'utf8', env, timeout });
}
