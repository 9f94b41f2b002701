import './env.js';
import { randomBytes } from 'node:crypto';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { IMAGES, LAB_PORT, LABELS, PROBE_PORT, SERVER_METRICS_PORT, type Role } from '@socklab/shared';
import { DockerRuntime, type LabelledResources } from '@socklab/orchestrator';

/** A socklab role as a testcontainers container: image, labels, sysctls and capabilities set in one place. */
export class RoleContainer extends GenericContainer {
  constructor(image: string, run: string, role: Role, model?: string) {
    super(image);
    this.withLabels({ [LABELS.run]: run, [LABELS.role]: role, ...(model !== undefined && { [LABELS.model]: model }) });
  }

  /** Per-namespace sysctls (net.core.somaxconn, net.ipv4.tcp_abort_on_overflow, ...). */
  withSysctls(sysctls: Record<string, string>): this {
    this.hostConfig.Sysctls = { ...this.hostConfig.Sysctls, ...sysctls };
    return this;
  }
}

export interface SwarmRun {
  readonly exitCode: number;
  readonly logs: string;
  readonly summary: SwarmSummaryJson | undefined;
}

export interface ConnectionJson {
  readonly outcome: string;
  readonly totalMs: number;
  readonly connectMs?: number;
  readonly errno?: string;
}

export interface SwarmSummaryJson {
  readonly outcomes: Record<string, number>;
  readonly errno: Record<string, number>;
  readonly latencyMs: Record<'connect' | 'firstByte' | 'total', { count: number; p50: number; p90: number; p99: number; max: number }>;
  readonly durationMs: number;
  readonly truncated: boolean;
  readonly clients: number;
  readonly connections?: ConnectionJson[];
}

/**
 * One test's lab: an internal bridge network and the containers on it, all labelled with a run id of their own.
 * `dispose` removes everything with that label, whatever state the test left it in.
 */
export class Lab implements AsyncDisposable {
  private constructor(
    readonly run: string,
    readonly network: string,
  ) {}

  static async create(name: string): Promise<Lab> {
    const run = `test-${name}-${randomBytes(3).toString('hex')}`;
    const client = await getContainerRuntimeClient();
    await client.network.create({
      Name: run,
      Driver: 'bridge',
      Internal: true,
      Labels: { [LABELS.run]: run, [LABELS.role]: 'network' },
    });
    return new Lab(run, run);
  }

  private role(image: string, role: Role, name: string, model?: string): RoleContainer {
    return new RoleContainer(image, this.run, role, model).withNetworkMode(this.network).withName(`${this.run}-${name}`);
  }

  /** A server model; ready when it logs its start line (the lab port is listening by then). */
  async server(env: Record<string, string>, opts: { name?: string; sysctls?: Record<string, string> } = {}): Promise<StartedTestContainer> {
    const c = this.role(IMAGES.server, 'server', opts.name ?? 'server', env.MODEL ?? 'event-loop')
      .withEnvironment(env)
      .withWaitStrategy(Wait.forLogMessage(/socklab server: model=/))
      .withStartupTimeout(30_000);
    if (opts.sysctls) c.withSysctls(opts.sysctls);
    return c.start();
  }

  /** The probe in a server's network namespace (NET_ADMIN only, never privileged). */
  async probe(server: StartedTestContainer, env: Record<string, string> = {}, name = 'probe'): Promise<StartedTestContainer> {
    return new RoleContainer(IMAGES.probe, this.run, 'probe')
      .withName(`${this.run}-${name}`)
      .withNetworkMode(`container:${server.getId()}`)
      .withAddedCapabilities('NET_ADMIN')
      .withEnvironment({ TARGET_PORT: String(LAB_PORT), ...env })
      .withWaitStrategy(Wait.forLogMessage(/socklab probe: watching/))
      .withStartupTimeout(30_000)
      .start();
  }

  /** Run a swarm to completion and parse its JSON summary (the last line of its stdout). */
  async swarm(args: string[], name = 'swarm'): Promise<SwarmRun> {
    return (await this.startSwarm(args, name)).done;
  }

