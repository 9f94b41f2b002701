import { randomBytes } from 'node:crypto';
import { IMAGES } from '@socklab/shared';
import type { Scenario } from '@socklab/shared/scenario';
import { roleLabels } from '../roles/common.js';
import { SocklabError } from '../errors.js';
import { connectionsOf } from '../plan/capacity.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

/** How a lab container says its open-files limit: a shell's `ulimit -n`. */
export const OPEN_FILES_COMMAND = ['sh', '-c', 'ulimit -n'] as const;

/** The limit `ulimit -n` printed, or null where it printed no positive whole number. */
export function openFilesFrom(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * The open files a process may hold in a lab container, as this engine gives them (a container cannot raise its
 * limit past the engine's): read by a one-shot container with no network, removed at once.
 */
export async function engineOpenFiles(rt: ContainerRuntime): Promise<number> {
  const run = `limits-${randomBytes(3).toString('hex')}`;
  try {
    const h = await rt.start({
      name: `socklab-${run}`,
      role: 'swarm',
      image: IMAGES.swarm,
      env: {},
      entrypoint: OPEN_FILES_COMMAND.slice(0, 1),
      cmd: OPEN_FILES_COMMAND.slice(1),
      labels: roleLabels(run, 'swarm'),
      network: { kind: 'none' },
      sysctls: {},
      capAdd: [],
      ready: { kind: 'none' },
    });
    await h.wait();
    const text = (await h.tail(1)).trim();
    const n = openFilesFrom(text);
    if (n === null) throw new SocklabError(`could not read the engine's open-files limit: \`ulimit -n\` said ${JSON.stringify(text)}`);
    return n;
  } finally {
    await rt.removeLabelled(run);
  }
}

/** Whether a scenario (or a compare's largest client count) may meet the open-files limit, so it is worth reading. */
export function needsOpenFiles(s: Scenario, clients: readonly number[] = []): boolean {
  const most = Math.max(0, ...clients, ...s.swarms.map(connectionsOf));
  return most > 10_000 || s.servers.some((x) => x.model === 'event-loop-workers' && x.processes === undefined);
}
