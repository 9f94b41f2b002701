import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { classify, classifyWchan, syscallName } from './syscalls.js';
import { ownerOf, parseStat, parseSyscall, stackPointerOf, ThreadReader } from './threads.js';

describe('where threads are blocked', () => {
  it('names system calls by architecture: x86_64 and aarch64 differ', () => {
    assert.equal(syscallName('x86_64', 288), 'accept4');
    assert.equal(syscallName('aarch64', 242), 'accept4');
    assert.equal(syscallName('x86_64', 45), 'recvfrom');
    assert.equal(syscallName('aarch64', 207), 'recvfrom');
    assert.equal(syscallName('x86_64', 230), 'clock_nanosleep');
    assert.equal(syscallName('aarch64', 115), 'clock_nanosleep');
    assert.equal(syscallName('x86_64', 232), 'epoll_wait');
    assert.equal(syscallName('aarch64', 22), 'epoll_pwait');
    assert.equal(syscallName('x86_64', 202), 'futex');
    assert.equal(syscallName('aarch64', 98), 'futex');
    assert.equal(syscallName('aarch64', 202), 'accept', 'the same number is another call on another architecture');
    assert.equal(syscallName('x86_64', 9999), 'syscall_9999');
  });

  it('falls back to wchan where the syscall file cannot be read (Yama ptrace_scope=1)', () => {
    assert.equal(classifyWchan('inet_csk_accept'), 'accept');
    assert.equal(classifyWchan('wait_woken'), 'recv');
    assert.equal(classifyWchan('hrtimer_nanosleep'), 'sleep');
    assert.equal(classifyWchan('ep_poll'), 'poll');
    assert.equal(classifyWchan('futex_wait_queue'), 'futex');
    assert.equal(classifyWchan('pipe_read'), 'other');
    assert.equal(classifyWchan('0'), null);
  });

  it('groups calls into the closed set; read and write count as recv and send only on sockets', () => {
    assert.equal(classify('accept4', false), 'accept');
    assert.equal(classify('recvfrom', true), 'recv');
    assert.equal(classify('read', true), 'recv');
    assert.equal(classify('read', false), 'other');
    assert.equal(classify('write', true), 'send');
    assert.equal(classify('epoll_pwait', false), 'poll');
    assert.equal(classify('select', false), 'poll');
    assert.equal(classify('nanosleep', false), 'sleep');
    assert.equal(classify('futex', false), 'futex');
    assert.equal(classify('connect', true), 'connect');
    assert.equal(classify('wait4', false), 'other');
  });

  it('parses stat (a comm may hold spaces and parentheses) and syscall', () => {
    assert.deepEqual(parseStat('42 (python3 (x) y) S 1 42 42 0'), { comm: 'python3 (x) y', state: 'blocked' });
    assert.deepEqual(parseStat('7 (node) R 1'), { comm: 'node', state: 'running' });
    assert.deepEqual(parseStat('7 (node) Z 1'), { comm: 'node', state: 'other' });
    assert.deepEqual(parseSyscall('288 0x3 0x7ffd 0x0 0x80000 0x0 0x0 0x7ffd0 0x7f1'), { nr: 288, fd: 3 });
    assert.equal(parseSyscall('running'), null);
  });

  it('reads a /proc tree: the server\'s threads by state and call, the probe\'s own left out, a long empty recv flagged', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'socklab-proc-'));
    const proc = (pid: number, cgroup: string, threads: Array<[number, string, string, string]>, fds: Record<number, string> = {}): void => {
      mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
      writeFileSync(path.join(root, String(pid), 'cgroup'), cgroup);
      writeFileSync(path.join(root, String(pid), 'stat'), `${pid} (server) S 1`);
      for (const [fd, target] of Object.entries(fds)) symlinkSync(target, path.join(root, String(pid), 'fd', fd));
      for (const [tid, state, syscall, wchan] of threads) {
        const t = path.join(root, String(pid), 'task', String(tid));
        mkdirSync(t, { recursive: true });
        writeFileSync(path.join(t, 'stat'), `${tid} (server) ${state} 1`);
        writeFileSync(path.join(t, 'syscall'), syscall);
        writeFileSync(path.join(t, 'wchan'), wchan);
      }
    };
    mkdirSync(path.join(root, 'self'));
    writeFileSync(path.join(root, 'self', 'cgroup'), '0::/probe\n');
    proc(1, '0::/server\n', [
      [1, 'S', '288 0x3 0 0 0 0 0 0 0', 'inet_csk_accept'],
      [2, 'S', '45 0x4 0 0 0 0 0 0 0', 'wait_woken'],
      [3, 'S', '0 0x5 0 0 0 0 0 0 0', 'pipe_read'],
      [4, 'S', '230 0x0 0 0 0 0 0 0 0', 'hrtimer_nanosleep'],
      [5, 'R', 'running', '0'],
    ], { 3: 'socket:[100]', 4: 'socket:[200]', 5: 'pipe:[300]' });
    proc(50, '0::/probe\n', [[50, 'S', '232 0x3 0 0 0 0 0 0 0', 'ep_poll']]);
    const reader = new ThreadReader(0, 'x86_64', root);
    const rx = async (inodes: ReadonlySet<number>): Promise<Map<number, number>> => new Map([...inodes].map((i) => [i, 0]));
    const [p, ...others] = await reader.read(rx);
    assert.equal(others.length, 0, 'the probe\'s own process is left out');
    assert.equal(p?.threads, 5);
    assert.deepEqual(p?.byState, { running: 1, blocked: 4, other: 0 });
    assert.deepEqual(p?.byCall, { accept: 1, recv: 1, send: 0, connect: 0, poll: 0, sleep: 1, futex: 0, other: 1 });
    assert.deepEqual(p?.syscalls, { accept4: 1, recvfrom: 1, read: 1, clock_nanosleep: 1 });
    assert.equal(p?.stalledRecv, 1, 'blocked in recv on a socket with nothing to read');
    const withData = await new ThreadReader(0, 'x86_64', root).read(async (inodes) => new Map([...inodes].map((i) => [i, 12])));
    assert.equal(withData[0]?.stalledRecv, 0, 'data waiting to be read is not a stall');
  });
});

