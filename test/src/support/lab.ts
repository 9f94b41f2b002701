/**
 * The Docker-backed tests' lab: a thin adapter over the orchestrator's own runtime and roles, so the tests start
 * servers, probes and swarms exactly as `socklab run` does (same images, specs, labels, readiness waits and
 * summary decoding). It only adds the short names tests like.
 */
import { randomBytes } from 'node:crypto';
import { LAB_PORT, type Role } from '@socklab/shared';
import type { ProbeState } from '@socklab/shared/results';
import {
  containerName,
  cpuSeconds,
  DockerRuntime,
  establishedCount,
  fetchInside,
  kernelView,
  postShaping,
  probeSpec,
  processRss,
  roleLabels,
  serverSpec,
  startRole,
  startSwarm,
  StartedProbe,
  swarmSpec,
  withSampler,
  type ContainerHandle,
  type ExecOutput,
  type SwarmRun,
  type ContainerSpec,
  type LabelledResources,
  type RoleContext,
} from '@socklab/orchestrator';

export { metricValue, sampleWhile } from '@socklab/orchestrator';

const rt = new DockerRuntime();

/** A started container as the tests use it. */
export class Started {
  constructor(
    readonly handle: ContainerHandle,
    readonly spec: ContainerSpec,
  ) {}

  exec(cmd: string[]): Promise<ExecOutput> {
    return this.handle.exec(cmd);
  }

  async stop(o: { timeout?: number } = {}): Promise<void> {
    await this.handle.stop(Math.ceil((o.timeout ?? 10_000) / 1000));
  }
}

export type { SwarmRun } from '@socklab/orchestrator';

/**
 * A shell command, run in a probe's container, that kills the probe's process (not its sampler, the container's
 * first process) and says `killed`: a probe that dies mid-run.
 */
export const KILL_PROBE_PROCESS = 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline 2>/dev/null | grep -q "^node /app/images/probe/dist/main.js" && kill -9 ${p#/proc/} && echo killed; done';

export type ProbeStateJson = ProbeState;

interface ProcessOptions {
  cmd?: string[];
  env?: Record<string, string>;
  entrypoint?: string[];
  networkOf?: Started;
  capAdd?: string[];
}

/**
 * One test's lab: an internal bridge network and the containers on it, all labelled with a run id of its own.
 * `dispose` removes everything with that label, whatever state the test left it in.
 */
export class Lab implements AsyncDisposable {
  private readonly ctx: RoleContext;

  private constructor(readonly run: string) {
    this.ctx = { run, network: run, prefix: run };
  }

  static async create(name: string): Promise<Lab> {
    const run = `test-${name}-${randomBytes(3).toString('hex')}`;
    await rt.createNetwork(run, roleLabels(run, 'network'), true);
    return new Lab(run);
  }

  get network(): string {
    return this.run;
  }

  /** host:port of one of this lab's containers on its network (the roles name them `<run>-<name>`). */
  target(name: string, port: number = LAB_PORT): string {
    return `${containerName(this.ctx, name)}:${port}`;
  }

  /** A server model (the orchestrator's server role); ready when it logs its start line. */
  async server(env: Record<string, string>, opts: { name?: string; sysctls?: Record<string, string>; openFiles?: number } = {}): Promise<Started> {
    const spec = serverSpec(this.ctx, { name: opts.name ?? 'server', ...(opts.sysctls && { sysctls: opts.sysctls }), ...(opts.openFiles && { openFiles: opts.openFiles }) }, env);
    return new Started(await startRole(rt, spec), spec);
  }

  /** The probe role in a server's namespaces (NET_ADMIN only, never privileged). */
  async probe(server: { readonly spec: Pick<ContainerSpec, 'name'> }, env: Record<string, string> = {}, name = 'probe'): Promise<Started> {
    const spec = probeSpec(this.ctx, server.spec, { name, env });
    return new Started(await startRole(rt, spec), spec);
  }

  /**
   * The probe as a run starts it beside a socklab model: its sampler in the same container, the container's first
   * process. Started, not waited for: the test decides what to do while it boots.
   */
  async probeSampling(server: { readonly spec: Pick<ContainerSpec, 'name'> }, name = 'probe'): Promise<Started> {
    const spec = withSampler(probeSpec(this.ctx, server.spec, { name }), [], 100);
    return new Started(await rt.start(spec), spec);
  }

  /** Run a swarm to completion and decode its JSON summary. */
  async swarm(args: string[], name = 'swarm'): Promise<SwarmRun> {
    return (await this.startSwarm(args, name)).done;
  }

  /** Start a swarm; `done` resolves when it has exited. The container can be measured meanwhile. */
  async startSwarm(args: string[], name = 'swarm'): Promise<{ container: Started; done: Promise<SwarmRun> }> {
    const spec = swarmSpec(this.ctx, name, args);
    const sw = await startSwarm(rt, spec);
    return { container: new Started(sw.handle, spec), done: sw.done };
  }

  /** Start a container and wait for it to exit; its exit code and its whole log. */
  async runToExit(image: string, role: Role, name: string, opts: ProcessOptions = {}): Promise<{ exitCode: number; logs: string }> {
    return (await this.startProcess(image, role, name, opts)).done;
  }

  /** Any process in a role's image, labelled with the run; `done` resolves with its exit code and log. */
  async startProcess(image: string, role: Role, name: string, opts: ProcessOptions): Promise<{ container: Started; done: Promise<{ exitCode: number; logs: string }> }> {
    const spec: ContainerSpec = {
      name: containerName(this.ctx, name),
      role,
      image,
      env: opts.env ?? {},
      cmd: opts.cmd ?? [],
      ...(opts.entrypoint && { entrypoint: opts.entrypoint }),
      labels: roleLabels(this.run, role),
      network: opts.networkOf ? { kind: 'container', of: opts.networkOf.spec.name } : { kind: 'bridge', network: this.run, aliases: [name] },
      sysctls: {},
      capAdd: opts.capAdd ?? [],
      ready: { kind: 'none' },
    };
    const handle = await rt.start(spec);
    const lines: string[] = [];
    const follow = (async () => {
      for await (const l of handle.lines()) lines.push(l.line);
    })();
    const done = (async () => {
      const exit = await handle.wait();
      await follow;
      return { exitCode: exit.code, logs: lines.join('\n') };
    })();
    done.catch(() => {});
    return { container: new Started(handle, spec), done };
  }

  async kernel(container: Started): Promise<{ acceptQueue: number | null; listenOverflows: number; established: number }> {
    return kernelView(container.handle);
  }

  /** Scrape a metrics endpoint from inside a container (over its own network namespace). */
  async scrape(container: Started, port = 9464, path = '/metrics'): Promise<string> {
    return (await fetchInside(container.handle, `http://127.0.0.1:${port}${path}`)).body;
  }

  async processRss(container: Started): Promise<number> {
    return processRss(container.handle);
  }

  async cpuSeconds(container: Started, names: string[] = []): Promise<number> {
    return cpuSeconds(container.handle, names);
  }

  async established(container: Started): Promise<number> {
    return establishedCount(container.handle);
  }

  async probeState(probe: Started): Promise<ProbeState> {
    return new StartedProbe(probe.handle, probe.spec).state();
  }

  async shape(probe: Started, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    return postShaping(probe.handle, body);
  }

  /** What is still labelled with this run (empty after dispose). */
  async leftovers(): Promise<LabelledResources> {
    return rt.listLabelled(this.run);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await rt.removeLabelled(this.run);
  }
}
