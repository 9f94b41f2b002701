/**
 * The tests' own reference containers: what socklab is compared against (a server of a few lines of plain Node, a
 * bulk sender and receiver, a vantage point on a lab network, a look at a namespace's tables), started with
 * testcontainers on a plain Node image, not through socklab's roles or images, so a mistake in those cannot hide
 * in the reference too. socklab's own containers keep going through the roles, as the CLI starts them.
 *
 * Testcontainers' reaper (Ryuk) needs its image; where it is not here and cannot be pulled (no registry, as on the
 * machines this was made on), the references run without it: each carries the run's socklab labels, so the runner's
 * label sweep and each test's own cleanup remove them all the same.
 */
import { spawnSync } from 'node:child_process';
import { OFFICIAL, OFFLINE } from '@socklab/orchestrator';

const RYUK = 'testcontainers/ryuk:0.14.0';
const present = (image: string): boolean => spawnSync('docker', ['image', 'inspect', image], { stdio: 'ignore' }).status === 0;
const pulled = (image: string): boolean => present(image) || spawnSync('docker', ['pull', '-q', image], { stdio: 'ignore', timeout: 60_000 }).status === 0;

if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined && !pulled(RYUK)) process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
/** Whether testcontainers' reaper watches the references here (for a test's diagnostics). */
export const REAPER = process.env.TESTCONTAINERS_RYUK_DISABLED !== 'true';

const { GenericContainer, Wait } = await import('testcontainers');
type Started = Awaited<ReturnType<InstanceType<typeof GenericContainer>['start']>>;

/** A plain Node image: the official one where it is here (or can be pulled), else the offline base's (Debian and Node only). */
export const REFERENCE_IMAGE = present(OFFICIAL.nodeRuntime) ? OFFICIAL.nodeRuntime : OFFLINE.nodeRuntime;

export interface ReferenceOptions {
  /** The run it belongs to: its socklab labels, so every cleanup by label finds it. */
  readonly run: string;
  readonly name: string;
  /** A lab network to join (with `name` as its alias), a container whose network namespace to share, or none. */
  readonly network: { readonly join: string } | { readonly shareWith: string } | 'none';
  /** Entrypoint and arguments; the image's own when absent. */
  readonly cmd?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  readonly capAdd?: readonly string[];
  /** Another image than the plain Node one (for tools the reference needs, such as iptables and tc). */
  readonly image?: string;
  /** A line its log shows once it is ready. */
  readonly readyLine?: RegExp;
}

/** The container a reference runs in, named and labelled as the run's, on its network, not yet started. */
function referenceContainer(o: ReferenceOptions): InstanceType<typeof GenericContainer> {
  let c = new GenericContainer(o.image ?? REFERENCE_IMAGE)
    .withName(`${o.run}-${o.name}`)
    .withLabels({ 'socklab.run': o.run, 'socklab.role': 'reference' })
    .withEnvironment({ ...o.env });
  if (o.cmd) c = c.withEntrypoint([...o.cmd.slice(0, 1)]).withCommand([...o.cmd.slice(1)]);
  const n = o.network;
  c = n === 'none' ? c.withNetworkMode('none') : 'join' in n ? c.withNetworkMode(n.join).withNetworkAliases(o.name) : c.withNetworkMode(`container:${n.shareWith}`);
  return o.capAdd ? c.withAddedCapabilities(...o.capAdd) : c;
}

/** A reference container, started and ready. */
export async function startReference(o: ReferenceOptions): Promise<Reference> {
  let c = referenceContainer(o);
  // Without a ready line it is ready once it runs (it publishes no port to wait for).
  if (o.readyLine) c = c.withWaitStrategy(Wait.forLogMessage(o.readyLine));
  const started = await alive(c.withStartupTimeout(30_000).start());
  // Its exec and stop wait on testcontainers too: held open the same way.
  const exec = started.exec.bind(started);
  const stop = started.stop.bind(started);
  return Object.assign(started, {
    spec: { name: `${o.run}-${o.name}` },
    exec: (...a: Parameters<typeof exec>) => alive(exec(...a)),
    stop: (...a: Parameters<typeof stop>) => alive(stop(...a)),
  });
}

/**
 * A reference that runs to its own end while it is measured: started, and `done` once it has exited, with its
 * exit code and log (its log stream ends with the container). It is removed once done.
 */
export async function startReferenceRun(o: Omit<ReferenceOptions, 'readyLine'>): Promise<{ container: Reference; done: Promise<{ exitCode: number; logs: string }> }> {
  const container = await startReference(o);
  const done = alive(
    (async () => {
      let logs = '';
      for await (const chunk of await container.logs()) logs += chunk.toString();
      const exit = spawnSync('docker', ['inspect', '-f', '{{.State.ExitCode}}', container.getId()], { encoding: 'utf8' });
      await container.stop({ remove: true }).catch(() => {});
      return { exitCode: Number(exit.stdout.trim()), logs };
    })(),
  );
  done.catch(() => {});
  return { container, done };
}

/** What the orchestrator's /proc readers need of a reference: a command run in it. */
export function execsOf(c: Reference): { exec(cmd: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> } {
  return {
    exec: async (cmd) => {
      const r = await c.exec([...cmd]);
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

/**
 * Testcontainers waits (for a log line, for an exit) on timers that do not hold the process open: while nothing
 * else does (a test that awaits only the reference), Node would end the test as unsettled. Hold it open meanwhile.
 */
async function alive<T>(p: Promise<T>): Promise<T> {
  const hold = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    clearInterval(hold);
  }
}

/** A started reference, named as socklab names containers (`<run>-<name>`), so a probe can join it. */
export type Reference = Started & { readonly spec: { readonly name: string } };

/** GET a URL from inside a reference (on its networks), with the runtime's own fetch: the status and body. */
export async function fetchFrom(c: Reference, url: string): Promise<{ status: number; body: string }> {
  const r = await c.exec(['node', '-e', `fetch(${JSON.stringify(url)}).then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.error(e.message); process.exit(1); })`]);
  if (r.exitCode !== 0) throw new Error(`fetch ${url} from ${c.getName()}: ${r.output.trim()}`);
  return JSON.parse(r.stdout) as { status: number; body: string };
}

/** A reference that runs to its end, within a minute, and succeeds (anything else fails the test): its output. */
export async function runReference(o: Omit<ReferenceOptions, 'readyLine'>): Promise<{ output: string }> {
  const { container, done } = await startReferenceRun(o);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${container.getName()} did not end within 60 s`)), 60_000)));
  try {
    const r = await Promise.race([done, late]);
    if (r.exitCode !== 0) throw new Error(`${container.getName()} exited ${r.exitCode}: ${r.logs.trim().slice(-1000)}`);
    return { output: r.logs };
  } finally {
    clearTimeout(timer);
  }
}
