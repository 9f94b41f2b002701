import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkTarget, inSubnet, isLoopback, subnetOf } from './safety.js';
import { ConfigError } from '@socklab/shared';

describe('the swarm only targets its own lab', () => {
  const lab = [subnetOf('172.30.0.2/16'), subnetOf('fd00:1::5/64')];

  it('accepts loopback and addresses inside its own subnets', async () => {
    assert.ok(isLoopback('127.0.0.1') && isLoopback('127.9.9.9') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
    assert.ok(inSubnet('172.30.4.9', lab[0]!));
    assert.ok(inSubnet('fd00:1::abcd', lab[1]!));
    assert.equal(await checkTarget('127.0.0.1', lab), '127.0.0.1');
    assert.equal(await checkTarget('172.30.0.9', lab), '172.30.0.9');
  });

  it('refuses anything else before connecting, naming the target and its own subnets', async () => {
    for (const outside of ['172.31.0.9', '10.0.0.1', '192.168.1.1', '8.8.8.8', 'fd00:2::1']) {
      await assert.rejects(checkTarget(outside, lab), (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, new RegExp(`refusing target ${outside.replace(/\./g, '\\.')}`));
        assert.match(e.message, /own subnets \(172\.30\.0\.0\/16, fd00:1::\/64\)/, "named by their network addresses");
        return true;
      });
    }
  });

  it('names subnets as people write them', () => {
    assert.equal(subnetOf('fd00:1::5/64').cidr, 'fd00:1::/64');
    assert.equal(subnetOf('2001:db8:0:0:1:0:0:1/128').cidr, '2001:db8::1:0:0:1/128');
    assert.equal(subnetOf('fe80::1/10').cidr, 'fe80::/10');
    assert.equal(subnetOf('::1/128').cidr, '::1/128');
    assert.equal(subnetOf('10.1.2.3/8').cidr, '10.0.0.0/8');
  });

  it('refuses a name that does not resolve', async () => {
    await assert.rejects(checkTarget('no-such-host.invalid', lab), /does not resolve/);
  });
});
