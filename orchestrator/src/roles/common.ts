import { LABELS, type Role } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import type { ContainerHandle, ContainerRuntime } from '../runtime/runtime.js';

/** Labels every socklab container carries; cleanup selects by `socklab.run`. */
export function roleLabels(run: string, role: Role, extra: Record<string, string> = {}): Record<string, string> {
  return { [LABELS.run]: run, [LABELS.role]: role, ...extra };
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

/** The name of a role's container: the run's (or trial's) prefix and the role's name in the scenario. */
export const containerName = (ctx: { readonly prefix: string }, name: string): string => `${ctx.prefix}-${name}`;
