import './env.js';
import { randomBytes } from 'node:crypto';
import { GenericContainer, getContainerRuntimeClient, Wait, type StartedTestContainer } from 'testcontainers';
import { IMAGES, LAB_PORT, LABELS, PROBE_PORT, SERVER_METRICS_PORT, type Role } from '@socklab/shared';
import { DockerRuntime, type LabelledResources } from '@socklab/orchestrator';

/** Names one container of a test run, to find it again after it exited. */
const CONTAINER_LABEL = 'socklab.test.container';

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

export interface SwarmSummaryJson {
  readonly outcomes: Record<string, number>;
  readonly errno: Record<string, number>;
  readonly latencyMs: Record<'connect' | 'firstByte' | 'total', { count: number; p50: number; p90: number; p99: number; max: number }>;
  readonly durationMs: number;
  readonly truncated: boolean;
  readonly clients: number;
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
    return new RoleContainer(image, this.run, role, model)
      .withNetworkMode(this.network)
      .withName(`${this.run}-${name}`)
      .withLabels({ [CONTAINER_LABEL]: `${this.run}-${name}` });
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

  /** The probe in a server's network namespace. */
  async probe(server: StartedTestContainer, env: Record<string, string> = {}): Promise<StartedTestContainer> {
    return new RoleContainer(IMAGES.probe, this.run, 'probe')
      .withName(`${this.run}-probe`)
      .withNetworkMode(`container:${server.getId()}`)
      .withAddedCapabilities('NET_ADMIN')
      .withEnvironment({ TARGET_PORT: String(LAB_PORT), ...env })
      .withWaitStrategy(Wait.forLogMessage(/socklab probe: watching/))
      .withStartupTimeout(30_000)
      .start();
  }

  /** Run a swarm to completion and parse its JSON summary (the last line of its stdout). */
  async swarm(args: string[], name = 'swarm'): Promise<SwarmRun> {
    const started = await this.role(IMAGES.swarm, 'swarm', name)
      .withCommand(args)
      .withWaitStrategy(Wait.forOneShotStartup())
      .withStartupTimeout(600_000)
      .start()
      .catch((e: Error) => e);
    const client = await getContainerRuntimeClient();
    const container = await client.container.fetchByLabel(CONTAINER_LABEL, `${this.run}-${name}`, {
      status: ['created', 'running', 'exited', 'dead'],
    });
    if (!container) throw started instanceof Error ? started : new Error(`swarm ${name} vanished`);
    const inspect = await client.container.inspect(container);
    // dockerode's own logs() with follow:false resolves to the whole (multiplexed) buffer of an exited container.
    const logs = demux(await container.logs({ follow: false, stdout: true, stderr: true }));
    const summaryLine = logs
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{"target"'));
    return {
      exitCode: inspect.State.ExitCode,
      logs,
      summary: summaryLine ? (JSON.parse(summaryLine) as SwarmSummaryJson) : undefined,
    };
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

  async probeState(probe: StartedTestContainer): Promise<ProbeStateJson> {
    return JSON.parse(await this.scrape(probe, PROBE_PORT, '/state')) as ProbeStateJson;
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

/** Value of a Prometheus sample in exposition text (first match of name and labels). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}
