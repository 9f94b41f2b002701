// The reference the swarm is measured against: the plainest Node client loop that does the same work
// (connect, send one line, read the answer, close), `concurrency` at a time, back to back.
// Run as: node --input-type=module -e "<this file>" HOST PORT CLIENTS CONCURRENCY
import net from 'node:net';

const [host = '127.0.0.1', port = '7000', clients = '1000', concurrency = '50'] = process.argv.slice(1);
const total = Number(clients);
let started = 0;
let ok = 0;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: Number(port) }, () => s.write('ola servidor\n'));
    s.on('data', () => (ok += 1));
    s.on('error', () => {});
    s.on('close', () => resolve());
  });
}

async function lane(): Promise<void> {
  while (started < total) {
    started += 1;
    await one();
  }
}

const t0 = performance.now();
await Promise.all(Array.from({ length: Number(concurrency) }, lane));
console.log(JSON.stringify({ connections: started, ok, durationMs: performance.now() - t0 }));
