import { Transform } from 'node:stream';
import { IMAGES, LAB_IMAGES, LABELS, pollUntil } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { REPO_ROOT } from '../paths.js';
import type { ContainerHandle, ContainerRuntime, LabelledResources } from '../runtime/runtime.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { grafanaImage } from '../lab/compose-lab.js';

/**
 * `socklab cluster`: a Docker Swarm of engines in containers on one machine (a teacher's laptop), so the lab's
 * stack file runs across nodes as on a class's real machines: node-1 the manager (Prometheus and Grafana), node-2
 * the servers, node-3 and on the clients. Everything carries socklab.run=cluster; `cluster down` removes it all.
 */
const CLUSTER_RUN = 'cluster';
const NETWORK = 'socklab-cluster';
const SUBNET = '172.31.240.0/24';

export interface ClusterPorts {
  /** The manager's engine API, on the host's loopback (DOCKER_HOST=tcp://127.0.0.1:<engine>). */
  readonly engine: number;
  readonly prometheus: number;
  readonly grafana: number;
}

export interface ClusterNode {
  readonly name: string;
  readonly hostname: string;
  readonly address: string;
  /** Placement label (socklab.role) of the node; `none` on a swarm of one, which runs everything. */
  readonly role: 'manager' | 'servers' | 'clients' | 'none';
}

const nodeName = (i: number): string => `socklab-cluster-node-${i}`;
const hostname = (i: number): string => `node-${i}`;
/**
 * node-2 takes the servers, node-3 on the clients; node-1 manages (Prometheus, Grafana) and takes the clients too
 * where no node is left for them. The stack keeps servers and clients off a node labelled `manager`.
 */
function roleOf(i: number, count: number): ClusterNode['role'] {
  if (count === 1) return 'none';
  if (i === 1) return count >= 3 ? 'manager' : 'clients';
  return i === 2 ? 'servers' : 'clients';
}

function nodeSpec(i: number, ports: ClusterPorts): ContainerSpec {
  return {
    name: nodeName(i),
    role: 'cluster-node',
    image: IMAGES.clusterNode,
    env: {},
    cmd: [],
    labels: { [LABELS.run]: CLUSTER_RUN, [LABELS.role]: 'cluster-node', 'socklab.node': hostname(i) },
    network: { kind: 'bridge', network: NETWORK, aliases: [hostname(i)] },
    sysctls: {},
    capAdd: [],
    engine: {
      hostname: hostname(i),
      dataVolume: `${nodeName(i)}-data`,
      // The manager publishes its engine, Prometheus and Grafana (both placed on it) on the host's loopback.
      publish: i === 1 ? [{ hostPort: ports.engine, containerPort: 2375 }, { hostPort: ports.prometheus, containerPort: ports.prometheus }, { hostPort: ports.grafana, containerPort: ports.grafana }] : [],
      // The repository at the same path: a stack deployed from the host binds ./grafana and finds it on the node.
      bindSame: [REPO_ROOT],
    },
    ready: { kind: 'none' },
  };
}

