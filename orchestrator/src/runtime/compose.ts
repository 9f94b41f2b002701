import { spawn } from 'node:child_process';
import { exec } from './exec.js';
import { SocklabError } from '../errors.js';

/** `docker compose` (v2) when the plugin is there, else `docker-compose` (v1): the lab's file works with both. */
export async function composeCommand(): Promise<string[]> {
  if ((await exec('docker', ['compose', 'version']).catch(() => ({ code: 1 }))).code === 0) return ['docker', 'compose'];
  if ((await exec('docker-compose', ['version']).catch(() => ({ code: 1 }))).code === 0) return ['docker-compose'];
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
