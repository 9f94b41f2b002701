/** Measurements taken from inside a `socklab cluster` node: a fresh container on that node, on the stack's overlay. */
import { spawnSync } from 'node:child_process';
import { IMAGES } from '@socklab/shared';

/** The overlay network of a stack deployed as `socklab` (the README's name). */
export const STACK_NETWORK = 'socklab_lab';

/** Run an image on a node (`docker run --rm` in that node's engine); its stdout, or an error with what it said. */
export function runOnNode(node: number, args: readonly string[], timeoutMs = 120_000): string {
  const r = spawnSync('docker', ['exec', `socklab-cluster-node-${node}`, 'docker', 'run', '--rm', '--network', STACK_NETWORK, ...args], { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`on node-${node}: docker run ${args.join(' ')} exited ${r.status}: ${r.stderr.trim().slice(-1000)}`);
  return r.stdout;
}

/**
 * Median time of `count` TCP connects (ms) from a container on `node` to `host` (resolved once, so DNS is not
 * timed) on each of `ports`, one after another: a plain Node client, not socklab's swarm.
 */
export function connectTimesOnNode(node: number, host: string, ports: Readonly<Record<string, number>>, count = 15): Record<string, number> {
  const script = `const net = require('node:net'); const dns = require('node:dns').promises;
    const once = (host, port) => new Promise((ok, fail) => { const t = process.hrtime.bigint(); const s = net.connect(port, host, () => { ok(Number(process.hrtime.bigint() - t) / 1e6); s.destroy(); }); s.on('error', fail); });
    (async () => { const { address } = await dns.lookup(${JSON.stringify(host)}); const out = {};
      for (const [k, port] of Object.entries(${JSON.stringify(ports)})) { const a = []; for (let i = 0; i < ${count}; i++) a.push(await once(address, port)); a.sort((x, y) => x - y); out[k] = a[Math.floor(a.length / 2)]; }
      console.log(JSON.stringify(out)); })().catch((e) => { console.error(e.message); process.exit(1); });`;
  return JSON.parse(runOnNode(node, ['--entrypoint', 'node', IMAGES.swarm, '-e', script]).trim()) as Record<string, number>;
}

/** socklab's swarm run once on a node with these arguments: the summary it prints last. */
export function swarmOnNode(node: number, args: readonly string[]): { outcomes: Record<string, number>; latencyMs: { connect: { p50: number; max: number } } } {
  const out = runOnNode(node, [IMAGES.swarm, ...args, '--metrics-port', '0']);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}') as { outcomes: Record<string, number>; latencyMs: { connect: { p50: number; max: number } } };
}
