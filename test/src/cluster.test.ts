import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { DockerRuntime, REPO_ROOT } from '@socklab/orchestrator';
import { socklab } from './support/cli.js';
import { until as promUntil, query } from './support/prometheus.js';

/**
 * The lab across a three-node Docker Swarm made of engines in containers (`socklab cluster`), on one machine:
 * servers on node-2, clients on node-3, Prometheus on the manager, traffic over the overlay between the nodes'
 * engines. The stack is deployed from the host as the README says, through the manager's published engine API.
 */
const ENGINE = 23759;
const PROM = 19299;
const GRAFANA = 13299;
const ENV = { SOCKLAB_PROMETHEUS_PORT: String(PROM), SOCKLAB_GRAFANA_PORT: String(GRAFANA) };
const SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];
const rt = new DockerRuntime();
const stack = (args: string[]) =>
  spawnSync('docker', args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...ENV, DOCKER_HOST: `tcp://127.0.0.1:${ENGINE}`, SOCKLAB_WAVE_EVERY: '4s', SOCKLAB_GARGALO_EVERY: '6s' } });
const byLabels = async (expr: string, a: string, b: string): Promise<Array<[string, string, number]>> =>
  (await query(PROM, expr)).map((s) => [s.metric[a] ?? '', s.metric[b] ?? '', Number(s.value[1])]);

describe('socklab cluster: the lab across three nodes in containers', () => {
  before(() => {
    const up = socklab(['cluster', 'up', '--nodes', '3', '--engine-port', String(ENGINE)], ENV, 600_000);
    assert.equal(up.status, 0, `${up.stdout}\n${up.stderr}`);
    assert.match(up.stderr, /images loaded into every node/);
    assert.match(up.stderr, /node-1 \(manager\), node-2 \(servers\), node-3 \(clients\)/);
  });
  after(() => {
    stack(['stack', 'rm', 'socklab']);
    socklab(['cluster', 'down']);
  });

  it('three nodes form one swarm: the manager and two workers, each Ready', () => {
    const s = socklab(['cluster', 'status']);
    assert.equal(s.status, 0, s.stderr);
    const nodes = s.stdout.split('\n').filter((l) => /^node-\d\t/.test(l));
    assert.deepEqual(nodes.map((l) => l.split('\t').slice(0, 2).join(' ')).sort(), ['node-1 Ready', 'node-2 Ready', 'node-3 Ready']);
    assert.match(s.stdout, /node-1\tReady\tActive\tLeader/);
  });

  it("the README's stack deploy from the host: servers on node-2, clients on node-3, every server served across the overlay, every target up with its node", async () => {
    const deploy = stack(['stack', 'deploy', '-c', 'docker-compose.yml', '-c', 'docker-stack.yml', 'socklab']);
    assert.equal(deploy.status, 0, deploy.stderr);
    const accepted = await promUntil(PROM, 'sum by (server) (socklab_server_connections_accepted_total{role="server"})', 'server', (v) => SERVERS.every((x) => (v.get(x) ?? 0) > 0), 240_000);
    for (const x of SERVERS) assert.ok((accepted.get(x) ?? 0) > 0, `${x} accepted connections from another node: ${JSON.stringify([...accepted])}`);
    const servers = await byLabels('sum by (server, node) (socklab_server_connections_accepted_total{role="server"})', 'server', 'node');
    assert.deepEqual([...new Set(servers.map(([, node]) => node))], ['node-2'], `every server runs on node-2: ${JSON.stringify(servers)}`);
    const ok = await promUntil(PROM, 'sum by (server) (socklab_swarm_connections_total{outcome="ok"})', 'server', (v) => SERVERS.every((x) => (v.get(x) ?? 0) > 0), 120_000);
    for (const x of SERVERS) assert.ok((ok.get(x) ?? 0) > 0, `the clients of ${x} were served: ${JSON.stringify([...ok])}`);
    const clients = await byLabels('sum by (server, node) (socklab_swarm_connections_total)', 'server', 'node');
    assert.ok(clients.length > 0 && clients.every(([, node]) => node === 'node-3'), `every client runs on node-3: ${JSON.stringify(clients)}`);
    const targets = await promUntil(PROM, 'up', 'instance', (v) => v.size >= 13 && [...v.values()].every((x) => x === 1), 120_000);
    assert.deepEqual([...targets].filter(([, v]) => v !== 1), [], `every target up: ${JSON.stringify([...targets])}`);
    assert.ok(targets.size >= 13, `servers, their observers and the clients: ${targets.size} targets`);
  });

  it("on the servers' node: gargalo's listen(1) overflows, the challenge's 200 are all served, threads are seen where they block", async () => {
    const o = await promUntil(PROM, 'sum by (node) (socklab_probe_kernel_counter_total{field="ListenOverflows", server="gargalo"})', 'node', (v) => (v.get('node-2') ?? 0) > 0, 120_000);
    assert.ok((o.get('node-2') ?? 0) > 0, `ListenOverflows on node-2: ${JSON.stringify([...o])}`);
    const challenge = await promUntil(PROM, 'max by (instance) (socklab_swarm_connections_total{server="event-loop", outcome="ok"})', 'instance', (v) => [...v.values()].some((x) => x >= 200), 120_000);
    assert.ok([...challenge.values()].some((x) => x >= 200), `the 200-connection wave: ${JSON.stringify([...challenge])}`);
    const accept = await promUntil(PROM, 'sum by (server) (socklab_probe_threads_blocked{call="accept", node="node-2"})', 'server', (v) => (v.get('sequential') ?? 0) >= 1, 60_000);
    assert.ok((accept.get('sequential') ?? 0) >= 1, `sequential's thread waits in accept: ${JSON.stringify([...accept])}`);
  });

  it('docker stack rm and socklab cluster down leave nothing on the host', async () => {
    assert.equal(stack(['stack', 'rm', 'socklab']).status, 0);
    const down = socklab(['cluster', 'down']);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stderr, /removed 3 nodes, 1 networks, 3 volumes/);
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] });
  });
});
