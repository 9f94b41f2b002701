import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { IMAGES, LAB_IMAGES, PROMETHEUS_PORT } from '@socklab/shared';
import { roleLabels } from '../roles/common.js';
import { probeSpec, startProbe } from '../roles/probe.js';
import { serverSpec } from '../roles/server.js';
import { startRole } from '../roles/ready.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { OPEN_FILES_COMMAND, openFilesFrom } from './limits.js';
import { processesFor } from '../plan/capacity.js';

export interface Check {
  readonly what: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  readonly fix?: string;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** The engine's open-files limit per process, as a lab container gets it: how many connections one process holds. */
function openFilesCheck(limit: number | null): Check {
  if (limit === null) return { what: 'open files', status: 'warn', detail: 'could not be read (ulimit -n)' };
  const detail = `${limit.toLocaleString('en-US')} per process in a lab container: one process holds at most about that many connections`;
  return limit >= 100_000
    ? { what: 'open files', status: 'ok', detail }
    : { what: 'open files', status: 'ok', detail: `${detail}; ${processesFor(100_000, limit)} event-loop-workers processes hold 100,000` };
}

/**
 * What `socklab doctor` checks, each ok / warn / fail with the fix. The kernel checks start a real server and
 * probe on a private internal network (removed afterwards), so they answer for the namespaces the lab will use.
 */
export async function doctorChecks(rt: ContainerRuntime): Promise<Check[]> {
  const out: Check[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  out.push(major >= 20 ? { what: 'Node.js', status: 'ok', detail: process.version } : { what: 'Node.js', status: 'fail', detail: process.version, fix: 'install Node.js 20 or later' });
  try {
    await rt.ping();
    const e = await rt.engineInfo();
    const [maj, min] = e.version.split('.').map(Number);
    const old = (maj ?? 0) < 20 || ((maj ?? 0) === 20 && (min ?? 0) < 10);
    out.push({ what: 'Docker engine', status: old ? 'warn' : 'ok', detail: `${e.version} on ${e.os} (${e.arch}), kernel ${e.kernel}, cgroup ${e.cgroup}`, ...(old && { fix: 'Docker 20.10 or later is what socklab is tested with' }) });
  } catch (err) {
    out.push({ what: 'Docker engine', status: 'fail', detail: (err as Error).message, fix: 'start Docker Desktop, or `sudo dockerd` on Linux; DOCKER_HOST selects another engine' });
    return out;
  }
  let imagesOk = true;
  for (const name of LAB_IMAGES) {
    const i = await rt.imageInfo(name);
    if (!i) imagesOk = imagesOk && name === IMAGES.prometheus;
    out.push(i ? { what: `image ${name}`, status: 'ok', detail: `${(i.sizeBytes / 1e6).toFixed(0)} MB, ${i.id.slice(7, 19)}` } : { what: `image ${name}`, status: name === IMAGES.prometheus ? 'warn' : 'fail', detail: 'not built', fix: '`npx socklab build` (or `npm run images`)' });
  }
  if (imagesOk) {
    const run = `doctor-${randomBytes(3).toString('hex')}`;
    const ctx = { run, network: run, prefix: run };
    try {
      await rt.createNetwork(run, roleLabels(run, 'network'), true);
      const server = serverSpec(ctx, { name: 'server', model: 'event-loop', sysctls: { 'net.ipv4.tcp_abort_on_overflow': '1', 'net.core.somaxconn': '1024' } });
      let handle;
      try {
        handle = await startRole(rt, server);
        out.push({ what: 'per-namespace sysctls', status: 'ok', detail: 'net.core.somaxconn and net.ipv4.tcp_abort_on_overflow can be set per container' });
      } catch (err) {
        out.push({ what: 'per-namespace sysctls', status: 'warn', detail: (err as Error).message.split('\n')[0] ?? '', fix: 'scenarios that set --sysctl will not run on this engine' });
        handle = await startRole(rt, serverSpec(ctx, { name: 'server', model: 'event-loop' }));
      }
      out.push(openFilesCheck(openFilesFrom((await handle.exec(OPEN_FILES_COMMAND)).stdout)));
      const { capabilities: offers } = await (await startProbe(rt, probeSpec(ctx, server))).shaping();
      out.push(
        offers.netem
          ? { what: 'link shaping', status: 'ok', detail: 'tc netem is available' }
          : offers.nfqueue
            ? { what: 'link shaping', status: 'ok', detail: `no netem in this kernel: the NFQUEUE fallback shapes delay, jitter and loss${offers.tbf ? ' (tbf for rate)' : ''}` }
            : { what: 'link shaping', status: 'warn', detail: `the kernel offers neither netem nor NFQUEUE${offers.tbf ? ' (tbf: rate only)' : ''}`, fix: 'without netem or NFQUEUE, delay, jitter and loss are not available' },
      );
    } catch (err) {
      out.push({ what: 'lab containers', status: 'fail', detail: (err as Error).message.split('\n').slice(0, 3).join(' '), fix: 'see the message; `npx socklab build` rebuilds the images' });
    } finally {
      await rt.removeLabelled(run);
    }
  }
  for (const [port, what] of [[PROMETHEUS_PORT, 'Prometheus'], [3000, 'Grafana']] as const) {
    const free = await portFree(port);
    out.push(free ? { what: `port ${port}`, status: 'ok', detail: `free for ${what}` } : { what: `port ${port}`, status: 'warn', detail: `in use: the lab's ${what} cannot publish it`, fix: `stop what uses it, or set SOCKLAB_${what.toUpperCase()}_PORT` });
  }
  return out;
}
