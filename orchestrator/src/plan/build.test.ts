import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, IMAGES, LABELS } from '@socklab/shared';
import { loadScenario } from '../scenario/load.js';
import { buildPlan, coresOf, parseMatrix } from './build.js';
import { connectionsOf } from './capacity.js';

describe('plans', () => {
  it('a run is one trial on one internal network; the probe, which samples too, lives in the server\'s namespaces; the swarm is a job of its client host', () => {
    const p = buildPlan(loadScenario('backlog').scenario, { source: 'test', runId: 'socklab-x', seed: 42 });
    assert.equal(p.network.internal, true);
    assert.equal(p.trials.length, 1);
    const t = p.trials[0]!;
    const s = t.servers[0]!;
    assert.equal(s.server.image, IMAGES.server);
    assert.deepEqual(s.server.network, { kind: 'bridge', network: 'socklab-x', aliases: ['server'] });
    assert.equal(s.server.env.BACKLOG, '1');
    assert.equal(s.server.env.WORK, 'io:2s');
    assert.deepEqual(s.probe.network, { kind: 'container', of: s.server.name });
    assert.equal(s.probe.pidOf, s.server.name);
    assert.deepEqual(s.probe.capAdd, ['NET_ADMIN'], 'only the probe has NET_ADMIN');
    assert.equal(s.probe.env.SEED, '42');
    assert.equal(s.sampler, undefined, 'no sampler container of its own');
    assert.deepEqual([s.probe.env.INTERVAL, s.probe.env.SERVER], ['100ms', 'http://127.0.0.1:9464/metrics/own'], 'the probe runs the sampler beside it');
    assert.match(s.probe.entrypoint?.join(' ') ?? '', /^sh -c node \/app\/images\/probe\/dist\/main\.js 1>&2 & PROBE_PID=\$! exec node \/app\/images\/probe\/dist\/sampler\.js$/, 'the probe first, the sampler the first process');
    assert.equal(t.swarms[0]?.container.cmd.join(' ').includes('--target server:7000 --clients 10 --arrival steady --rate 100'), true);
    assert.equal(t.swarms[0]?.host, p.clientHosts[0]?.name, 'its client host runs it');
    assert.deepEqual([p.clientHosts[0]?.cmd, p.clientHosts[0]?.stdin], [['--agent'], true], 'as a swarm agent reading jobs on its stdin');
    for (const c of [s.server, s.probe, t.swarms[0]!.container, p.clientHosts[0]!]) {
      assert.equal(c.labels[LABELS.run], 'socklab-x');
      assert.ok(c.labels[LABELS.role]);
      if (c.role !== 'server' && c.role !== 'swarm') assert.deepEqual(c.capAdd.filter((x) => x !== 'NET_ADMIN'), []);
    }
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p, 'serializable as it is');
  });

  it('compare is the matrix, cell by cell, each repetition a fresh trial', () => {
    const base = loadScenario('sequential').scenario;
    const p = buildPlan({ ...base, repeat: 2 }, { source: 'test', compare: parseMatrix('sequential,threaded', '10,200', '0,100ms') });
    assert.equal(p.trials.length, 2 * 2 * 2 * 2);
    const cells = new Set(p.trials.map((t) => JSON.stringify(t.cell)));
    assert.equal(cells.size, 8);
    const slow = p.trials.find((t) => t.cell.model === 'threaded' && t.cell.clients === '200' && t.cell.delay === '100ms')!;
    assert.equal(slow.servers[0]?.server.env.MODEL, 'threaded');
    assert.equal(slow.servers[0]?.probe.env.DELAY, '100ms');
    assert.match(slow.swarms[0]!.container.cmd.join(' '), /--clients 200/);
    assert.equal(new Set(p.trials.flatMap((t) => [t.servers[0]!.server.name])).size, p.trials.length, 'container names never repeat');
  });

  it('c100k is a preset compare keeps: each cell holds its connections a minute, bounded at 4 minutes, at 4,000 a second', () => {
    const base = loadScenario('c100k').scenario;
    assert.equal(base.swarms[0]?.preset, 'c100k', 'the built-in scenario is the preset');
    assert.equal(connectionsOf(base.swarms[0]!), 100_000);
    const p = buildPlan(base, { source: 'test', openFiles: { perProcess: 20_000, measured: true }, compare: parseMatrix('event-loop-workers', '20000,100000', undefined) });
    for (const t of p.trials) {
      const clients = t.swarms.reduce((a, w) => a + Number(/--clients (\d+)/.exec(w.container.cmd.join(' '))?.[1]), 0);
      assert.equal(String(clients), t.cell.clients, 'the cell\'s clients, spread over the swarm containers');
      for (const w of t.swarms) assert.match(w.container.cmd.join(' '), /--arrival steady .*--hold 60s --request-interval 20s --max-duration 4m/);
      assert.equal(t.swarms.reduce((a, w) => a + Number(/--rate (\d+)/.exec(w.container.cmd.join(' '))?.[1]), 0), 4000);
    }
    assert.equal(p.trials.find((t) => t.cell.clients === '100000')!.swarms.length, 8);
    const run = buildPlan(base, { source: 'test', openFiles: { perProcess: 20_000, measured: true } });
    assert.equal(run.trials[0]!.swarms.length, 8, 'a run of the scenario: the same 8 containers');
    assert.doesNotMatch(run.trials[0]!.swarms[0]!.container.cmd.join(' '), /--preset/, 'spelled out, not handed to the image');
  });

  it('a bad matrix names the bad item and the valid forms', () => {
    assert.throws(() => parseMatrix('sequential,forking', '10', undefined), (e: Error) => e instanceof ConfigError && /--models item "forking": expected one of sequential/.test(e.message));
    assert.throws(() => parseMatrix('sequential', '10,lots', undefined), /--clients item "lots": expected whole numbers/);
    assert.throws(() => parseMatrix('sequential', '10', '0,slow'), /--delay item "slow"/);
  });
});

