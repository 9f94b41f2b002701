import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil, SWARM_METRICS } from '@socklab/shared';
import type { ProbeState } from '@socklab/shared/results';
import { Lab, metricValue, type Started } from './support/lab.js';
import { startReference } from './support/references.js';

type Proc = NonNullable<ProbeState['threads']>[number];

describe('where every thread is blocked, read from the kernel by the probe', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create('threads');
  });
  after(async () => {
    await lab?.[Symbol.asyncDispose]();
  });

  /** The probe's view of the server's processes, polled until `ok` holds (or the time is up: the last one). */
  async function until(probe: Started, ok: (p: Proc[]) => boolean, ms = 8000): Promise<Proc[]> {
    let last: Proc[] = [];
    const found = await pollUntil(
      async () => {
        last = (await lab.probeState(probe)).threads ?? [];
        return ok(last) ? last : undefined;
      },
      { everyMs: 250, timeoutMs: ms },
    );
    return found ?? last;
  }
  const sum = (ps: Proc[], call: keyof Proc['byCall']): number => ps.reduce((a, p) => a + p.byCall[call], 0);

  it('sequential at rest: its one serving thread waits in accept', async () => {
    const server = await lab.server({ MODEL: 'sequential' }, { name: 'seq' });
    const probe = await lab.probe(server, { REFRESH: '250ms' }, 'seq-probe');
    const ps = await until(probe, (p) => sum(p, 'accept') === 1);
    assert.equal(sum(ps, 'accept'), 1, JSON.stringify(ps));
    assert.ok(ps.some((p) => (p.syscalls.accept ?? 0) + (p.syscalls.accept4 ?? 0) === 1), 'the raw syscall name is there');
  });

  it('the notebook\'s deadlock from both sides: the server waits in recv on an empty socket, the clients await the greeting', async () => {
    const server = await lab.server({ MODEL: 'sequential' }, { name: 'dead' });
    const probe = await lab.probe(server, { REFRESH: '250ms', STALL_THRESHOLD: '1s' }, 'dead-probe');
    const { container: swarm, done } = await lab.startSwarm(
      ['--target', lab.target('dead'), '--clients', '2', '--expect-greeting', '--read-timeout', '0', '--max-duration', '6s'],
      'dead-swarm',
    );
    const ps = await until(probe, (p) => sum(p, 'recv') === 1 && p.some((x) => x.stalledRecv === 1));
    assert.equal(sum(ps, 'recv'), 1, JSON.stringify(ps));
    assert.equal(sum(ps, 'accept'), 0, 'it is no longer in accept');
    assert.ok(ps.some((p) => p.stalledRecv === 1), 'flagged: blocked in recv with nothing to read');
    const m = await lab.scrape(swarm, 9464);
    assert.equal(metricValue(m, SWARM_METRICS.inFlightByPhase.name, { phase: 'awaiting_greeting' }), 2, m);
    assert.equal(metricValue(m, SWARM_METRICS.inFlightByPhase.name, { phase: 'awaiting_answer' }), 0);
    await done;
  });

  it('threaded under 10 clients with io work: 10 threads sleep, one waits in accept', async () => {
    const server = await lab.server({ MODEL: 'threaded', WORK: 'io:4s' }, { name: 'thr' });
    const probe = await lab.probe(server, { REFRESH: '250ms' }, 'thr-probe');
    const { done } = await lab.startSwarm(['--target', lab.target('thr'), '--preset', 'nervous', '--metrics-port', '0'], 'thr-swarm');
    const ps = await until(probe, (p) => sum(p, 'sleep') === 10 && sum(p, 'accept') === 1);
    assert.equal(sum(ps, 'sleep'), 10, JSON.stringify(ps));
    assert.equal(sum(ps, 'accept'), 1);
    assert.equal((await done).summary?.outcomes.ok, 10);
  });

  it('event-loop: its main thread waits in poll (epoll)', async () => {
    const server = await lab.server({ MODEL: 'event-loop' }, { name: 'loop' });
    const probe = await lab.probe(server, { REFRESH: '250ms' }, 'loop-probe');
    const ps = await until(probe, (p) => sum(p, 'poll') >= 1);
    assert.ok(sum(ps, 'poll') >= 1, JSON.stringify(ps));
    assert.equal(sum(ps, 'accept'), 0, 'no thread blocks in accept');
  });

  it('a server written without socklab (a few lines of plain Node) is observed the same way', async () => {
    // The reference: a plain Node image (not socklab's), started by testcontainers (not socklab's roles).
    const plain = await startReference({
      run: lab.run,
      name: 'plain',
      network: { join: lab.network },
      cmd: ['node', '-e', "require('net').createServer((s) => s.on('data', () => setTimeout(() => s.end('hi\\n'), 3000))).listen(7000, () => console.log('listening'))"],
      readyLine: /listening/,
    });
    const probe = await lab.probe(plain, { REFRESH: '250ms' }, 'plain-probe');
    // Node 24 names its main thread MainThread: that process, with its event loop in epoll.
    const ps = await until(probe, (p) => p.length === 1 && sum(p, 'poll') >= 1);
    assert.equal(ps.length, 1, `one process besides the probe's own: ${JSON.stringify(ps)}`);
    assert.ok(sum(ps, 'poll') >= 1, JSON.stringify(ps));
    assert.equal(sum(ps, 'accept'), 0);
    const run = await lab.swarm(['--target', lab.target('plain'), '--clients', '3', '--metrics-port', '0'], 'plain-swarm');
    assert.equal(run.summary?.outcomes.ok, 3);
  });
});
