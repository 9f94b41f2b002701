import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IMAGES, LABELS } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { REPO_ROOT, socklabVersion } from '../paths.js';
import type { ContainerRuntime } from './runtime.js';
import { exec } from './exec.js';

/** Official images a user with a registry builds from; the offline base stands in for them. */
export const OFFICIAL = {
  node: 'node:24-bookworm',
  nodeRuntime: 'node:24-bookworm-slim',
  prometheus: 'prom/prometheus:v3.5.0',
  python: 'python:3.12-slim',
  /** What a cluster node's engine is installed on. */
  debian: 'debian:bookworm-slim',
  /** Pulled, never built; docker-compose.yml names the same tag. */
  grafana: 'grafana/grafana:13.0.1',
} as const;
export const OFFLINE = {
  node: `${IMAGES.nodeBase}:24-build`,
  nodeRuntime: `${IMAGES.nodeBase}:24`,
  prometheus: 'socklab/prometheus-base:latest',
  /** The offline build base has Debian's python3. */
  python: `${IMAGES.nodeBase}:24-build`,
} as const;

export const BASE_MODES = ['auto', 'official', 'offline'] as const;
export type BaseMode = (typeof BASE_MODES)[number];

export interface BuildOptions {
  readonly base: BaseMode;
  /** Extra CA bundle (PEM) for npm behind a TLS-intercepting proxy. */
  readonly caFile?: string;
  readonly log: (line: string) => void;
  /** Show docker's own output. */
  readonly verbose: boolean;
}

export interface BuiltImage {
  readonly name: string;
  readonly sizeBytes: number;
  readonly seconds: number;
}

const NODE_IMAGES = ['server', 'swarm', 'probe'] as const;

/** Can the official images be had (present, or pulled now)? */
async function officialAvailable(rt: ContainerRuntime, log: (l: string) => void): Promise<{ ok: boolean; why: string }> {
  for (const image of [OFFICIAL.node, OFFICIAL.nodeRuntime, OFFICIAL.prometheus, OFFICIAL.python]) {
    if (await rt.imageInfo(image)) continue;
    const pull = await rt.pull(image, 120_000);
    if (!pull.ok) return pull;
    log(`pulled ${image}`);
  }
  return { ok: true, why: '' };
}

async function buildOfflineBase(opts: BuildOptions): Promise<void> {
  const args = [path.join(REPO_ROOT, 'images/base/build.sh')];
  if (opts.caFile) args.push('--ca-file', opts.caFile);
  const r = await exec('bash', args, { onLine: opts.log });
  if (r.exitCode !== 0) {
    throw new SocklabError('building the offline base failed', {
      exitCode: r.exitCode,
      hint: 'it needs root, debootstrap and a Debian mirror (Linux); on a machine with a registry use --base official',
    });
  }
}

/**
 * One `docker build` of the repository's context (the legacy builder, whose cache `docker compose` shares). The one
 * use of the docker CLI left in the runtime, on purpose: the CLI reads .dockerignore and streams the context
 * itself, where the engine's API would need the whole context tarred here first; it stays in runtime/, beside the
 * module that talks to the engine, so commands never call docker themselves.
 */
