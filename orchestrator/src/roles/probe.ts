import { IMAGES, LAB_PORT, PROBE_PORT, SHAPING_ENV, parseShaping, type ShapingEnv } from '@socklab/shared';
import { decode, ProbeStateSchema, ShapingAnswerSchema, type ProbeState, type ShapingAnswer } from '@socklab/shared/results';
import type { ServerInput } from '@socklab/shared/scenario';
import { SocklabError } from '../errors.js';
import type { ContainerSpec } from '../runtime/spec.js';
import type { ContainerHandle, ContainerRuntime } from '../runtime/runtime.js';
import { fetchInside, roleLabels } from './common.js';
import { startRole } from './ready.js';
import type { RoleContext } from './server.js';

const PROBE_READY = 'socklab probe: watching';

/** The probe's shaping environment from a scenario's `shaping` (validated by the probe's own parser). */
export function shapingEnvOf(shaping: ServerInput['shaping']): Record<string, string> {
  const env: ShapingEnv = {};
  if (shaping?.delay !== undefined) env.DELAY = String(shaping.delay);
  if (shaping?.jitter !== undefined) env.JITTER = String(shaping.jitter);
  if (shaping?.loss !== undefined) env.LOSS = String(shaping.loss);
  if (shaping?.rate !== undefined) env.RATE = String(shaping.rate);
  if (shaping?.direction !== undefined) env.DIRECTION = shaping.direction;
  if (shaping?.refusal !== undefined) env.REFUSAL = String(shaping.refusal);
  parseShaping(env);
  return env as Record<string, string>;
}

/**
 * The probe of a server: in its network namespace (NET_ADMIN only, never privileged) and its PID namespace,
 * refreshing every `refreshMs`, shaping the link as stated.
 */
export function probeSpec(
  ctx: RoleContext,
  server: Pick<ContainerSpec, 'name'>,
  opts: { name?: string; env?: Record<string, string>; refreshMs?: number; seed?: number } = {},
): ContainerSpec {
  return {
    name: `${server.name}-${opts.name ?? 'probe'}`,
    role: 'probe',
    image: IMAGES.probe,
    env: {
      TARGET_PORT: String(LAB_PORT),
      REFRESH: `${opts.refreshMs ?? 1000}ms`,
      ...(opts.seed !== undefined && { SEED: String(opts.seed) }),
      ...opts.env,
    },
    cmd: [],
    labels: roleLabels(ctx.run, 'probe', { 'socklab.server': server.name }),
    network: { kind: 'container', of: server.name },
    pidOf: server.name,
    sysctls: {},
    capAdd: ['NET_ADMIN'],
    ready: { kind: 'log', pattern: PROBE_READY, timeoutMs: 30_000 },
  };
}

export class StartedProbe {
  constructor(
    readonly handle: ContainerHandle,
    readonly spec: ContainerSpec,
  ) {}

  async state(): Promise<ProbeState> {
    return decode(ProbeStateSchema, `${this.spec.name} /state`, (await fetchInside(this.handle, `http://127.0.0.1:${PROBE_PORT}/state`)).body);
  }

  async shaping(): Promise<ShapingAnswer> {
    return decode(ShapingAnswerSchema, `${this.spec.name} /shaping`, (await fetchInside(this.handle, `http://127.0.0.1:${PROBE_PORT}/shaping`)).body);
  }
}

/** POST /shaping through any container that shares the server's namespace. */
export async function postShaping(handle: ContainerHandle, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
  for (const k of Object.keys(body)) {
    if (!(SHAPING_ENV as readonly string[]).includes(k.toUpperCase())) throw new SocklabError(`unknown shaping field ${k}`);
  }
  const r = await fetchInside(handle, `http://127.0.0.1:${PROBE_PORT}/shaping`, { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, body: JSON.parse(r.body) as Record<string, unknown> };
}

/** The probes of a live run (of one of its servers, when named), as `socklab shape` reaches them. */
export async function liveProbes(rt: ContainerRuntime, run: string, server?: string): Promise<ContainerHandle[]> {
  const all = await rt.containersOf(run, 'probe');
  return all.filter((p) => server === undefined || p.labels['socklab.server']?.endsWith(`-${server}`)).map((p) => p.handle);
}

export async function startProbe(rt: ContainerRuntime, spec: ContainerSpec, signal?: AbortSignal): Promise<StartedProbe> {
  return new StartedProbe(await startRole(rt, spec, { ...(signal && { signal }) }), spec);
}
