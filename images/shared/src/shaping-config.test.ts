import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatKernelOffers, parseKernelOffers, parseShaping, shapingEnv } from './shaping-config.js';
import { ConfigError } from './errors.js';

describe('shaping values', () => {
  it('reads delay, jitter, loss, rate, direction and refusal', () => {
    const s = parseShaping({ DELAY: '100ms', JITTER: '20ms', LOSS: '30%', RATE: '1mbit', DIRECTION: 'both', REFUSAL: 'reject-above=2' });
    assert.deepEqual(s, { delayMs: 100, jitterMs: 20, loss: 0.3, rateBps: 1e6, direction: 'both', refusal: { kind: 'reject-above', n: 2 } });
    assert.deepEqual(parseShaping(shapingEnv(s)), s);
  });

  it('rejects impossible shaping with the valid forms named', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ DELAY: '-100ms' }, /DELAY "-100ms".*ms, s, m or h/],
      [{ DELAY: '100 msec' }, /DELAY "100 msec"/],
      [{ LOSS: '130%' }, /LOSS "130%".*0 to 100/],
      [{ RATE: '1mbps' }, /RATE "1mbps".*bit, kbit, mbit or gbit/],
      [{ DELAY: '10ms', JITTER: '20ms' }, /JITTER.*at most DELAY \(10ms\)/],
      [{ DIRECTION: 'up' }, /DIRECTION "up".*egress, ingress, both/],
      [{ REFUSAL: 'refuse' }, /REFUSAL "refuse".*drop.*abort-on-overflow.*reject-above=N/],
      [{ REFUSAL: 'reject-above=0' }, /reject-above "0"/],
    ];
    for (const [env, re] of cases) assert.throws(() => parseShaping(env), (e: Error) => e instanceof ConfigError && re.test(e.message), JSON.stringify(env));
  });

  it('changes at run time keep what was not given', () => {
    const base = parseShaping({ DELAY: '100ms', LOSS: '5%' });
    assert.deepEqual(parseShaping({ DELAY: '200ms' }, base), { ...base, delayMs: 200 });
  });

  it('KERNEL_OFFERS: what a first probe found, read back by the next; a bad one named with its form', () => {
    const k = { netem: false, ifb: true, tbf: true, nfqueue: true };
    assert.equal(formatKernelOffers(k), 'netem=false,ifb=true,tbf=true,nfqueue=true');
    assert.deepEqual(parseKernelOffers(formatKernelOffers(k)), k);
    for (const bad of ['netem=yes,ifb=true,tbf=true,nfqueue=true', 'netem=false,ifb=true,tbf=true', 'netem=false,ifb=true,tbf=true,nfqueue=true,red=true', '']) {
      assert.throws(() => parseKernelOffers(bad), (e: Error) => e instanceof ConfigError && e.message.includes(`KERNEL_OFFERS ${JSON.stringify(bad)}`) && e.message.includes('netem=<true|false>'), bad);
    }
  });
});