  /** Start a swarm; `done` resolves when it has exited. The container can be scraped meanwhile. */
  async startSwarm(args: string[], name = 'swarm'): Promise<{ container: StartedTestContainer; done: Promise<SwarmRun> }> {
    const { container, exited } = await this.start(IMAGES.swarm, 'swarm', name, { cmd: args });
    const done = exited.then((r) => {
      const summaryLine = r.logs
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{"target"'));
      return { ...r, summary: summaryLine ? (JSON.parse(summaryLine) as SwarmSummaryJson) : undefined };
    });
    return { container, done };
  }

  /** Start a container and wait for it to exit; its exit code and its whole log (stdout and stderr). */
  async runToExit(
    image: string,
    role: Role,
    name: string,
    opts: { cmd?: string[]; env?: Record<string, string>; entrypoint?: string[]; networkOf?: StartedTestContainer; capAdd?: string[] } = {},
  ): Promise<{ exitCode: number; logs: string }> {
    return (await this.start(image, role, name, opts)).exited;
  }

  /** Start any process in a role's image; `done` resolves with its exit code and log when it exits. */
  async startProcess(
    image: string,
    role: Role,
    name: string,
    opts: { cmd?: string[]; env?: Record<string, string>; entrypoint?: string[]; networkOf?: StartedTestContainer; capAdd?: string[] },
  ): Promise<{ container: StartedTestContainer; done: Promise<{ exitCode: number; logs: string }> }> {
    const { container, exited } = await this.start(image, role, name, opts);
    return { container, done: exited };
  }

  private async start(
    image: string,
    role: Role,
    name: string,
    opts: { cmd?: string[]; env?: Record<string, string>; entrypoint?: string[]; networkOf?: StartedTestContainer; capAdd?: string[] },
  ): Promise<{ container: StartedTestContainer; exited: Promise<{ exitCode: number; logs: string }> }> {
    // No wait strategy of testcontainers' own: its one-shot check removes a container that exits non-zero,
    // and a bad configuration's exit code and message are what some tests are about.
    const c = this.role(image, role, name).withWaitStrategy(Wait.forListeningPorts());
    if (opts.networkOf) c.withNetworkMode(`container:${opts.networkOf.getId()}`);
    if (opts.capAdd) c.withAddedCapabilities(...opts.capAdd);
    if (opts.cmd) c.withCommand(opts.cmd);
    if (opts.env) c.withEnvironment(opts.env);
    if (opts.entrypoint) c.withEntrypoint(opts.entrypoint);
    const started = await c.start();
    const client = await getContainerRuntimeClient();
    const container = client.container.getById(started.getId());
    const exited = (async () => {
      await container.wait();
      const inspect = await client.container.inspect(container);
      // dockerode's own logs() with follow:false resolves to the whole (multiplexed) buffer of an exited container.
      const logs = demux(await container.logs({ follow: false, stdout: true, stderr: true }));
      return { exitCode: inspect.State.ExitCode, logs };
    })();
    // A long-running helper is removed with the lab, which rejects this promise; callers that await it still see that.
    exited.catch(() => {});
    return { container: started, exited };
  }

  /** The kernel's view from inside a container's namespace, read with cat (independent of the probe's code). */
  async kernel(container: StartedTestContainer, port = LAB_PORT): Promise<{ acceptQueue: number | null; listenOverflows: number; established: number }> {
    const r = await container.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6', '/proc/net/netstat']);
    const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    let acceptQueue: number | null = null;
    let established = 0;
    const lines = r.stdout.split('\n');
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (!f[1]?.endsWith(portHex)) continue;
      if (f[3] === '0A') acceptQueue = (acceptQueue ?? 0) + parseInt(f[4]?.split(':')[1] ?? '0', 16);
      if (f[3] === '01') established += 1;
    }
    const names = lines.find((l) => l.startsWith('TcpExt:') && /[A-Za-z]/.test(l.slice(8)))?.split(/\s+/) ?? [];
    const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(/\s+/) ?? [];
    const listenOverflows = Number(values[names.indexOf('ListenOverflows')] ?? NaN);
    return { acceptQueue, listenOverflows, established };
  }

  /** Scrape a metrics endpoint from inside a container (over its own network namespace). */
  async scrape(container: StartedTestContainer, port = SERVER_METRICS_PORT, path = '/metrics'): Promise<string> {
    const r = await container.exec([
      'node',
      '-e',
      `fetch('http://127.0.0.1:${port}${path}').then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(e); process.exit(1); })`,
    ]);
    if (r.exitCode !== 0) throw new Error(`scrape of :${port}${path} failed: ${r.output}`);
    return r.stdout;
  }

