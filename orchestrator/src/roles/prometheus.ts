import { IMAGES } from '@socklab/shared';
import type { ContainerSpec } from '../runtime/spec.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { containerName, roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/** Where Prometheus reads file_sd target files (images/prometheus/prometheus.yml, job `runs`). */
const TARGETS_DIR = '/etc/prometheus/targets';
const PROMETHEUS_READY = 'Server is ready to receive web requests';

export interface TargetGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The lab's long-lived Prometheus (any running container labelled socklab.role=prometheus) follows a run: it joins
 * the run's internal network and gets the run's targets as a file_sd file. No Docker API is handed to it.
 */
export class AttachedPrometheus {
  private constructor(
    private readonly rt: ContainerRuntime,
    private readonly network: string,
    private readonly file: string,
    readonly names: readonly string[],
  ) {}

  /** Attach every running socklab Prometheus to the run's network; none running is fine (a run needs none). */
  static async attach(rt: ContainerRuntime, network: string, runId: string): Promise<AttachedPrometheus> {
    const found = (await rt.containersWithRole('prometheus')).map((c) => c.name);
    const names: string[] = [];
    for (const name of found) {
      try {
        await rt.connect(name, network);
        names.push(name);
      } catch {
        /* a Prometheus that cannot join (another engine's network mode, say) is left alone */
      }
    }
    return new AttachedPrometheus(rt, network, `${runId}.json`, names);
  }

  async publish(groups: readonly TargetGroup[]): Promise<void> {
    for (const n of this.names) await this.rt.putFile(n, TARGETS_DIR, this.file, `${JSON.stringify(groups, null, 2)}\n`);
  }

  /** Empty the run's targets and leave its network (it could not be removed with Prometheus still on it). */
  async detach(): Promise<void> {
    for (const n of this.names) {
      await this.rt.putFile(n, TARGETS_DIR, this.file, '[]\n').catch(() => {});
      await this.rt.disconnect(n, this.network).catch(() => {});
    }
  }
}

/** A Prometheus of its own on a network (tests, and a lab without compose): the socklab image, ready when it says so. */
export function prometheusSpec(ctx: RoleContext, name = 'prometheus'): ContainerSpec {
  return {
    name: containerName(ctx, name),
    role: 'prometheus',
    image: IMAGES.prometheus,
    env: {},
    cmd: [],
    labels: roleLabels(ctx.run, 'prometheus'),
    network: { kind: 'bridge', network: ctx.network, aliases: [name] },
    sysctls: {},
    capAdd: [],
    ready: { kind: 'log', pattern: PROMETHEUS_READY, timeoutMs: 30_000 },
  };
}

/** The Grafana run view of a run, as the compose lab publishes Grafana (SOCKLAB_GRAFANA_PORT, 3000 by default). */
export function grafanaRunUrl(runId: string, port = process.env.SOCKLAB_GRAFANA_PORT ?? '3000'): string {
  return `http://localhost:${port}/d/socklab-run?var-run=${encodeURIComponent(runId)}&from=now-5m&to=now&refresh=1s`;
}
