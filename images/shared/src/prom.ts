import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricDef } from './metrics.js';

type Built<D extends MetricDef> = D['type'] extends 'counter'
  ? Counter<D['labelNames'][number]>
  : D['type'] extends 'gauge'
    ? Gauge<D['labelNames'][number]>
    : Histogram<D['labelNames'][number]>;

/** Register every definition of a catalog in one registry, keeping the catalog's keys and label types. */
export function registerMetrics<C extends Record<string, MetricDef>>(
  catalog: C,
  registry: Registry,
): { [K in keyof C]: Built<C[K]> } {
  const out: Record<string, unknown> = {};
  for (const [key, d] of Object.entries(catalog)) {
    const base = { name: d.name, help: d.help, labelNames: [...d.labelNames], registers: [registry] };
    out[key] =
      d.type === 'counter'
        ? new Counter(base)
        : d.type === 'gauge'
          ? new Gauge(base)
          : new Histogram({ ...base, buckets: [...(d.buckets ?? [])] });
  }
  return out as { [K in keyof C]: Built<C[K]> };
}
