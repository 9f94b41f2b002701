import Docker from 'dockerode';
import { LABELS } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { gone, status } from './api-errors.js';
import { DockerContainer } from './container.js';
import { EngineWatch, engineAddress } from './engine-watch.js';
import { tarOne } from './wire.js';
import type { ContainerSpec, EngineHostSpec } from './spec.js';
import type { ContainerHandle, ContainerRuntime, EngineInfo, ExecOutput, ImageInfo, LabelledResources } from './runtime.js';

export type * from './runtime.js';
export { engineAddress } from './engine-watch.js';
export { parseStats, tarOne } from './wire.js';

/** The one module that talks to the Docker engine API (through dockerode). */
export class DockerRuntime implements ContainerRuntime {
  private readonly watch: EngineWatch;
  constructor(private readonly docker: Docker = new Docker()) {
    this.watch = new EngineWatch(docker);
  }

  async ping(): Promise<void> {
    try {
      await this.docker.ping();
    } catch (e) {
      throw new SocklabError(`no Docker engine answers at ${engineAddress()} (${(e as Error).message})`, {
        cause: e,
        hint: 'start Docker Desktop, or `sudo dockerd` on Linux; DOCKER_HOST selects another engine',
      });
    }
  }

  async engineInfo(): Promise<EngineInfo> {
    const [v, info] = await Promise.all([this.docker.version(), this.docker.info() as Promise<Record<string, unknown>>]);
    return {
      version: v.Version,
      os: String(info.OperatingSystem ?? v.Os),
      arch: v.Arch,
      kernel: v.KernelVersion ?? String(info.KernelVersion ?? ''),
      cgroup: `v${String(info.CgroupVersion ?? '1')}`,
      cpus: Number(info.NCPU ?? 1),
      rootless: ((info.SecurityOptions as string[] | undefined) ?? []).some((o) => /name=rootless/.test(o)),
    };
  }

  async imageInfo(name: string): Promise<ImageInfo | null> {
    try {
      const i = await this.docker.getImage(name).inspect();
      return { id: i.Id, sizeBytes: i.Size, labels: i.Config?.Labels ?? {} };
    } catch (e) {
      if (status(e) === 404) return null;
      throw e;
    }
  }

