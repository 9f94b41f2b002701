import { readFileSync } from 'node:fs';
import { SWARM_LIMITS, type SwarmConfig } from '@socklab/shared';

/** Connections per (source IP, server IP, port) past which connect() slows down (measured on Linux). */
const CONNECT_SLOWS_PAST = SWARM_LIMITS.connectSlowsPast;

function localPortRange(): number {
  try {
    const [lo = 32768, hi = 60999] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return hi - lo + 1;
  } catch {
    return 28_232;
  }
}

function sysctl(name: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The kernel limits this run will meet, said before it starts rather than discovered as mysterious errors. */
export function limitWarnings(cfg: SwarmConfig): string[] {
  const out: string[] = [];
  const concurrent = cfg.arrival === 'closed' ? cfg.concurrency : cfg.clients;
  const ports = localPortRange();
  if (concurrent > ports) {
    out.push(
      `${concurrent} concurrent connections from one address need more than the ${ports} ephemeral ports of one ` +
        '(source IP, server IP, port) tuple: expect EADDRNOTAVAIL; run several swarm containers',
    );
  } else if (concurrent > CONNECT_SLOWS_PAST) {
    out.push(`connect() slows past about ${CONNECT_SLOWS_PAST} connections per tuple; beyond 10k, spread over several swarm containers`);
  }
  // Held connections are closed by the client (the server closes first only in the one-request protocol).
  if (cfg.holdMs > 0 && !cfg.closeWithReset && sysctl('net.ipv4.tcp_tw_reuse') !== '1') {
    out.push(
      'held connections are closed by the client, leaving TIME_WAIT here: over a bridge that caps new connections ' +
        'at about 470/s per tuple; use --close-with-reset or net.ipv4.tcp_tw_reuse=1 for long runs',
    );
  }
  return out;
}
