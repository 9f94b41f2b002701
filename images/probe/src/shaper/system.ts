import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';

export interface CommandResult {
  readonly ok: boolean;
  readonly output: string;
}

/** Run tc, ip or iptables; never throws (callers decide what a failure means). */
export function run(cmd: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() });
    });
  });
}

/** Run and throw with the command and its message when it fails. */
export async function must(cmd: string, args: readonly string[]): Promise<void> {
  const r = await run(cmd, args);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')}: ${r.output}`);
}

/** The namespace's network interfaces that carry the lab's traffic (not loopback, not our ifb). */
export function labInterfaces(): string[] {
  return readdirSync('/sys/class/net').filter((i) => i !== 'lo' && !i.startsWith('socklab-ifb'));
}
