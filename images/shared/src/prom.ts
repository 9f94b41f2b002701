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

/**
 * On Docker Swarm each task is told its node's hostname (SOCKLAB_NODE, from `{{.Node.Hostname}}` in the stack file):
 * every series of the registry then carries it as `node`, so Prometheus and the dashboards can tell the nodes apart.
 * Elsewhere (compose, a run) there is no such label.
 */
export function labelNode(registry: Registry, env: NodeJS.ProcessEnv = process.env): void {
  const node = env.SOCKLAB_NODE?.trim();
  if (node) registry.setDefaultLabels({ node });
}
