// The C100K rate reference: the plainest Node client that opens N connections at once (as fast as its loop
// allows), sends one line on each once connected, and holds them all open for `holdSeconds`, then exits.
// Run as: node --input-type=module -e "<this file>" HOST PORT N HOLD_SECONDS
import net from 'node:net';

const [host = '127.0.0.1', port = '7000', count = '12500', holdSeconds = '20'] = process.argv.slice(1);
const sockets: net.Socket[] = [];
let connected = 0;
for (let i = 0; i < Number(count); i += 1) {
  const s = net.connect({ host, port: Number(port) }, () => {
    connected += 1;
    s.write('ola servidor\n');
  });
  s.on('error', () => {});
  sockets.push(s);
}
await new Promise((r) => setTimeout(r, Number(holdSeconds) * 1000));
console.log(JSON.stringify({ connections: sockets.length, connected }));
process.exit(0);
