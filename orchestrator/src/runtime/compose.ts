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

/** Run compose in the foreground with the terminal attached; resolves with its exit code. */
export function composeForeground(cmd: readonly string[], args: readonly string[], cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const [bin = 'docker', ...pre] = cmd;
    const child = spawn(bin, [...pre, ...args], { cwd, stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}
