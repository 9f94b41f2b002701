import { fork, type ChildProcess } from 'node:child_process';
import { serverEnv } from '@socklab/shared';
import { SLOT, SLOTS } from '../counters.js';
import type { StartModel } from './model.js';
import { stopChildren } from './children.js';

const WORKER = new URL('./event-loop-worker.js', import.meta.url);

/**
 * nginx's way: PROCESSES worker processes, each one event loop (the event-loop model's) on a listening socket of
 * its own on the same port (SO_REUSEPORT, nginx's `reuseport`): the kernel spreads new connections evenly over
 * them by their addresses, where one shared socket lets the busiest loop accept far more than its share (measured:
 * 963 against 597 of 3,000 over four). The probe adds up their accept queues. The main process only serves the
 * metrics and adds up the workers' counters (each sends its own every 100 ms). Each process has its own
 * open-files limit, so N workers hold N times the connections one can.
 */
export const startEventLoopWorkers: StartModel = async (config) => {
  const latest = new Map<number, Float64Array>();
  let peak = 0;
  let stopping = false;
  const children: ChildProcess[] = [];
  const ready: Array<Promise<void>> = [];
  for (let i = 0; i < config.processes; i += 1) {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...serverEnv(config) } });
    ready.push(
      new Promise((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code, signal) => reject(new Error(`event-loop worker ${i + 1} exited before it listened (${signal ?? code})`)));
      }),
    );
    child.on('message', (m: unknown) => {
      if (Array.isArray(m)) latest.set(i, Float64Array.from(m as number[]));
    });
    child.on('exit', (code, signal) => {
      if (!stopping) console.error(`socklab server: event-loop worker ${child.pid} exited (${signal ?? code}); ${config.processes - 1} left`);
    });
    children.push(child);
  }
  await Promise.all(ready);
  return {
    counters: () => {
      const sum = new Float64Array(SLOTS);
      for (const v of latest.values()) for (let k = 0; k < SLOTS; k += 1) sum[k]! += v[k] ?? 0;
      // In service at once across the workers: the peak of their sum, as far as 100 ms reports can tell.
      peak = Math.max(peak, sum[SLOT.inService] ?? 0);
      sum[SLOT.peak] = peak;
      return sum;
    },
    childProcesses: true,
    async stop(): Promise<void> {
      stopping = true;
      await stopChildren(children);
    },
  };
};
