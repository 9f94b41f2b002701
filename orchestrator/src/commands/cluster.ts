import type { Command } from 'commander';
import { IMAGES, parseInteger } from '@socklab/shared';
import { clusterDown, clusterStatus, clusterUp } from '../cluster/cluster.js';
import { REPO_ROOT } from '../paths.js';
import { DockerRuntime } from '../runtime/docker.js';
import { buildClusterNode } from '../runtime/images.js';
import { automaticBuild, buildOnFirstUse, missingLabImages } from './first-use.js';

const say = (line: string): void => console.error(`socklab cluster: ${line}`);

function registerUp(cluster: Command): void {
  cluster
    .command('up')
    .description('start a Docker Swarm of engines in containers on this machine: node-1 manages, node-2 takes the servers, the others the clients')
    .option('--nodes <n>', 'how many nodes (1 to 5)', '3')
    .option('--engine-port <port>', "the manager's engine API on 127.0.0.1 (for DOCKER_HOST)", '23750')
    .action(async (o: { nodes: string; enginePort: string }) => {
      const nodes = parseInteger(o.nodes, '--nodes', 1, 5);
      const ports = {
        engine: parseInteger(o.enginePort, '--engine-port', 1024, 65535),
        prometheus: parseInteger(process.env.SOCKLAB_PROMETHEUS_PORT ?? '9090', 'SOCKLAB_PROMETHEUS_PORT', 1, 65535),
        grafana: parseInteger(process.env.SOCKLAB_GRAFANA_PORT ?? '3000', 'SOCKLAB_GRAFANA_PORT', 1, 65535),
      };
      const rt = new DockerRuntime();
      await rt.ping();
      const missing = await missingLabImages(rt);
      if (missing.length > 0) await buildOnFirstUse(rt)(missing);
      if (!(await rt.imageInfo(IMAGES.clusterNode))) {
        say(`building ${IMAGES.clusterNode} (a Docker engine in a container), once`);
        await buildClusterNode(rt, automaticBuild());
      }
      const t0 = performance.now();
      // Ctrl-C while the nodes come up: remove what was made, then give the terminal back.
      const onSignal = (): void => {
        say('interrupted: removing the cluster');
        void clusterDown(rt).finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const up = await clusterUp(rt, nodes, ports, say).finally(() => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      });
      say(`${nodes} node${nodes > 1 ? 's' : ''} up in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${up.nodes.map((n) => `${n.hostname} (${n.role})`).join(', ')}`);
      console.error(`
  The lab's stack on it, from ${REPO_ROOT}:
    export DOCKER_HOST=tcp://127.0.0.1:${ports.engine}
    docker stack deploy -c docker-compose.yml -c docker-stack.yml socklab
  with link shaping (e.g. SOCKLAB_DELAY=100ms): add -c docker-stack-shaping.yml
  Prometheus: http://localhost:${ports.prometheus}   Grafana: http://localhost:${ports.grafana}
  socklab cluster status   nodes and tasks;   socklab cluster down   removes it all`);
    });
}

export function registerCluster(program: Command): void {
  const cluster = program.command('cluster').description('a Docker Swarm of engines in containers on this machine, to run the lab across nodes');
  registerUp(cluster);
  cluster
    .command('down')
    .description('remove every node of the cluster, its volumes and its network')
    .action(async () => {
      const rt = new DockerRuntime();
      await rt.ping();
      const r = await clusterDown(rt);
      say(`removed ${r.containers.length} nodes, ${r.networks.length} networks, ${r.volumes.length} volumes`);
    });
  cluster
    .command('status')
    .description("the cluster's nodes, and the swarm's own view of its nodes and tasks")
    .action(async () => {
      const rt = new DockerRuntime();
      await rt.ping();
      const s = await clusterStatus(rt);
      if (!s) {
        say('no cluster here (`socklab cluster up` starts one)');
        return;
      }
      console.log(s.nodes.map((n) => `${n.container}\t${n.running ? 'running' : 'stopped'}`).join('\n'));
      console.log(`\nnodes (the manager's view):\n${s.swarm}\n\ntasks:\n${s.tasks || '(none)'}`);
    });
}
