import net from 'node:net';
import { parseServerConfig, type ServerEnv } from '@socklab/shared';
import { CounterBlock } from '../counters.js';
import { native } from '../native.js';
import { serve } from './event-loop.js';

// One worker of the event-loop-workers model: the event loop's serving, on a listening socket of its own (SO_REUSEPORT).
const config = parseServerConfig(process.env as ServerEnv);
// The loop is the model's one thread in this process (libuv names its pool's threads libuv-worker itself).
native().nameThread('sl-event-loop');
const stats = new CounterBlock();
const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => serve(socket, config, stats, sockets));
server.listen({ port: config.port, host: '::', backlog: config.backlog, reusePort: true }, () => {
  process.send?.('listening');
  setInterval(() => process.send?.(Array.from(stats.v)), 100);
});
// The main process is gone (or stopping us): close, and end.
const stop = (): void => {
  server.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
