import type { BlockingCall } from '@socklab/shared';

/**
 * System call numbers by architecture (from the kernel's syscall tables: arch/x86/entry/syscalls/syscall_64.tbl
 * and the generic table aarch64 uses), for the calls a server thread blocks in.
 */
export type Arch = 'x86_64' | 'aarch64';

const X86_64: Record<number, string> = {
  0: 'read', 1: 'write', 7: 'poll', 19: 'readv', 20: 'writev', 23: 'select', 35: 'nanosleep', 42: 'connect', 43: 'accept',
  44: 'sendto', 45: 'recvfrom', 46: 'sendmsg', 47: 'recvmsg', 202: 'futex', 230: 'clock_nanosleep', 232: 'epoll_wait',
  270: 'pselect6', 271: 'ppoll', 281: 'epoll_pwait', 288: 'accept4', 299: 'recvmmsg', 307: 'sendmmsg', 441: 'epoll_pwait2',
  61: 'wait4', 247: 'waitid', 34: 'pause', 130: 'rt_sigsuspend', 128: 'rt_sigtimedwait',
};

const AARCH64: Record<number, string> = {
  63: 'read', 64: 'write', 65: 'readv', 66: 'writev', 72: 'pselect6', 73: 'ppoll', 22: 'epoll_pwait', 101: 'nanosleep',
  115: 'clock_nanosleep', 98: 'futex', 202: 'accept', 242: 'accept4', 203: 'connect', 206: 'sendto', 207: 'recvfrom',
  211: 'sendmsg', 212: 'recvmsg', 243: 'recvmmsg', 269: 'sendmmsg', 441: 'epoll_pwait2', 260: 'wait4', 95: 'waitid',
  133: 'rt_sigsuspend', 137: 'rt_sigtimedwait',
};

export function syscallName(arch: Arch, nr: number): string {
  return (arch === 'x86_64' ? X86_64 : AARCH64)[nr] ?? `syscall_${nr}`;
}

/** Calls whose first argument is a file descriptor that decides recv or send (a socket) from other I/O. */
const FD_READS = new Set(['read', 'readv']);
const FD_WRITES = new Set(['write', 'writev']);

/** Group a blocking system call into the closed set; `fdIsSocket` says whether read/write's fd is a socket. */
export function classify(name: string, fdIsSocket: boolean): BlockingCall {
  switch (name) {
    case 'accept':
    case 'accept4':
      return 'accept';
    case 'recvfrom':
    case 'recvmsg':
    case 'recvmmsg':
      return 'recv';
    case 'sendto':
    case 'sendmsg':
    case 'sendmmsg':
      return 'send';
    case 'connect':
      return 'connect';
    case 'poll':
    case 'ppoll':
    case 'select':
    case 'pselect6':
    case 'epoll_wait':
    case 'epoll_pwait':
    case 'epoll_pwait2':
      return 'poll';
    case 'nanosleep':
    case 'clock_nanosleep':
      return 'sleep';
    case 'futex':
      return 'futex';
    default:
      if (FD_READS.has(name)) return fdIsSocket ? 'recv' : 'other';
      if (FD_WRITES.has(name)) return fdIsSocket ? 'send' : 'other';
      return 'other';
  }
}

/** Whether a call's first argument is a descriptor worth resolving. */
export function takesFd(name: string): boolean {
  return FD_READS.has(name) || FD_WRITES.has(name) || /^(recv|send)/.test(name) || name === 'accept' || name === 'accept4';
}

/** The machine's architecture as the kernel names it (Node's `arm64` is the kernel's aarch64). */
export function currentArch(): Arch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64';
}

/**
 * Where a thread sleeps in the kernel (/proc/<pid>/task/<tid>/wchan), grouped the same way. Used when the syscall
 * file cannot be read: under Yama's ptrace_scope=1 (Ubuntu's default) reading another process's syscall needs
 * CAP_SYS_PTRACE, while wchan stays readable.
 */
export function classifyWchan(wchan: string): BlockingCall | null {
  const w = wchan.trim();
  if (w === '' || w === '0') return null;
  if (w === 'inet_csk_accept') return 'accept';
  if (w === 'wait_woken' || w === 'sk_wait_data' || w === 'tcp_recvmsg' || w === 'unix_stream_read_generic' || w === 'skb_wait_for_more_packets') return 'recv';
  if (w === 'sk_stream_wait_memory' || w === 'sock_alloc_send_pskb') return 'send';
  if (w === 'inet_wait_for_connect') return 'connect';
  if (w === 'ep_poll' || w === 'do_epoll_wait' || w === 'do_select' || w === 'do_sys_poll' || w === 'core_sys_select') return 'poll';
  if (w === 'hrtimer_nanosleep' || w === 'do_nanosleep' || w === 'clock_nanosleep' || w === 'common_nsleep') return 'sleep';
  if (w.startsWith('futex_')) return 'futex';
  return 'other';
}
