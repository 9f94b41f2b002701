import { readFileSync, readlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { BLOCKING_CALLS, MODEL_THREAD_PREFIX, THREAD_OWNERS, THREAD_STATES, type BlockingCall, type ThreadOwner, type ThreadState } from '@socklab/shared';
import { classify, classifyWchan, currentArch, syscallName, takesFd, type Arch } from './syscalls.js';

/** One thread as /proc shows it. */
export interface ThreadView {
  readonly tid: number;
  readonly comm: string;
  readonly state: ThreadState;
  /** Raw system call name while blocked (accept4, recvfrom, ...); null while running. */
  readonly syscall: string | null;
  readonly call: BlockingCall | null;
  readonly wchan: string;
  /** Socket inode when blocked on a socket descriptor. */
  readonly socket: number | null;
  /** Its stack pointer while blocked in a system call (the syscall file's next-to-last field), else null. */
  readonly sp: number | null;
}

/** What a thread's stack costs: the mapping the kernel made for it, and how much of that is resident (smaps). */
export interface StackCost {
  /** Threads whose stack was found (blocked ones, whose stack pointer the kernel shows). */
  readonly threads: number;
  /** The median size of their stack mappings (virtual: what was reserved), and of what is resident in them. */
  readonly mappedBytes: number;
  readonly residentBytes: number;
}

/** A process of the server's PID namespace (the probe's own are left out), summed by state and call. */
export interface ProcessThreads {
  readonly pid: number;
  readonly comm: string;
  readonly threads: number;
  readonly byState: Record<ThreadState, number>;
  readonly byCall: Record<BlockingCall, number>;
  /** Raw system call names of blocked threads and how many wait in each. */
  readonly syscalls: Record<string, number>;
  /** Threads blocked in recv on a socket with nothing to read for longer than the threshold. */
  readonly stalledRecv: number;
  /** Threads by owner: the model's own (named sl-*), the runtime's, or, for a program of one's own, all of it. */
  readonly byOwner: Record<ThreadOwner, number>;
  /** Blocked threads of the model's own (or of a program of one's own) by the call they wait in. */
  readonly ownByCall: Record<BlockingCall, number>;
  /** Threads by owner and state, and blocked ones by owner and call (what the probe's metrics export). */
  readonly byOwnerState: Record<ThreadOwner, Record<ThreadState, number>>;
  readonly byOwnerCall: Record<ThreadOwner, Record<BlockingCall, number>>;
  /** The stacks of its own threads (the model's, or the program's but its main thread), measured now and then. */
  readonly stack: StackCost | null;
  /** Its resident memory (VmRSS of /proc/<pid>/status). */
  readonly rssBytes: number;
}

/** Whose a thread is: sl-* names are a socklab model's own; beside them (in the namespace) the rest is the runtime's; else the program's. */
export function ownerOf(comm: string, namespaceHasModelThreads: boolean): ThreadOwner {
  if (!namespaceHasModelThreads) return 'program';
  return comm.startsWith(MODEL_THREAD_PREFIX) ? 'model' : 'runtime';
}

/** The syscall file's stack pointer (its next-to-last field), as a number (user addresses fit in 53 bits). */
export function stackPointerOf(text: string): number | null {
  const f = text.trim().split(/\s+/);
  if (f.length < 3 || f[0] === 'running') return null;
  const sp = Number.parseInt(f[f.length - 2] ?? '', 16);
  return Number.isFinite(sp) && sp > 0 ? sp : null;
}

/** /proc/<pid>/smaps -> each mapping's range, size and resident bytes. */
function parseSmaps(text: string): Array<{ start: number; end: number; sizeBytes: number; rssBytes: number }> {
  const out: Array<{ start: number; end: number; sizeBytes: number; rssBytes: number }> = [];
  let cur: { start: number; end: number; sizeBytes: number; rssBytes: number } | undefined;
  for (const line of text.split('\n')) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) {
      cur = { start: Number.parseInt(range[1] ?? '0', 16), end: Number.parseInt(range[2] ?? '0', 16), sizeBytes: 0, rssBytes: 0 };
      out.push(cur);
    } else if (cur && line.startsWith('Size:')) cur.sizeBytes = Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
    else if (cur && line.startsWith('Rss:')) cur.rssBytes = Number(/(\d+)/.exec(line)?.[1] ?? 0) * 1024;
  }
  return out;
}

