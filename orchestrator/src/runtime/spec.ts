import type { Role } from '@socklab/shared';

/** How a container joins the network: on the run's bridge under an alias, or inside another container's namespace. */
export type NetworkAttach =
  | { readonly kind: 'bridge'; readonly network: string; readonly aliases: readonly string[] }
  | { readonly kind: 'container'; readonly of: string }
  /** No network at all: a one-shot container that only reads its own limits. */
  | { readonly kind: 'none' };

/**
 * When a started container is ready, each kind with its own bound and failure message (roles/ready.ts waits):
 * a line in its log; a TCP port listening in its network namespace (a server of one's own, which says nothing
 * socklab knows); or nothing beyond having started.
 */
export type Readiness =
  | { readonly kind: 'log'; readonly pattern: string; readonly timeoutMs: number }
  | { readonly kind: 'listening'; readonly port: number; readonly timeoutMs: number }
  | { readonly kind: 'none' };

/** Everything needed to create one container: pure data, serializable into plan.json. */
export interface ContainerSpec {
  /** Container name, unique on the engine: `<run>-<trial>-<role name>`. */
  readonly name: string;
  readonly role: Role;
  readonly image: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cmd: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly network: NetworkAttach;
  /** Join this container's PID namespace (the probe sees the server's threads). */
  readonly pidOf?: string;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly capAdd: readonly string[];
  readonly memoryBytes?: number;
  /** CPU limit in cores (1: one core); none when absent. */
  readonly cpus?: number;
  /** The cores it runs on (cpuset), when it is pinned: `cpus: 1` as one core of its own, not a quota spread over all. */
  readonly cores?: readonly number[];
  /** Open-file limit (the swarm at C10K needs more than the default 1024). */
  readonly nofile?: number;
  /** Its stdin stays open for `ContainerHandle.write` (a swarm agent reads its jobs there). */
  readonly stdin?: boolean;
  /** What only a node of `socklab cluster` (a Docker engine in a container) needs from its host. */
  readonly engine?: EngineHostSpec;
  readonly ready: Readiness;
}

/**
 * A container that runs a Docker engine of its own without --privileged (which some engines refuse): every
 * capability but SYS_RESOURCE, no seccomp or AppArmor profile, the host's cgroups, a tmpfs /run, a volume for its
 * /var/lib/docker, a hostname (its Swarm node name), ports published on the host's loopback, files bound read-only.
 */
export interface EngineHostSpec {
  readonly hostname: string;
  /** A named volume (created, labelled, beforehand) mounted on /var/lib/docker. */
  readonly dataVolume: string;
  readonly publish: ReadonlyArray<{ readonly hostPort: number; readonly containerPort: number }>;
  /** host path -> the same path inside, read-only (so paths a client resolves on the host exist in the node). */
  readonly bindSame: readonly string[];
}
