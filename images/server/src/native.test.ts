import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pollUntil } from '@socklab/shared';
import net from 'node:net';
import { parseServerConfig } from '@socklab/shared';
import { native, nativeOptions } from './native.js';
import { readSnapshot } from './counters.js';
import { readSomaxconn } from './proc.js';

// The addon on the host's loopback: small, real sockets, bounded in count and time.
const n = native();
const opened: net.Socket[] = [];
after(() => opened.forEach((s) => s.destroy()));

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    opened.push(s);
    s.once('error', reject);
  });
}

function request(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(`${line}\n`));
    opened.push(s);
    s.on('data', (d) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
  });
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  if ((await pollUntil(() => (cond() ? true : undefined), { everyMs: 10, timeoutMs: ms })) === undefined) throw new Error('condition not met in time');
}

describe('native addon', () => {
  it('listen reports the effective backlog, and the kernel queues one more than it', async () => {
    const port = 47000 + Math.floor(Math.random() * 1000);
    const fd2 = n.listen(port, 1);
    assert.equal(n.listenerInfo(fd2).max, Math.min(1, readSomaxconn()));
    await connect(port);
    await connect(port);
    await until(() => n.listenerInfo(fd2).queue === 2);
    // A third handshake cannot complete: its SYN is dropped while the queue is full.
    const third = net.connect({ host: '127.0.0.1', port });
    opened.push(third);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(n.listenerInfo(fd2).queue, 2);
    assert.equal(third.readyState, 'opening');
  });

  it('a sequential server echoes, counts, and stop() wakes the thread blocked in accept', async () => {
    const port = 48000 + Math.floor(Math.random() * 1000);
    const config = parseServerConfig({ MODEL: 'sequential', PORT: String(port) });
    const fd = n.listen(port, 16);
    const id = n.create(nativeOptions(config, fd, 'sequential'));
    n.start(id);
    assert.equal(await request(port, 'ola servidor'), 'ola servidor\n');
    const s = readSnapshot(n.stats(id));
    assert.equal(s.accepted, 1);
    assert.equal(s.handled.ok, 1);
    assert.equal(s.durationCount, 1);
    const t0 = performance.now();
    n.stop(id); // the thread is blocked in accept() now
    assert.ok(performance.now() - t0 < 1000, 'stop returned promptly');
  });

  it('RECV_TIMEOUT (SO_RCVTIMEO) ends a silent connection as read_timeout', async () => {
    const port = 49000 + Math.floor(Math.random() * 1000);
    const config = parseServerConfig({ MODEL: 'threaded', PORT: String(port), RECV_TIMEOUT: '200ms' });
    const fd = n.listen(port, 16);
    const id = n.create(nativeOptions(config, fd, 'threaded'));
    n.start(id);
    const silent = await connect(port);
    const closed = new Promise<number>((r) => {
      const t0 = performance.now();
      silent.on('close', () => r(performance.now() - t0));
      silent.resume();
    });
    const waited = await closed;
    assert.ok(waited >= 150 && waited < 1000, `closed after ${waited} ms`);
    await until(() => readSnapshot(n.stats(id)).handled.read_timeout === 1);
    n.stop(id);
  });

  it('polling serves with non-blocking calls on one thread', async () => {
    const port = 50000 + Math.floor(Math.random() * 1000);
    // Work long enough that the three requests overlap on a loaded machine (one sent 50 ms late once saw a peak of 2).
    const config = parseServerConfig({ MODEL: 'polling', PORT: String(port), POLL_INTERVAL: '1ms', WORK: 'io:300ms' });
    const fd = n.listen(port, 16);
    const id = n.create(nativeOptions(config, fd, 'polling'));
    n.start(id);
    const answers = await Promise.all([request(port, 'a'), request(port, 'b'), request(port, 'c')]);
    assert.deepEqual(answers.sort(), ['a\n', 'b\n', 'c\n']);
    const s = readSnapshot(n.stats(id));
    assert.equal(s.handled.ok, 3);
    assert.equal(s.peak, 3, 'io work does not block the polling thread');
    n.stop(id);
  });
});
