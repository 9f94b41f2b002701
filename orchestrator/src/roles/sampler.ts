import { IMAGES, PROBE_PORT, SERVER_METRICS_PORT, SERVER_SAMPLE_PATH, SWARM_METRICS_PORT } from '@socklab/shared';
import type { ContainerSpec } from '../runtime/spec.js';
import { roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/** What a server's sampler reads, and how often (images/probe/src/sampler.ts reads it from its environment). */
function samplerEnv(swarms: ReadonlyArray<{ name: string; host: string; port?: number }>, everyMs: number, serverMetrics: boolean): Record<string, string> {
  return {
    INTERVAL: `${everyMs}ms`,
    // A server of one's own has no metrics endpoint: its threads and memory come from the probe and the engine.
    SERVER: serverMetrics ? `http://127.0.0.1:${SERVER_METRICS_PORT}${SERVER_SAMPLE_PATH}` : '',
    PROBE: `http://127.0.0.1:${PROBE_PORT}/state?fresh=1`,
    SHAPING: `http://127.0.0.1:${PROBE_PORT}/shaping`,
    SWARMS: swarms.map((s) => `${s.name}=http://${s.host}:${s.port ?? SWARM_METRICS_PORT}/metrics`).join(','),
  };
}

/**
 * The sampler of a server in a container of its own (probe image, in the server's network namespace): one JSON
 * line per tick with the server's metrics, a fresh reading of the probe's /state (stamped when it was taken), the
 * probe's shaping once, and each swarm's metrics. For a server of one's own, whose first probe may give way to
 * one that shapes loopback once it is seen where it listens.
 */
export function samplerSpec(
  ctx: RoleContext,
  server: ContainerSpec,
  swarms: ReadonlyArray<{ name: string; host: string; port?: number }>,
  everyMs: number,
  serverMetrics = true,
): ContainerSpec {
  return {
    name: `${server.name}-sampler`,
    role: 'sampler',
    image: IMAGES.probe,
    env: samplerEnv(swarms, everyMs, serverMetrics),
    cmd: [],
    entrypoint: ['node', '/app/images/probe/dist/sampler.js'],
    labels: roleLabels(ctx.run, 'sampler', { 'socklab.server': server.name }),
    network: { kind: 'container', of: server.name },
    sysctls: {},
    capAdd: [],
    ready: { kind: 'none' },
  };
}

/**
 * A probe that samples too: one container for both, the sampler its first process and the probe its child, so a
 * trial starts one container fewer and a dying probe still leaves the server's samples (the sampler goes on, its
 * readings of the probe fail and are counted missing). A probe that ends before it ever answered ends the
 * container with its exit code, as a probe of its own would. Its sample lines are its stdout; the probe's own
 * lines its stderr, so none lands inside a sample line. SIGTERM and SIGINT reach the probe through the sampler
 * (which is told its pid), so it clears its shaping; SIGUSR2 is the sampler's (a reading now).
 */
export function withSampler(probe: ContainerSpec, swarms: ReadonlyArray<{ name: string; host: string; port?: number }>, everyMs: number): ContainerSpec {
  // The probe is set off first (by the shell, so it boots beside the sampler, not after it), its lines on stderr;
  // the sampler then takes the shell's place as the container's first process, told the probe's pid. In the
  // server's PID namespace the sampler is not that namespace's init: a SIGUSR2 before it handles one would end it
  // (the signal's default action, which Node restores as it starts), so a run asks only once it has printed a line.
  const pair = 'node /app/images/probe/dist/main.js 1>&2 & PROBE_PID=$! exec node /app/images/probe/dist/sampler.js';
  return { ...probe, env: { ...probe.env, ...samplerEnv(swarms, everyMs, true) }, entrypoint: ['sh', '-c', pair] };
}
