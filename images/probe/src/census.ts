import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProbeTcpState } from '@socklab/shared';

export const CENSUS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'build', 'socklab-tcp-census');

export interface Census {
  readonly listening: boolean;
  readonly acceptQueue: number;
  readonly acceptQueueMax: number | null;
  readonly states: Record<ProbeTcpState, number>;
  /** Bytes arrived on accepted ESTABLISHED sockets that the process has not read, and on how many sockets. */
  readonly unread: { readonly bytes: number; readonly sockets: number };
  /** The helper's own CPU time so far (µs), the kernel's walk of its tables included, where it says it. */
  readonly cpuUs: number | null;
}

export function parseCensus(line: string): Census | null {
  const m = /^census (.*)$/.exec(line);
  if (!m) return null;
  const v: Record<string, number> = {};
  for (const kv of (m[1] ?? '').split(' ')) {
    const [k, n] = kv.split('=');
    if (k) v[k] = Number(n);
  }
  const listening = (v.listening ?? 0) > 0;
  return {
    listening,
    acceptQueue: v.queue ?? 0,
    acceptQueueMax: listening ? (v.max ?? null) : null,
    states: {
      syn_recv: v.syn_recv ?? 0,
      established: v.established ?? 0,
      established_unaccepted: v.unaccepted ?? 0,
      close_wait: v.close_wait ?? 0,
      time_wait: v.time_wait ?? 0,
    },
    unread: { bytes: v.unread ?? 0, sockets: v.unread_sockets ?? 0 },
    cpuUs: v.cpu_us ?? null,
  };
}

/**
 * The port's sockets by state through netlink sock_diag (native/tcp-census.c, kept running): the kernel filters
 * by port and sends binary records, instead of formatting /proc/net/tcp6 text for every socket of the host.
 */
export class CensusHelper {
  /** The helper's CPU time so far (ms), the kernel's walk of its tables included, as of its last answer. */
  cpuMs = 0;
  private child: ChildProcess | undefined;
  private lines: Interface | undefined;
  private waiting: Array<(c: Census | null) => void> = [];

  static available(): boolean {
    return existsSync(CENSUS);
  }

  constructor(port: number) {
    const child = spawn(CENSUS, [String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (l) => {
      const c = parseCensus(l);
      if (c?.cpuUs != null) this.cpuMs = c.cpuUs / 1000;
      this.waiting.shift()?.(c);
    });
    child.on('exit', () => {
      this.child = undefined;
      for (const w of this.waiting.splice(0)) w(null);
    });
    child.on('error', () => (this.child = undefined));
  }

  /** One census, or null when the helper is gone (the caller falls back to /proc). */
  take(): Promise<Census | null> {
    if (!this.child?.stdin?.writable) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child?.stdin?.write('census\n');
    });
  }

  stop(): void {
    this.child?.kill();
  }
}
