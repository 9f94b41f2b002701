import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sayMistake, type Mistake } from './check-facts.js';

describe("a check's diagnoses say what was measured, and no more", () => {
  const never = (unread: { readings: number; withUnread: number; sockets: number; bytes: number } | null, neverClosed = 0): Mistake => ({ kind: 'never-answers', waited: 10, readTimeoutMs: 10_000, loopWaits: true, unread, neverClosed });

  it('an answer that never came: requests read and more awaited, told apart from requests never read, by the receive queues', () => {
    const read = sayMistake(never({ readings: 20, withUnread: 0, sockets: 0, bytes: 0 }), 'en');
    assert.match(read, /^The 10 clients connected, sent their request and no answer came before their read timeout of 10\.0 s, while the server's loop waited idle in epoll, and nothing was left unread in the server's receive queues: it had read the requests\. The server waited for more than the client sends/);
    assert.match(read, /readexactly\(n\) for all n bytes/);
    assert.doesNotMatch(read, /CLOSE_WAIT/);
    // Left in CLOSE_WAIT as well: the same mistake's doing (a read that raised), not a missing close.
    assert.match(sayMistake(never({ readings: 20, withUnread: 0, sockets: 0, bytes: 0 }, 10), 'en'), /When the clients gave up, 10 connections stayed in CLOSE_WAIT on the server's side: the handler never got past its read to its close/);
    const unread = sayMistake(never({ readings: 20, withUnread: 19, sockets: 10, bytes: 50 }), 'en');
    assert.match(unread, /their requests sat unread in the server's receive queues \(50 bytes on 10 connections\): the program never read them/);
    assert.doesNotMatch(unread, /waited for more than the client sends|deadlock/);
    // An older probe did not read the queues, or nothing was accepted: nothing is claimed of them; nor when only
    // one reading in four caught a request between its arrival and its read.
    assert.doesNotMatch(sayMistake(never(null), 'en'), /receive queues/);
    assert.doesNotMatch(sayMistake(never({ readings: 20, withUnread: 5, sockets: 1, bytes: 5 }), 'en'), /receive queues/);
    assert.match(sayMistake(never({ readings: 20, withUnread: 15, sockets: 3, bytes: 15 }), 'pt-BR'), /as requisições ficaram sem ser lidas nas filas de recepção do servidor \(15 bytes em 3 conexões\)/);
  });

  it('served one after another: the probe is cited for what it saw, and not when it saw nothing that holds a loop', () => {
    const blocking = (seen: 'sleep' | 'running' | null): Mistake => ({ kind: 'blocking', firstMs: 1000, lastMs: 10_000, gapMs: 1000, gaveUp: 0, closeWaitPeak: 0, seen });
    assert.match(sayMistake(blocking('sleep'), 'en'), /holds the event loop's one thread, and the probe saw it waiting in sleep\.$/);
    assert.match(sayMistake(blocking('running'), 'en'), /and the probe saw it computing, never stopping\.$/);
    assert.match(sayMistake(blocking(null), 'en'), /holds the event loop's one thread\.$/);
    assert.match(sayMistake(blocking(null), 'pt-BR'), /segura a única thread do laço de eventos\.$/);
  });
});
