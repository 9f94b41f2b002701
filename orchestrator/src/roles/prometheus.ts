import { IMAGES, PROBE_PORT, SERVER_METRICS_PORT, SWARM_METRICS_PORT } from '@socklab/shared';
import type { ContainerSpec, RunPlan, TrialPlan } from '../plan/types.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/** Where Prometheus reads file_sd target files (images/prometheus/prometheus.yml, job `runs`). */
export const TARGETS_DIR = '/etc/prometheus/targets';
export const PROMETHEUS_READY = 'Server is ready to receive web requests';

export interface TargetGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** A trial's scrape targets with the labels dashboards filter by: role, model, run, scenario, trial. */
export function trialTargets(plan: RunPlan, trial: TrialPlan): TargetGroup[] {
  const base = { run: plan.runId, scenario: plan.scenario.name, trial: trial.id };
  const groups: TargetGroup[] = [];
  for (const s of trial.servers) {
    const labels = { ...base, model: s.model, server: s.name };
    groups.push({ targets: [`${s.server.name}:${SERVER_METRICS_PORT}`], labels: { ...labels, role: 'server' } });
    groups.push({ targets: [`${s.server.name}:${PROBE_PORT}`], labels: { ...labels, role: 'probe' } });
  }
  for (const w of trial.swarms) {
    const model = trial.servers.find((s) => s.name === w.target)?.model ?? '';
    // A swarm joins its client host's namespace: it answers at the host's address (inside a server's own
    // namespace, on loopback, it is not reachable from Prometheus at all).
    const net = w.container.network;
    const host = net.kind === 'bridge' ? w.container.name : plan.clientHosts.find((h) => h.name === net.of)?.name;
    if (host) groups.push({ targets: [`${host}:${SWARM_METRICS_PORT}`], labels: { ...base, model, server: w.target, role: 'swarm' } });
  }
  return groups;
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
  static async attach(rt: ContainerRuntime, plan: RunPlan): Promise<AttachedPrometheus> {
    const found = (await rt.containersWithRole('prometheus')).map((c) => c.name);
    const names: string[] = [];
    for (const name of found) {
      try {
        await rt.connect(name, plan.network.name);
        names.push(name);
      } catch {
        /* a Prometheus that cannot join (another engine's network mode, say) is left alone */
      }
    }
    return new AttachedPrometheus(rt, plan.network.name, `${plan.runId}.json`, names);
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
    name: `${ctx.prefix}-${name}`,
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
