import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LATENCY_BUCKETS, type Protocol, type ServerConfig } from '@socklab/shared';

/** The native addon's functions (native/addon.c). */
export interface Native {
  listen(port: number, backlog: number): number;
  listenerInfo(fd: number): { queue: number; max: number };
  create(opts: NativeServerOptions): number;
  start(id: number): void;
  stop(id: number): void;
  stats(id: number): Float64Array;
  blockFd(id: number): number;
  serveOne(id: number, fd: number, acceptedNs: number): void;
  startAcceptor(id: number, onAccept: (fd: number, acceptedNs: number) => void): void;
  shutdownListener(id: number): void;
  nowNs(): number;
  /** Compute on the calling thread until it has had `ms` of CPU time. */
  spinCpu(ms: number): void;
  /** Name the calling thread (15 characters at most); the model's own threads are named "sl-...". */
  nameThread(name: string): void;
}


export const NATIVE_MODE = { sequential: 0, threaded: 1, pool: 2, polling: 3 } as const;
const WORK_KIND = { none: 0, io: 1, cpu: 2 } as const;
const PROTOCOL: Record<Protocol, number> = { echo: 0, greet: 1, keepalive: 2 };

export interface NativeServerOptions {
  fd: number;
  mode: number;
  threads: number;
  workKind: number;
  workUs: number;
  protocol: number;
  recvTimeoutMs: number;
  pollIntervalUs: number;
  bounds: number[];
  shared: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const BUILD_DIR = path.resolve(here, '..', 'build', 'Release');
export const PREFORK_BIN = path.join(BUILD_DIR, 'socklab-prefork');

let loaded: Native | undefined;
export function native(): Native {
  loaded ??= createRequire(import.meta.url)(path.join(BUILD_DIR, 'socklab_native.node')) as Native;
  return loaded;
}

/** The configuration in the addon's terms. */
export function nativeOptions(config: ServerConfig, fd: number, mode: keyof typeof NATIVE_MODE, shared = false): NativeServerOptions {
  return {
    fd,
    mode: NATIVE_MODE[mode],
    threads: config.poolSize,
    workKind: WORK_KIND[config.work.kind],
    workUs: Math.round(config.work.ms * 1000),
    protocol: PROTOCOL[config.protocol],
    recvTimeoutMs: Math.round(config.recvTimeoutMs),
    pollIntervalUs: Math.round(config.pollIntervalMs * 1000),
    bounds: [...LATENCY_BUCKETS],
    shared,
  };
}
