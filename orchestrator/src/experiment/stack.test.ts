import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime } from '../runtime/fake.js';
import { TrialStack } from './stack.js';

describe("a trial's stack", () => {
  it('ends what it was handed besides containers at its teardown, and what it is handed after the teardown began at once', async () => {
    const stack = new TrialStack(new FakeRuntime(() => ({})), new AbortController().signal);
    const ended: string[] = [];
    stack.atTeardown(async () => void ended.push('before'));
    await stack.teardown();
    assert.deepEqual(ended, ['before']);
    // A job handed over by a start that lands after a failed trial was torn down (it would run on, unstopped).
    stack.atTeardown(async () => void ended.push('after'));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ended, ['before', 'after']);
  });
});
