import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerConfig } from '@socklab/shared';
import { native, nativeOptions, PREFORK_BIN } from '../native.js';
import type { RunningModel } from './model.js';
import { stopChildren } from './children.js';

/**
 * PROCESSES child processes (small C programs) inherit the listening socket and each run a blocking accept
 * loop, like a prefork server or Python's multiprocessing Pool. They count into shared memory.
 */
export async function startPrefork(config: ServerConfig): Promise<RunningModel> {
  const n = native();
  const fd = n.listen(config.port, config.backlog);
  const opts = nativeOptions(config, fd, 'sequential', true);
  const id = n.create(opts);
  const blockFd = n.blockFd(id);
  let stopping = false;
  const children: ChildProcess[] = [];
  for (let i = 0; i < config.processes; i += 1) {
    const child = spawn(
      PREFORK_BIN,
      [String(opts.workKind), String(opts.workUs), String(opts.protocol), String(opts.recvTimeoutMs)],
      { stdio: ['ignore', 'inherit', 'inherit', fd, blockFd] },
    );
    child.on('exit', (code, signal) => {
      if (!stopping) console.error(`socklab server: prefork worker ${child.pid} exited (${signal ?? code}); ${config.processes - 1} left`);
    });
    children.push(child);
  }
  return {
    counters: () => n.stats(id),
    effectiveBacklog: () => n.listenerInfo(fd).max,
    childProcesses: true,
    async stop(): Promise<void> {
      stopping = true;
      await stopChildren(children);
    },
  };
}