/** The stack mapping of each stack pointer (the mapping holding it, with the guard page next to it left out). */
function stackCost(sps: readonly number[], maps: ReturnType<typeof parseSmaps>): StackCost | null {
  const found = sps.flatMap((sp) => maps.filter((m) => sp >= m.start && sp < m.end));
  if (found.length === 0) return null;
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? 0;
  return { threads: found.length, mappedBytes: median(found.map((m) => m.sizeBytes)), residentBytes: median(found.map((m) => m.rssBytes)) };
}

/** How often the stacks of a process are measured (smaps of thousands of threads is long to read). */
const STACK_EVERY_MS = 2000;

const zero = <K extends string>(keys: readonly K[]): Record<K, number> => Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;

/** Parse /proc/<pid>/task/<tid>/stat: comm in parentheses (may hold spaces), then the state letter. */
export function parseStat(text: string): { comm: string; state: ThreadState } | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const letter = text.slice(close + 2, close + 3);
  return { comm: text.slice(open + 1, close), state: letter === 'R' ? 'running' : letter === 'S' || letter === 'D' ? 'blocked' : 'other' };
}

/** The parent pid in a /proc/<pid>/stat line (the field after the state letter). */
function parentOf(text: string): number {
  return Number(text.slice(text.lastIndexOf(')') + 4).split(' ')[0]);
}

/** Parse /proc/<pid>/task/<tid>/syscall: "running", or "<nr> <arg1> ... <sp> <pc>" in hex. */
export function parseSyscall(text: string): { nr: number; fd: number } | null {
  const f = text.trim().split(/\s+/);
  if (f[0] === undefined || f[0] === 'running' || f[0] === '-1') return null;
  const nr = Number(f[0]);
  if (!Number.isInteger(nr)) return null;
  return { nr, fd: f[1] ? Number.parseInt(f[1], 16) : -1 };
}

const read = (p: string): Promise<string | null> => readFile(p, 'utf8').catch(() => null);

function readSync(p: string): string | null {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return null;
  }
}

function readlinkQuiet(p: string): string {
  try {
    return readlinkSync(p);
  } catch {
    return '';
  }
}

/** Real uid and gid from /proc/<pid>/status. */
function uidsOf(status: string): { uid: number; gid: number } | null {
  const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1];
  const gid = /^Gid:\s+(\d+)/m.exec(status)?.[1];
  return uid === undefined || gid === undefined ? null : { uid: Number(uid), gid: Number(gid) };
}

/**
 * Run `fn` with the effective user and group of `owner` (a root probe reading an unprivileged server's /proc
 * files), then back to root. Only synchronous work belongs in `fn`. Without root, or for root's processes, as is.
 */
function asUser<T>(owner: { uid: number; gid: number } | null, fn: () => T): T {
  const p = process as NodeJS.Process & Required<Pick<NodeJS.Process, 'geteuid' | 'seteuid' | 'setegid'>>;
  if (typeof p.seteuid !== 'function' || p.geteuid() !== 0 || !owner || owner.uid === 0) return fn();
  p.setegid(owner.gid);
  p.seteuid(owner.uid);
  try {
    return fn();
  } finally {
    p.seteuid(0);
    p.setegid(0);
  }
}

/**
 * Reads where every thread of the server's processes is blocked. The probe shares the server's PID namespace;
 * its own processes (and anything exec'd into it) share its cgroup and are left out.
 */
export class ThreadReader {
  private readonly since = new Map<number, { socket: number; at: number }>();
  private ownCgroup: string | null | undefined;

  /**
   * `own-cgroup`: the probe is a container of its own in the server's PID namespace; leave out what shares its
   * cgroup. `own-process`: the observer runs inside the server's container (Docker Swarm has no shared
   * namespaces); leave out itself and its children only.
   */
  constructor(
    private readonly stallMs = 2000,
    private readonly arch: Arch = currentArch(),
    private readonly root = '/proc',
    private readonly exclude: 'own-cgroup' | 'own-process' = 'own-cgroup',
  ) {}

