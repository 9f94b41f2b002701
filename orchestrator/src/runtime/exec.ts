import { spawn } from 'node:child_process';
import type { ExecOutput } from './runtime.js';

/** Run a command, collecting its output; `onLine` sees output lines as they come (for progress). */
export function exec(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; onLine?: (line: string) => void; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<ExecOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const feed = (chunk: Buffer): void => {
      if (!opts.onLine) return;
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) opts.onLine(l);
    };
    child.stdout.on('data', (c: Buffer) => ((stdout += c), feed(c)));
    child.stderr.on('data', (c: Buffer) => ((stderr += c), feed(c)));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs) : undefined;
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial && opts.onLine) opts.onLine(partial);
      resolve({ exitCode: code ?? 1, stdout, stderr });
    });
  });
}
