/** Number formats shared by every renderer. */
export const secs = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);
export const msText = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`);
export const mib = (b: number | null | undefined): string => (b === null || b === undefined ? '-' : `${(b / 1024 / 1024).toFixed(1)} MiB`);
export const kib = (b: number | null | undefined): string => (b === null || b === undefined ? '-' : `${(b / 1024).toFixed(1)} KiB`);
export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : String(Math.round(n * 100) / 100));
export const pct = (x: number): string => `${+(x * 100).toFixed(2)}%`;

/** "a, b and c" */
export function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
