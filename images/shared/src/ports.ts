/** The container interface's ports and names: one place, used by the images, the compose files (by value), the orchestrator and the tests. */
export const LAB_PORT = 7000;
export const SERVER_METRICS_PORT = 9464;
/**
 * A server's own families only (socklab_*, and the process's CPU and resident memory), without the runtime's
 * default metrics: what a run's sampler reads ten times a second, at about a third of a whole scrape's CPU, so
 * watching a blocking server does not make it look busy at rest. Prometheus reads the whole /metrics.
 */
export const SERVER_SAMPLE_PATH = '/metrics/own';
export const PROBE_PORT = 9465;
export const SWARM_METRICS_PORT = 9464;
export const PROMETHEUS_PORT = 9090;

/** Image names (tag `latest` unless a run pins another). */
export const IMAGES = {
  nodeBase: 'socklab/node-base',
  server: 'socklab/server',
  swarm: 'socklab/swarm',
  probe: 'socklab/probe',
  prometheus: 'socklab/prometheus',
  /** Runs a student's Python server as it is. */
  python: 'socklab/python',
  /** A Docker engine in a container: one node of `socklab cluster` (a Swarm on one machine). */
  clusterNode: 'socklab/cluster-node',
} as const;

/** The images the lab runs (the compose lab, a Swarm stack, a run): what first use builds and a cluster node loads. */
export const LAB_IMAGES = [IMAGES.server, IMAGES.swarm, IMAGES.probe, IMAGES.prometheus] as const;

/** Labels on every resource socklab creates; cleanup selects by them. */
export const LABELS = {
  run: 'socklab.run',
  role: 'socklab.role',
  model: 'socklab.model',
  /** On socklab's images: the version of socklab that built them (its images and its CLI speak to each other). */
  version: 'socklab.version',
} as const;

/**
 * `client-host`: a swarm's place on the lab network (its network namespace and address), kept across a run's
 * trials; its swarm agent runs each trial's swarm as a job.
 */
const ROLES = ['server', 'probe', 'sampler', 'swarm', 'client-host', 'prometheus', 'grafana', 'network', 'cluster-node', 'volume'] as const;
export type Role = (typeof ROLES)[number];