  /**
   * Resident memory of a container's processes (Node, prefork's workers) read from /proc with cat, so that
   * measuring does not run code (or allocate) inside the measured process the way a metrics scrape does.
   */
  async processRss(container: StartedTestContainer): Promise<number> {
    const r = await container.exec(['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/status 2>/dev/null; echo; done']);
    let total = 0;
    for (const block of r.stdout.split(/\n\s*\n/)) {
      const name = /^Name:\s+(\S+)/m.exec(block)?.[1];
      if (name === undefined || name === 'sh' || name === 'cat') continue; // our own measuring processes
      total += Number(/^VmRSS:\s+(\d+)/m.exec(block)?.[1] ?? 0) * 1024;
    }
    return total;
  }

  /**
   * CPU seconds (user + system, reaped children included) of a container's processes whose name is in
   * `names` (all but our own sh/cat when empty; matched as prefixes, since the kernel cuts names to 15
   * characters), from /proc/<pid>/stat at USER_HZ 100.
   */
  async cpuSeconds(container: StartedTestContainer, names: string[] = []): Promise<number> {
    const r = await container.exec(['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/stat 2>/dev/null; echo; done']);
    let ticks = 0;
    for (const line of r.stdout.split('\n')) {
      const m = /^\d+ \((.*)\) (.*)$/.exec(line.trim());
      if (!m) continue;
      const name = m[1] ?? '';
      if (name === 'sh' || name === 'cat' || (names.length > 0 && !names.some((n) => n.startsWith(name) || name.startsWith(n)))) continue;
      const f = (m[2] ?? '').split(' ').map(Number);
      ticks += (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    }
    return ticks / 100;
  }

  /** ESTABLISHED TCP connections in a container's namespace (/proc/net/tcp*, read with cat). */
  async established(container: StartedTestContainer): Promise<number> {
    const r = await container.exec(['cat', '/proc/net/tcp', '/proc/net/tcp6']);
    return r.stdout.split('\n').filter((l) => l.trim().split(/\s+/)[3] === '01').length;
  }

  async probeState(probe: StartedTestContainer): Promise<ProbeStateJson> {
    return JSON.parse(await this.scrape(probe, PROBE_PORT, '/state')) as ProbeStateJson;
  }

  /** Change shaping at run time through the probe's control endpoint; the HTTP status and JSON answer. */
  async shape(probe: StartedTestContainer, body: Record<string, string>): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await probe.exec([
      'node',
      '-e',
      `fetch('http://127.0.0.1:${PROBE_PORT}/shaping', { method: 'POST', body: ${JSON.stringify(JSON.stringify(body))} })` +
        `.then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })))`,
    ]);
    return JSON.parse(r.stdout) as { status: number; body: Record<string, unknown> };
  }

  /** What is still labelled with this run (empty after dispose). */
  async leftovers(): Promise<LabelledResources> {
    return new DockerRuntime().listLabelled(this.run);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await new DockerRuntime().removeLabelled(this.run);
  }
}

export interface ProbeStateJson {
  readonly source: 'sock_diag' | 'proc';
  readonly listening: boolean;
  readonly acceptQueue: number;
  readonly acceptQueueMax: number | null;
  readonly connections: Record<string, number>;
  readonly counters: Record<string, number>;
}

/** Docker multiplexes stdout/stderr of non-TTY containers in 8-byte-headed frames. */
function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || (buf[0] ?? 9) > 2) return buf.toString('utf8');
  let out = '';
  let i = 0;
  while (i + 8 <= buf.length) {
    const len = buf.readUInt32BE(i + 4);
    out += buf.subarray(i + 8, i + 8 + len).toString('utf8');
    i += 8 + len;
  }
  return out;
}

/** Poll `fn` every `everyMs` while `until` is pending; resolves with what `until` gives and every sample. */
export async function sampleWhile<T, S>(until: Promise<T>, everyMs: number, fn: () => Promise<S>): Promise<{ result: T; samples: S[] }> {
  const samples: S[] = [];
  let done = false;
  const result = until.finally(() => (done = true));
  while (!done) {
    const t0 = Date.now();
    try {
      samples.push(await fn());
    } catch {
      /* a sample can fail while containers come and go */
    }
    await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - t0))));
  }
  return { result: await result, samples };
}

/** Value of a Prometheus sample in exposition text (first match of name and labels). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