describe('CPU limits', () => {
  it('servers given whole cores get cores of their own, round the engine\'s CPUs; fractions stay a quota', () => {
    const servers = [{ name: 'a', cpus: 1 }, { name: 'b', cpus: 0.5 }, { name: 'c', cpus: 1 }, { name: 'd' }, { name: 'e', cpus: 2 }, { name: 'f', cpus: 4 }];
    assert.deepEqual([...coresOf(servers, 2)], [['a', [0]], ['c', [1]], ['e', [0, 1]]], 'f asks for more cores than there are: a quota');
    assert.deepEqual([...coresOf(servers, 8)], [['a', [0]], ['c', [1]], ['e', [2, 3]], ['f', [4, 5, 6, 7]]]);
    assert.deepEqual([...coresOf([{ name: 'x', cpus: 2 }, { name: 'y', cpus: 2 }], 3)], [['x', [0, 1]], ['y', [0, 2]]], 'wrapped round');
    assert.deepEqual([...coresOf(servers, undefined)], [], 'no engine asked (a dry run): quotas only');
  });

  it('the cpu-vs-io scenario pins its three one-core servers, and keeps the quota', () => {
    const { scenario } = loadScenario('cpu-vs-io');
    const p = buildPlan(scenario, { source: 'test', cores: 2 });
    assert.deepEqual(p.trials[0]!.servers.map((s) => [s.name, s.server.cpus, s.server.cores]), [['loop-io', 1, [0]], ['loop-cpu', 1, [1]], ['threads-cpu', 1, [0]]]);
    assert.deepEqual(buildPlan(scenario, { source: 'test' }).trials[0]!.servers.map((s) => s.server.cores), [undefined, undefined, undefined]);
  });
});

describe('live-view targets', () => {
  it('label every target with role, model, run, scenario and trial', async () => {
    const { trialTargets } = await import('./targets.js');
    const p = buildPlan(loadScenario('cpu-vs-io').scenario, { source: 'test', runId: 'socklab-y' });
    const groups = trialTargets(p, p.trials[0]!);
    assert.equal(groups.length, 3 * 2 + 3, 'server and probe per server, and each swarm');
    const probe = groups.find((g) => g.labels.role === 'probe' && g.labels.server === 'loop-cpu');
    assert.deepEqual(probe, { targets: ['socklab-y-1-loop-cpu:9465'], labels: { run: 'socklab-y', scenario: 'cpu-vs-io', trial: '1', model: 'event-loop', server: 'loop-cpu', role: 'probe' } });
    assert.equal(groups.find((g) => g.labels.role === 'swarm' && g.labels.server === 'threads-cpu')?.labels.model, 'threaded');
  });
});
