import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DockerRuntime, REPO_ROOT } from '@socklab/orchestrator';
import { CLI, socklab } from './support/cli.js';
import { connectTimesOnNode } from './support/cluster.js';
import { until as promUntil, query } from './support/prometheus.js';

/**
 * The lab across a four-node Docker Swarm made of engines in containers (`socklab cluster`), on one machine:
 * Prometheus on the manager, servers on node-2, clients on node-3 and node-4 (two replicas of each clients'
 * service), traffic over the overlay between the nodes' engines, the link shaped by each server's own observer.
 * The stack is deployed from the host as the README says, through the manager's published engine API.
 */
const ENGINE = 23759;
const PROM = 19299;
const GRAFANA = 13299;
const ENV = { SOCKLAB_PROMETHEUS_PORT: String(PROM), SOCKLAB_GRAFANA_PORT: String(GRAFANA) };
const DELAY_MS = 100;
const CLIENT_SERVICES = ['sequential-clients', 'gargalo-clients', 'threaded-clients', 'event-loop-clients', 'event-loop-challenge'];
/** Servers and their observers, and two replicas of each clients' service. */
const TARGETS = 4 * 2 + CLIENT_SERVICES.length * 2;
const SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];
const rt = new DockerRuntime();
/** What a Grafana variable `label_values(selector, label)` lists, asked of the cluster's Prometheus. */
async function labelValues(variable: string): Promise<string[]> {
  const m = /^label_values\((.*), (\w+)\)$/.exec(variable);
  assert.ok(m, `a label_values variable: ${variable}`);
  const r = await fetch(`http://127.0.0.1:${PROM}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1]!)}`, { signal: AbortSignal.timeout(10_000) });
  return ((await r.json()) as { data: string[] }).data.sort();
}
/** The cgroups the host's engine's part of the tree holds (cgroupfs driver: v1's memory/docker, v2's docker). */
function dockerCgroups(): string[] {
  const root = ['/sys/fs/cgroup/memory/docker', '/sys/fs/cgroup/docker'].find((d) => existsSync(d));
  return root ? readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name) : [];
}
/** Those there before the cluster test: what it leaves is measured against them. */
const cgroupsBefore = dockerCgroups();
const stack = (args: string[]) =>
  spawnSync('docker', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000, env: {
      ...process.env,
      ...ENV,
      DOCKER_HOST: `tcp://127.0.0.1:${ENGINE}`,
      SOCKLAB_WAVE_EVERY: '4s',
      SOCKLAB_GARGALO_EVERY: '6s',
      SOCKLAB_CHALLENGE_EVERY: '15s',
      SOCKLAB_DELAY: `${DELAY_MS}ms`,
      SOCKLAB_CLIENT_REPLICAS: '2',
    },
  });
/** The clients' targets now: instance, service and node, from any series they export. */
const clientTargets = async (): Promise<Array<{ instance: string; service: string; node: string }>> =>
  (await query(PROM, 'group by (instance, service, node) ({job="lab-swarm", node!=""})')).map((s) => ({ instance: s.metric.instance ?? '', service: s.metric.service ?? '', node: s.metric.node ?? '' }));
const byLabelsUntil = (expr: string, label: string, ok: (v: Map<string, number>) => boolean) => promUntil(PROM, expr, label, ok, 120_000);
const byLabels = async (expr: string, a: string, b: string): Promise<Array<[string, string, number]>> =>
  (await query(PROM, expr)).map((s) => [s.metric[a] ?? '', s.metric[b] ?? '', Number(s.value[1])]);

