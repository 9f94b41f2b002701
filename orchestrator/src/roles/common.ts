import { LABELS, type Role } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import type { ContainerSpec, Readiness } from '../plan/types.js';
import type { ContainerHandle, ContainerRuntime } from '../runtime/runtime.js';

/** Labels every socklab container carries; cleanup selects by `socklab.run`. */
export function roleLabels(run: string, role: Role, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABELS.run]: run, [LABELS.role]: role, ...extra };
}

/**
 * Wait until a container is ready by its readiness rule, never by sleeping. When it exits first or the time is
 * up, it is removed and the error names it, says how long was waited and shows its last log lines.
 */
export async function waitReady(handle: ContainerHandle, spec: ContainerSpec, signal?: AbortSignal): Promise<void> {
  const ready: Readiness = spec.ready;
  if (ready.kind === 'none') return;
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
  const exited = signal?.aborted ? undefined : await Promise.race([handle.wait(), new Promise<undefined>((r) => setTimeout(r, 300, undefined))]);
  await handle.remove();
  if (signal?.aborted) throw new SocklabError(`interrupted while waiting for ${spec.name}`);
  throw new SocklabError(
    exited
      ? `${spec.role} ${spec.name} exited (exit ${exited.code}) before it was ready; its last lines:\n${indent(tail)}`
      : `${spec.role} ${spec.name} not ready after ${ready.timeoutMs} ms (waited for /${ready.pattern}/ in its log); its last lines:\n${indent(tail)}`,
    { container: spec.name, ...(exited && { exitCode: exited.code }) },
  );
}

const indent = (text: string): string => (text ? text.split('\n').map((l) => `  ${l}`).join('\n') : '  (no output)');

/** Start a container from its spec and wait for it to be ready (it is removed if it never is). */
export async function startRole(rt: ContainerRuntime, spec: ContainerSpec, signal?: AbortSignal): Promise<ContainerHandle> {
  const handle = await rt.start(spec);
  await waitReady(handle, spec, signal);
  return handle;
}

/** Fetch a URL from inside a container's own network namespace (node is in every socklab image). */
export async function fetchInside(handle: ContainerHandle, url: string, init?: { method: string; body: string }): Promise<{ status: number; body: string }> {
  const r = await handle.exec([
    'node',
    '-e',
    `fetch(${JSON.stringify(url)}, ${JSON.stringify(init ?? {})}).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })), (e) => { console.error(e.cause?.code ?? e.message); process.exit(1); })`,
  ]);
  if (r.exitCode !== 0) throw new SocklabError(`fetching ${url} inside ${handle.name} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return JSON.parse(r.stdout) as { status: number; body: string };
}
