import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { terminalProgress } from './progress.js';
import type { RunEvent } from './events.js';

function capture(isTty: boolean): { out: NodeJS.WriteStream; text: () => string } {
  let text = '';
  const out = { write: (s: string) => ((text += s), true), isTTY: isTty } as unknown as NodeJS.WriteStream;
  return { out, text: () => text };
}

const live = (ok: number, elapsedMs: number): RunEvent => ({
  type: 'live',
  trial: '1',
  elapsedMs,
  outcomes: { ok, refused: 0, reset: 0, connect_timeout: 2, read_timeout: 1, error: 0 },
  inFlight: 4,
  acceptQueue: 2,
  acceptQueueMax: 1,
});

describe('the progress display', () => {
  it('on a terminal, redraws one live line in place and keeps the last counts when the swarms are done', () => {
    const c = capture(true);
    const show = terminalProgress(c.out, true);
    show({ type: 'phase', trial: '1', trials: 1, phase: 'swarm', detail: 'nervous: 10 client(s) -> server' });
    show(live(1, 500));
    show(live(3, 750));
    show({ type: 'phase', trial: '1', trials: 1, phase: 'collect', detail: 'swarm summaries' });
    assert.equal(
      c.text(),
      'socklab: [trial 1/1] swarm: nervous: 10 client(s) -> server\n' +
        '[trial 1] 0.5s  ok 1  refused 0  reset 0  timeouts 3  errors 0  in flight 4  accept queue 2/1' +
        '\r\x1b[2K[trial 1] 0.8s  ok 3  refused 0  reset 0  timeouts 3  errors 0  in flight 4  accept queue 2/1\n' +
        'socklab: [trial 1/1] collect: swarm summaries\n',
    );
  });

  it('off a terminal, prints plain lines only, the live counts at most once a second', () => {
    const c = capture(false);
    const show = terminalProgress(c.out, false);
    show(live(1, 500));
    show(live(2, 750));
    show({ type: 'warn', message: 'trial 1: swarms still running' });
    assert.doesNotMatch(c.text(), /\x1b|\r/);
    assert.equal(c.text().split('\n').filter((l) => l.includes('in flight')).length, 1);
    assert.match(c.text(), /socklab: warning: trial 1: swarms still running\n/);
  });
});