  async pull(image: string, timeoutMs = 180_000): Promise<{ ok: boolean; why: string }> {
    try {
      const stream = (await this.docker.pull(image)) as NodeJS.ReadableStream & { destroy?: () => void };
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => (stream.destroy?.(), reject(new Error(`no answer within ${timeoutMs / 1000} s`))), timeoutMs);
        this.docker.modem.followProgress(stream, (err: Error | null) => (clearTimeout(timer), err ? reject(err) : resolve()));
      });
      return { ok: true, why: '' };
    } catch (e) {
      return { ok: false, why: ((e as Error).message.split('\n')[0] ?? '').replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim().slice(0, 200) };
    }
  }

  async createNetwork(name: string, labels: Readonly<Record<string, string>>, internal: boolean, subnet?: string): Promise<void> {
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Internal: internal,
      CheckDuplicate: true,
      Labels: { ...labels },
      ...(subnet && { IPAM: { Config: [{ Subnet: subnet }] } }),
    });
  }

  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: { ...labels } });
  }

  async saveImages(names: readonly string[]): Promise<NodeJS.ReadableStream> {
    // dockerode has it (GET /images/get?names=...), its type definitions do not.
    const api = this.docker as unknown as { getImages(o: { names: string[] }): Promise<NodeJS.ReadableStream> };
    return api.getImages({ names: [...names] });
  }

  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    const net = spec.network;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        ...(spec.cmd.length > 0 && { Cmd: [...spec.cmd] }),
        ...(spec.entrypoint && { Entrypoint: [...spec.entrypoint] }),
        Labels: { ...spec.labels },
        // Kept open for the container's life, whoever attaches (a swarm agent reads its jobs there).
        ...(spec.stdin && { OpenStdin: true, StdinOnce: false }),
        HostConfig: {
          NetworkMode: net.kind === 'bridge' ? net.network : net.kind === 'none' ? 'none' : `container:${net.of}`,
          ...(spec.pidOf && { PidMode: `container:${spec.pidOf}` }),
          Sysctls: { ...spec.sysctls },
          CapAdd: [...spec.capAdd],
          ...(spec.memoryBytes && { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes }),
          ...(spec.cpus && { NanoCpus: Math.round(spec.cpus * 1e9) }),
          ...(spec.cores && { CpusetCpus: spec.cores.join(',') }),
          ...(spec.nofile && { Ulimits: [{ Name: 'nofile', Soft: spec.nofile, Hard: spec.nofile }] }),
          ...(spec.engine && engineHostConfig(spec.engine)),
        },
        ...(spec.engine && { Hostname: spec.engine.hostname, ExposedPorts: Object.fromEntries(spec.engine.publish.map((p) => [`${p.containerPort}/tcp`, {}])) }),
        ...(net.kind === 'bridge' && { NetworkingConfig: { EndpointsConfig: { [net.network]: { Aliases: [...net.aliases] } } } }),
      });
    } catch (e) {
      if (status(e) === 404 && /image/i.test((e as Error).message)) {
        throw new SocklabError(`image ${spec.image} is not there (needed for the ${spec.role} ${spec.name})`, {
          cause: e,
          container: spec.name,
          hint: 'build the images first: `npx socklab build` (or `npm run images`)',
        });
      }
      throw new SocklabError(`could not create the ${spec.role} container ${spec.name}: ${(e as Error).message}`, { cause: e, container: spec.name });
    }
    const handle = new DockerContainer(this.docker, this.watch, container, spec.name);
    try {
      await container.start();
    } catch (e) {
      await handle.remove();
      throw new SocklabError(`could not start the ${spec.role} container ${spec.name}: ${(e as Error).message}`, { cause: e, container: spec.name });
    }
    return handle;
  }

  async connect(container: string, network: string): Promise<void> {
    await this.docker.getNetwork(network).connect({ Container: container });
  }

  async disconnect(container: string, network: string): Promise<void> {
    await this.docker.getNetwork(network).disconnect({ Container: container, Force: true }).catch(gone);
  }

  async putFile(container: string, dir: string, name: string, content: string): Promise<void> {
    await this.docker.getContainer(container).putArchive(tarOne(name, Buffer.from(content)), { path: dir });
  }

  async execIn(container: string, cmd: readonly string[]): Promise<ExecOutput> {
    return new DockerContainer(this.docker, this.watch, this.docker.getContainer(container), container).exec(cmd);
  }

  async containersWithRole(role: string): Promise<Array<{ name: string; id: string; labels: Readonly<Record<string, string>> }>> {
    const list = await this.docker.listContainers({ filters: { label: [`${LABELS.role}=${role}`], status: ['running'] } });
    return list.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), id: c.Id, labels: c.Labels }));
  }

  async containersOf(run: string, role: string): Promise<Array<{ handle: ContainerHandle; labels: Readonly<Record<string, string>> }>> {
    const list = await this.docker.listContainers({ filters: { label: [`${LABELS.run}=${run}`, `${LABELS.role}=${role}`] } });
    return list.map((c) => ({ handle: new DockerContainer(this.docker, this.watch, this.docker.getContainer(c.Id), (c.Names[0] ?? c.Id).replace(/^\//, '')), labels: c.Labels }));
  }

  async listLabelled(run?: string): Promise<LabelledResources> {
    const label = [run === undefined ? LABELS.run : `${LABELS.run}=${run}`];
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters: { label } }),
      this.docker.listNetworks({ filters: { label } }),
      this.docker.listVolumes({ filters: { label } }),
    ]);
    return {
      containers: containers.map((c) => c.Id),
      networks: networks.map((n) => n.Id),
      volumes: (volumes.Volumes ?? []).map((v) => v.Name),
    };
  }

  async listLabelledRuns(): Promise<string[]> {
    const filters = { label: [LABELS.run] };
    const [containers, networks, volumes] = await Promise.all([
      this.docker.listContainers({ all: true, filters }),
      this.docker.listNetworks({ filters }),
      this.docker.listVolumes({ filters }),
    ]);
    const runs = new Set<string>();
    for (const r of [...containers, ...networks, ...(volumes.Volumes ?? [])]) {
      const run = r.Labels?.[LABELS.run];
      if (run !== undefined) runs.add(run);
    }
    return [...runs];
  }

  async removeLabelled(run?: string): Promise<LabelledResources> {
    const found = await this.listLabelled(run);
    await Promise.all(found.containers.map((id) => this.docker.getContainer(id).remove({ force: true, v: true }).catch(gone)));
    await Promise.all(found.networks.map((id) => this.docker.getNetwork(id).remove().catch(gone)));
    await Promise.all(found.volumes.map((name) => this.docker.getVolume(name).remove().catch(gone)));
    return found;
  }
}

/** The host settings of a container that runs a Docker engine (see EngineHostSpec). */
function engineHostConfig(e: EngineHostSpec): Docker.HostConfig {
  return {
    CapAdd: ['ALL'],
    CapDrop: ['SYS_RESOURCE'],
    SecurityOpt: ['seccomp=unconfined', 'apparmor=unconfined'],
    Tmpfs: { '/run': '' },
    Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:rw', ...e.bindSame.map((p) => `${p}:${p}:ro`)],
    Mounts: [{ Type: 'volume', Source: e.dataVolume, Target: '/var/lib/docker' }],
    PortBindings: Object.fromEntries(e.publish.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: '127.0.0.1', HostPort: String(p.hostPort) }]])),
  };
}
