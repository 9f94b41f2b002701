import { IMAGES, LAB_PORT, LABELS, parseServerConfig, type ServerEnv } from '@socklab/shared';
import { parseSize, type ServerInput } from '@socklab/shared/scenario';
import type { ContainerSpec } from '../runtime/spec.js';
import { containerName, roleLabels } from './common.js';

/** Where a role's container goes: the run, its network, and the prefix that makes container names unique. */
export interface RoleContext {
  readonly run: string;
  readonly network: string;
  /** Container names are `<prefix>-<name>`. */
  readonly prefix: string;
}

/** The server's log line once it listens (the lab port is open by then). */
const SERVER_READY = 'socklab server: model=';
const SERVER_READY_MS = 30_000;
/** How long a server of one's own may take to listen on its port. */
const OWN_READY_MS = 30_000;

/** The environment the server image reads, from a scenario's server (validated by the image's own parser). */
export function serverEnv(s: Partial<ServerInput>): Record<string, string> {
  const env: ServerEnv = {};
  if (s.model !== undefined) env.MODEL = s.model;
  if (s.backlog !== undefined) env.BACKLOG = String(s.backlog);
  if (s.work !== undefined) env.WORK = String(s.work);
  if (s.protocol !== undefined) env.PROTOCOL = s.protocol;
  if (s.poolSize !== undefined) env.POOL_SIZE = String(s.poolSize);
  if (s.processes !== undefined) env.PROCESSES = String(s.processes);
  if (s.pollInterval !== undefined) env.POLL_INTERVAL = String(s.pollInterval);
  if (s.recvTimeout !== undefined) env.RECV_TIMEOUT = String(s.recvTimeout);
  parseServerConfig(env); // the image would exit 2 on a bad value: fail here first, before anything starts
  return env as Record<string, string>;
}

/** A server model on the run network, reachable as `<name>:7000` by the swarms. */
export function serverSpec(ctx: RoleContext, s: Partial<ServerInput> & { name: string }, env: Record<string, string> = {}): ContainerSpec {
  const merged = { ...serverEnv(s), ...env };
  return {
    ...serverBase(ctx, s, merged.MODEL ?? 'event-loop'),
    image: IMAGES.server,
    env: merged,
    ready: { kind: 'log', pattern: SERVER_READY, timeoutMs: SERVER_READY_MS },
  };
}

/** What every server container has, socklab's or one's own: name, labels, network alias, sysctls, memory. */
function serverBase(ctx: RoleContext, s: Partial<ServerInput> & { name: string }, model: string): Omit<ContainerSpec, 'image' | 'env' | 'ready'> {
  return {
    name: containerName(ctx, s.name),
    role: 'server',
    cmd: [],
    labels: roleLabels(ctx.run, 'server', { [LABELS.model]: model, 'socklab.name': s.name }),
    network: { kind: 'bridge', network: ctx.network, aliases: [s.name] },
    sysctls: Object.fromEntries(Object.entries(s.sysctls ?? {}).map(([k, v]) => [k, String(v)])),
    capAdd: [],
    ...(s.memory !== undefined && { memoryBytes: parseSize(String(s.memory)) }),
    ...(s.cpus !== undefined && { cpus: s.cpus }),
    ...(s.openFiles !== undefined && { nofile: s.openFiles }),
  };
}

/** The model label of a server of one's own: its file or image, so dashboards and reports can tell them apart. */
export function ownModel(s: Partial<ServerInput>): string {
  if (s.program !== undefined) return `python:${String(s.program).split(/[\\/]/).pop()}`;
  if (s.image !== undefined) return `image:${s.image}`;
  return s.model ?? 'event-loop';
}

/**
 * A server of one's own: any image (`image`), or a Python file run as it is in socklab/python (`program`, its
 * source handed over base64 in SOCKLAB_PROGRAM). No code of socklab runs inside it: it is observed from outside,
 * and it is ready once the probe sees its port listening.
 */
export function ownServerSpec(ctx: RoleContext, s: Partial<ServerInput> & { name: string }, programSource?: string): ContainerSpec {
  const program = s.program !== undefined;
  return {
    ...serverBase(ctx, s, ownModel(s)),
    image: program ? IMAGES.python : String(s.image),
    env: program ? { SOCKLAB_PROGRAM: programSource ?? '', SOCKLAB_PROGRAM_NAME: String(s.program).split(/[\\/]/).pop() ?? 'server.py' } : {},
    ready: { kind: 'listening', port: s.port ?? LAB_PORT, timeoutMs: OWN_READY_MS },
  };
}

