import { PassThrough, type Duplex, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInterface } from 'node:readline';
import type Docker from 'dockerode';
import { gone, status } from './api-errors.js';
import type { EngineWatch } from './engine-watch.js';
import type { ContainerHandle, ExecOutput, ExitInfo, LogLine, StatsSample } from './runtime.js';
import { demuxBuffer, parseStats } from './wire.js';

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

/** The text of a stream, once it ends. */
const collect = (s: PassThrough): Promise<string> =>
  new Promise((resolve) => {
    let text = '';
    s.on('data', (d: Buffer) => (text += d.toString('utf8')));
    s.on('end', () => resolve(text));
  });

/** A container of the engine, as the roles use it. */
export class DockerContainer implements ContainerHandle {
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

  exec(cmd: readonly string[]): Promise<ExecOutput> {
    return this.run(cmd);
  }

  execWithInput(cmd: readonly string[], input: NodeJS.ReadableStream): Promise<ExecOutput> {
    return this.run(cmd, input);
  }

  /** Run a command in the container, `input` (when given) on its stdin: its exit code and output. */
  private async run(cmd: readonly string[], input?: NodeJS.ReadableStream): Promise<ExecOutput> {
    const stdin = input !== undefined;
    const ex = await this.c.exec({ Cmd: [...cmd], AttachStdin: stdin, AttachStdout: true, AttachStderr: true });
    const stream = (await ex.start({ hijack: true, stdin })) as unknown as Duplex;
    const { stdout, stderr } = demux(this.docker, stream);
    const [out, err] = await Promise.all([collect(stdout), collect(stderr), input && pipeline(input, stream, { end: true }).catch(() => {})]);
    const info = await ex.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout: out, stderr: err };
  }

  private stdin: Promise<Duplex> | undefined;

  async write(text: string): Promise<void> {
    // One attach for the container's life, kept off the event loop: it never holds the CLI open.
    this.stdin ??= (this.c.attach({ stream: true, stdin: true, stdout: false, stderr: false, hijack: true }) as unknown as Promise<Duplex>).then((s) => {
      (s as Duplex & { unref?: () => void }).unref?.();
      s.on('error', () => {});
      return s;
    });
    const s = await this.stdin;
    if (s.destroyed || !s.writable) throw new Error(`${this.name} no longer reads its input`);
    await new Promise<void>((resolve, reject) => s.write(text, (e) => (e ? reject(e) : resolve())));
  }

  async address(network: string): Promise<string> {
    const i = await this.c.inspect();
    return i.NetworkSettings.Networks[network]?.IPAddress ?? '';
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

  async remove(): Promise<void> {
    void this.stdin?.then((s) => s.destroy(), () => {});
    await this.c.remove({ force: true, v: true }).catch(gone);
  }
}
