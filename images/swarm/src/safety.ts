import { lookup } from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { ConfigError } from '@socklab/shared';

export interface Subnet {
  readonly cidr: string;
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function toBigInt(address: string): { value: bigint; family: 4 | 6 } {
  if (net.isIPv4(address)) {
    return { value: address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n), family: 4 };
  }
  // Expand IPv6 (with ::, and an embedded IPv4 tail) into 8 groups.
  let addr = address.split('%')[0] ?? address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(addr);
  if (v4?.[1]) {
    const n = toBigInt(v4[1]).value;
    addr = addr.replace(v4[1], `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`);
  }
  const [head = '', tail] = addr.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return { value: groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n), family: 6 };
}

function mask(prefix: number, bits: number): bigint {
  return prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
}

/** The network address, written as people read it (10.0.0.0, fd00:1:0:0:0:0:0:0). */
function formatNetwork(network: bigint, family: 4 | 6): string {
  const parts = family === 4 ? 4 : 8;
  const width = family === 4 ? 8n : 16n;
  const out: string[] = [];
  for (let i = parts - 1; i >= 0; i -= 1) {
    const part = (network >> (BigInt(i) * width)) & ((1n << width) - 1n);
    out.push(family === 4 ? part.toString(10) : part.toString(16));
  }
  if (family === 4) return out.join('.');
  // RFC 5952: the longest run of two or more zero groups becomes "::".
  let best = { at: -1, len: 1 };
  for (let i = 0; i < out.length; ) {
    let j = i;
    while (j < out.length && out[j] === '0') j += 1;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.at < 0) return out.join(':');
  return `${out.slice(0, best.at).join(':')}::${out.slice(best.at + best.len).join(':')}`;
}

/** An interface's address/prefix (or a network's) -> the subnet it lies in, named by its network address. */
export function subnetOf(cidr: string): Subnet {
  const [address = '', p = '0'] = cidr.split('/');
  const { value, family } = toBigInt(address);
  const prefix = Number(p);
  const network = value & mask(prefix, family === 4 ? 32 : 128);
  return { cidr: `${formatNetwork(network, family)}/${prefix}`, family, prefix, network };
}

export function inSubnet(address: string, subnet: Subnet): boolean {
  const { value, family } = toBigInt(address);
  if (family !== subnet.family) return false;
  return (value & mask(subnet.prefix, family === 4 ? 32 : 128)) === subnet.network;
}

export function isLoopback(address: string): boolean {
  if (net.isIPv4(address)) return address.startsWith('127.');
  const { value } = toBigInt(address);
  if (value === 1n) return true;
  // ::ffff:127.x.y.z
  return value >> 32n === 0xffffn && (value & 0xffffffffn) >> 24n === 127n;
}

/** The subnets of this host's (container's) own interfaces, loopback excluded. */
export function ownSubnets(): Subnet[] {
  const out: Subnet[] = [];
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.internal || !a.cidr) continue;
      // A /32 or /128 host route is not a subnet a lab lives on.
      const s = subnetOf(a.cidr);
      if (s.prefix < (s.family === 4 ? 32 : 128)) out.push(s);
    }
  }
  return out;
}

/**
 * Resolve the target and accept it only if every address is loopback or inside one of our own subnets:
 * the swarm sends traffic to its lab and nowhere else. Nothing is sent before this check passes.
 */
export async function checkTarget(host: string, subnets: readonly Subnet[] = ownSubnets()): Promise<string> {
  let addresses: string[];
  try {
    addresses = (await lookup(host, { all: true })).map((a) => a.address);
  } catch (e) {
    throw new ConfigError(`target host ${JSON.stringify(host)} does not resolve (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  for (const address of addresses) {
    if (isLoopback(address)) continue;
    if (subnets.some((s) => inSubnet(address, s))) continue;
    const own = subnets.map((s) => s.cidr).join(', ') || 'none';
    throw new ConfigError(
      `refusing target ${host} (${address}): the swarm only connects to loopback or to its own subnets (${own}); ` +
        'run it on the lab network next to the server',
    );
  }
  const first = addresses[0];
  if (first === undefined) throw new ConfigError(`target host ${JSON.stringify(host)} resolves to no address`);
  return first;
}