  /** The processes of the server's PID namespace (the probe's own left out), each with its threads as /proc shows them. */
  private async processes(): Promise<Array<{ pid: number; comm: string; owner: { uid: number; gid: number } | null; rssBytes: number; threads: ThreadView[] }>> {
    this.ownCgroup ??= await read(`${this.root}/self/cgroup`);
    const pids = (await readdir(this.root).catch(() => [] as string[])).filter((d) => /^\d+$/.test(d)).map(Number);
    const out: Array<{ pid: number; comm: string; owner: { uid: number; gid: number } | null; rssBytes: number; threads: ThreadView[] }> = [];
    for (const pid of pids) {
      if (pid === process.pid) continue;
      if (this.exclude === 'own-cgroup') {
        const cgroup = await read(`${this.root}/${pid}/cgroup`);
        if (cgroup === null || cgroup === this.ownCgroup) continue;
      }
      const statText = (await read(`${this.root}/${pid}/stat`)) ?? '';
      const stat = parseStat(statText);
      if (!stat) continue;
      // A `docker exec` into the probe passes through runc's init, inside this PID namespace but not yet in the
      // probe's cgroup: not a process of the server.
      if (stat.comm.startsWith('runc:')) continue;
      if (this.exclude === 'own-process' && parentOf(statText) === process.pid) continue;
      const tids = (await readdir(`${this.root}/${pid}/task`).catch(() => [] as string[])).map(Number);
      const status = (await read(`${this.root}/${pid}/status`)) ?? '';
      const owner = uidsOf(status);
      // A process's syscall and fd files answer only its own user (or CAP_SYS_PTRACE, which the probe does not
      // have): read them as that user for a moment, synchronously, so nothing else runs meanwhile.
      const threads = asUser(owner, () => tids.flatMap((tid) => this.thread(pid, tid)));
      out.push({ pid, comm: stat.comm, owner, rssBytes: Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0) * 1024, threads });
    }
    return out;
  }

  /** Threads blocked in recv on the same socket for longer than the threshold, with nothing to read on it. */
  private async stalled(threads: readonly ThreadView[], rxQueueOf: (inodes: ReadonlySet<number>) => Promise<Map<number, number>>): Promise<Set<number>> {
    const now = Date.now();
    const inRecv = threads.filter((t) => t.call === 'recv' && t.socket !== null);
    const seen = new Set<number>();
    for (const t of inRecv) {
      seen.add(t.tid);
      const prev = this.since.get(t.tid);
      if (!prev || prev.socket !== t.socket) this.since.set(t.tid, { socket: t.socket!, at: now });
    }
    for (const tid of [...this.since.keys()]) if (!seen.has(tid)) this.since.delete(tid);
    const long = inRecv.filter((t) => now - (this.since.get(t.tid)?.at ?? now) >= this.stallMs);
    const queues = long.length > 0 ? await rxQueueOf(new Set(long.map((t) => t.socket!))) : new Map<number, number>();
    return new Set(long.filter((t) => (queues.get(t.socket!) ?? 0) === 0).map((t) => t.tid));
  }

  private readonly stacks = new Map<number, { at: number; seen: number; cost: StackCost | null }>();

  /**
   * The stacks of a process's own threads (but its main thread), from the mapping each blocked thread's stack
   * pointer falls in (smaps, read as the process's user): measured at most every STACK_EVERY_MS, since smaps of a
   * process with thousands of threads is long to read.
   */
  private stackOf(pid: number, owner: { uid: number; gid: number } | null, own: readonly ThreadView[]): StackCost | null {
    const last = this.stacks.get(pid);
    const sps = own.filter((t) => t.tid !== pid && t.sp !== null).map((t) => t.sp!);
    // Measured again when more of its threads can be seen than last time, else at most every STACK_EVERY_MS.
    if (last && sps.length <= last.seen && Date.now() - last.at < STACK_EVERY_MS) return last.cost;
    const cost = sps.length === 0 ? null : stackCost(sps, parseSmaps(asUser(owner, () => readSync(`${this.root}/${pid}/smaps`)) ?? ''));
    this.stacks.set(pid, { at: Date.now(), seen: Math.max(sps.length, last?.seen ?? 0), cost: cost ?? last?.cost ?? null });
    return cost ?? last?.cost ?? null;
  }

  async read(rxQueueOf: (inodes: ReadonlySet<number>) => Promise<Map<number, number>>): Promise<ProcessThreads[]> {
    const out = await this.processes();
    const stalled = await this.stalled(out.flatMap((p) => p.threads), rxQueueOf);
    for (const pid of [...this.stacks.keys()]) if (!out.some((p) => p.pid === pid)) this.stacks.delete(pid);
    // A socklab model names its threads sl-*: then every other thread in the namespace is a runtime's, even in a
    // process with none of its own (the main process of prefork or event-loop-workers); else all is the program's.
    const modelThreads = out.some((p) => p.threads.some((t) => t.comm.startsWith(MODEL_THREAD_PREFIX)));
    return out.map((p) => {
      const byState = zero(THREAD_STATES);
      const byCall = zero(BLOCKING_CALLS);
      const byOwner = zero(THREAD_OWNERS);
      const ownByCall = zero(BLOCKING_CALLS);
      const byOwnerCall = Object.fromEntries(THREAD_OWNERS.map((o) => [o, zero(BLOCKING_CALLS)])) as Record<ThreadOwner, Record<BlockingCall, number>>;
      const byOwnerState = Object.fromEntries(THREAD_OWNERS.map((o) => [o, zero(THREAD_STATES)])) as Record<ThreadOwner, Record<ThreadState, number>>;
      const syscalls: Record<string, number> = {};
      const own: ThreadView[] = [];
      for (const t of p.threads) {
        const o = ownerOf(t.comm, modelThreads);
        byState[t.state] += 1;
        byOwnerState[o][t.state] += 1;
        byOwner[o] += 1;
        if (o !== 'runtime') own.push(t);
        if (t.call) {
          byCall[t.call] += 1;
          byOwnerCall[o][t.call] += 1;
          if (o !== 'runtime') ownByCall[t.call] += 1;
        }
        if (t.syscall) syscalls[t.syscall] = (syscalls[t.syscall] ?? 0) + 1;
      }
      return {
        pid: p.pid,
        comm: p.comm,
        threads: p.threads.length,
        byState,
        byCall,
        syscalls,
        stalledRecv: p.threads.filter((t) => stalled.has(t.tid)).length,
        byOwner,
        ownByCall,
        byOwnerState,
        byOwnerCall,
        stack: this.stackOf(p.pid, p.owner, own),
        rssBytes: p.rssBytes,
      };
    });
  }

  /** One thread: its state, and where it is blocked (synchronous: it may run as another user). */
  private thread(pid: number, tid: number): ThreadView[] {
    const base = `${this.root}/${pid}/task/${tid}`;
    const s = parseStat(readSync(`${base}/stat`) ?? '');
    if (!s) return [];
    const wchan = readSync(`${base}/wchan`) ?? '';
    const syscallText = s.state === 'blocked' ? (readSync(`${base}/syscall`) ?? '') : '';
    const call = s.state === 'blocked' ? parseSyscall(syscallText) : null;
    let socket: number | null = null;
    let name: string | null = null;
    let group: BlockingCall | null = null;
    if (call) {
      name = syscallName(this.arch, call.nr);
      if (takesFd(name) && call.fd >= 0) {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkQuiet(`${this.root}/${pid}/fd/${call.fd}`));
        if (m) socket = Number(m[1]);
      }
      group = classify(name, socket !== null);
    } else if (s.state === 'blocked') {
      // No syscall to read (Yama's ptrace_scope=1, say): where it sleeps in the kernel still tells.
      group = classifyWchan(wchan) ?? 'other';
    }
    return [{ tid, comm: s.comm, state: s.state, syscall: name, call: group, wchan, socket, sp: stackPointerOf(syscallText) }];
  }
}

/** rx_queue of sockets by inode, from /proc/net/tcp and tcp6 (read only when a thread has waited long in recv). */
export async function rxQueues(inodes: ReadonlySet<number>, root = '/proc'): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const table of ['tcp', 'tcp6']) {
    const text = (await read(`${root}/net/${table}`)) ?? '';
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const inode = Number(f[9]);
      if (!inodes.has(inode)) continue;
      out.set(inode, Number.parseInt(f[4]?.split(':')[1] ?? '0', 16));
    }
  }
  return out;
}
