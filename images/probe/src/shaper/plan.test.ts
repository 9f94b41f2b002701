import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseShaping } from '@socklab/shared';
import { choosePlan, describePlan, type Capabilities } from './plan.js';

const all: Capabilities = { netem: true, ifb: true, nfqueue: true, tbf: true };
const noNetem: Capabilities = { ...all, netem: false };
const bare: Capabilities = { netem: false, ifb: false, nfqueue: false, tbf: false };
const shaping = parseShaping({ DELAY: '100ms', JITTER: '10ms', LOSS: '1%', RATE: '1mbit', DIRECTION: 'both' });
const how = (caps: Capabilities, effect: string, direction: string): string | undefined =>
  choosePlan(shaping, caps).effects.find((e) => e.effect === effect && e.direction === direction)?.how;

describe('choosing how to shape', () => {
  it('uses netem where the kernel has it, ingress through ifb', () => {
    assert.equal(choosePlan(shaping, all).method, 'netem');
    assert.equal(how(all, 'delay', 'egress'), 'netem');
    assert.equal(how(all, 'delay', 'ingress'), 'ifb+netem');
    assert.equal(how(all, 'rate', 'ingress'), 'ifb+netem');
  });

  it('falls back to the NFQUEUE helper for delay, jitter and loss, and tbf for rate', () => {
    assert.equal(choosePlan(shaping, noNetem).method, 'nfqueue');
    for (const effect of ['delay', 'jitter', 'loss']) {
      assert.equal(how(noNetem, effect, 'egress'), 'nfqueue');
      assert.equal(how(noNetem, effect, 'ingress'), 'nfqueue');
    }
    assert.equal(how(noNetem, 'rate', 'egress'), 'tbf');
    assert.equal(how(noNetem, 'rate', 'ingress'), 'ifb+tbf');
    assert.equal(how({ ...noNetem, ifb: false }, 'rate', 'ingress'), 'none');
  });

  it('lists what it cannot do instead of skipping it', () => {
    const plan = choosePlan(shaping, bare);
    assert.equal(plan.method, 'none');
    assert.equal(plan.effects.length, 8);
    assert.ok(plan.effects.every((e) => !e.real));
    assert.match(describePlan(plan).join('\n'), /delay egress: NOT AVAILABLE/);
  });

  it('plans only what was asked, in the asked direction', () => {
    const plan = choosePlan(parseShaping({ DELAY: '20ms' }), noNetem);
    assert.deepEqual(plan.effects, [{ effect: 'delay', direction: 'egress', how: 'nfqueue', real: true }]);
    assert.deepEqual(describePlan(choosePlan(parseShaping({}), all)), ['no shaping requested']);
  });
});

describe('what the shaper leaves unshaped', () => {
  it('only the server side\'s observation ports on a link: a client whose ephemeral port is 9464 is still shaped', async () => {
    const { unshapedMatch } = await import('./shaper.js');
    assert.deepEqual(unshapedMatch('eth0', 'egress'), ['-m', 'multiport', '--sports', '9464:9480']);
    assert.deepEqual(unshapedMatch('eth0', 'ingress'), ['-m', 'multiport', '--dports', '9464:9480']);
    assert.deepEqual(unshapedMatch('lo', 'egress'), ['-m', 'multiport', '--ports', '9464:9480'], 'on loopback both ends are the namespace\'s');
  });
});
