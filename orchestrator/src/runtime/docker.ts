import { PassThrough, type Readable } from 'node:stream';
import { createInterface } from 'node:readline';
import Docker from 'dockerode';
import { LABELS } from '@socklab/shared';
import { EngineLostError, SocklabError } from '../errors.js';
import type { ContainerSpec } from './spec.js';
import type {
  ContainerHandle,
  ContainerRuntime,
  EngineInfo,
  ExecOutput,
  ExitInfo,
  ImageInfo,
  LabelledResources,
  LogLine,
  StatsSample,
} from './runtime.js';

export type * from './runtime.js';

const status = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;
/** A 404 means the resource is gone already: fine for cleanup paths. */
const gone = (e: unknown): void => {
  if (status(e) !== 404 && status(e) !== 409) throw e;
};

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? (process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock');
}

/**
 * Watches the engine while something waits on it: a request cut mid-way (the engine's socket closed, the daemon
 * died) never settles in dockerode, and a run waiting on it would end silently. While any wait is pending, the
 * engine is pinged every second; two failed pings in a row reject every pending wait with EngineLostError.
 */
class EngineWatch {
  private pending = 0;
  private current: { lost: Promise<never>; stop: () => void } | null = null;
  constructor(private readonly docker: Docker) {}

  async guard<T>(p: Promise<T>): Promise<T> {
    this.pending += 1;
    this.current ??= this.start();
    try {
      return await Promise.race([p, this.current.lost]);
    } finally {
      this.pending -= 1;
      if (this.pending === 0) {
        this.current?.stop();
        this.current = null;
      }
    }
  }

