import { readFileSync, readdirSync } from 'node:fs';
import { MODEL_THREAD_PREFIX } from '@socklab/shared';

export interface ProcStatus {
  readonly threads: number;
  readonly rssBytes: number;
  /** The kernel's high-water mark of RSS (VmHWM). */
  readonly rssPeakBytes: number;
}

/** Threads and VmRSS of one process from /proc/<pid>/status; null once it has gone. */
export function readProcStatus(pid: number | 'self' = 'self'): ProcStatus | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  return { threads: field('Threads'), rssBytes: field('VmRSS') * 1024, rssPeakBytes: field('VmHWM') * 1024 };
}

/** The model's own threads of a process: those named sl-* (/proc/<pid>/task/<tid>/comm). */
export function modelThreadsOf(pid: number | 'self' = 'self'): number {
  let n = 0;
  for (const tid of safeReaddir(`/proc/${pid}/task`)) {
    try {
      if (readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith(MODEL_THREAD_PREFIX)) n += 1;
    } catch {
      /* the thread ended while we read */
    }
  }
  return n;
}

/** Direct children of a process (prefork's workers), from /proc/<pid>/task/<pid>/children. */
export function childPids(pid: number = process.pid): number[] {
  const out: number[] = [];
  for (const task of safeReaddir(`/proc/${pid}/task`)) {
    try {
      out.push(
        ...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8')
          .split(/\s+/)
          .filter(Boolean)
          .map(Number),
      );
    } catch {
      /* the task ended while we read */
    }
  }
  return out;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** net.core.somaxconn of this network namespace; the kernel caps listen()'s backlog at it. */
export function readSomaxconn(): number {
  try {
    return Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8').trim());
  } catch {
    return 4096;
  }
}
