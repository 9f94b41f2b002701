import { sleep, SWARM_METRICS_PORT } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { listeningSockets, type Listener } from '../collect/proc.js';
import type { ContainerSpec, ServerPlan, SwarmPlan } from '../plan/types.js';
import type { StartedProbe } from '../roles/probe.js';
import { samplerSpec } from '../roles/sampler.js';
import type { ContainerHandle } from '../runtime/runtime.js';

export const OWN_READY_MS = 30_000;

/**
 * A server of one's own is ready when its port listens (the probe sees it). If it exits first, or listens on
 * another port, the error says so with its last lines, and which ports it does listen on.
 */
export async function awaitListening(probe: StartedProbe, server: ContainerHandle, plan: ServerPlan, signal: AbortSignal): Promise<Listener[]> {
  let exited: { code: number } | undefined;
  // A lost engine is noticed (and told) by what waits on the swarm; here it only ends the wait.
  void server.wait().then((e) => (exited = e), () => {});
  const t0 = Date.now();
  while (Date.now() - t0 < OWN_READY_MS && !signal.aborted) {
    const mine = (await listeningSockets(probe.handle).catch(() => [] as Listener[])).filter((l) => l.port === plan.port);
    if (mine.length > 0) return mine;
    if (exited) break;
    await sleep(200, signal);
  }
  const tail = await server.tail(15);
  const others = (await listeningSockets(probe.handle).catch(() => [] as Listener[])).filter((l) => l.port !== plan.port);
  const found = others.length > 0 ? `it listens on ${others.map((l) => `${l.address}:${l.port}`).join(', ')}` : 'it listens on no TCP port';
  const lines = `its last lines:\n${tail ? tail.split('\n').map((l) => `  ${l}`).join('\n') : '  (no output)'}`;
  throw new SocklabError(
    exited
      ? `server ${plan.name} (${plan.model}) exited (exit ${exited.code}) before listening on port ${plan.port}; ${lines}`
      : `server ${plan.name} (${plan.model}) not listening on port ${plan.port} after ${OWN_READY_MS} ms: ${found}; ${lines}`,
    {
      container: plan.server.name,
      ...(exited && { exitCode: exited.code }),
      hint: others.length > 0 ? `give its port: --port ${others[0]?.port}` : 'check that it binds a TCP port and keeps running',
    },
  );
}

/**
 * Clients for a server bound to loopback run in the server's own network namespace against 127.0.0.1 (the
 * seeds' programs bind HOST = '127.0.0.1', which no other container can reach). Each gets a metrics port of its
 * own beside the server's, where the sampler (in the same namespace) reads it.
 */
export function localhostSpecs(server: ServerPlan, swarms: readonly SwarmPlan[], everyMs: number): { sampler: ContainerSpec; swarms: Map<string, ContainerSpec> } {
  const mine = swarms.filter((w) => w.target === server.name);
  const out = new Map<string, ContainerSpec>();
  const urls: Array<{ name: string; host: string; port: number }> = [];
  mine.forEach((w, i) => {
    const port = SWARM_METRICS_PORT + 2 + i;
    const args = [...w.container.cmd];
    const t = args.indexOf('--target');
    if (t >= 0) args[t + 1] = `127.0.0.1:${server.port}`;
    const m = args.indexOf('--metrics-port');
    if (m >= 0) args[m + 1] = String(port);
    out.set(w.name, { ...w.container, cmd: args, network: { kind: 'container', of: server.server.name }, sysctls: {} });
    urls.push({ name: w.name, host: '127.0.0.1', port });
  });
  const ctx = { run: server.sampler.labels['socklab.run'] ?? '', network: '', prefix: '' };
  return { sampler: { ...samplerSpec(ctx, server.server, urls, everyMs, !server.own), labels: server.sampler.labels }, swarms: out };
}