  private start(): { lost: Promise<never>; stop: () => void } {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let fail: (e: Error) => void = () => {};
    const lost = new Promise<never>((_, reject) => (fail = reject));
    lost.catch(() => {});
    let failures = 0;
    const tick = async (): Promise<void> => {
      let why = '';
      try {
        await Promise.race([this.docker.ping(), new Promise((_, r) => setTimeout(() => r(new Error('no answer within 5 s')), 5000).unref())]);
        failures = 0;
      } catch (e) {
        failures += 1;
        why = (e as Error).message;
      }
      if (stopped) return;
      if (failures >= 2) {
        fail(new EngineLostError(`lost the Docker engine at ${engineAddress()} (${why})`, { hint: 'is the engine still running? `docker info` tells' }));
        return;
      }
      timer = setTimeout(() => void tick(), 1000);
    };
    timer = setTimeout(() => void tick(), 1000);
    return {
      lost,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
      },
    };
  }
}

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

  async createNetwork(name: string, labels: Readonly<Record<string, string>>, internal: boolean): Promise<void> {
    await this.docker.createNetwork({ Name: name, Driver: 'bridge', Internal: internal, CheckDuplicate: true, Labels: { ...labels } });
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
        HostConfig: {
          NetworkMode: net.kind === 'bridge' ? net.network : `container:${net.of}`,
          ...(spec.pidOf && { PidMode: `container:${spec.pidOf}` }),
          Sysctls: { ...spec.sysctls },
          CapAdd: [...spec.capAdd],
          ...(spec.memoryBytes && { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes }),
          ...(spec.cpus && { NanoCpus: Math.round(spec.cpus * 1e9) }),
          ...(spec.nofile && { Ulimits: [{ Name: 'nofile', Soft: spec.nofile, Hard: spec.nofile }] }),
        },
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

  async find(name: string): Promise<ContainerHandle | null> {
    const c = this.docker.getContainer(name);
    try {
      await c.inspect();
      return new DockerContainer(this.docker, this.watch, c, name);
    } catch (e) {
      if (status(e) === 404) return null;
      throw e;
    }
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

  async containersWithRole(role: string): Promise<Array<{ name: string; labels: Readonly<Record<string, string>> }>> {
    const list = await this.docker.listContainers({ filters: { label: [`${LABELS.role}=${role}`], status: ['running'] } });
    return list.map((c) => ({ name: (c.Names[0] ?? c.Id).replace(/^\//, ''), labels: c.Labels }));
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

/** A tar archive holding one regular file (ustar), for putArchive. */
export function tarOne(name: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (text: string, offset: number, length: number): void => void header.write(text.slice(0, length), offset, 'ascii');
  const octal = (n: number, length: number): string => `${n.toString(8).padStart(length - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(data.length, 12), 124, 12);
  put(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  header.fill(' ', 148, 156);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

/** Docker multiplexes stdout and stderr of a non-TTY container into one stream: split it back. */
function demux(docker: Docker, stream: Readable): { stdout: PassThrough; stderr: PassThrough } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const end = (): void => {
    stdout.end();
    stderr.end();
  };
  stream.on('end', end);
  stream.on('close', end);
  stream.on('error', end);
  return { stdout, stderr };
}

function demuxBuffer(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || (buf[0] ?? 9) > 2) return buf.toString('utf8');
  let out = '';
  for (let i = 0; i + 8 <= buf.length; ) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

class DockerContainer implements ContainerHandle {
  readonly id: string;
  constructor(
    private readonly docker: Docker,
    private readonly watch: EngineWatch,
    private readonly c: Docker.Container,
    readonly name: string,
  ) {
    this.id = c.id;
  }

  async *lines(signal?: AbortSignal): AsyncIterable<LogLine> {
    let raw: Readable;
    try {
      raw = (await this.c.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
    } catch (e) {
      if (status(e) === 404) return;
      throw e;
    }
    const { stdout, stderr } = demux(this.docker, raw);
    const queue: LogLine[] = [];
    let wake: (() => void) | undefined;
    let open = 2;
    const feed = (stream: 'stdout' | 'stderr', input: PassThrough): void => {
      const rl = createInterface({ input });
      rl.on('line', (line) => (queue.push({ stream, line }), wake?.()));
      rl.on('close', () => ((open -= 1), wake?.()));
    };
    feed('stdout', stdout);
    feed('stderr', stderr);
    const abort = (): void => (raw.destroy(), wake?.());
    signal?.addEventListener('abort', abort, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (open === 0 || signal?.aborted) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      raw.destroy();
    }
  }

  async tail(n: number): Promise<string> {
    try {
      const buf = (await this.c.logs({ follow: false, stdout: true, stderr: true, tail: n })) as unknown as Buffer;
      return demuxBuffer(buf).trimEnd();
    } catch (e) {
      if (status(e) === 404) return '';
      throw e;
    }
  }

  async wait(): Promise<ExitInfo> {
    try {
      const r = (await this.watch.guard(this.c.wait())) as { StatusCode: number };
      const i = await this.c.inspect().catch(() => undefined);
      return { code: r.StatusCode, oomKilled: i?.State.OOMKilled ?? false };
    } catch (e) {
      if (status(e) === 404) return { code: -1, oomKilled: false };
      throw e;
    }
  }

  async exited(): Promise<ExitInfo | null> {
    try {
      const i = await this.c.inspect();
      return i.State.Running || i.State.Paused ? null : { code: i.State.ExitCode, oomKilled: i.State.OOMKilled };
    } catch (e) {
      if (status(e) === 404) return null;
      throw e;
    }
  }

  async exec(cmd: readonly string[]): Promise<ExecOutput> {
    const ex = await this.c.exec({ Cmd: [...cmd], AttachStdout: true, AttachStderr: true });
    const stream = (await ex.start({ hijack: true, stdin: false })) as unknown as Readable;
    const { stdout, stderr } = demux(this.docker, stream);
    const collect = (s: PassThrough): Promise<string> =>
      new Promise((resolve) => {
        let text = '';
        s.on('data', (d: Buffer) => (text += d.toString('utf8')));
        s.on('end', () => resolve(text));
      });
    const [out, err] = await Promise.all([collect(stdout), collect(stderr)]);
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: out, stderr: err };
  }

  async stats(onSample: (s: StatsSample) => void, signal: AbortSignal): Promise<void> {
    let raw: Readable;
    try {
      raw = (await this.c.stats({ stream: true })) as unknown as Readable;
    } catch (e) {
      if (status(e) === 404 || status(e) === 409) return;
      throw e;
    }
    const rl = createInterface({ input: raw });
    // A destroyed stream emits 'close' but not 'end': close the reader too, or the loop below never ends.
    const abort = (): void => {
      raw.destroy();
      rl.close();
    };
    signal.addEventListener('abort', abort, { once: true });
    raw.once('close', () => rl.close());
    try {
      for await (const line of rl) {
        const s = parseStats(line);
        if (s) onSample(s);
      }
    } catch {
      /* the stream ends with the container or the abort */
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  async signal(name: string): Promise<void> {
    await this.c.kill({ signal: name }).catch(gone);
  }

  async stop(timeoutSeconds = 5): Promise<void> {
    await this.c.stop({ t: timeoutSeconds }).catch((e: unknown) => {
      if (status(e) !== 304) gone(e);
    });
  }

  async pause(): Promise<void> {
    await this.c.pause();
  }

  async unpause(): Promise<void> {
    await this.c.unpause();
  }

  async remove(): Promise<void> {
    await this.c.remove({ force: true, v: true }).catch(gone);
  }
}

/** One line of Docker's stats stream -> memory (without page cache, as `docker stats` shows), CPU cores, pids. */
export function parseStats(line: string): StatsSample | null {
  let s: {
    read?: string;
    memory_stats?: { usage?: number; stats?: Record<string, number> };
    cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
    precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
    pids_stats?: { current?: number };
  };
  try {
    s = JSON.parse(line) as typeof s;
  } catch {
    return null;
  }
  const usage = s.memory_stats?.usage;
  if (usage === undefined) return null;
  const st = s.memory_stats?.stats ?? {};
  const cache = st.inactive_file ?? st.total_inactive_file ?? st.cache ?? 0;
  const cpu = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sys = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus ?? 1;
  return {
    t: s.read ? Date.parse(s.read) : Date.now(),
    memoryBytes: Math.max(0, usage - cache),
    cpuCores: sys > 0 && cpu >= 0 ? (cpu / sys) * cpus : 0,
    pids: s.pids_stats?.current ?? 0,
  };
}
