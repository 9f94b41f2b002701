import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGES, MODELS, SERVER_METRICS as M, SERVER_METRICS_PORT, SERVER_SAMPLE_PATH } from '@socklab/shared';
import { Lab, metricValue, sampleWhile, type Started, type SwarmRun } from './support/lab.js';

const MiB = 1024 * 1024;
const sorted = (run: SwarmRun): number[] => (run.summary?.connections ?? []).map((c) => c.totalMs).sort((a, b) => a - b);
const near = (actual: number | undefined, expected: number, tol: number, what: string): void => {
  assert.ok(actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: ${actual} is not ${expected}±${tol}`);
};

describe('server models, as a student would observe them', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create('models');
  });
  after(async () => {
    await lab?.[Symbol.asyncDispose]();
  });

  const metrics = async (server: Started, name: string, labels: Record<string, string> = {}): Promise<number> => {
    const v = metricValue(await lab.scrape(server), name, labels);
    assert.ok(v !== undefined, `metric ${name} missing`);
    return v;
  };

  it('sequential serves one client at a time: 3 clients at once finish at about 1, 2 and 3 s', async () => {
    const server = await lab.server({ MODEL: 'sequential', WORK: 'io:1s' }, { name: 'seq' });
    const run = await lab.swarm(['--target', lab.target('seq'), '--preset', 'client', '--metrics-port', '0'], 'seq-swarm');
    assert.equal(run.summary?.outcomes.ok, 3, run.logs);
    const t = sorted(run);
    near(t[0], 1000, 250, 'first');
    near(t[1], 2000, 250, 'second');
    near(t[2], 3000, 250, 'third');
    assert.equal(await metrics(server, M.inServicePeak.name), 1);
  });

  it("what a run samples ten times a second is the server's own figures, the same as the whole scrape's, without the runtime's", async () => {
    const server = await lab.server({ MODEL: 'event-loop', WORK: 'io:200ms' }, { name: 'own' });
    await lab.swarm(['--target', lab.target('own'), '--preset', 'client', '--metrics-port', '0'], 'own-swarm');
    const own = await lab.scrape(server, SERVER_METRICS_PORT, SERVER_SAMPLE_PATH);
    const whole = await lab.scrape(server);
    const families = (text: string): Set<string> => new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]!));
    const ownFamilies = families(own);
    assert.deepEqual([...families(whole)].filter((f) => f.startsWith('socklab_') || f.startsWith('process_cpu_') || f === 'process_resident_memory_bytes').sort(), [...ownFamilies].sort());
    assert.ok(![...ownFamilies].some((f) => f.startsWith('nodejs_')), "none of the runtime's default families");
    for (const name of [M.connectionsAccepted.name, M.inServicePeak.name]) assert.equal(metricValue(own, name, {}), metricValue(whole, name, {}), name);
    // The process's CPU is read at each sample, not left at its first value: it has run, so it is above 0.
    assert.ok((metricValue(own, 'process_cpu_seconds_total', {}) ?? 0) > 0, `the CPU counter is read: ${own.split('\n').find((l) => l.startsWith('process_cpu_seconds_total'))}`);
  });

  it('sequential with listen(1): the accept queue holds 2, ListenOverflows rises, and clients time out connecting', async () => {
    const server = await lab.server({ MODEL: 'sequential', BACKLOG: '1', WORK: 'io:2s' }, { name: 'gargalo' });
    const before = await lab.kernel(server);
    const { result: run, samples } = await sampleWhile(
      // 10 clients 10 ms apart, like the course's threads started in a loop: SYNs that arrive once the queue is
      // full are dropped (a burst of SYNs all get SYN-ACKs first, and the kernel drops their final ACKs instead).
      lab.swarm(
        ['--target', lab.target('gargalo'), '--clients', '10', '--arrival', 'steady', '--rate', '100', '--duration', '100ms',
          '--connect-timeout', '3s', '--read-timeout', '15s', '--metrics-port', '0'],
        'gargalo-swarm',
      ),
      150,
      () => lab.kernel(server),
    );
    const afterRun = await lab.kernel(server);
    // backlog + 1 as Linux allows; a third now and then, when two final ACKs pass the lockless "full?" check at once.
    const maxQueue = Math.max(...samples.map((s) => s.acceptQueue ?? 0));
    assert.ok(maxQueue >= 2 && maxQueue <= 3, `accept queue samples: ${samples.map((s) => s.acceptQueue).join(',')}`);
    assert.ok(afterRun.listenOverflows > before.listenOverflows, `ListenOverflows ${before.listenOverflows} -> ${afterRun.listenOverflows}`);
    const o = run.summary?.outcomes;
    assert.ok((o?.connect_timeout ?? 0) > 0, `some clients time out connecting: ${JSON.stringify(o)}`);
    assert.ok((o?.ok ?? 0) > 0, `the queued ones are served: ${JSON.stringify(o)}`);
    assert.equal(o?.refused, 0, 'Linux drops SYNs on a full queue; it never refuses');
    assert.equal(await metrics(server, M.backlogRequested.name), 1);
    assert.equal(await metrics(server, M.backlogEffective.name), 1);
  });

  /** A server of a model and the resident memory it grew by to serve the nervous client's 10 connections. */
  const tenClients = async (model: string, name: string): Promise<{ growth: number }> => {
    const server = await lab.server({ MODEL: model, WORK: 'io:1s' }, { name });
    const idleRss = await metrics(server, M.rss.name);
    const run = await lab.swarm(['--target', lab.target(name), '--preset', 'nervous', '--metrics-port', '0'], `${name}-10`);
    assert.equal(run.summary?.outcomes.ok, 10, run.logs);
    return { growth: (await metrics(server, M.rssPeak.name)) - idleRss };
  };

  it('threaded: 10 clients finish together on 10 more OS threads; 1,000 clients cost under 64 MiB', async () => {
    const server = await lab.server({ MODEL: 'threaded', WORK: 'io:1s' }, { name: 'threaded' });
    const idleThreads = await metrics(server, M.threads.name);
    const idleRss = await metrics(server, M.rss.name);
    const run = await lab.swarm(['--target', lab.target('threaded'), '--preset', 'nervous', '--metrics-port', '0'], 'threaded-10');
    assert.equal(run.summary?.outcomes.ok, 10, run.logs);
    assert.ok((sorted(run)[9] ?? Infinity) < 1500, `all within 1.5 s: ${sorted(run).join(', ')}`);
    const peakThreads = await metrics(server, M.threadsPeak.name);
    assert.ok(peakThreads >= idleThreads + 10, `threads ${idleThreads} -> peak ${peakThreads}`);

    const big = await lab.swarm(['--target', lab.target('threaded'), '--clients', '1000', '--metrics-port', '0'], 'threaded-1000');
    assert.equal(big.summary?.outcomes.ok, 1000, JSON.stringify(big.summary?.outcomes));
    const growth = (await metrics(server, M.rssPeak.name)) - idleRss;
    assert.ok(growth < 64 * MiB, `RSS grew ${(growth / MiB).toFixed(1)} MiB for 1000 threads`);
    assert.ok((await metrics(server, M.threadsPeak.name)) >= idleThreads + 900, 'about one thread per connection');
  });

  it('worker-threads: the same 10 clients cost far more memory on Node Workers than on OS threads', async () => {
    // Side by side in this test: the OS threads' cost measured here too, not borrowed from another test.
    const threads = await tenClients('threaded', 'threads-beside-workers');
    const { growth } = await tenClients('worker-threads', 'workers');
    assert.ok(growth > 20 * MiB, `10 Workers grew RSS by ${(growth / MiB).toFixed(1)} MiB`);
    assert.ok(growth > 5 * Math.max(threads.growth, 1), `Workers ${(growth / MiB).toFixed(1)} MiB vs pthreads ${(threads.growth / MiB).toFixed(2)} MiB`);
  });

  for (const model of ['pool', 'prefork'] as const) {
    it(`${model} of 4: 10 clients are served in three waves of about 1, 2 and 3 s`, async () => {
      const server = await lab.server({ MODEL: model, POOL_SIZE: '4', PROCESSES: '4', WORK: 'io:1s' }, { name: model });
      const run = await lab.swarm(['--target', lab.target(model), '--preset', 'nervous', '--read-timeout', '10s', '--metrics-port', '0'], `${model}-swarm`);
      assert.equal(run.summary?.outcomes.ok, 10, run.logs);
      const t = sorted(run);
      t.slice(0, 4).forEach((v) => near(v, 1000, 300, 'wave 1'));
      t.slice(4, 8).forEach((v) => near(v, 2000, 300, 'wave 2'));
      t.slice(8).forEach((v) => near(v, 3000, 300, 'wave 3'));
      assert.equal(await metrics(server, M.inServicePeak.name), 4);
      if (model === 'prefork') assert.equal(await metrics(server, M.processes.name), 4, 'four worker processes');
    });
  }

  it('event-loop: 200 clients with io work finish together on one thread; cpu work stalls everyone', async () => {
    const server = await lab.server({ MODEL: 'event-loop', WORK: 'io:1s' }, { name: 'loop' });
    const idleThreads = await metrics(server, M.threads.name);
    const run = await lab.swarm(['--target', lab.target('loop'), '--preset', 'challenge', '--metrics-port', '0'], 'loop-200');
    assert.equal(run.summary?.outcomes.ok, 200, JSON.stringify(run.summary?.outcomes));
    assert.ok((sorted(run)[199] ?? Infinity) < 1500, `slowest ${sorted(run)[199]} ms`);
    assert.ok((await metrics(server, M.threadsPeak.name)) <= idleThreads + 2, 'no thread per connection');
    assert.equal(await metrics(server, M.inServicePeak.name), 200);

    await lab.server({ MODEL: 'event-loop', WORK: 'cpu:200ms' }, { name: 'loop-cpu' });
    const cpu = await lab.swarm(['--target', lab.target('loop-cpu'), '--preset', 'nervous', '--metrics-port', '0'], 'loop-cpu-swarm');
    assert.equal(cpu.summary?.outcomes.ok, 10, cpu.logs);
    const last = sorted(cpu)[9] ?? 0;
    assert.ok(last >= 1900 && last < 3500, `10 x 200 ms of CPU on one thread: the last finishes at ${last} ms`);
  });

  it('event-loop-workers: 4 event loops in 4 processes, each on its own listening socket of the port, hold 3,000 connections where one process may open 1,024 files', async () => {
    // Each process may hold 1,024 open files: one event loop cannot hold 3,000 connections, four can (nginx's way).
    const held = ['--clients', '3000', '--arrival', 'steady', '--rate', '1500', '--duration', '2s', '--hold', '4s', '--connect-timeout', '10s', '--read-timeout', '20s', '--metrics-port', '0'];
    const one = await lab.server({ MODEL: 'event-loop', PROTOCOL: 'keepalive', BACKLOG: '4096' }, { name: 'one-loop', openFiles: 1024 });
    const alone = await lab.swarm(['--target', lab.target('one-loop'), ...held], 'one-loop-swarm');
    assert.ok((alone.summary?.outcomes.ok ?? 0) < 3000, `one process of 1,024 files cannot serve all 3,000 held at once: ${JSON.stringify(alone.summary?.outcomes)}`);
    await one.stop();

    const server = await lab.server({ MODEL: 'event-loop-workers', PROCESSES: '4', PROTOCOL: 'keepalive', BACKLOG: '4096' }, { name: 'loop-workers', openFiles: 1024 });
    assert.equal(await metrics(server, M.processes.name), 4, 'four worker processes');
    const { result: run, samples } = await sampleWhile(lab.swarm(['--target', lab.target('loop-workers'), ...held], 'loop-workers-swarm'), 500, () => lab.kernel(server));
    assert.equal(run.summary?.outcomes.ok, 3000, JSON.stringify(run.summary?.outcomes));
    assert.ok(Math.max(...samples.map((s) => s.established)) >= 2900, `all held at once: ${samples.map((s) => s.established).join(',')}`);
    const listeners = (await server.exec(['cat', '/proc/net/tcp6'])).stdout.split('\n').filter((l) => / 0A /.test(l) && l.includes(':1B58 '));
    assert.equal(listeners.length, 4, `four listening sockets on port 7000 (SO_REUSEPORT): ${listeners.length}`);
    // The threads' names, read from the kernel: the model names its loops sl-event-loop, one per process.
    const comm = await server.exec(['sh', '-c', 'cat /proc/[0-9]*/task/*/comm']);
    const loops = comm.stdout.split('\n').filter((n) => n === 'sl-event-loop');
    assert.equal(loops.length, 4, `one event loop per process: ${comm.stdout.split('\n').join(' ')}`);
  });

  it('polling with interval 0 burns a core while idle; sequential sleeps in accept', async () => {
    const cpuRate = async (server: Started): Promise<number> => {
      const a = await metrics(server, 'process_cpu_seconds_total');
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 2000));
      const b = await metrics(server, 'process_cpu_seconds_total');
      return (b - a) / ((Date.now() - t0) / 1000);
    };
    const polling = await lab.server({ MODEL: 'polling', POLL_INTERVAL: '0' }, { name: 'polling' });
    const pollingCpu = await cpuRate(polling);
    await polling.stop();
    const sequential = await lab.server({ MODEL: 'sequential' }, { name: 'idle-seq' });
    const sequentialCpu = await cpuRate(sequential);
    assert.ok(pollingCpu > 0.7, `polling uses ${pollingCpu.toFixed(2)} cores idle`);
    assert.ok(sequentialCpu < 0.1, `sequential uses ${sequentialCpu.toFixed(2)} cores idle`);
  });

  it('deadlock: both sides wait in recv with nothing exchanged, and the next client waits behind them', async () => {
    const server = await lab.server({ MODEL: 'sequential' }, { name: 'deadlock' });
    const { result: run, samples } = await sampleWhile(
      lab.swarm(['--target', lab.target('deadlock'), '--clients', '2', '--expect-greeting', '--read-timeout', '0', '--max-duration', '3s', '--metrics-port', '0'], 'deadlock-swarm'),
      500,
      async () => lab.scrape(server),
    );
    const stalled = samples.filter((t) => metricValue(t, M.connectionsActive.name) === 1);
    assert.ok(stalled.length >= 2, 'the server held one connection during the stall');
    for (const t of stalled) {
      assert.equal(metricValue(t, M.connectionsAccepted.name), 1, 'the second client was never accepted');
      assert.equal(metricValue(t, M.inService.name), 0, 'the server is waiting in recv, not working');
      assert.equal(metricValue(t, `${M.requestDuration.name}_count`), 0, 'nothing was answered');
    }
    assert.equal(run.summary?.truncated, true, 'only --max-duration ended it');
    assert.equal(run.summary?.latencyMs.firstByte.count, 0, 'the clients received zero bytes');
    assert.equal(run.summary?.errno.ECANCELED, 2);
  });

  it('deadlock fixed by RECV_TIMEOUT: both sides give up after 1 s and the next client is served', async () => {
    const server = await lab.server({ MODEL: 'sequential', RECV_TIMEOUT: '1s' }, { name: 'timeout' });
    // The client gives up first (0.9 s) and, like the notebook's, keeps its socket until the server gives up
    // too (1 s after accept): each side then records its own read timeout. Equal timeouts would race.
    const stuck = lab.swarm(['--target', lab.target('timeout'), '--clients', '1', '--expect-greeting', '--read-timeout', '900ms', '--metrics-port', '0'], 'timeout-a');
    await new Promise((r) => setTimeout(r, 300));
    const next = await lab.swarm(['--target', lab.target('timeout'), '--clients', '1', '--metrics-port', '0'], 'timeout-b');
    const a = await stuck;
    assert.equal(a.summary?.outcomes.read_timeout, 1, a.logs);
    assert.equal(next.summary?.outcomes.ok, 1, next.logs);
    assert.equal(await metrics(server, M.connectionsHandled.name, { outcome: 'read_timeout' }), 1);
    assert.equal(await metrics(server, M.connectionsHandled.name, { outcome: 'ok' }), 1);
  });

  it('bad configuration exits 2 naming the valid values, and starts nothing', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ MODEL: 'forking' }, new RegExp(`MODEL "forking".*${MODELS.join(', ')}`)],
      [{ BACKLOG: '-1' }, /BACKLOG "-1".*0 to 65535/],
      [{ WORK: 'io:fast' }, /WORK duration "fast".*ms, s, m or h/],
    ];
    let i = 0;
    for (const [env, re] of cases) {
      const r = await lab.runToExit(IMAGES.server, 'server', `bad-${i++}`, { env });
      assert.equal(r.exitCode, 2, r.logs);
      assert.match(r.logs, re);
      assert.doesNotMatch(r.logs, /socklab server: model=/);
    }
  });
});
