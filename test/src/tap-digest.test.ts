import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digest, failuresOf } from './support/tap-digest.js';

/** The TAP that this Node's test runner writes for a few files: a failing hook, a failing test, a passing one. */
function realTap(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'socklab-tap-'));
  try {
    writeFileSync(path.join(dir, 'hook.test.mjs'), `import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
describe('the cluster', () => {
  before(() => { assert.equal('cluster up: the engine in node-2 did not answer\\nits last lines: x', 'ok'); });
  it('first', () => {});
  it('second', () => {});
});`);
    writeFileSync(path.join(dir, 'plain.test.mjs'), `import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
describe('plain', () => {
  it("it's broken", () => { assert.ok(false, "a quote ' here"); });
  it('passes', () => {});
});`);
    const tap = path.join(dir, 'out.tap');
    // A runner started inside a test reports to its parent unless told it is a runner of its own.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    spawnSync(process.execPath, ['--test', '--test-reporter=tap', `--test-reporter-destination=${tap}`, 'hook.test.mjs', 'plain.test.mjs'], { cwd: dir, env });
    return readFileSync(tap, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the failure digest at the end of a test run', () => {
  it('names the failed hook with its whole error and the failed test, and counts what the hook cancelled', () => {
    const { failures, cancelled } = failuresOf(realTap());
    assert.equal(cancelled, 2, 'the two tests under the failed hook');
    assert.deepEqual(failures.map((f) => [f.name, f.failureType]), [['the cluster', 'hookFailed'], ["it's broken", 'testCodeFailure']]);
    assert.match(failures[0]!.error, /the engine in node-2 did not answer/);
    assert.match(failures[0]!.error, /its last lines: x/);
    assert.match(failures[0]!.location, /hook\.test\.mjs:3:1$/);
    assert.match(failures[1]!.error, /a quote ' here/);
  });

  it('prints nothing for a run without failures, and a bounded error otherwise', () => {
    assert.equal(digest('TAP version 13\nok 1 - fine\n1..1\n'), '');
    const text = digest(realTap(), 2);
    assert.match(text, /^run-tests: 2 failures, and 2 tests cancelled by them:/);
    assert.match(text, /  x the cluster\n    at .*hook\.test\.mjs:3:1 \(hookFailed\)\n/);
    assert.match(text, /more lines above, in the run's output/);
  });
});
