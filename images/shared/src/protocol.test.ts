import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeLine, LineSplitter, MAX_LINE_BYTES } from './protocol.js';
import { outcomeOfErrno } from './outcomes.js';

describe('line protocol', () => {
  it('splits a stream into lines however the bytes arrive', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('ola '), []);
    assert.deepEqual(s.push('servidor\r\nsecond\nthi'), ['ola servidor', 'second']);
    assert.deepEqual(s.push('rd\n'), ['third']);
  });

  it('refuses a line longer than the limit and a newline inside a line', () => {
    assert.throws(() => new LineSplitter().push('x'.repeat(MAX_LINE_BYTES + 1)), /longer than/);
    assert.throws(() => encodeLine('a\nb'), /newline/);
  });

  it('maps the kernel\'s answers to outcomes', () => {
    assert.equal(outcomeOfErrno('ECONNREFUSED'), 'refused');
    assert.equal(outcomeOfErrno('ECONNRESET'), 'reset');
    assert.equal(outcomeOfErrno('EPIPE'), 'reset');
    assert.equal(outcomeOfErrno('EHOSTUNREACH'), 'error');
  });
});
