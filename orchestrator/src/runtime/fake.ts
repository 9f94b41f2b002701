import { constants } from 'node:os';
import { Readable } from 'node:stream';
import { LABELS } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { socklabVersion } from '../paths.js';
import type { ContainerSpec } from './spec.js';
import type { ContainerHandle, ContainerRuntime, EngineInfo, ExecOutput, ExitInfo, ImageInfo, LabelledResources, LogLine, StatsSample } from './runtime.js';

/** How a fake container behaves: lines it prints (each after `afterMs`), when it exits, what exec answers. */
/** A line a fake container prints: fixed text, or text made when it is printed (a reading stamped with the time). */
export type FakeLine = { readonly stream: LogLine['stream']; readonly line: string | (() => string); readonly afterMs?: number };

export interface FakeScript {
  readonly lines?: readonly FakeLine[];
  /** Exit this long after start (never, when absent: it runs until removed). */
  readonly exitAfterMs?: number;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  readonly exec?: (cmd: readonly string[]) => ExecOutput;
  readonly stats?: readonly StatsSample[];
  /** How long its removal takes (none: at once). */
  readonly removeMs?: number;
  /** What it goes on to do when it receives this signal (a swarm waiting for its start). */
  readonly onSignal?: { readonly signal: string; readonly script: FakeScript };
  /** A signal that ends it (exit 128 + its number) when it comes within this long of its start: it has no handler yet. */
  readonly endsOnEarlySignal?: { readonly signal: string; readonly withinMs: number };
  /** What it does with each line written to its stdin (a swarm agent given a job): lines to print. */
  readonly onInput?: (line: string) => readonly FakeLine[];
}

class FakeContainer implements ContainerHandle {
  readonly id: string;
  private readonly printed: LogLine[] = [];
  private readonly listeners = new Set<() => void>();
  private exitInfo: ExitInfo | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  removed = false;

  constructor(
    readonly spec: ContainerSpec,
    private readonly script: FakeScript,
    private readonly onRemove: () => void,
    private readonly onInput: (line: string) => void = () => {},
  ) {
    this.id = `fake-${spec.name}`;
    this.play(script);
  }

  private play(script: FakeScript): void {
    for (const l of script.lines ?? []) this.timers.push(setTimeout(() => this.print(l), l.afterMs ?? 0));
    if (script.exitAfterMs !== undefined) this.timers.push(setTimeout(() => this.exit({ code: script.exitCode ?? 0, oomKilled: script.oomKilled ?? false }), script.exitAfterMs));
  }

  readonly signals: string[] = [];

  private readonly startedAt = Date.now();

  async signal(name: string): Promise<void> {
    if (this.exitInfo) return;
    this.signals.push(name);
    const early = this.script.endsOnEarlySignal;
    if (early?.signal === name && Date.now() - this.startedAt < early.withinMs) return this.exit({ code: 128 + (constants.signals[name as NodeJS.Signals] ?? 0), oomKilled: false });
    if (this.script.onSignal?.signal === name) this.play(this.script.onSignal.script);
  }

