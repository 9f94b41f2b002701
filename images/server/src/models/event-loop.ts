import net from 'node:net';
import { encodeLine, GREETING, LineSplitter, outcomeOfErrno, responseFor, type Outcome } from '@socklab/shared';
import type { StartModel } from './model.js';
import { doWorkAsync } from '../work.js';
import { CounterBlock } from '../counters.js';
import { native } from '../native.js';

/** One client's connection on the loop: read its lines, work (io: a timer, the loop free; cpu: the loop held), answer. */
export function serve(socket: net.Socket, config: Parameters<StartModel>[0], stats: CounterBlock, sockets: Set<net.Socket>): void {
  sockets.add(socket);
  stats.accepted();
  const acceptedAt = performance.now();
  const splitter = new LineSplitter();
  let outcome: Outcome | undefined;
  let served = false;
  let busy = Promise.resolve();
  const finish = (o: Outcome): void => {
    outcome ??= o;
  };

  if (config.recvTimeoutMs > 0) {
    socket.setTimeout(config.recvTimeoutMs, () => {
      finish('read_timeout');
      socket.destroy();
    });
  }
  if (config.protocol === 'greet') socket.write(encodeLine(GREETING));

  socket.on('data', (chunk) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch {
      finish('error');
      socket.destroy();
      return;
    }
    for (const line of lines) {
      if (served && config.protocol !== 'keepalive') break;
      served = true;
      busy = busy.then(async () => {
        if (socket.destroyed) return;
        stats.begin();
        try {
          await doWorkAsync(config.work);
        } finally {
          stats.end();
        }
        if (socket.destroyed) return;
        socket.write(encodeLine(responseFor(line)));
        stats.observe((performance.now() - acceptedAt) / 1000);
        if (config.protocol !== 'keepalive') {
          finish('ok');
          socket.end();
        }
      });
    }
  });
  socket.on('end', () => {
    // The client closed: fine in keep-alive mode once something was served.
    if (config.protocol === 'keepalive' && served) void busy.then(() => (finish('ok'), socket.end()));
    else if (!served) void busy.then(() => socket.end());
  });
  socket.on('error', (err: NodeJS.ErrnoException) => finish(outcomeOfErrno(err.code)));
  socket.on('close', () => {
    sockets.delete(socket);
    stats.closed(outcome ?? (served ? 'ok' : 'error'));
  });
}

/**
 * Node's own net.Server on one thread (the course's server_async.py). io work is a timer, so the loop serves
 * everyone at once; cpu work blocks the loop, so every client waits: that is the lesson.
 */
export const startEventLoop: StartModel = async (config) => {
  // The loop is the model's one thread: the main thread, named as the model's (the runtime's others are not).
  native().nameThread('sl-event-loop');
  const stats = new CounterBlock();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => serve(socket, config, stats, sockets));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.port, host: '::', backlog: config.backlog }, () => {
      server.off('error', reject);
      resolve();
    });
  });

  return {
    counters: () => stats.v,
    async stop(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
};
