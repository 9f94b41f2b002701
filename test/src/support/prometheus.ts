/** Prometheus' HTTP API as the tests read it: one instant query, and a poll until a condition holds. */
import { pollUntil } from '@socklab/shared';

export interface Series {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export async function query(port: number, expr: string): Promise<Series[]> {
  // Node 20's fetch never settles on a connection the peer resets at once (a published port with no one behind it
  // yet), and holds nothing open meanwhile: a timer of our own (AbortSignal.timeout's is unref'd) bounds it.
  const c = new AbortController();
  const timer = setTimeout(() => c.abort(new Error(`Prometheus on :${port} did not answer in 10 s`)), 10_000);
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: c.signal });
    const body = (await r.json()) as { data: { result: Series[] } };
    return body.data.result;
  } finally {
    clearTimeout(timer);
  }
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
