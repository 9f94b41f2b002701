import { readFile } from 'node:fs/promises';
import { KERNEL_COUNTERS, type ProbeTcpState } from '@socklab/shared';

/** /proc/net/tcp `st` codes we count. */
const STATES: Record<string, ProbeTcpState | 'listen'> = {
  '01': 'established',
  '03': 'syn_recv',
  '06': 'time_wait',
  '08': 'close_wait',
  '0A': 'listen',
};

export interface SocketTable {
  /** Accept-queue length of the listener on the port (LISTEN rx_queue); null when nothing listens. */
  readonly acceptQueue: number | null;
  readonly states: Record<ProbeTcpState, number>;
  /** Bytes arrived on accepted ESTABLISHED sockets (rx_queue) that the process has not read, and on how many. */
  readonly unread: { bytes: number; sockets: number };
}

/**
 * Count the port's sockets in /proc/net/tcp and /proc/net/tcp6 text. A LISTEN row's rx_queue is the accept
 * queue; ESTABLISHED rows with inode 0 are completed by the kernel but not yet accepted by the process.
 *
 * The kernel prints these rows with fixed widths ("%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX %08X
 * %5u %8d %lu ..."; 32 hex digits per address in tcp6), so fields are read at offsets from the row's first
 * colon instead of splitting each of 10,000 lines: the probe must stay cheap while it watches a C10K run.
 * A row whose layout does not match is read by splitting, as a fallback.
 */
export function parseSocketTables(texts: readonly string[], port: number): SocketTable {
  const states: Record<ProbeTcpState, number> = {
    syn_recv: 0,
    established: 0,
    established_unaccepted: 0,
    close_wait: 0,
    time_wait: 0,
  };
  let acceptQueue: number | null = null;
  const unread = { bytes: 0, sockets: 0 };
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const count = (st: string, rxHex: string, inode: string): void => {
    const state = STATES[st];
    if (state === undefined) return;
    if (state === 'listen') acceptQueue = (acceptQueue ?? 0) + parseInt(rxHex, 16);
    else if (state === 'established' && inode === '0') states.established_unaccepted += 1;
    else {
      states[state] += 1;
      const rx = state === 'established' ? parseInt(rxHex, 16) : 0;
      if (rx > 0) {
        unread.bytes += rx;
        unread.sockets += 1;
      }
    }
  };
  for (const text of texts) {
    let pos = text.indexOf('\n') + 1; // skip the header
    while (pos > 0 && pos < text.length) {
      const end = text.indexOf('\n', pos);
      const stop = end === -1 ? text.length : end;
      const colon = text.indexOf(':', pos);
      const base = colon + 2; // local address starts here
      const sep = text.indexOf(':', base); // between local address and port
      const width = sep - base; // 8 (tcp) or 32 (tcp6)
      if (colon > 0 && colon < stop && (width === 8 || width === 32)) {
        if (text.startsWith(portHex, sep + 1)) {
          const l = width + 5; // "ADDR:PORT"
          const st = text.slice(base + 2 * l + 2, base + 2 * l + 4);
          const rx = text.slice(base + 2 * l + 14, base + 2 * l + 22);
          const inodeAt = base + 2 * l + 59;
          if (text.charCodeAt(inodeAt - 1) === 32 && text.charCodeAt(base + 2 * l + 13) === 58) {
            const inodeEnd = text.indexOf(' ', inodeAt);
            count(st, rx, text.slice(inodeAt, inodeEnd === -1 || inodeEnd > stop ? stop : inodeEnd));
          } else {
            const f = text.slice(pos, stop).trim().split(/\s+/);
            count(f[3] ?? '', (f[4] ?? '0:0').split(':')[1] ?? '0', f[9] ?? '');
          }
        }
      }
      pos = end === -1 ? text.length : end + 1;
    }
  }
  return { acceptQueue, states, unread };
}

/** Counters from /proc/net/netstat or /proc/net/snmp: `Group: names` lines followed by `Group: values`. */
export function parseCounterFile(text: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const [group, ...names] = (lines[i] ?? '').trim().split(/\s+/);
    const [group2, ...values] = (lines[i + 1] ?? '').trim().split(/\s+/);
    if (!group || group !== group2) continue;
    const g = (out[group.replace(/:$/, '')] ??= {});
    names.forEach((name, j) => (g[name] = Number(values[j])));
  }
  return out;
}

export interface KernelCounters {
  readonly counters: Record<string, number>; // "TcpExt ListenOverflows" -> value
  readonly currEstab: number;
}

