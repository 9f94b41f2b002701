import { Worker } from 'node:worker_threads';
import type { ServerConfig } from '@socklab/shared';
import { native, nativeOptions } from '../native.js';
import type { RunningModel } from './model.js';

const WORKER = new URL('./worker-entry.js', import.meta.url);

/**
 * Thread per connection, the Node way: a C thread blocks in accept and hands each connection to a new Node
 * Worker, which serves it with the same blocking calls as `threaded`. Same model, a runtime's threads:
 * each Worker carries its own V8 isolate, which is what this model exists to show.
 */
export async function startWorkerThreads(config: ServerConfig): Promise<RunningModel> {
  const n = native();
  const fd = n.listen(config.port, config.backlog);
  const id = n.create(nativeOptions(config, fd, 'threaded'));
  const workers = new Set<Worker>();
  n.startAcceptor(id, (connFd, acceptedNs) => {
    const w = new Worker(WORKER, { workerData: { id, fd: connFd, acceptedNs } });
    workers.add(w);
    w.once('exit', () => workers.delete(w));
    w.once('error', (err) => console.error(`socklab server: worker failed: ${err.message}`));
  });
  return {
    counters: () => n.stats(id),
    effectiveBacklog: () => n.listenerInfo(fd).max,
    async stop(): Promise<void> {
      n.shutdownListener(id);
      await Promise.all([...workers].map((w) => w.terminate()));
    },
  };
}
