import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HELPER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'build', 'socklab-nfq-delay');
export const QUEUE = 0;

export interface HelperStats {
  received: number;
  accepted: number;
  dropped: number;
  pending: number;
}

/** The NFQUEUE delay helper (native/nfq-delay.c) as a child process, reconfigured over its stdin. */
export class NfqueueHelper {
  private child: ChildProcess | undefined;
  readonly stats: HelperStats = { received: 0, accepted: 0, dropped: 0, pending: 0 };

  /** `seed` makes the helper's loss and jitter draws repeatable. */
  constructor(private readonly seed?: number) {}

  async start(delayUs: number, jitterUs: number, lossPpm: number): Promise<void> {
    const args = [String(QUEUE), String(delayUs), String(jitterUs), String(lossPpm)];
    if (this.seed !== undefined) args.push(String(this.seed));
    const child = spawn(HELPER, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += d));
    const lines = createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string): void => reject(new Error(`NFQUEUE helper did not start: ${why}`));
      child.once('error', (e) => fail(e.message));
      child.once('exit', (code) => fail(`exit ${code}: ${stderr.trim()}`));
      lines.once('line', (l) => (l.startsWith('ready') ? resolve() : fail(l)));
    });
    lines.on('line', (l) => {
      const m = /^stats received=(\d+) accepted=(\d+) dropped=(\d+) pending=(\d+)/.exec(l);
      if (m) Object.assign(this.stats, { received: +m[1]!, accepted: +m[2]!, dropped: +m[3]!, pending: +m[4]! });
      else if (l.startsWith('error')) console.error(`socklab probe: NFQUEUE helper: ${l}`);
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) {
        console.error(`socklab probe: NFQUEUE helper exited (${signal ?? code}); packets now bypass the queue unshaped`);
        this.child = undefined;
      }
    });
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** New parameters take effect for the next packet. */
  set(delayUs: number, jitterUs: number, lossPpm: number): void {
    this.child?.stdin?.write(`set ${Math.round(delayUs)} ${Math.round(jitterUs)} ${Math.round(lossPpm)}\n`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => (child.kill('SIGKILL'), resolve()), 2000).unref();
    });
  }
}
