import { pollUntil } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import type { ContainerHandle } from '../runtime/runtime.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { listeningSockets, type Listener } from './listeners.js';

/** What a wait learnt on the way: for `listening`, the sockets listening on the port (their addresses tell loopback). */
export interface ReadyInfo {
  readonly listeners?: readonly Listener[];
}

export interface ReadyOptions {
  readonly signal?: AbortSignal;
  /**
   * A container in the same network namespace that can run `cat` (the probe): `listening` reads the namespace's
   * sockets through it, since a server of one's own may have no shell at all.
   */
  readonly observer?: ContainerHandle;
}

/** Lines as an error shows them, indented under it. */
export const indent = (text: string): string => (text ? text.split('\n').map((l) => `  ${l}`).join('\n') : '  (no output)');

/** How it ended, if it has (asked briefly: a container that is still running answers nothing here). */
const exitedSoon = (handle: ContainerHandle): Promise<{ code: number } | undefined> =>
  Promise.race([handle.wait().catch(() => undefined), new Promise<undefined>((r) => setTimeout(r, 300, undefined))]);

/**
 * Wait until a container is ready by its readiness rule, never by sleeping. When it exits first or the time is
 * up, it is removed and the error names it, says how long was waited and shows its last log lines.
 */
export async function waitReady(handle: ContainerHandle, spec: ContainerSpec, o: ReadyOptions = {}): Promise<ReadyInfo> {
  const ready = spec.ready;
  switch (ready.kind) {
    case 'none':
      return {};
    case 'log':
      await waitForLog(handle, spec, ready, o.signal);
      return {};
    case 'listening':
      return { listeners: await waitListening(handle, spec, ready, o) };
  }
}

async function waitForLog(handle: ContainerHandle, spec: ContainerSpec, ready: { pattern: string; timeoutMs: number }, signal?: AbortSignal): Promise<void> {
  const re = new RegExp(ready.pattern);
  const local = new AbortController();
  const stop = (): void => local.abort();
  signal?.addEventListener('abort', stop, { once: true });
  const timer = setTimeout(stop, ready.timeoutMs);
  let matched = false;
  try {
    for await (const l of handle.lines(local.signal)) {
      if (re.test(l.line)) {
        matched = true;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', stop);
    local.abort();
  }
  if (matched) return;
  const tail = await handle.tail(15);
  const exited = signal?.aborted ? undefined : await exitedSoon(handle);
  await handle.remove();
  if (signal?.aborted) throw new SocklabError(`interrupted while waiting for ${spec.name}`);
  throw new SocklabError(
    exited
      ? `${spec.role} ${spec.name} exited (exit ${exited.code}) before it was ready; its last lines:\n${indent(tail)}`
      : `${spec.role} ${spec.name} not ready after ${ready.timeoutMs} ms (waited for /${ready.pattern}/ in its log); its last lines:\n${indent(tail)}`,
    { container: spec.name, ...(exited && { exitCode: exited.code }) },
  );
}

/**
 * A server of one's own is ready when its port listens. If it exits first, or listens on another port, the error
 * says so with its last lines and the ports it does listen on.
 */
async function waitListening(handle: ContainerHandle, spec: ContainerSpec, ready: { port: number; timeoutMs: number }, o: ReadyOptions): Promise<Listener[]> {
  const observer = o.observer;
  if (!observer) throw new SocklabError(`${spec.name}: a listening readiness needs a container in its namespace to look through`);
  let exited: { code: number } | undefined;
  // A lost engine is noticed (and told) by what waits on the swarm; here it only ends the wait.
  void handle.wait().then((e) => (exited = e), () => {});
  const found = await pollUntil(
    async () => {
      const onPort = (await listeningSockets(observer)).filter((l) => l.port === ready.port);
      if (onPort.length > 0) return onPort;
      if (exited) return null; // no use waiting for a container that has ended
      return undefined;
    },
    { everyMs: 200, timeoutMs: ready.timeoutMs, ...(o.signal && { signal: o.signal }) },
  );
  if (found) return found;
  if (o.signal?.aborted) throw new SocklabError(`interrupted while waiting for ${spec.name}`);
  const tail = await handle.tail(15);
  const others = (await listeningSockets(observer).catch(() => [] as Listener[])).filter((l) => l.port !== ready.port);
  await handle.remove();
  const what = `${spec.role} ${spec.name}${spec.labels['socklab.model'] ? ` (${spec.labels['socklab.model']})` : ''}`;
  const where = others.length > 0 ? `it listens on ${others.map((l) => `${l.address}:${l.port}`).join(', ')}` : 'it listens on no TCP port';
  throw new SocklabError(
    exited
      ? `${what} exited (exit ${exited.code}) before listening on port ${ready.port}; its last lines:\n${indent(tail)}`
      : `${what} not listening on port ${ready.port} after ${ready.timeoutMs} ms: ${where}; its last lines:\n${indent(tail)}`,
    {
      container: spec.name,
      ...(exited && { exitCode: exited.code }),
      hint: others.length > 0 ? `give its port: --port ${others[0]?.port}` : 'check that it binds a TCP port and keeps running',
    },
  );
}

/**
 * A server of one's own that ended before a container could join its namespaces (it exits at once): the same
 * error a listening wait gives when it ends first, with its exit code and last lines.
 */
export async function endedBeforeListening(handle: ContainerHandle, spec: ContainerSpec, port: number, cause: unknown): Promise<never> {
  // The engine may learn of the server's end a moment after that of what it took down with it: asked again, briefly.
  const ended = (await handle.exited().catch(() => null)) ?? (await Promise.race([handle.wait().catch(() => null), new Promise<null>((r) => setTimeout(r, 1000, null))]));
  if (!ended) throw cause;
  const tail = await handle.tail(15);
  const what = `${spec.role} ${spec.name}${spec.labels['socklab.model'] ? ` (${spec.labels['socklab.model']})` : ''}`;
  throw new SocklabError(`${what} exited (exit ${ended.code}) before listening on port ${port}; its last lines:\n${indent(tail)}`, {
    container: spec.name,
    exitCode: ended.code,
    hint: 'check that it keeps running once it listens',
  });
}

/** Start a container from its spec and wait for it to be ready (it is removed if it never is). */
export async function startRole(rt: { start(spec: ContainerSpec): Promise<ContainerHandle> }, spec: ContainerSpec, o: ReadyOptions = {}): Promise<ContainerHandle> {
  const handle = await rt.start(spec);
  await waitReady(handle, spec, o);
  return handle;
}
