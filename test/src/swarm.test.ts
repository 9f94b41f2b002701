import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SERVER_METRICS as M } from '@socklab/shared';
import { Lab, metricValue } from './support/lab.js';

describe('swarm: every connection ends in the outcome the kernel and the server caused', () => {
  let lab: Lab;
  before(async () => {
    lab = await Lab.create('swarm');
  });
  after(async () => {
    await lab?.[Symbol.asyncDispose]();
  });
  const only = (outcomes: Record<string, number> | undefined, key: string, n: number): void => {
    assert.ok(outcomes, 'a summary');
    for (const [k, v] of Object.entries(outcomes)) assert.equal(v, k === key ? n : 0, `${k} in ${JSON.stringify(outcomes)}`);
  };

  it('the challenge preset against the event loop: 200 ok, and two swarms can share one server', async () => {
    const server = await lab.server({ MODEL: 'event-loop', WORK: 'io:500ms' }, { name: 'loop' });
    const run = await lab.swarm(['--target', lab.target('loop'), '--preset', 'challenge', '--metrics-port', '0'], 'challenge');
    only(run.summary?.outcomes, 'ok', 200);
    const [a, b] = await Promise.all([
      lab.swarm(['--target', lab.target('loop'), '--clients', '100', '--metrics-port', '0'], 'pair-a'),
      lab.swarm(['--target', lab.target('loop'), '--clients', '100', '--metrics-port', '0'], 'pair-b'),
    ]);
    only(a.summary?.outcomes, 'ok', 100);
    only(b.summary?.outcomes, 'ok', 100);
    assert.equal(metricValue(await lab.scrape(server), M.connectionsAccepted.name), 400);
  });

  it('nothing listening on the port: every client is refused (ECONNREFUSED)', async () => {
    await lab.server({ MODEL: 'event-loop' }, { name: 'closed-port' });
    const run = await lab.swarm(['--target', lab.target('closed-port', 7999), '--preset', 'nervous', '--metrics-port', '0'], 'refused');
    only(run.summary?.outcomes, 'refused', 10);
    assert.equal(run.summary?.errno.ECONNREFUSED, 10);
  });

  it('a server that accepts and never answers: read_timeout at the configured time (±20%)', async () => {
    await lab.server({ MODEL: 'event-loop', WORK: 'io:10m' }, { name: 'silent' });
    const run = await lab.swarm(['--target', lab.target('silent'), '--clients', '5', '--read-timeout', '2s', '--metrics-port', '0'], 'silent-swarm');
    only(run.summary?.outcomes, 'read_timeout', 5);
    for (const c of run.summary?.connections ?? []) assert.ok(c.totalMs >= 1600 && c.totalMs <= 2400, `${c.totalMs} ms`);
    // After its 1 s grace the client closes for good: the run ends, it does not wait for the server's FIN.
    const d = run.summary?.durationMs ?? Infinity;
    assert.ok(d >= 2900 && d <= 4000, `the run ended ${d} ms after it started (2 s timeout + 1 s grace)`);
  });

  it('a full queue with tcp_abort_on_overflow=1: the kernel resets, clients see reset (ECONNRESET)', async () => {
    await lab.server(
      { MODEL: 'sequential', BACKLOG: '1', WORK: 'io:1s' },
      { name: 'abort', sysctls: { 'net.ipv4.tcp_abort_on_overflow': '1' } },
    );
    // The kernel resets only a handshake whose last ACK finds the queue full; a SYN that finds it full is dropped
    // and retried, and which of the two a burst meets is a race (about one reset in ten here). Up to three bursts:
    // each ends only in ok and reset, and the resets come.
    const seen: Array<Partial<Record<string, number>>> = [];
    for (let burst = 1; burst <= 3 && !seen.some((o) => (o.reset ?? 0) > 0); burst += 1) {
      const run = await lab.swarm(['--target', lab.target('abort'), '--preset', 'nervous', '--read-timeout', '10s', '--metrics-port', '0'], `abort-swarm-${burst}`);
      const o: Partial<Record<string, number>> = run.summary?.outcomes ?? {};
      assert.equal((o.reset ?? 0) + (o.ok ?? 0), 10, `only ok and reset: ${JSON.stringify(o)}`);
      assert.ok((run.summary?.errno.ECONNRESET ?? 0) + (run.summary?.errno.EPIPE ?? 0) === (o.reset ?? 0));
      seen.push(o);
    }
    assert.ok(seen.some((o) => (o.reset ?? 0) > 0), `a reset in ${seen.length} bursts: ${JSON.stringify(seen)}`);
  });

  it('a sequential listen(1) server and 10 nervous clients: a mix that includes connect_timeout', async () => {
    await lab.server({ MODEL: 'sequential', BACKLOG: '1', WORK: 'io:2s' }, { name: 'gargalo' });
    const run = await lab.swarm(
      ['--target', lab.target('gargalo'), '--clients', '10', '--arrival', 'steady', '--rate', '100', '--duration', '100ms',
        '--connect-timeout', '3s', '--read-timeout', '15s', '--metrics-port', '0'],
      'gargalo-swarm',
    );
    const o: Partial<Record<string, number>> = run.summary?.outcomes ?? {};
    assert.ok((o.connect_timeout ?? 0) > 0 && (o.ok ?? 0) > 0, JSON.stringify(o));
    for (const c of run.summary?.connections ?? []) {
      if (c.outcome === 'connect_timeout') assert.equal(c.connectMs, undefined, 'a connect timeout never connected');
    }
  });

  it('--repeat says each wave on stderr as it ends, and the summary counts every wave', async () => {
    await lab.server({ MODEL: 'event-loop' }, { name: 'waves' });
    const run = await lab.swarm(['--target', lab.target('waves'), '--clients', '5', '--repeat', '400ms', '--max-duration', '1900ms', '--metrics-port', '0'], 'waves-swarm');
    const waves = run.logs.split('\n').filter((l) => /^socklab swarm: wave \d+: ok=5 in \d+\.\d+s$/.test(l));
    assert.ok(waves.length >= 3, run.logs);
    assert.equal(run.summary?.waves, waves.length);
    assert.equal(run.summary?.outcomes.ok, 5 * waves.length);
    assert.equal(run.summary?.connectionsTotal, 5 * waves.length);
  });

  it('refuses targets outside its own subnets before sending anything, with exit 2', async () => {
    for (const [i, bad] of ['10.255.255.1:7000', '8.8.8.8:53'].entries()) {
      const r = await lab.swarm(['--target', bad, '--clients', '1', '--metrics-port', '0'], `outside-${i}`);
      assert.equal(r.exit.code, 2, r.logs);
      assert.match(r.logs, new RegExp(`refusing target ${bad.split(':')[0]!.replace(/\./g, '\\.')}.*own subnets \\(\\d`));
      assert.equal(r.summary, undefined, 'no run happened');
    }
  });

  it('bad flags exit 2 naming the valid values', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--preset', 'angry'], /--preset "angry".*client, nervous, challenge, c10k/],
      [['--arrival', 'trickle'], /--arrival "trickle".*burst, ramp, steady, closed/],
      [['--clients', 'many'], /--clients "many".*whole number/],
      [['--read-timeout', '10'], /--read-timeout "10".*ms, s, m or h/],
    ];
    for (const [i, [args, re]] of cases.entries()) {
      const r = await lab.swarm(['--target', lab.target('loop'), ...args], `badflag-${i}`);
      assert.equal(r.exit.code, 2, r.logs);
      assert.match(r.logs, re);
    }
  });
});
