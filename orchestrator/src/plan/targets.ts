import { PROBE_PORT, SERVER_METRICS_PORT, SWARM_METRICS_PORT } from '@socklab/shared';
import type { TargetGroup } from '../roles/prometheus.js';
import type { RunPlan, TrialPlan } from './types.js';

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
    const host = net.kind === 'bridge' ? w.container.name : net.kind === 'container' ? plan.clientHosts.find((h) => h.name === net.of)?.name : undefined;
    if (host) groups.push({ targets: [`${host}:${SWARM_METRICS_PORT}`], labels: { ...base, model, server: w.target, role: 'swarm' } });
  }
  return groups;
}
