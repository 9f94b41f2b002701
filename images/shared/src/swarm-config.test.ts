import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arrivalCount, parseSwarmArgs } from './swarm-config.js';
import { ConfigError } from './errors.js';

describe('swarm flags', () => {
  it('takes the course\'s presets: client 3, nervous 10, challenge 200, c10k 10000 held', () => {
    const t = ['--target', 'server:7000'];
    assert.equal(parseSwarmArgs([...t, '--preset', 'client']).clients, 3);
    assert.equal(parseSwarmArgs([...t, '--preset', 'nervous']).clients, 10);
    assert.equal(parseSwarmArgs([...t, '--preset', 'challenge']).clients, 200);
    const c10k = parseSwarmArgs([...t, '--preset', 'c10k']);
    assert.equal(c10k.clients, 10_000);
    assert.ok(c10k.holdMs > 0);
    assert.equal(parseSwarmArgs([...t, '--preset', 'nervous', '--clients', '42']).clients, 42);
  });

  it('c100k sets its arrival, hold and timeouts as defaults, which flags beside it override; alone it is more than one container holds', () => {
    const t = ['--target', 'server:7000'];
    const c = parseSwarmArgs([...t, '--preset', 'c100k', '--clients', '8000']);
    assert.deepEqual(
      { clients: c.clients, arrival: c.arrival, rate: c.rate, durationMs: c.durationMs, holdMs: c.holdMs, requestIntervalMs: c.requestIntervalMs, connectTimeoutMs: c.connectTimeoutMs, readTimeoutMs: c.readTimeoutMs, maxDurationMs: c.maxDurationMs },
      { clients: 8000, arrival: 'steady', rate: 4000, durationMs: 2000, holdMs: 60_000, requestIntervalMs: 20_000, connectTimeoutMs: 30_000, readTimeoutMs: 60_000, maxDurationMs: 240_000 },
    );
    assert.equal(parseSwarmArgs([...t, '--preset', 'c100k', '--clients', '100', '--hold', '5s']).holdMs, 5000);
    assert.throws(() => parseSwarmArgs([...t, '--preset', 'c100k']), /--preset "c100k": expected a preset of at most 50000 clients in one swarm container, or --clients N beside it/);
  });

  it('rejects bad values with the valid ones named', () => {
    const t = ['--target', 'server:7000'];
    const cases: Array<[string[], RegExp]> = [
      [['--preset', 'angry'], /--preset "angry".*client, nervous, challenge, c10k, c100k/],
      [['--arrival', 'trickle'], /--arrival "trickle".*burst, ramp, steady/],
      [['--clients', '0'], /--clients "0".*1 to/],
      [['--connect-timeout', '3'], /--connect-timeout "3".*ms, s, m or h/],
      [['--max-duration', '2h'], /--max-duration.*at most 1h/],
      [['--arrival', 'steady'], /needs --rate/],
      [['--arrival', 'steady', '--rate', '100'], /needs --rate N .* and --duration D or --clients N/],
      [['--arrival', 'ramp', '--rate', '1000', '--duration', '4s', '--clients', '4000'], /--clients "4000": expected 2000 or nothing: --arrival ramp at --rate 1000 over --duration 4s makes 2000 connections/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, re] of cases) {
      assert.throws(() => parseSwarmArgs([...t, ...args]), (e: Error) => e instanceof ConfigError && re.test(e.message), args.join(' '));
    }
    assert.throws(() => parseSwarmArgs([]), /--target host:port is required/);
    assert.throws(() => parseSwarmArgs(['--target', 'server']), /--target "server".*host:port/);
  });

  it('a steady or ramp arrival given clients and no duration lasts until it made them', () => {
    const t = ['--target', 'server:7000'];
    const steady = parseSwarmArgs([...t, '--clients', '20', '--arrival', 'steady', '--rate', '100']);
    assert.equal(steady.durationMs, 200);
    assert.equal(arrivalCount('steady', steady.rate, steady.durationMs), 20);
    const ramp = parseSwarmArgs([...t, '--clients', '500', '--arrival', 'ramp', '--rate', '1000']);
    assert.equal(ramp.durationMs, 1000);
    assert.equal(arrivalCount('ramp', ramp.rate, ramp.durationMs), 500);
    assert.equal(parseSwarmArgs([...t, '--clients', '10', '--arrival', 'steady', '--rate', '100', '--duration', '100ms']).clients, 10, 'both, agreeing');
  });
});
