// The C10K reference: the plainest Node client that opens N connections (100 every 50 ms), sends one line
// on each, and holds them all open for `holdSeconds`, then exits.
// Run as: node --input-type=module -e "<this file>" HOST PORT N HOLD_SECONDS
import net from 'node:net';

const [host = '127.0.0.1', port = '7000', count = '10000', holdSeconds = '30'] = process.argv.slice(1);
const n = Number(count);
const sockets: net.Socket[] = [];
let answered = 0;
for (let i = 0; i < n; i += 100) {
  for (let k = i; k < Math.min(n, i + 100); k += 1) {
    const s = net.connect({ host, port: Number(port) }, () => s.write('ola servidor\n'));
    s.once('data', () => (answered += 1));
    s.on('error', () => {});
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 50));
}
await new Promise((r) => setTimeout(r, Number(holdSeconds) * 1000));
console.log(JSON.stringify({ connections: sockets.length, answered }));
process.exit(0);