async function dockerBuild(rt: ContainerRuntime, b: { name: string; dockerfile: string; args: Record<string, string>; base: string }, opts: BuildOptions): Promise<BuiltImage> {
  const t0 = performance.now();
  // --force-rm: a step that fails leaves no intermediate container behind (the legacy builder keeps it otherwise).
  // Labelled with the version that built it: a run checks its images speak its own protocol (execute.ts).
  const argv = ['build', '--force-rm', '-f', b.dockerfile, '-t', b.name, '--label', `socklab.image.base=${b.base}`, '--label', `${LABELS.version}=${socklabVersion()}`];
  for (const [k, v] of Object.entries(b.args)) argv.push('--build-arg', `${k}=${v}`);
  argv.push(REPO_ROOT);
  const r = await exec('docker', argv, {
    cwd: REPO_ROOT,
    env: { ...process.env, DOCKER_BUILDKIT: '0' },
    // Progress: every line with --verbose, else docker's steps (a first build takes minutes).
    onLine: (l: string) => {
      if (opts.verbose) opts.log(`  ${l}`);
      else if (/^Step \d+\/\d+ : /.test(l)) opts.log(`  ${b.name}: ${l.length > 110 ? `${l.slice(0, 109)}…` : l}`);
    },
  });
  if (r.exitCode !== 0) {
    const tail = (r.stdout + r.stderr).trim().split('\n').slice(-15).join('\n');
    throw new SocklabError(`building ${b.name} failed:\n${tail}`, { hint: 'run `socklab build --verbose` for the whole log' });
  }
  const info = await rt.imageInfo(b.name);
  const seconds = (performance.now() - t0) / 1000;
  opts.log(`built ${b.name} (${((info?.sizeBytes ?? 0) / 1e6).toFixed(0)} MB, ${seconds.toFixed(1)}s)`);
  return { name: b.name, sizeBytes: info?.sizeBytes ?? 0, seconds };
}

/**
 * The image of a `socklab cluster` node (a Docker engine in a container): from Debian's official image where it
 * can be had, else from the offline base (made first when it is not here).
 */
export async function buildClusterNode(rt: ContainerRuntime, opts: BuildOptions): Promise<BuiltImage> {
  await rt.ping();
  let base: 'official' | 'offline' = opts.base === 'offline' ? 'offline' : 'official';
  if (opts.base === 'auto' && !(await rt.imageInfo(OFFICIAL.debian)) && !(await rt.pull(OFFICIAL.debian, 120_000)).ok) base = 'offline';
  if (base === 'offline' && !(await rt.imageInfo(OFFLINE.nodeRuntime))) await buildOfflineBase(opts);
  const ca = opts.caFile ? readFileSync(opts.caFile, 'utf8') : '';
  const args = { BASE_IMAGE: base === 'offline' ? OFFLINE.nodeRuntime : OFFICIAL.debian, ...(ca && { EXTRA_CA_CERTS: ca }) };
  return dockerBuild(rt, { name: IMAGES.clusterNode, dockerfile: 'images/cluster-node/Dockerfile', args, base }, opts);
}

/** Build socklab/server, socklab/swarm, socklab/probe and socklab/prometheus, picking the base by itself. */
export async function buildImages(rt: ContainerRuntime, opts: BuildOptions): Promise<BuiltImage[]> {
  await rt.ping();
  let base: 'official' | 'offline' = opts.base === 'offline' ? 'offline' : 'official';
  if (opts.base === 'auto') {
    const official = await officialAvailable(rt, opts.log);
    if (!official.ok) {
      base = 'offline';
      opts.log(`official images cannot be pulled (${official.why}); building from the offline base instead`);
    }
  }
  if (base === 'offline') await buildOfflineBase(opts);
  const from = base === 'offline' ? OFFLINE : OFFICIAL;
  const ca = opts.caFile ? readFileSync(opts.caFile, 'utf8') : '';

  const built: BuiltImage[] = [];
  const build = async (name: string, dockerfile: string, args: Record<string, string>): Promise<void> => void built.push(await dockerBuild(rt, { name, dockerfile, args, base }, opts));

  for (const image of NODE_IMAGES) {
    await build(IMAGES[image], 'images/Dockerfile', {
      IMAGE: image,
      // The probe shapes the link (tc, iptables): root with NET_ADMIN only. The others run unprivileged.
      RUN_AS: image === 'probe' ? '0' : '10001',
      NODE_IMAGE: from.node,
      NODE_RUNTIME_IMAGE: from.nodeRuntime,
      ...(ca && { EXTRA_CA_CERTS: ca }),
    });
  }
  await build(IMAGES.prometheus, 'images/prometheus/Dockerfile', { PROMETHEUS_IMAGE: from.prometheus });
  await build(IMAGES.python, 'images/python/Dockerfile', { PYTHON_IMAGE: from.python });
  return built;
}
