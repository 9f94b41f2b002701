import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime, type FakeScript } from '../runtime/fake.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { clusterUp } from './cluster.js';

const PORTS = { engine: 23750, prometheus: 9090, grafana: 3000 };
const ok = { exitCode: 0, stdout: 'token\n', stderr: '' };

/** Nodes whose engines answer; every command a node is asked to run is kept, with the node's hostname. */
function answering(asked: string[]): (spec: ContainerSpec) => FakeScript {
  return (spec) => ({ exec: (cmd) => (asked.push(`${spec.engine?.hostname}: ${cmd.join(' ')}`), ok) });
}

describe('socklab cluster up', () => {
  for (const [count, labels] of [
    [1, []],
    [2, ['socklab.role=clients node-1', 'socklab.role=servers node-2']],
    [3, ['socklab.role=manager node-1', 'socklab.role=servers node-2', 'socklab.role=clients node-3']],
    [4, ['socklab.role=manager node-1', 'socklab.role=servers node-2', 'socklab.role=clients node-3', 'socklab.role=clients node-4']],
  ] as const) {
    it(`labels ${count} node(s) for placement: servers on node-2, clients apart from them, the manager kept for Prometheus from 3 nodes`, async () => {
      const asked: string[] = [];
      const rt = new FakeRuntime(answering(asked));
      const up = await clusterUp(rt, count, PORTS, () => {});
      assert.equal(up.nodes.length, count);
      const given = asked.filter((c) => c.includes('--label-add')).map((c) => c.replace(/^.*--label-add /, ''));
      assert.deepEqual(given, labels);
      assert.equal(asked.filter((c) => c.includes('swarm join ')).length, count - 1, 'every worker joins');
      assert.equal(asked.filter((c) => c.endsWith('docker load -q')).length, count + 1, 'every node loads the images, the manager Grafana\'s too');
    });
  }

  it("loads Grafana's image into the manager alone where the host has it, and says so where it has not", async () => {
    const asked: string[] = [];
    const rt = new FakeRuntime(answering(asked));
    const said: string[] = [];
    await clusterUp(rt, 3, PORTS, (l) => said.push(l));
    assert.deepEqual(asked.filter((c) => c.endsWith('docker load -q')).map((c) => c.split(':')[0]), ['node-1', 'node-2', 'node-3', 'node-1']);
    assert.ok(said.some((l) => /grafana\/grafana:13\.0\.1 loaded into socklab-cluster-node-1/.test(l)), said.join('\n'));
    const without = new FakeRuntime(answering([]));
    without.missingImages.add('grafana/grafana:13.0.1');
    const told: string[] = [];
    await clusterUp(without, 2, PORTS, (l) => told.push(l));
    assert.ok(told.some((l) => /grafana\/grafana:13\.0\.1 is not here to load: the manager pulls it/.test(l)), told.join('\n'));
  });

  it("where a node's engine never answers: fails naming the node and its last lines, and removes everything it made", async () => {
    const rt = new FakeRuntime((spec) => ({
      lines: [{ stream: 'stderr', line: 'failed to start daemon: Devices cgroup isn\'t mounted' }],
      exec: (cmd) => (cmd[1] === 'info' && spec.engine?.hostname === 'node-2' ? { exitCode: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon' } : ok),
    }));
    await assert.rejects(clusterUp(rt, 3, PORTS, () => {}, 1500), (e: Error) => {
      assert.match(e.message, /the engine in socklab-cluster-node-2 did not answer within 1\.5 s/);
      assert.match(e.message, /Devices cgroup isn't mounted/);
      return true;
    });
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] });
  });

  it('refuses a rootless engine before making anything, naming why', async () => {
    const rt = new FakeRuntime(answering([]));
    rt.rootless = true;
    await assert.rejects(clusterUp(rt, 3, PORTS, () => {}), /this Docker engine runs rootless: it cannot run the Docker engines a cluster node is/);
    assert.deepEqual(rt.started, [], 'no node started');
    assert.deepEqual(await rt.listLabelled('cluster'), { containers: [], networks: [], volumes: [] });
  });

  it('refuses to start a second cluster beside one that is here, and leaves the first alone', async () => {
    const rt = new FakeRuntime(answering([]));
    await clusterUp(rt, 2, PORTS, () => {});
    await assert.rejects(clusterUp(rt, 3, PORTS, () => {}), /a socklab cluster is here already/);
    assert.equal((await rt.listLabelled('cluster')).containers.length, 2);
  });
});