/** Run a command in a node; its output, or an error naming the node, the command and what it said. */
async function inNode(node: ContainerHandle, cmd: string[]): Promise<string> {
  const r = await node.exec(cmd);
  if (r.exitCode !== 0) throw new SocklabError(`${node.name}: \`${cmd.join(' ')}\` failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
  return r.stdout.trim();
}

/** Wait until a node's engine answers, up to `readyMs`; otherwise fail naming it with its last log lines. */
async function engineUp(node: ContainerHandle, readyMs: number): Promise<void> {
  const up = await pollUntil(async () => ((await node.exec(['docker', 'info', '--format', '{{.ServerVersion}}'])).exitCode === 0 ? true : undefined), { everyMs: 500, timeoutMs: readyMs });
  if (up) return;
  const ended = await node.exited();
  throw new SocklabError(`the engine in ${node.name} did not answer within ${readyMs / 1000} s${ended ? ` (the node ended: exit ${ended.code})` : ''}; its last lines:\n${await node.tail(12)}`, {
    hint: 'a node needs cgroup write access and every capability but SYS_RESOURCE; a rootless engine cannot run nodes',
  });
}

export interface ClusterUp {
  readonly nodes: readonly ClusterNode[];
  readonly ports: ClusterPorts;
}

/**
 * Start `count` nodes, make them a swarm, label them for placement and load socklab's images into each (with
 * progress). On any failure everything made is removed before the error goes up.
 */
export async function clusterUp(rt: ContainerRuntime, count: number, ports: ClusterPorts, log: (line: string) => void, readyMs = 60_000): Promise<ClusterUp> {
  const existing = await rt.listLabelled(CLUSTER_RUN);
  if (existing.containers.length + existing.networks.length + existing.volumes.length > 0) {
    throw new SocklabError('a socklab cluster is here already', { hint: '`socklab cluster status` shows it; `socklab cluster down` removes it' });
  }
  if ((await rt.engineInfo()).rootless) {
    throw new SocklabError('this Docker engine runs rootless: it cannot run the Docker engines a cluster node is', {
      hint: 'run `socklab cluster` against a rootful engine (DOCKER_HOST), or deploy the stack on real hosts',
    });
  }
  for (const image of LAB_IMAGES) if (!(await rt.imageInfo(image))) throw new SocklabError(`image ${image} is not here to load into the nodes`, { hint: 'build socklab\'s images first: `socklab build`' });
  try {
    await rt.createNetwork(NETWORK, { [LABELS.run]: CLUSTER_RUN, [LABELS.role]: 'network' }, false, SUBNET);
    const handles = await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        const i = k + 1;
        await rt.createVolume(`${nodeName(i)}-data`, { [LABELS.run]: CLUSTER_RUN, [LABELS.role]: 'volume' });
        return rt.start(nodeSpec(i, ports));
      }),
    );
    log(`${count} node${count > 1 ? 's' : ''} started; waiting for their engines`);
    await Promise.all(handles.map((h) => engineUp(h, readyMs)));
    const nodes = await Promise.all(handles.map(async (h, k) => ({ name: h.name, hostname: hostname(k + 1), address: await h.address(NETWORK), role: roleOf(k + 1, count) })));
    await formSwarm(handles, nodes, log);
    await loadImages(rt, handles, log);
    return { nodes, ports };
  } catch (e) {
    await rt.removeLabelled(CLUSTER_RUN).catch(() => {});
    throw e;
  }
}

/** node-1 inits the swarm on its cluster address; the others join it; node-2 and on get their placement label. */
async function formSwarm(handles: readonly ContainerHandle[], nodes: readonly ClusterNode[], log: (line: string) => void): Promise<void> {
  const [manager, ...workers] = handles;
  const managerAddr = nodes[0]!.address;
  await inNode(manager!, ['docker', 'swarm', 'init', '--advertise-addr', managerAddr]);
  const token = await inNode(manager!, ['docker', 'swarm', 'join-token', '-q', 'worker']);
  await Promise.all(workers.map((w, k) => inNode(w, ['docker', 'swarm', 'join', '--advertise-addr', nodes[k + 1]!.address, '--token', token, `${managerAddr}:2377`])));
  for (const n of nodes.filter((m) => m.role !== 'none')) await inNode(manager!, ['docker', 'node', 'update', '--label-add', `socklab.role=${n.role}`, n.hostname]);
  log(`swarm formed: ${nodes.map((n) => `${n.hostname} (${n.role}, ${n.address})`).join(', ')}`);
}

/** `docker save` of socklab's images into each node's `docker load`, in parallel, with the bytes sent as progress. */
async function loadImages(rt: ContainerRuntime, handles: readonly ContainerHandle[], log: (line: string) => void): Promise<void> {
  const t0 = performance.now();
  let sent = 0;
  const ticker = setInterval(() => log(`loading ${LAB_IMAGES.join(', ')} into ${handles.length} nodes: ${(sent / 1e6).toFixed(0)} MB sent`), 3000);
  try {
    await Promise.all(
      handles.map(async (h) => {
        // Count the bytes as they pass, without a 'data' listener: that would start the flow before the exec reads it.
        const counted = new Transform({ transform: (c: Buffer, _e, done) => done(null, ((sent += c.length), c)) });
        const tar = (await rt.saveImages(LAB_IMAGES)).pipe(counted);
        const r = await h.execWithInput(['docker', 'load', '-q'], tar);
        if (r.exitCode !== 0) throw new SocklabError(`${h.name}: docker load failed: ${(r.stderr || r.stdout).trim()}`);
      }),
    );
  } finally {
    clearInterval(ticker);
  }
  log(`images loaded into every node (${(sent / 1e6).toFixed(0)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  await loadGrafana(rt, handles[0]!, log);
}

/** Grafana's image (the stack places Grafana on the manager) into the manager, where the host has it; else said. */
async function loadGrafana(rt: ContainerRuntime, manager: ContainerHandle, log: (line: string) => void): Promise<void> {
  const image = grafanaImage();
  if (!(await rt.imageInfo(image))) {
    log(`${image} is not here to load: the manager pulls it when it reaches a registry; until then Grafana's task waits and the rest runs`);
    return;
  }
  const r = await manager.execWithInput(['docker', 'load', '-q'], await rt.saveImages([image]));
  if (r.exitCode !== 0) throw new SocklabError(`${manager.name}: docker load of ${image} failed: ${(r.stderr || r.stdout).trim()}`);
  log(`${image} loaded into ${manager.name} (Grafana runs on the manager)`);
}

/**
 * Each node's engine removes its own containers first, services before (so the swarm restarts none). The nodes
 * share the host's cgroup tree, and only the engine that made a container's cgroups removes them: a node removed
 * with containers still in it leaves their cgroup directories behind on the host, empty, for good. Bounded: a
 * node that does not answer in time is removed as it is.
 */
async function emptyNodes(rt: ContainerRuntime, withinMs: number): Promise<void> {
  const nodes = (await rt.containersOf(CLUSTER_RUN, 'cluster-node')).map((n) => n.handle);
  const inAll = (cmd: string): Promise<unknown> => Promise.all(nodes.map((h) => h.exec(['sh', '-c', cmd]).catch(() => undefined)));
  const emptied = (async () => {
    await inAll('docker service ls -q 2>/dev/null | xargs -r docker service rm >/dev/null 2>&1; true');
    await inAll('docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1; true');
  })();
  await Promise.race([emptied, new Promise((r) => setTimeout(r, withinMs).unref())]);
}

/** Remove every node (each emptied by its own engine first), its volume and the cluster's network. */
export async function clusterDown(rt: ContainerRuntime, withinMs = 30_000): Promise<LabelledResources> {
  await emptyNodes(rt, withinMs);
  return rt.removeLabelled(CLUSTER_RUN);
}

export interface ClusterStatus {
  readonly nodes: ReadonlyArray<{ readonly container: string; readonly running: boolean }>;
  /** The manager's view: `docker node ls` and `docker stack ps` of every stack, as it prints them. */
  readonly swarm: string;
  readonly tasks: string;
}

/** The nodes, and the swarm's own view of its nodes and tasks (from the manager). */
export async function clusterStatus(rt: ContainerRuntime): Promise<ClusterStatus | null> {
  const found = await rt.containersOf(CLUSTER_RUN, 'cluster-node');
  if (found.length === 0) return null;
  const nodes = await Promise.all(found.map(async (c) => ({ container: c.handle.name, running: (await c.handle.exited()) === null })));
  nodes.sort((a, b) => a.container.localeCompare(b.container));
  const manager = found.find((c) => c.labels['socklab.node'] === hostname(1))?.handle;
  const ask = async (cmd: string[]): Promise<string> => (manager ? await inNode(manager, cmd).catch((e: Error) => e.message) : 'no manager (node-1) here');
  const swarm = await ask(['docker', 'node', 'ls', '--format', '{{.Hostname}}\t{{.Status}}\t{{.Availability}}\t{{.ManagerStatus}}']);
  const tasks = await ask(['sh', '-c', 'for s in $(docker stack ls --format "{{.Name}}"); do docker stack ps "$s" --format "{{.Name}}\t{{.Node}}\t{{.CurrentState}}"; done']);
  return { nodes, swarm, tasks };
}
