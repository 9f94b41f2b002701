import { LAB_PORT, pollUntil } from '@socklab/shared';
import type { ContainerHandle } from '../runtime/runtime.js';

/**
 * Readings of a container's namespace taken with cat inside it: independent of the probe's code, and without
 * running code in (or allocating on) the measured process the way a metrics scrape does.
 */

/** What the readings need of a container: to run a command in it (a socklab container, or a test's reference). */
export type Execs = Pick<ContainerHandle, 'exec'>;

/** The accept queue of the lab port's listener, ListenOverflows and ESTABLISHED count, from /proc/net. */
export async function kernelView(c: Execs, port = LAB_PORT): Promise<{ acceptQueue: number | null; listenOverflows: number; established: number }> {
  const r = await c.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6', '/proc/net/netstat']);
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let acceptQueue: number | null = null;
  let established = 0;
  const lines = r.stdout.split('\n');
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (!f[1]?.endsWith(portHex)) continue;
    if (f[3] === '0A') acceptQueue = (acceptQueue ?? 0) + parseInt(f[4]?.split(':')[1] ?? '0', 16);
    if (f[3] === '01') established += 1;
  }
  const names = lines.find((l) => l.startsWith('TcpExt:') && /[A-Za-z]/.test(l.slice(8)))?.split(/\s+/) ?? [];
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(/\s+/) ?? [];
  return { acceptQueue, listenOverflows: Number(values[names.indexOf('ListenOverflows')] ?? NaN), established };
}

/** Resident memory of a container's processes (Node, prefork's workers), without our own sh and cat. */
export async function processRss(c: Execs): Promise<number> {
  const r = await c.exec(['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/status 2>/dev/null; echo; done']);
  let total = 0;
  for (const block of r.stdout.split(/\n\s*\n/)) {
    const name = /^Name:\s+(\S+)/m.exec(block)?.[1];
    if (name === undefined || name === 'sh' || name === 'cat') continue;
    total += Number(/^VmRSS:\s+(\d+)/m.exec(block)?.[1] ?? 0) * 1024;
  }
  return total;
}

/**
 * CPU seconds (user + system, reaped children included) of a container's processes whose name is in `names`
 * (all but our own sh and cat when empty; prefixes, since the kernel cuts names to 15 characters), USER_HZ 100.
 */
export async function cpuSeconds(c: Execs, names: readonly string[] = []): Promise<number> {
  const r = await c.exec(['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/stat 2>/dev/null; echo; done']);
  let ticks = 0;
  for (const line of r.stdout.split('\n')) {
    const m = /^\d+ \((.*)\) (.*)$/.exec(line.trim());
    if (!m) continue;
    const name = m[1] ?? '';
    if (name === 'sh' || name === 'cat' || (names.length > 0 && !names.some((n) => n.startsWith(name) || name.startsWith(n)))) continue;
    const f = (m[2] ?? '').split(' ').map(Number);
    ticks += (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
  }
  return ticks / 100;
}

/** ESTABLISHED TCP connections in a container's namespace. */
export async function establishedCount(c: Execs): Promise<number> {
  const r = await c.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6']);
  return r.stdout.split('\n').filter((l) => l.trim().split(/\s+/)[3] === '01').length;
}

/** Value of a Prometheus sample in exposition text (first match of name and labels). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Poll `fn` every `everyMs` while `until` is pending; resolves with what `until` gives and every sample. */
export async function sampleWhile<T, S>(until: Promise<T>, everyMs: number, fn: () => Promise<S>): Promise<{ result: T; samples: S[] }> {
  const samples: S[] = [];
  let done = false;
  const result = until.finally(() => (done = true));
  await pollUntil(
    async () => {
      if (done) return true;
      samples.push(await fn().catch(() => undefined as S)); // a sample can fail while containers come and go
      return done ? true : undefined;
    },
    { everyMs, timeoutMs: Infinity },
  );
  return { result: await result, samples: samples.filter((s) => s !== undefined) };
}