describe('what is not the server\'s', () => {
  it('leaves out runc\'s init of a docker exec passing through the namespace', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'socklab-proc-'));
    mkdirSync(path.join(root, 'self'));
    writeFileSync(path.join(root, 'self', 'cgroup'), '0::/probe\n');
    for (const [pid, comm] of [[1, 'python3'], [77, 'runc:[2:INIT]']] as const) {
      mkdirSync(path.join(root, String(pid), 'task', String(pid)), { recursive: true });
      mkdirSync(path.join(root, String(pid), 'fd'));
      writeFileSync(path.join(root, String(pid), 'cgroup'), '0::/elsewhere\n');
      writeFileSync(path.join(root, String(pid), 'stat'), `${pid} (${comm}) S 0`);
      writeFileSync(path.join(root, String(pid), 'task', String(pid), 'stat'), `${pid} (${comm}) S 0`);
      writeFileSync(path.join(root, String(pid), 'task', String(pid), 'syscall'), '232 0x3 0 0 0 0 0 0 0');
      writeFileSync(path.join(root, String(pid), 'task', String(pid), 'wchan'), 'ep_poll');
    }
    const ps = await new ThreadReader(0, 'x86_64', root).read(async () => new Map());
    assert.deepEqual(ps.map((p) => [p.comm, p.threads]), [['python3', 1]]);
  });
});