describe('socklab cluster: the lab across four nodes in containers', () => {
  before(() => {
    const up = socklab(['cluster', 'up', '--nodes', '4', '--engine-port', String(ENGINE)], ENV, 600_000);
    assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stderr, /images loaded into every node/);
    assert.match(up.stderr, /node-1 \(manager\), node-2 \(servers\), node-3 \(clients\), node-4 \(clients\)/);
  });
  after(() => {
    stack(['stack', 'rm', 'socklab']);
    socklab(['cluster', 'down']);
  });

  it('four nodes form one swarm: the manager and three workers, each Ready', () => {
    const s = socklab(['cluster', 'status']);
    assert.equal(s.status, 0, s.stderr);
    const nodes = s.stdout.split('\n').filter((l) => /^node-\d\t/.test(l));
    assert.deepEqual(nodes.map((l) => l.split('\t').slice(0, 2).join(' ')).sort(), ['node-1 Ready', 'node-2 Ready', 'node-3 Ready', 'node-4 Ready']);
    assert.match(s.stdout, /node-1\tReady\tActive\tLeader/);
  });

  it("the README's stack deploy with shaping from the host: servers on node-2, each clients' service on node-3 and node-4, every server served across the overlay, every target up with its node", async () => {
    const deploy = stack(['stack', 'deploy', '-c', 'docker-compose.yml', '-c', 'docker-stack.yml', '-c', 'docker-stack-shaping.yml', 'socklab']);
    assert.equal(deploy.status, 0, deploy.stderr);
    const accepted = await promUntil(PROM, 'sum by (server) (socklab_server_connections_accepted_total{role="server"})', 'server', (v) => SERVERS.every((x) => (v.get(x) ?? 0) > 0), 240_000);
    for (const x of SERVERS) assert.ok((accepted.get(x) ?? 0) > 0, `${x} accepted connections from another node: ${JSON.stringify([...accepted])}`);
    const servers = await byLabels('sum by (server, node) (socklab_server_connections_accepted_total{role="server"})', 'server', 'node');
    assert.deepEqual([...new Set(servers.map(([, node]) => node))], ['node-2'], `every server runs on node-2: ${JSON.stringify(servers)}`);
    const ok = await promUntil(PROM, 'sum by (server) (socklab_swarm_connections_total{outcome="ok"})', 'server', (v) => SERVERS.every((x) => (v.get(x) ?? 0) > 0), 120_000);
    for (const x of SERVERS) assert.ok((ok.get(x) ?? 0) > 0, `the clients of ${x} were served: ${JSON.stringify([...ok])}`);
    const targets = await promUntil(PROM, 'up', 'instance', (v) => v.size >= TARGETS && [...v.values()].every((x) => x === 1), 120_000);
    assert.deepEqual([...targets].filter(([, v]) => v !== 1), [], `every target up: ${JSON.stringify([...targets])}`);
    assert.equal(targets.size, TARGETS, 'servers, their observers and two replicas of each clients\' service');
    const clients = await clientTargets();
    for (const service of CLIENT_SERVICES) {
      const nodes = clients.filter((c) => c.service === service).map((c) => c.node).sort();
      assert.deepEqual(nodes, ['node-3', 'node-4'], `${service}: one replica on each clients' node: ${JSON.stringify(clients)}`);
    }
    // Every socklab series carries the Swarm node it came from.
    const unlabelled = (await query(PROM, 'count by (__name__, job) ({__name__=~"socklab_.+", node=""})')).map((x) => x.metric);
    assert.deepEqual(unlabelled, [], `series without a node label: ${JSON.stringify(unlabelled.slice(0, 5))}`);
    // socklab cluster status lists the stack's tasks: each server's on node-2, running.
    const status = socklab(['cluster', 'status']);
    assert.equal(status.status, 0, status.stderr);
    for (const x of SERVERS) assert.match(status.stdout, new RegExp(`^socklab_${x}\\.1\tnode-2\tRunning`, 'm'), `${x}'s task in cluster status:\n${status.stdout}`);
  });

  it(`shapes the link on Swarm: the server's own observer delays its side by ${DELAY_MS} ms, measured from another node against the unshaped round trip`, async (ctx) => {
    const effect = await promUntil(PROM, 'max by (how) (socklab_probe_shaping_effect{server="event-loop", effect="delay", node="node-2"})', 'how', (v) => v.size > 0, 60_000);
    assert.deepEqual([...effect.values()], [1], `the delay is real, and says how: ${JSON.stringify([...effect])}`);
    const t = connectTimesOnNode(3, 'event-loop', { metrics: 9464, lab: 7000 }) as { lab: number; metrics: number };
    ctx.diagnostic(`connect from node-3: lab port ${t.lab.toFixed(1)} ms, unshaped metrics port ${t.metrics.toFixed(1)} ms (median of 15)`);
    const expected = DELAY_MS + t.metrics;
    assert.ok(Math.abs(t.lab - expected) <= 0.1 * expected, `connect to the lab port ${t.lab.toFixed(1)} ms; expected ${DELAY_MS} ms + the unshaped ${t.metrics.toFixed(1)} ms, ±10%`);
  });

  it("on the servers' node: gargalo's listen(1) overflows, the challenge's 200 are all served from each clients' node, threads are seen where they block", async () => {
    const o = await promUntil(PROM, 'sum by (node) (socklab_probe_kernel_counter_total{field="ListenOverflows", server="gargalo"})', 'node', (v) => (v.get('node-2') ?? 0) > 0, 120_000);
    assert.ok((o.get('node-2') ?? 0) > 0, `ListenOverflows on node-2: ${JSON.stringify([...o])}`);
    const challenge = await byLabelsUntil('max by (service, node) (socklab_swarm_connections_total{service="event-loop-challenge", outcome="ok"})', 'node', (v) => (v.get('node-3') ?? 0) >= 200 && (v.get('node-4') ?? 0) >= 200);
    assert.ok((challenge.get('node-3') ?? 0) >= 200 && (challenge.get('node-4') ?? 0) >= 200, `the 200-connection wave from each clients' node: ${JSON.stringify([...challenge])}`);
    // Every wave whole: no connection of the challenge from either node ended otherwise than ok.
    const failed = (await query(PROM, 'sum by (node, outcome) (socklab_swarm_connections_total{service="event-loop-challenge", outcome!="ok"}) > 0')).map((x) => x.metric);
    assert.deepEqual(failed, [], `challenge connections that did not end ok: ${JSON.stringify(failed)}`);
    // The sequential server is busy with a wave most of the time here (two replicas of its clients): the threaded
    // server's acceptor is the thread that always waits in accept.
    const accept = await promUntil(PROM, 'sum by (server) (socklab_probe_threads_blocked{call="accept", node="node-2"})', 'server', (v) => (v.get('threaded') ?? 0) >= 1, 60_000);
    assert.ok((accept.get('threaded') ?? 0) >= 1, `threaded's acceptor waits in accept: ${JSON.stringify([...accept])}`);
    const seen = await promUntil(PROM, 'sum by (server) (socklab_probe_threads_blocked{node="node-2"})', 'server', (v) => SERVERS.every((x) => (v.get(x) ?? 0) >= 1), 60_000);
    assert.ok(SERVERS.every((x) => (seen.get(x) ?? 0) >= 1), `every server's threads are seen where they block: ${JSON.stringify([...seen])}`);
    // The overview dashboard splits by node: its own variable queries, asked of this Prometheus, list node-2 and
    // (with node-2 chosen) every server on it.
    const overview = JSON.parse(readFileSync(path.join(REPO_ROOT, 'grafana/dashboards/overview.json'), 'utf8')) as { templating: { list: Array<{ name: string; query: string }> } };
    const variable = (name: string): string => overview.templating.list.find((v) => v.name === name)!.query;
    assert.deepEqual(await labelValues(variable('node')), ['node-2'], 'the node variable: the servers\' node');
    assert.deepEqual(await labelValues(variable('server').replace('$node', 'node-2')), [...SERVERS].sort(), 'the server variable on node-2');
  });

  it("a clients' node stopped mid-lab: its targets go down, Swarm starts its replicas on the other clients' node, and the servers lose nothing", async () => {
    const before = await clientTargets();
    const gone = before.filter((c) => c.node === 'node-4').map((c) => c.instance);
    assert.equal(gone.length, CLIENT_SERVICES.length, `node-4 runs one replica of each clients' service: ${JSON.stringify(before)}`);
    const served = new Map(await byLabels('sum by (server, instance) (socklab_server_connections_accepted_total{role="server"})', 'server', 'instance').then((r) => r.map(([server, , v]) => [server, v] as const)));
    const node4 = (await rt.containersOf('cluster', 'cluster-node')).find((c) => c.labels['socklab.node'] === 'node-4');
    assert.ok(node4, 'the node-4 container');
    await node4.handle.stop(0);
    const down = await promUntil(PROM, 'up{job="lab-swarm"}', 'instance', (v) => gone.every((i) => (v.get(i) ?? 0) === 0), 90_000);
    assert.ok(gone.every((i) => (down.get(i) ?? 0) === 0), `node-4's targets down: ${JSON.stringify([...down])}`);
    let after = await clientTargets();
    const replaced = await promUntil(PROM, 'count by (service) (up{job="lab-swarm"} == 1)', 'service', (v) => CLIENT_SERVICES.every((s) => v.get(s) === 2), 180_000);
    assert.ok(CLIENT_SERVICES.every((s) => replaced.get(s) === 2), `two replicas of each clients' service up again: ${JSON.stringify([...replaced])}`);
    after = await clientTargets();
    for (const service of CLIENT_SERVICES) assert.deepEqual(after.filter((c) => c.service === service).map((c) => c.node), ['node-3', 'node-3'], `${service} on node-3 now: ${JSON.stringify(after)}`);
    const servers = await promUntil(PROM, 'up{job=~"lab-server|lab-probe"}', 'instance', (v) => v.size === 8, 10_000);
    assert.deepEqual([...servers.values()], Array(8).fill(1), 'every server and observer stayed up');
    const now = await byLabels('sum by (server, instance) (socklab_server_connections_accepted_total{role="server"})', 'server', 'instance');
    for (const [server, , v] of now) assert.ok(v >= (served.get(server) ?? 0), `${server} kept counting (no restart): ${served.get(server)} then ${v}`);
  });

  it('docker stack rm and socklab cluster down leave nothing on the host, not even a cgroup (node-4 was stopped with its containers in it)', async () => {
    assert.equal(stack(['stack', 'rm', 'socklab']).status, 0);
    const down = socklab(['cluster', 'down']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stderr, /removed 4 nodes, 1 networks, 4 volumes/);
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] });
    // The nodes' engines made their containers' cgroups in the host's tree: the engine's part of it is as it was.
    const left = dockerCgroups().filter((d) => !cgroupsBefore.includes(d));
    assert.deepEqual(left, [], 'cgroup directories the cluster left on the host');
  });

  it('bad input exits 2 naming the valid values, and a port in use fails with nothing left', async () => {
    for (const [flag, value, valid] of [['--nodes', '9', /1.*5/], ['--nodes', 'three', /1.*5/], ['--engine-port', '80', /1024.*65535/]] as const) {
      const r = socklab(['cluster', 'up', flag, value]);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${flag}.*${value}`));
      assert.match(r.stderr, valid);
    }
    const busy = net.createServer().listen(ENGINE + 1, '127.0.0.1');
    await once(busy, 'listening');
    try {
      const r = socklab(['cluster', 'up', '--nodes', '2', '--engine-port', String(ENGINE + 1)], ENV, 120_000);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`${ENGINE + 1}`), 'names the port that is taken');
    } finally {
      busy.close();
    }
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] });
  });

  it('Ctrl-C while the nodes come up removes what was made: exit 130, nothing left', async () => {
    const child = spawn(process.execPath, [CLI, 'cluster', 'up', '--nodes', '2', '--engine-port', String(ENGINE + 2)], { env: { ...process.env, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    const started = new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        said += d.toString();
        if (/2 nodes started; waiting for their engines/.test(said)) resolve();
      }),
    );
    const exit = new Promise<number | null>((r) => child.on('close', r));
    await Promise.race([started, exit]);
    child.kill('SIGINT');
    assert.equal(await exit, 130, said);
    assert.match(said, /interrupted: removing the cluster/);
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] }, said);
  });
});
