import { IMAGES, PROBE_PORT, SERVER_METRICS_PORT, SERVER_SAMPLE_PATH, SWARM_METRICS_PORT } from '@socklab/shared';
import type { ContainerSpec } from '../runtime/spec.js';
import { roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/**
 * The sampler of a server (probe image, its own container in the server's namespace): one JSON line per tick
 * with the server's metrics, a fresh reading of the probe's /state (stamped when it was taken), the probe's
 * shaping once, and each swarm's metrics. Its own container, so a dying probe does not take the server's
 * samples with it.
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
    env: {
      INTERVAL: `${everyMs}ms`,
      // A server of one's own has no metrics endpoint: its threads and memory come from the probe and the engine.
      SERVER: serverMetrics ? `http://127.0.0.1:${SERVER_METRICS_PORT}${SERVER_SAMPLE_PATH}` : '',
      PROBE: `http://127.0.0.1:${PROBE_PORT}/state?fresh=1`,
      SHAPING: `http://127.0.0.1:${PROBE_PORT}/shaping`,
      SWARMS: swarms.map((s) => `${s.name}=http://${s.host}:${s.port ?? SWARM_METRICS_PORT}/metrics`).join(','),
    },
    cmd: [],
    entrypoint: ['node', '/app/images/probe/dist/sampler.js'],
    labels: roleLabels(ctx.run, 'sampler', { 'socklab.server': server.name }),
    network: { kind: 'container', of: server.name },
    sysctls: {},
    capAdd: [],
    ready: { kind: 'none' },
  };
}
