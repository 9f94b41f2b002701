import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSwarmArgs } from './swarm-config.js';
import { ConfigError } from './errors.js';

describe('swarm flags', () => {
  it('takes the seeds\' presets: client 3, nervous 10, challenge 200, c10k 10000 held', () => {
    const t = ['--target', 'server:7000'];
    assert.equal(parseSwarmArgs([...t, '--preset', 'client']).clients, 3);
    assert.equal(parseSwarmArgs([...t, '--preset', 'nervous']).clients, 10);
    assert.equal(parseSwarmArgs([...t, '--preset', 'challenge']).clients, 200);
    const c10k = parseSwarmArgs([...t, '--preset', 'c10k']);
    assert.equal(c10k.clients, 10_000);
    assert.ok(c10k.holdMs > 0);
    assert.equal(parseSwarmArgs([...t, '--preset', 'nervous', '--clients', '42']).clients, 42);
  });

  it('rejects bad values with the valid ones named', () => {
    const t = ['--target', 'server:7000'];
    const cases: Array<[string[], RegExp]> = [
      [['--preset', 'angry'], /--preset "angry".*client, nervous, challenge, c10k/],
      [['--arrival', 'trickle'], /--arrival "trickle".*burst, ramp, steady/],
      [['--clients', '0'], /--clients "0".*1 to/],
      [['--connect-timeout', '3'], /--connect-timeout "3".*ms, s, m or h/],
      [['--max-duration', '2h'], /--max-duration.*at most 1h/],
      [['--arrival', 'steady'], /needs --rate/],
      [['--bogus'], /Unknown option '--bogus'/],
    ];
    for (const [args, re] of cases) {
      assert.throws(() => parseSwarmArgs([...t, ...args]), (e: Error) => e instanceof ConfigError && re.test(e.message), args.join(' '));
    }
    assert.throws(() => parseSwarmArgs([]), /--target host:port is required/);
    assert.throws(() => parseSwarmArgs(['--target', 'server']), /--target "server".*host:port/);
  });
});