export async function readKernelCounters(root = '/proc'): Promise<KernelCounters> {
  const [netstat, snmp] = await Promise.all([
    readFile(`${root}/net/netstat`, 'utf8'),
    readFile(`${root}/net/snmp`, 'utf8'),
  ]);
  const all = { ...parseCounterFile(netstat), ...parseCounterFile(snmp) };
  const counters: Record<string, number> = {};
  for (const [group, field] of KERNEL_COUNTERS) counters[`${group} ${field}`] = all[group]?.[field] ?? 0;
  return { counters, currEstab: all.Tcp?.CurrEstab ?? 0 };
}

export const TABLES = ['tcp', 'tcp6'] as const;
export type Table = (typeof TABLES)[number];

/** Read the given socket tables; also says which of them hold any socket of the port. */
export async function readSocketTable(port: number, tables: readonly Table[] = TABLES, root = '/proc'): Promise<SocketTable & { holding: Table[] }> {
  const texts = await Promise.all(tables.map((f) => readFile(`${root}/net/${f}`, 'utf8').catch(() => '')));
  const parts = texts.map((t) => parseSocketTables([t], port));
  const holding = tables.filter((_, i) => {
    const p = parts[i];
    return p !== undefined && (p.acceptQueue !== null || Object.values(p.states).some((n) => n > 0));
  });
  const merged = parseSocketTables([], port);
  let acceptQueue: number | null = null;
  for (const p of parts) {
    if (p.acceptQueue !== null) acceptQueue = (acceptQueue ?? 0) + p.acceptQueue;
    for (const k of Object.keys(p.states) as ProbeTcpState[]) merged.states[k] += p.states[k];
    merged.unread.bytes += p.unread.bytes;
    merged.unread.sockets += p.unread.sockets;
  }
  return { acceptQueue, states: merged.states, unread: merged.unread, holding };
}

export const SYSCTLS = ['somaxconn', 'tcp_abort_on_overflow', 'tcp_syncookies', 'tcp_max_syn_backlog'] as const;
export type Sysctls = Record<(typeof SYSCTLS)[number], string>;

export async function readSysctls(root = '/proc'): Promise<Sysctls> {
  const path = (k: string): string => `${root}/sys/net/${k === 'somaxconn' ? 'core' : 'ipv4'}/${k}`;
  const values = await Promise.all(SYSCTLS.map((k) => readFile(path(k), 'utf8').then((t) => t.trim(), () => 'unknown')));
  return Object.fromEntries(SYSCTLS.map((k, i) => [k, values[i] ?? 'unknown'])) as Sysctls;
}

/**
 * /proc/net/sockstat's TCP line. `inuse` and `tw` are the namespace's; `orphan`, `alloc` and `mem` the machine's
 * (`mem`, the pages of TCP buffers, is counted across every namespace: both ends of a lab's connections).
 */
export interface Sockstat {
  readonly tcpInUse: number;
  readonly tcpOrphans: number;
  readonly tcpTimeWait: number;
  readonly tcpAllocated: number;
  readonly tcpMemoryBytes: number;
}

export function parseSockstat(text: string, pageBytes: number): Sockstat | null {
  const line = /^TCP: (.*)$/m.exec(text)?.[1];
  if (line === undefined) return null;
  const v: Record<string, number> = {};
  const words = line.trim().split(/\s+/);
  for (let i = 0; i + 1 < words.length; i += 2) v[words[i]!] = Number(words[i + 1]);
  const need = ['inuse', 'orphan', 'tw', 'alloc', 'mem'];
  if (!need.every((k) => Number.isFinite(v[k]))) return null;
  return { tcpInUse: v.inuse!, tcpOrphans: v.orphan!, tcpTimeWait: v.tw!, tcpAllocated: v.alloc!, tcpMemoryBytes: v.mem! * pageBytes };
}

/** The kernel's page size, from this process's own memory map (4 KiB on x86_64; 4, 16 or 64 KiB on arm64). */
export async function pageBytes(root = '/proc'): Promise<number> {
  const text = await readFile(`${root}/self/smaps`, 'utf8').catch(() => '');
  const kb = Number(/^KernelPageSize:\s+(\d+) kB$/m.exec(text)?.[1]);
  return Number.isFinite(kb) && kb > 0 ? kb * 1024 : 4096;
}

export async function readSockstat(pageSize: number, root = '/proc'): Promise<Sockstat | null> {
  return parseSockstat(await readFile(`${root}/net/sockstat`, 'utf8').catch(() => ''), pageSize);
}
