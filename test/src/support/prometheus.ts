/** Prometheus' HTTP API as the tests read it: one instant query, and a poll until a condition holds. */
import { pollUntil } from '@socklab/shared';

export interface Series {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export async function query(port: number, expr: string): Promise<Series[]> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await r.json()) as { data: { result: Series[] } };
  return body.data.result;
}

/** Values of a query by one of its labels, polled every second until `ok` holds or `ms` is up (the last values then). */
export async function until(port: number, expr: string, label: string, ok: (v: Map<string, number>) => boolean, ms = 120_000): Promise<Map<string, number>> {
  let last = new Map<string, number>();
  // A query that fails counts as no answer yet (Prometheus is still starting).
  const found = await pollUntil(
    async () => {
      last = new Map((await query(port, expr)).map((s) => [s.metric[label] ?? '', Number(s.value[1])]));
      return ok(last) ? last : undefined;
    },
    { everyMs: 1000, timeoutMs: ms },
  );
  return found ?? last;
}