  get name(): string {
    return this.spec.name;
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  private print(l: FakeLine): void {
    if (this.exitInfo) return;
    this.printed.push({ stream: l.stream, line: typeof l.line === 'function' ? l.line() : l.line });
    this.notify();
  }

  exit(e: ExitInfo): void {
    if (this.exitInfo) return;
    this.exitInfo = e;
    for (const t of this.timers) clearTimeout(t);
    this.notify();
  }

  async *lines(signal?: AbortSignal): AsyncIterable<LogLine> {
    let i = 0;
    for (;;) {
      while (i < this.printed.length) yield this.printed[i++]!;
      if (this.exitInfo || signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.listeners.delete(wake);
          signal?.removeEventListener('abort', wake);
          resolve();
        };
        this.listeners.add(wake);
        signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Every line written to its stdin. */
  readonly inputs: string[] = [];

  async write(text: string): Promise<void> {
    if (!this.spec.stdin) throw new Error(`${this.name} was not started with stdin open`);
    if (this.exitInfo) throw new Error(`${this.name} no longer reads its input`);
    for (const line of text.split('\n').filter(Boolean)) {
      this.inputs.push(line);
      this.onInput(line);
      this.play({ lines: this.script.onInput?.(line) ?? [] });
    }
  }

  async tail(n: number): Promise<string> {
    return this.printed.slice(-n).map((l) => l.line).join('\n');
  }

  async wait(): Promise<ExitInfo> {
    while (!this.exitInfo) await new Promise<void>((r) => this.listeners.add(r));
    return this.exitInfo;
  }

  async exited(): Promise<ExitInfo | null> {
    return this.removed ? null : (this.exitInfo ?? null);
  }

  async exec(cmd: readonly string[]): Promise<ExecOutput> {
    return this.script.exec?.(cmd) ?? { exitCode: 0, stdout: '', stderr: '' };
  }

  async execWithInput(cmd: readonly string[], input: NodeJS.ReadableStream): Promise<ExecOutput> {
    for await (const chunk of input) void chunk;
    return this.exec(cmd);
  }

  async address(): Promise<string> {
    return '172.31.0.2';
  }

  async stats(onSample: (s: StatsSample) => void, signal: AbortSignal): Promise<void> {
    for (const s of this.script.stats ?? []) onSample(s);
    if (!this.exitInfo && !signal.aborted) await new Promise<void>((r) => (signal.addEventListener('abort', () => r(), { once: true }), this.listeners.add(r)));
  }

  async stop(): Promise<void> {
    this.exit({ code: 143, oomKilled: false });
  }


  async remove(): Promise<void> {
    this.exit({ code: 137, oomKilled: false });
    if (this.removed) return;
    this.removed = true;
    // A removal takes the engine a while; the container is there until it is done.
    if (this.script.removeMs) await new Promise((r) => setTimeout(r, this.script.removeMs));
    this.onRemove();
  }
}

/**
 * A container runtime in memory: containers follow scripts chosen by spec, and everything created is tracked by
 * its labels, so tests can assert that plans, roles and the engine clean up after themselves.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly started: ContainerSpec[] = [];
  /** Every line written to a container's stdin, in order, with the container's name. */
  readonly written: Array<{ container: string; line: string }> = [];
  private readonly containers = new Map<string, FakeContainer>();
  private readonly networks = new Map<string, Readonly<Record<string, string>>>();
  private readonly volumes = new Map<string, Readonly<Record<string, string>>>();
  missingImages = new Set<string>();
  /** Images built by another socklab than this one ('': by one that did not say; by default this one built every image). */
  readonly imagesBuiltBy = new Map<string, string>();
  /** An engine that runs rootless (cluster nodes cannot run on it). */
  rootless = false;

  constructor(private readonly script: (spec: ContainerSpec) => FakeScript) {}

  async ping(): Promise<void> {}

  async engineInfo(): Promise<EngineInfo> {
    return { version: '0.0.0-fake', os: 'fake', arch: 'x86_64', kernel: 'fake', cgroup: 'v2', cpus: 2, rootless: this.rootless };
  }

  /** Images a pull brings (the rest fail as a registry nobody reaches would). */
  pullable = new Set<string>();
  async pull(image: string): Promise<{ ok: boolean; why: string }> {
    if (!this.pullable.has(image)) return { ok: false, why: `pull access denied for ${image}` };
    this.missingImages.delete(image);
    return { ok: true, why: '' };
  }

  async imageInfo(name: string): Promise<ImageInfo | null> {
    const builtBy = this.imagesBuiltBy.get(name) ?? socklabVersion();
    return this.missingImages.has(name) ? null : { id: `sha256:fake-${name}`, sizeBytes: 1, labels: builtBy === '' ? {} : { [LABELS.version]: builtBy } };
  }

  async createNetwork(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    if (this.networks.has(name)) throw new SocklabError(`network ${name} exists`);
    this.networks.set(name, labels);
  }
  async createVolume(name: string, labels: Readonly<Record<string, string>>): Promise<void> {
    this.volumes.set(name, { ...labels });
  }

  async saveImages(names: readonly string[]): Promise<NodeJS.ReadableStream> {
    return Readable.from([Buffer.from(`images ${names.join(' ')}`)]);
  }


  async start(spec: ContainerSpec): Promise<ContainerHandle> {
    if (this.containers.has(spec.name)) throw new SocklabError(`container ${spec.name} exists`);
    if (spec.network.kind === 'bridge' && !this.networks.has(spec.network.network)) throw new SocklabError(`no network ${spec.network.network}`);
    this.started.push(spec);
    const c = new FakeContainer(spec, this.script(spec), () => this.containers.delete(spec.name), (line) => this.written.push({ container: spec.name, line }));
    this.containers.set(spec.name, c);
    return c;
  }



  readonly files = new Map<string, string>();
  readonly attached = new Set<string>();

  async connect(container: string, network: string): Promise<void> {
    if (!this.networks.has(network)) throw new SocklabError(`no network ${network}`);
    this.attached.add(`${container}@${network}`);
  }

  async disconnect(container: string, network: string): Promise<void> {
    this.attached.delete(`${container}@${network}`);
  }

  async putFile(container: string, dir: string, name: string, content: string): Promise<void> {
    this.files.set(`${container}:${dir}/${name}`, content);
  }

  /** Commands run in containers outside any run, and how they are answered (by default: exit 0, no output). */
  readonly outsideExecs: Array<{ container: string; cmd: readonly string[] }> = [];
  answerOutside: (container: string, cmd: readonly string[]) => ExecOutput = () => ({ exitCode: 0, stdout: '', stderr: '' });

  async execIn(container: string, cmd: readonly string[]): Promise<ExecOutput> {
    this.outsideExecs.push({ container, cmd });
    return this.answerOutside(container, cmd);
  }

  /** Long-lived containers outside any run (a lab Prometheus), by role. */
  readonly outside: Array<{ name: string; labels: Readonly<Record<string, string>> }> = [];

  async containersWithRole(role: string): Promise<Array<{ name: string; id: string; labels: Readonly<Record<string, string>> }>> {
    return [
      ...this.outside.filter((c) => c.labels[LABELS.role] === role).map((c) => ({ ...c, id: c.name })),
      ...[...this.containers.values()].filter((c) => c.spec.labels[LABELS.role] === role).map((c) => ({ name: c.name, id: c.name, labels: c.spec.labels })),
    ];
  }

  async containersOf(run: string, role: string): Promise<Array<{ handle: ContainerHandle; labels: Readonly<Record<string, string>> }>> {
    return [...this.containers.values()].filter((c) => c.spec.labels[LABELS.run] === run && c.spec.labels[LABELS.role] === role).map((c) => ({ handle: c, labels: c.spec.labels }));
  }

  async listLabelled(run?: string): Promise<LabelledResources> {
    const match = (labels: Readonly<Record<string, string>>): boolean => (run === undefined ? LABELS.run in labels : labels[LABELS.run] === run);
    return {
      containers: [...this.containers.values()].filter((c) => match(c.spec.labels)).map((c) => c.id),
      networks: [...this.networks.entries()].filter(([, l]) => match(l)).map(([n]) => n),
      volumes: [...this.volumes.entries()].filter(([, l]) => match(l)).map(([n]) => n),
    };
  }

  async listLabelledRuns(): Promise<string[]> {
    const labels = [...[...this.containers.values()].map((c) => c.spec.labels), ...this.networks.values(), ...this.volumes.values()];
    return [...new Set(labels.map((l) => l[LABELS.run]).filter((x): x is string => x !== undefined))];
  }

  async removeLabelled(run?: string): Promise<LabelledResources> {
    const found = await this.listLabelled(run);
    for (const n of found.networks) {
      if ([...this.attached].some((a) => a.endsWith(`@${n}`))) throw new SocklabError(`network ${n} has active endpoints`);
    }
    for (const c of [...this.containers.values()]) if (found.containers.includes(c.id)) await c.remove();
    for (const n of found.networks) this.networks.delete(n);
    for (const v of found.volumes) this.volumes.delete(v);
    return found;
  }
}