describe('whose threads, and what their stacks cost', () => {
  /** A fake /proc with one process: threads as [tid, comm, state, syscall], and its smaps. */
  function procTree(threads: Array<[number, string, string, string]>, smaps: string, into?: string): string {
    const root = into ?? mkdtempSync(path.join(tmpdir(), 'socklab-proc-'));
    if (!into) {
      mkdirSync(path.join(root, 'self'));
      writeFileSync(path.join(root, 'self', 'cgroup'), '0::/probe\n');
    }
    const pid = threads[0]![0];
    mkdirSync(path.join(root, String(pid), 'fd'), { recursive: true });
    writeFileSync(path.join(root, String(pid), 'cgroup'), '0::/server\n');
    writeFileSync(path.join(root, String(pid), 'stat'), `${pid} (${threads[0]![1]}) S 1`);
    writeFileSync(path.join(root, String(pid), 'smaps'), smaps);
    for (const [tid, comm, state, syscall] of threads) {
      const t = path.join(root, String(pid), 'task', String(tid));
      mkdirSync(t, { recursive: true });
      writeFileSync(path.join(t, 'stat'), `${tid} (${comm}) ${state} 1`);
      writeFileSync(path.join(t, 'syscall'), syscall);
      writeFileSync(path.join(t, 'wchan'), 'wait_woken');
    }
    return root;
  }
  const mapping = (start: number, end: number, rssKb: number): string =>
    `${start.toString(16)}-${end.toString(16)} rw-p 00000000 00:00 0\nSize:           ${(end - start) / 1024} kB\nRss:            ${rssKb} kB\n`;

  it('a socklab model: its sl-* threads are the model\'s, the rest the runtime\'s; calls of its own threads apart', async () => {
    const root = procTree(
      [
        [10, 'node', 'S', '232 0x3 0 0 0 0 0 0x7ffd0 0x1'],
        [11, 'V8 DefaultWorke', 'S', '202 0x3 0 0 0 0 0 0x7ffd0 0x1'],
        [12, 'sl-acceptor', 'S', '288 0x3 0 0 0 0 0 0x7f0000010000 0x1'],
        [13, 'sl-conn', 'S', '45 0x4 0 0 0 0 0 0x7f0000810000 0x1'],
        [14, 'sl-conn', 'S', '45 0x5 0 0 0 0 0 0x7f0001010000 0x1'],
      ],
      [mapping(0x7f0000000000, 0x7f0000800000, 12), mapping(0x7f0000800000, 0x7f0001000000, 16), mapping(0x7f0001000000, 0x7f0001800000, 20)].join(''),
    );
    const [p] = await new ThreadReader(60_000, 'x86_64', root).read(async (i) => new Map([...i].map((x) => [x, 0])));
    assert.deepEqual(p?.byOwner, { model: 3, runtime: 2, program: 0 });
    assert.deepEqual(p?.ownByCall, { accept: 1, recv: 2, send: 0, connect: 0, poll: 0, sleep: 0, futex: 0, other: 0 });
    assert.equal(p?.byOwnerCall.runtime.futex, 1, 'the runtime\'s own waits are counted apart');
    assert.deepEqual(p?.stack, { threads: 3, mappedBytes: 8 * 1024 * 1024, residentBytes: 16 * 1024 }, 'each stack: 8 MiB mapped, the median 16 KiB resident');
  });

  it("a socklab model's main process with no sl-* thread of its own (prefork, event-loop-workers): its threads are the runtime's", async () => {
    const root = procTree([[30, 'MainThread', 'S', '232 0x3 0 0 0 0 0 0x7ffd0 0x1'], [31, 'V8Worker', 'S', '202 0x3 0 0 0 0 0 0x7ffd0 0x1']], '');
    procTree([[40, 'sl-event-loop', 'S', '232 0x3 0 0 0 0 0 0x7ffd0 0x1'], [41, 'V8Worker', 'S', '202 0x3 0 0 0 0 0 0x7ffd0 0x1']], '', root);
    const ps = await new ThreadReader(60_000, 'x86_64', root).read(async () => new Map());
    assert.deepEqual(ps.map((p) => [p.pid, p.byOwner]), [[30, { model: 0, runtime: 2, program: 0 }], [40, { model: 1, runtime: 1, program: 0 }]]);
  });

  it('a program of one\'s own (no sl-* thread) is shown whole; its main thread\'s stack is not a thread stack', async () => {
    const root = procTree(
      [
        [20, 'python3', 'S', '232 0x3 0 0 0 0 0 0x7ffd0 0x1'],
        [21, 'python3', 'S', '45 0x4 0 0 0 0 0 0x7f0000010000 0x1'],
      ],
      mapping(0x7f0000000000, 0x7f0000800000, 8) + mapping(0x7ffc0, 0x7fff0, 132),
    );
    const [p] = await new ThreadReader(60_000, 'x86_64', root).read(async () => new Map());
    assert.deepEqual(p?.byOwner, { model: 0, runtime: 0, program: 2 });
    assert.deepEqual(p?.stack, { threads: 1, mappedBytes: 8 * 1024 * 1024, residentBytes: 8 * 1024 });
  });

  it('reads the stack pointer from the syscall file; a running thread has none', () => {
    assert.equal(stackPointerOf('45 0x4 0x7f 0x1 0x0 0x0 0x0 0x7f0000010000 0x7f12'), 0x7f0000010000);
    assert.equal(stackPointerOf('running'), null);
    assert.deepEqual(ownerOf('sl-conn', true), 'model');
    assert.deepEqual(ownerOf('node', true), 'runtime');
    assert.deepEqual(ownerOf('node', false), 'program');
  });
});
