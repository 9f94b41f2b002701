import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '@socklab/orchestrator';
import { pollUntil } from '@socklab/shared';
import { until as promUntil } from './support/prometheus.js';

/**
 * The same lab on Docker Swarm, on a single-node swarm made for the test: `docker stack deploy` of the base file
 * with docker-stack.yml, clients reaching servers over the overlay network, Prometheus finding every task by DNS,
 * each server's own observer on :9465; `docker stack rm` leaves nothing, and the node leaves the swarm again.
 */
const STACK = 'socklabtest';
const PORT = 19092;
const ENV = { ...process.env, SOCKLAB_PROMETHEUS_PORT: String(PORT), SOCKLAB_WAVE_EVERY: '4s', SOCKLAB_GARGALO_EVERY: '6s' };
const docker = (args: string[]) => spawnSync('docker', args, { cwd: REPO_ROOT, encoding: 'utf8', env: ENV, timeout: 120_000 });
const swarmState = (): string => docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).stdout.trim();

const until = (expr: string, ok: (v: Map<string, number>) => boolean, ms?: number) => promUntil(PORT, expr, 'server', ok, ms);

const SERVERS = ['sequential', 'gargalo', 'threaded', 'event-loop'];
const leftovers = (): string[] =>
  [['service', 'ls'], ['network', 'ls'], ['ps', '-a']].flatMap((k) => docker([...k, '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`]).stdout.trim().split('\n').filter(Boolean));

// A swarm of one node, made by the test (in its before hook) unless this engine is in one already (then it is left as
// it was), and left again on every exit path.
let initialized = false;
let cannot: string | false = false;
function joinSwarm(): void {
  if (swarmState() === 'active') return;
  const init = docker(['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  if (init.status === 0) initialized = true;
  else cannot = `docker swarm init failed here: ${init.stderr.trim()}`;
}
function leaveSwarm(): void {
  if (initialized) docker(['swarm', 'leave', '--force']);
  initialized = false;
}

/** Docker 20.10's CLI, where the machine has one (Debian 12's docker.io: CI installs it for the engine). */
const OLD_CLI = '/usr/bin/docker';
const oldCli = spawnSync(OLD_CLI, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8' }).stdout?.trim() ?? '';

describe('docker stack deploy, on a swarm of one node made for the test', () => {
  before(joinSwarm);
  after(leaveSwarm);

describe("docker stack deploy with Docker 20.10's CLI: the README's version-line copies", { skip: oldCli.startsWith('20.10') ? false : `no Docker 20.10 CLI at ${OLD_CLI}` }, () => {
  const OLD = `${STACK}old`;
  const env = { ...ENV, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
  const sh = (script: string) => spawnSync('bash', ['-c', script], { cwd: REPO_ROOT, encoding: 'utf8', env, timeout: 120_000 });
  // Swarm keeps a stack's named volumes (Prometheus' targets): removed with the stack, on every way out.
  const volumesOf = `docker volume ls -q --filter label=com.docker.stack.namespace=${OLD}`;
  after(() => {
    sh(`docker stack rm ${OLD}; rm -f .docker-compose.v3.8.yml .docker-stack.v3.8.yml`);
    sh(`for i in $(seq 30); do v=$(${volumesOf}); [ -z "$v" ] && break; docker volume rm $v >/dev/null 2>&1 || sleep 1; done`);
  });

  it('refuses the files as they are (no version line), and deploys every service from the copies the README makes', async (t) => {
    if (cannot) return t.skip(cannot);
    assert.match(sh('docker version --format {{.Client.Version}}').stdout, /^20\.10/);
    const plain = sh(`docker stack deploy --resolve-image never -c docker-compose.yml -c docker-stack.yml ${OLD}`);
    assert.notEqual(plain.status, 0);
    assert.match(plain.stderr, /unsupported Compose file version: 1\.0/);
    // The README's two lines, as written (but the stack's name).
    const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const lines = /```sh\n(for f in docker-compose docker-stack;[^\n]*)\n(docker stack deploy -c \.docker-compose[^\n]*)\n```/.exec(readme);
    assert.ok(lines, 'the README shows the two lines');
    const deploy = sh(`${lines[1]}\n${lines[2]!.replace(/ socklab$/, ` --resolve-image never ${OLD}`)}`);
    assert.equal(deploy.status, 0, deploy.stderr);
    const services = sh(`docker stack services ${OLD} --format '{{.Name}}'`).stdout.trim().split('\n').map((n) => n.replace(`${OLD}_`, '')).sort();
    assert.deepEqual(services, [...SERVERS, ...SERVERS.map((x) => `${x}-clients`), 'event-loop-challenge', 'grafana', 'prometheus'].sort());
    const mode = sh(`docker service inspect ${OLD}_gargalo --format '{{.Spec.EndpointSpec.Mode}} {{range .Spec.TaskTemplate.ContainerSpec.Env}}{{.}} {{end}}'`).stdout;
    assert.match(mode, /^dnsrr .*OBSERVE=1/, 'the stack overlay is laid over the base');
    assert.equal(sh(`docker stack rm ${OLD}`).status, 0);
    await pollUntil(() => (sh(`docker ps -aq --filter label=com.docker.stack.namespace=${OLD}; docker network ls -q --filter label=com.docker.stack.namespace=${OLD}`).stdout.trim() === '' ? true : undefined), { everyMs: 1000, timeoutMs: 60_000 });
    const volumes = sh(volumesOf).stdout.trim();
    if (volumes !== '') assert.equal(sh(`docker volume rm ${volumes.split('\n').join(' ')}`).status, 0);
    assert.equal(sh(`docker ps -aq --filter label=com.docker.stack.namespace=${OLD}; docker network ls -q --filter label=com.docker.stack.namespace=${OLD}; ${volumesOf}`).stdout.trim(), '', 'nothing of the stack left');
  });
});

describe('docker stack deploy: the lab on Docker Swarm', () => {
  before(() => {
    if (cannot) return;
    const deploy = docker(['stack', 'deploy', '--resolve-image', 'never', '-c', 'docker-compose.yml', '-c', 'docker-stack.yml', STACK]);
    assert.equal(deploy.status, 0, deploy.stderr);
  });
  after(() => {
    docker(['stack', 'rm', STACK]);
  });

  it('clients reach every server across the overlay, and Prometheus scrapes servers, observers and clients', async (t) => {
    if (cannot) return t.skip(cannot);
    const accepted = await until('sum by (server) (socklab_server_connections_accepted_total{role="server"})', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > 0));
    for (const s of SERVERS) assert.ok((accepted.get(s) ?? 0) > 0, `${s} accepted over the overlay: ${JSON.stringify([...accepted])}`);
    const ok = await until('sum by (server) (socklab_swarm_connections_total{outcome="ok"})', (v) => SERVERS.every((s) => (v.get(s) ?? 0) > 0));
    for (const s of SERVERS) assert.ok((ok.get(s) ?? 0) > 0, `the clients of ${s} were served: ${JSON.stringify([...ok])}`);
  });

  it('each server\'s own observer gives the kernel\'s view: gargalo overflows, threads are seen where they block', async (t) => {
    if (cannot) return t.skip(cannot);
    const o = await until('sum by (server) (socklab_probe_kernel_counter_total{field="ListenOverflows", role="probe"})', (v) => (v.get('gargalo') ?? 0) > 0);
    assert.ok((o.get('gargalo') ?? 0) > 0, `gargalo ListenOverflows ${o.get('gargalo')}`);
    const accept = await until('sum by (server) (socklab_probe_threads_blocked{call="accept", role="probe"})', (v) => (v.get('sequential') ?? 0) >= 1);
    assert.ok((accept.get('sequential') ?? 0) >= 1, `a thread of sequential waits in accept: ${JSON.stringify([...accept])}`);
  });

  it('docker stack rm leaves no service, network or container, and the node can leave the swarm', async (t) => {
    if (cannot) return t.skip(cannot);
    const rm = docker(['stack', 'rm', STACK]);
    assert.equal(rm.status, 0, rm.stderr);
    await pollUntil(() => (leftovers().length === 0 ? true : undefined), { everyMs: 1000, timeoutMs: 60_000 });
    assert.deepEqual(leftovers(), []);
    // Swarm keeps a stack's named volumes (Prometheus' targets); they carry the lab's labels, so they go by label
    // (`socklab down --run lab` for a user; here only this stack's, to leave any other lab alone).
    const volumes = docker(['volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`, '--filter', 'label=socklab.run=lab']).stdout.trim().split('\n').filter(Boolean);
    if (volumes.length > 0) assert.equal(docker(['volume', 'rm', ...volumes]).status, 0);
    assert.equal(docker(['volume', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${STACK}`]).stdout.trim(), '', 'no volume left');
    if (initialized) {
      assert.equal(docker(['swarm', 'leave', '--force']).status, 0);
      assert.equal(swarmState(), 'inactive');
      initialized = false;
    }
  });
});
});
