/**
 * The engine's wire formats, as pure functions (no engine needed to test them): a one-file tar for putArchive,
 * the multiplexed stdout/stderr frames of a non-TTY container's logs, and one line of the stats stream.
 */
import type { StatsSample } from './runtime.js';

/** A tar archive holding one regular file (ustar), for putArchive. */
export function tarOne(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number): void => void header.write(text.slice(0, length), offset, 'ascii');
  const octal = (n: number, length: number): string => `${n.toString(8).padStart(length - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(data.length, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  header.fill(' ', 148, 156);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

/** The text of a multiplexed (non-TTY) log buffer: each frame's payload in order; a TTY's plain text as it is. */
export function demuxBuffer(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || (buf[0] ?? 9) > 2) return buf.toString('utf8');
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** One line of Docker's stats stream -> memory (without page cache, as `docker stats` shows), CPU cores, pids. */
export function parseStats(line: string): StatsSample | null {
  let s: {
    read?: string;
    memory_stats?: { usage?: number; stats?: Record<string, number> };
    cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
    precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
    pids_stats?: { current?: number };
  };
  try {
    s = JSON.parse(line) as typeof s;
  } catch {
    return null;
  }
  const usage = s.memory_stats?.usage;
  if (usage === undefined) return null;
  const st = s.memory_stats?.stats ?? {};
  const cache = st.inactive_file ?? st.total_inactive_file ?? st.cache ?? 0;
  const cpu = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sys = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus ?? 1;
  return {
    t: s.read ? Date.parse(s.read) : Date.now(),
    memoryBytes: Math.max(0, usage - cache),
    cpuCores: sys > 0 && cpu >= 0 ? (cpu / sys) * cpus : 0,
    pids: s.pids_stats?.current ?? 0,
  };
}
