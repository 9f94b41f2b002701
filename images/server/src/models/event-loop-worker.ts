import net from 'node:net';
import { parseServerConfig, type ServerEnv } from '@socklab/shared';
import { CounterBlock } from '../counters.js';
import { native } from '../native.js';
import { serve } from './event-loop.js';

// One worker of the event-loop-workers model: the event loop's serving, on the listening socket inherited as fd 4.
const config = parseServerConfig(process.env as ServerEnv);
native().nameThread('sl-event-loop');
const stats = new CounterBlock();
const sockets = new Set<net.Socket>();
const server = net.createServer((socket) => serve(socket, config, stats, sockets));
server.listen({ fd: 4, backlog: config.backlog }, () => {
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
