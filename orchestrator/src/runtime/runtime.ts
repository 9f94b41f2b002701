import type { ContainerSpec } from './spec.js';

/** What the engine is: shown in `doctor` and recorded in every run's manifest. */
export interface EngineInfo {
  readonly version: string;
  readonly os: string;
  readonly arch: string;
  readonly kernel: string;
  readonly cgroup: string;
  /** The CPUs the engine's containers may run on (inside Docker Desktop's VM: the VM's). */
  readonly cpus: number;
  /** Whether the engine runs rootless (its security options say so): it cannot run engines in containers. */
  readonly rootless?: boolean;
}

export interface ImageInfo {
  readonly id: string;
  readonly sizeBytes: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LabelledResources {
  readonly containers: string[];
  readonly networks: string[];
  readonly volumes: string[];
}

/** How a container ended. `oomKilled` comes from the engine; exit 137 without it is a kill from outside. */
export interface ExitInfo {
  readonly code: number;
  readonly oomKilled: boolean;
}

export interface ExecOutput {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** One reading of a container's resource use (Docker's stats stream, about one a second). */
export interface StatsSample {
  readonly t: number;
  readonly memoryBytes: number;
  /** CPU in cores since the previous reading (1 = one core busy). */
  readonly cpuCores: number;
  readonly pids: number;
}

export interface LogLine {
  readonly stream: 'stdout' | 'stderr';
  readonly line: string;
}

/** A started container. Its removal, stop, signals, logs and waits tolerate a container that is gone already; exec, execWithInput and address do not. */
export interface ContainerHandle {
  readonly id: string;
  readonly name: string;
  /** Its log lines from the start, as they come; ends when the container stops. */
  lines(signal?: AbortSignal): AsyncIterable<LogLine>;
  /** The last `n` lines of its log (stdout and stderr). */
  tail(n: number): Promise<string>;
  /** Resolves when it exits. */
  wait(): Promise<ExitInfo>;
  /** How it ended if it has (null while it runs, or once it is gone). */
  exited(): Promise<ExitInfo | null>;
  exec(cmd: readonly string[]): Promise<ExecOutput>;
  /** Run a command with `input` on its stdin (closed when the input ends). */
  execWithInput(cmd: readonly string[], input: NodeJS.ReadableStream): Promise<ExecOutput>;
  /** Write to its stdin (a container started with `stdin`); rejects once it has ended. */
  write(text: string): Promise<void>;
  /** Its address on a network (empty when it is not on it). */
  address(network: string): Promise<string>;
  /** Resource readings until the signal aborts or the container stops. */
  stats(onSample: (s: StatsSample) => void, signal: AbortSignal): Promise<void>;
  /** Send it a signal (SIGUSR2 sets a waiting swarm off); nothing happens when it has ended. */
  signal(name: string): Promise<void>;
  stop(timeoutSeconds?: number): Promise<void>;
  /** Kill and remove it at once (nothing in a lab container is worth a graceful stop). */
  remove(): Promise<void>;
}

/**
 * The engine as socklab uses it. One implementation talks to dockerode (docker.ts); a fake (fake.ts) lets plans,
 * roles, collectors and the experiment engine be tested without an engine.
 */
export interface ContainerRuntime {
  ping(): Promise<void>;
  engineInfo(): Promise<EngineInfo>;
  imageInfo(name: string): Promise<ImageInfo | null>;
  /** Pull an image from its registry: whether it came, and why not (the engine's words) when it did not. */
  pull(image: string, timeoutMs?: number): Promise<{ ok: boolean; why: string }>;
  createNetwork(name: string, labels: Readonly<Record<string, string>>, internal: boolean, subnet?: string): Promise<void>;
  createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void>;
  /** The images as one tar stream (`docker save`), for an engine elsewhere to load. */
  saveImages(names: readonly string[]): Promise<NodeJS.ReadableStream>;
  /** Create and start a container from a spec; the container is labelled by the spec. */
  start(spec: ContainerSpec): Promise<ContainerHandle>;
  /** Attach a running container to a network (a long-lived Prometheus joins a run's network). */
  connect(container: string, network: string): Promise<void>;
  disconnect(container: string, network: string): Promise<void>;
  /** Write a file into a container (through the engine, so it works wherever the engine runs). */
  putFile(container: string, dir: string, name: string, content: string): Promise<void>;
  /** Run a command in a running container found by name (one outside any run, such as the lab's Prometheus). */
  execIn(container: string, cmd: readonly string[]): Promise<ExecOutput>;
  /** The running containers with a role, of every run (the long-lived Prometheus of the lab, say). */
  /** Running containers with this role (their engine id too, e.g. to find their cgroup from the host). */
  containersWithRole(role: string): Promise<Array<{ name: string; id: string; labels: Readonly<Record<string, string>> }>>;
  /** The running containers of a run with a given role, with their labels. */
  containersOf(run: string, role: string): Promise<Array<{ handle: ContainerHandle; labels: Readonly<Record<string, string>> }>>;
  /** Every container, network and volume carrying `socklab.run` (=run when given). */
  listLabelled(run?: string): Promise<LabelledResources>;
  /** The distinct `socklab.run` values on existing resources. */
  listLabelledRuns(): Promise<string[]>;
  /** Remove what `listLabelled` finds: containers first (forced), then networks and volumes. */
  removeLabelled(run?: string): Promise<LabelledResources>;
}
