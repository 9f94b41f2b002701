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
}

/**
 * Count the port's sockets in /proc/net/tcp and /proc/net/tcp6 text. A LISTEN row's rx_queue is the accept
 * queue; ESTABLISHED rows with inode 0 are completed by the kernel but not yet accepted by the process.
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
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const text of texts) {
    let pos = text.indexOf('\n') + 1; // skip the header
    while (pos > 0 && pos < text.length) {
      const end = text.indexOf('\n', pos);
      const line = text.slice(pos, end === -1 ? text.length : end);
      pos = end === -1 ? text.length : end + 1;
      const f = line.trim().split(/\s+/);
      const local = f[1];
      if (local === undefined || !local.endsWith(`:${portHex}`)) continue;
      const state = STATES[f[3] ?? ''];
      if (state === undefined) continue;
      if (state === 'listen') {
        const rx = parseInt((f[4] ?? '0:0').split(':')[1] ?? '0', 16);
        acceptQueue = (acceptQueue ?? 0) + rx;
      } else if (state === 'established' && f[9] === '0') {
        states.established_unaccepted += 1;
      } else {
        states[state] += 1;
      }
    }
  }
  return { acceptQueue, states };
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

export async function readSocketTable(port: number, root = '/proc'): Promise<SocketTable> {
  const texts = await Promise.all(
    ['tcp', 'tcp6'].map((f) => readFile(`${root}/net/${f}`, 'utf8').catch(() => '')),
  );
  return parseSocketTables(texts, port);
}

export const SYSCTLS = ['somaxconn', 'tcp_abort_on_overflow', 'tcp_syncookies', 'tcp_max_syn_backlog'] as const;
export type Sysctls = Record<(typeof SYSCTLS)[number], string>;

export async function readSysctls(root = '/proc'): Promise<Sysctls> {
  const path = (k: string): string => `${root}/sys/net/${k === 'somaxconn' ? 'core' : 'ipv4'}/${k}`;
  const values = await Promise.all(SYSCTLS.map((k) => readFile(path(k), 'utf8').then((t) => t.trim(), () => 'unknown')));
  return Object.fromEntries(SYSCTLS.map((k, i) => [k, values[i] ?? 'unknown'])) as Sysctls;
}
