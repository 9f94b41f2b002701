import type { ContainerHandle } from '../runtime/runtime.js';

/** A listening TCP socket: its address (as text) and port. */
export interface Listener {
  readonly address: string;
  readonly port: number;
  readonly loopback: boolean;
}

/** Decode /proc/net/tcp{,6} local addresses: little-endian hex words. */
function decodeAddress(hex: string): { address: string; loopback: boolean } {
  if (hex.length === 8) {
    const b = (hex.match(/../g) ?? []).map((x) => parseInt(x, 16)).reverse();
    return { address: b.join('.'), loopback: b[0] === 127 };
  }
  const words = (hex.match(/.{8}/g) ?? []).map((w) => (w.match(/../g) ?? []).reverse().join(''));
  const full = words.join('');
  if (/^0{20}ffff/i.test(full)) {
    const v4 = (full.slice(24).match(/../g) ?? []).map((x) => parseInt(x, 16));
    return { address: v4.join('.'), loopback: v4[0] === 127 };
  }
  const groups = (full.match(/.{4}/g) ?? []).map((g) => parseInt(g, 16).toString(16));
  const address = groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
  return { address, loopback: /^0{31}1$/.test(full) };
}

/** Every listening TCP socket of a container's network namespace (read with cat from /proc/net). */
export async function listeningSockets(c: ContainerHandle): Promise<Listener[]> {
  const r = await c.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6']);
  const out: Listener[] = [];
  for (const line of r.stdout.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[3] !== '0A' || !f[1]) continue;
    const [hex = '', portHex = '0'] = f[1].split(':');
    out.push({ ...decodeAddress(hex), port: parseInt(portHex, 16) });
  }
  return out;
}
