import { spawn } from 'node:child_process';
import { exec } from './exec.js';
import { ConfigError } from '@socklab/shared';
import { SocklabError } from '../errors.js';

/** The Compose commands the lab works with: v2 (the `docker compose` plugin) first, then 1.29's `docker-compose`. */
export const COMPOSE_TOOLS = { v2: ['docker', 'compose'], v1: ['docker-compose'] } as const;

/**
 * `docker compose` (v2) when the plugin is there, else `docker-compose` (v1): the lab's file works with both.
 * SOCKLAB_COMPOSE (`v2` or `v1`) picks one.
 */
export async function composeCommand(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const asked = env.SOCKLAB_COMPOSE;
  if (asked !== undefined && asked !== 'v1' && asked !== 'v2') {
    throw new ConfigError(`invalid SOCKLAB_COMPOSE ${JSON.stringify(asked)}: expected v2 (docker compose) or v1 (docker-compose)`);
  }
  for (const [name, cmd] of Object.entries(COMPOSE_TOOLS)) {
    if (asked !== undefined && asked !== name) continue;
    const [bin = 'docker', ...pre] = cmd;
    if ((await exec(bin, [...pre, 'version']).catch(() => ({ exitCode: 1 }))).exitCode === 0) return [...cmd];
  }
  if (asked) throw new SocklabError(`SOCKLAB_COMPOSE=${asked}: \`${COMPOSE_TOOLS[asked].join(' ')}\` is not installed`, { hint: 'install it, or leave SOCKLAB_COMPOSE unset to use whichever is there' });
  throw new SocklabError('neither `docker compose` nor `docker-compose` is installed', {
    hint: 'install Docker Desktop, or the docker-compose-plugin (or docker-compose) package',
  });
}

/**
 * Run compose in the foreground with the terminal attached; resolves with its exit code. When the signal aborts,
 * compose is given `graceMs` to notice its containers are gone and end, then killed.
 */
export function composeForeground(cmd: readonly string[], args: readonly string[], cwd: string, signal?: AbortSignal, graceMs = 1000): Promise<number> {
  return new Promise((resolve, reject) => {
    const [bin = 'docker', ...pre] = cmd;
    const child = spawn(bin, [...pre, ...args], { cwd, stdio: 'inherit' });
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => void (timer = setTimeout(() => child.kill('SIGKILL'), graceMs));
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(code ?? 1);
    });
  });
}
