import { IMAGES, pollUntil } from '@socklab/shared';
import type { ContainerSpec } from '../runtime/spec.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { containerName, roleLabels } from './common.js';
import type { RoleContext } from './server.js';

/** Where Prometheus reads file_sd target files (images/prometheus/prometheus.yml, job `runs`). */
const TARGETS_DIR = '/etc/prometheus/targets';
const PROMETHEUS_READY = 'Server is ready to receive web requests';
/** How long a trial's clients wait at most for the live view's first scrape of its servers. */
export const SCRAPED_WAIT_MS = 5_000;

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

  /**
   * Until every attached Prometheus has scraped each of these targets once (up == 1), polled every 250 ms for at
   * most `timeoutMs`. A counter is only seen to rise from its first scrape on: clients set off before it would
   * leave what they caused first (a listen(1) queue overflowing at once) out of every rate on the dashboards.
   * Resolves with the names of those that had not by then (none: all had).
   */
  async scraped(groups: readonly TargetGroup[], signal: AbortSignal, timeoutMs = SCRAPED_WAIT_MS): Promise<string[]> {
    const want = groups.reduce((n, g) => n + g.targets.length, 0);
    const labels = groups[0]?.labels ?? {};
    const selector = ['run', 'trial'].filter((k) => labels[k] !== undefined).map((k) => `${k}="${labels[k]}"`).join(',');
    const expr = `count(up{${selector}} == 1) or vector(0)`;
    const late = new Set(this.names);
    await pollUntil(
      async () => {
        for (const n of [...late]) if ((await this.count(n, expr)) >= want) late.delete(n);
        return late.size === 0 ? true : undefined;
      },
      { everyMs: 250, timeoutMs, signal },
    );
    return [...late];
  }

  /** The value of a one-number query, asked of Prometheus inside its own container (0 when it does not answer). */
  private async count(name: string, expr: string): Promise<number> {
    const r = await this.rt.execIn(name, ['promtool', 'query', 'instant', '-o', 'json', 'http://localhost:9090', expr]).catch(() => undefined);
    if (r?.exitCode !== 0) return 0;
    try {
      const v = JSON.parse(r.stdout) as Array<{ value: [number, string] }>;
      return Number(v[0]?.value[1] ?? 0);
    } catch {
      return 0;
    }
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
