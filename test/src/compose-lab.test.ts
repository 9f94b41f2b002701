import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { labDownArgs, labUpArgs } from '@socklab/orchestrator';
import { COMPOSE, compose as run, type ComposeTool } from './support/compose.js';
import { until as promUntil } from './support/prometheus.js';

const SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];

/** The lab as `compose up -d` starts it here, with each Compose tool (Grafana left out: its image cannot be pulled here). */
for (const [i, tool] of COMPOSE.entries()) {
const PROJECT = `socklabtest${tool.name}`;
const PORT = 19090 + i * 10;
const ENV = {
  ...process.env,
  SOCKLAB_PROMETHEUS_PORT: String(PORT),
  SOCKLAB_GRAFANA_PORT: String(13000 + i),
  SOCKLAB_SUBNET: `172.31.${251 - i * 5}.0/24`,
  SOCKLAB_WAVE_EVERY: '4s',
  SOCKLAB_GARGALO_EVERY: '6s',
};
const compose = (args: string[]) => run(tool, args, ENV);
const until = (expr: string, label: string, ok: (v: Map<string, number>) => boolean, ms?: number) => promUntil(PORT, expr, label, ok, ms);

describe(`${tool.shown} up: the course's lab side by side, seen through Prometheus`, { skip: tool.skip }, () => {
  before(() => {
    const up = compose(labUpArgs({ v1: tool.v1, grafana: false, project: PROJECT, detach: true }));
    assert.equal(up.status, 0, up.stderr);
  });
  after(() => {
    compose(labDownArgs({ v1: tool.v1, project: PROJECT }));
  });

  it('every default server\'s accepted connections and every swarm\'s outcomes are there and growing', async () => {
    const accepted = 'sum by (server) (socklab_server_connections_accepted_total{run="lab", role="server"})';
    const first = await until(accepted, 'server', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > 0));
    for (const s of SERVERS) assert.ok((first.get(s) ?? 0) > 0, `${s} accepted ${first.get(s)}: ${JSON.stringify([...first])}`);
    const later = await until(accepted, 'server', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > (first.get(s) ?? 0)), 40_000);
    for (const s of SERVERS) assert.ok((later.get(s) ?? 0) > (first.get(s) ?? 0), `${s} keeps accepting: ${first.get(s)} -> ${later.get(s)}`);
    const outcomes = await until('sum by (server) (socklab_swarm_connections_total{run="lab", role="swarm"})', 'server', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > 0));
    for (const s of SERVERS) assert.ok((outcomes.get(s) ?? 0) > 0, `the clients of ${s} report outcomes: ${JSON.stringify([...outcomes])}`);
    const challenge = await until('sum by (instance) (socklab_swarm_connections_total{server="event-loop", outcome="ok"})', 'instance', (v) => [...v.values()].some((x) => x >= 200));
    assert.ok([...challenge.values()].some((x) => x >= 200), 'the 200-client wave ran');
  });

  it('servergargalo\'s listen(1) overflows: ListenOverflows > 0 in its probe; the probes see threads', async () => {
    const o = await until('socklab_probe_kernel_counter_total{field="ListenOverflows", server="gargalo"}', 'server', (v) => (v.get('gargalo') ?? 0) > 0);
    assert.ok((o.get('gargalo') ?? 0) > 0, `ListenOverflows ${o.get('gargalo')}`);
    const models = await until('sum by (model) (socklab_probe_threads_blocked{run="lab"})', 'model', (v) => ['sequential', 'threaded', 'event-loop'].every((m) => (v.get(m) ?? 0) > 0));
    for (const m of ['sequential', 'threaded', 'event-loop']) assert.ok((models.get(m) ?? 0) > 0, `${m}: ${JSON.stringify([...models])}`);
  });

  it('the compose file\'s clients refuse a target outside the lab: exit 2, the address and the lab\'s subnet named, no connection made', () => {
    // 192.0.2.10 is TEST-NET-1 (documentation only, routed nowhere): even a broken guard could not reach anyone.
    for (const target of ['192.0.2.10:7000', '127.0.0.53:53', 'event-loop:7000']) {
      const r = compose([...(tool.v1 ? ['--compatibility'] : []), '-p', PROJECT, 'run', '--rm', '--no-deps', 'event-loop-clients', '--target', target, '--clients', '1', '--max-duration', '10s']);
      const said = `${r.stdout}${r.stderr}`;
      if (target.startsWith('192.0.2.')) {
        assert.equal(r.status, 2, `${target}: exit ${r.status}\n${said}`);
        assert.match(said, new RegExp(`refusing target 192\\.0\\.2\\.10 \\(192\\.0\\.2\\.10\\): the swarm only connects to loopback or to its own subnets \\(172\\.31\\.${251 - i * 5}\\.0/24\\)`));
      } else {
        // Loopback (its own namespace) and the lab's servers pass the guard; the lab server answers.
        assert.notEqual(r.status, 2, `${target} is allowed:\n${said}`);
      }
    }
    const left = spawnSync('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=com.docker.compose.oneoff=True'], { encoding: 'utf8' });
    assert.equal(left.stdout.trim(), '', 'run --rm left nothing');
  });

  it('lab containers cannot swap past their memory limit: a thread explosion is an OOM kill', () => {
    const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--filter', 'label=socklab.run=lab'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    const rows = spawnSync('docker', ['inspect', '-f', '{{.Name}} {{index .Config.Labels "socklab.role"}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}', ...ids], { encoding: 'utf8' }).stdout.trim().split('\n');
    const lab = rows.map((r) => r.split(' ')).filter(([, role]) => ['server', 'probe', 'swarm'].includes(role ?? ''));
    assert.ok(lab.length >= 12, rows.join('\n'));
    for (const [name, , memory, swap] of lab) {
      assert.ok(Number(memory) > 0, `${name} has a memory limit`);
      assert.equal(swap, memory, `${name}: memory+swap is the memory limit (no swap)`);
    }
  });

  it('down -v leaves no container, network or volume behind', () => {
    const down = compose(labDownArgs({ v1: tool.v1, project: PROJECT }));
    assert.equal(down.status, 0, down.stderr);
    const label = `label=com.docker.compose.project=${PROJECT}`;
    for (const kind of [['ps', '-a'], ['network', 'ls'], ['volume', 'ls']]) {
      const r = spawnSync('docker', [...kind, '-q', '--filter', label], { encoding: 'utf8' });
      assert.equal(r.stdout.trim(), '', `${kind.join(' ')}: ${r.stdout}`);
    }
  });
});
}
