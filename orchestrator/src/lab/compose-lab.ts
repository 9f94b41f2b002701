import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../paths.js';
import { OFFICIAL } from '../runtime/images.js';
import type { ContainerRuntime } from '../runtime/runtime.js';

const LAB_PROJECT = 'socklab';
/** The compose project of `socklab lab`: Compose's own COMPOSE_PROJECT_NAME, or socklab. */
const project = (given?: string): string => given ?? (process.env.COMPOSE_PROJECT_NAME || LAB_PROJECT);

/** The Grafana image the compose file runs (SOCKLAB_GRAFANA_IMAGE overrides, as in docker-compose.yml). */
export function grafanaImage(env: NodeJS.ProcessEnv = process.env): string {
  return env.SOCKLAB_GRAFANA_IMAGE || OFFICIAL.grafana;
}

/** Is Grafana's image here, or can it be pulled now? (It cannot on machines without a registry.) */
export async function grafanaAvailable(rt: ContainerRuntime, image = grafanaImage()): Promise<{ ok: boolean; why: string }> {
  if (await rt.imageInfo(image)) return { ok: true, why: '' };
  return rt.pull(image);
}

/** The services `docker compose up` starts by default (no profile), from the base and override files. */
function defaultServices(root = REPO_ROOT): string[] {
  const names = new Map<string, boolean>();
  for (const file of ['docker-compose.yml', 'docker-compose.override.yml']) {
    const doc = parse(readFileSync(path.join(root, file), 'utf8'), { merge: true }) as { services?: Record<string, { profiles?: string[] }> };
    for (const [name, s] of Object.entries(doc.services ?? {})) names.set(name, (names.get(name) ?? true) && s.profiles === undefined);
  }
  return [...names].filter(([, on]) => on).map(([name]) => name);
}

/**
 * The compose arguments of the lab: Compose 1.29 gets --compatibility, which applies the files' deploy limits
 * whatever their format (Compose v2 and Swarm apply them as they are). Without Grafana's image, the other default services are named
 * one by one (a scale of 0 would still try to pull it).
 */
export function labUpArgs(opts: { v1: boolean; grafana: boolean; project?: string; detach?: boolean }): string[] {
  return [
    ...(opts.v1 ? ['--compatibility'] : []),
    '-p',
    project(opts.project),
    'up',
    '--no-build',
    ...(opts.detach ? ['-d'] : ['--abort-on-container-exit']),
    ...(opts.grafana ? [] : defaultServices().filter((s) => s !== 'grafana')),
  ];
}

export function labDownArgs(opts: { v1: boolean; project?: string }): string[] {
  return [...(opts.v1 ? ['--compatibility'] : []), '-p', project(opts.project), 'down', '--volumes', '--remove-orphans'];
}
