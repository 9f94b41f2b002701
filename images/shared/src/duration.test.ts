import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, parsePercent, parseRate, parseInteger } from './duration.js';
import { ConfigError } from './errors.js';

describe('durations, rates and percentages as users write them', () => {
  it('reads ms, s, m, h and a bare 0', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('5s'), 5000);
    assert.equal(parseDuration('1.5m'), 90_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('0'), 0);
  });

  it('rejects a bad duration naming the value and the valid forms', () => {
    for (const bad of ['5', '-1s', '5 sec', 'abc', '1d']) {
      assert.throws(() => parseDuration(bad, 'WORK'), (e: Error) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, new RegExp(`WORK "${bad}"`));
        assert.match(e.message, /ms, s, m or h/);
        return true;
      });
    }
  });

  it('reads tc-style rates and percentages, rejecting impossible ones', () => {
    assert.equal(parseRate('1mbit'), 1e6);
    assert.equal(parseRate('512kbit'), 512e3);
    assert.throws(() => parseRate('1mb'), /bit, kbit, mbit or gbit/);
    assert.equal(parsePercent('30%'), 0.3);
    assert.throws(() => parsePercent('130%'), /0 to 100/);
    assert.throws(() => parseInteger('-1', 'BACKLOG', 0), /BACKLOG "-1".*0 to/);
  });
});
