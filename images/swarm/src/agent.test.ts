import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { PassThrough } from 'node:stream';
import { agentMessage, parseJobLine, SWARM_AGENT_READY_LINE, type SwarmAgentMessage } from '@socklab/shared';
import { runAgent } from './agent.js';

/** A line server on loopback that answers each request after `delayMs`. */
async function echoServer(delayMs = 0): Promise<{ port: number; close: () => void }> {
  const open = new Set<net.Socket>();
  const server = net.createServer((s) => {
    open.add(s);
    s.on('data', () => setTimeout(() => s.end('ok\n'), delayMs).unref());
    s.on('error', () => {});
    s.on('close', () => open.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = (): void => {
    server.close();
    for (const s of open) s.destroy();
  };
  return { port: (server.address() as net.AddressInfo).port, close };
}

/** An agent on a pipe: send it messages, wait for lines, read what it printed. */
function agent(): { send: (m: SwarmAgentMessage) => void; end: () => Promise<void>; err: string[]; out: string[]; until: (match: (l: string) => boolean) => Promise<void> } {
  const input = new PassThrough();
  const err: string[] = [];
  const out: string[] = [];
  let wake = (): void => {};
  const note = (list: string[]) => (l: string): void => {
    list.push(l);
    wake();
  };
  const done = runAgent(input, { err: note(err), out: note(out) });
  return {
    err,
    out,
    send: (m) => input.write(agentMessage(m)),
    end: async () => {
      input.end();
      await done;
    },
    until: async (match) => {
      while (![...err, ...out].some(match)) await new Promise<void>((r) => (wake = r));
    },
  };
}

const isDone = (job: string) => (l: string): boolean => { const e = parseJobLine(l); return e?.job === job && e.event === 'done'; };

describe('swarm agent (a client host runs a run\'s swarms as jobs)', () => {
  it('runs jobs one after another: each ready before go, its summary on stdout, framed by begins and done', async () => {
    const srv = await echoServer();
    const a = agent();
    try {
      for (const id of ['1', '2']) {
        a.send({ job: id, args: ['--target', `127.0.0.1:${srv.port}`, '--clients', id === '1' ? '3' : '5', '--metrics-port', '0'] });
        await a.until((l) => parseJobLine(l)?.job === id && parseJobLine(l)?.event === 'ready');
        assert.equal(a.out.length, Number(id) - 1, 'nothing runs before go');
        a.send({ go: id });
        await a.until(isDone(id));
      }
      const summaries = a.out.map((l) => JSON.parse(l) as { clients: number; outcomes: { ok: number } });
      assert.deepEqual(summaries.map((s) => [s.clients, s.outcomes.ok]), [[3, 3], [5, 5]], 'each job ran its own clients, all answered');
      assert.equal(a.err[0], SWARM_AGENT_READY_LINE);
      assert.deepEqual(a.err.map(parseJobLine).filter(Boolean).map((e) => `${e!.job} ${e!.event}${e!.event === 'done' ? ` ${e!.code}` : ''}`), ['1 begins', '1 ready', '1 done 0', '2 begins', '2 ready', '2 done 0']);
    } finally {
      await a.end();
      srv.close();
    }
  });

  it('a job with a bad flag ends with exit 2 and the swarm\'s own message, and the agent takes the next', async () => {
    const srv = await echoServer();
    const a = agent();
    try {
      a.send({ job: 'bad', args: ['--target', `127.0.0.1:${srv.port}`, '--clients', 'many'] });
      await a.until(isDone('bad'));
      assert.ok(a.err.some((l) => /^socklab swarm: invalid --clients "many"/.test(l)), a.err.join('\n'));
      assert.equal(parseJobLine(a.err.find(isDone('bad'))!)?.event === 'done' && (parseJobLine(a.err.find(isDone('bad'))!) as { code: number }).code, 2);
      a.send({ job: 'next', args: ['--target', `127.0.0.1:${srv.port}`, '--clients', '1', '--metrics-port', '0'] });
      a.send({ go: 'next' });
      await a.until(isDone('next'));
      assert.equal((JSON.parse(a.out[0]!) as { outcomes: { ok: number } }).outcomes.ok, 1);
    } finally {
      await a.end();
      srv.close();
    }
  });

  it('stop ends a job still waiting for its answers at once, cut short; a new job ends the one in hand first', async () => {
    const srv = await echoServer(60_000);
    const a = agent();
    try {
      a.send({ job: '1', args: ['--target', `127.0.0.1:${srv.port}`, '--clients', '2', '--read-timeout', '0', '--metrics-port', '0'] });
      a.send({ go: '1' });
      await new Promise((r) => setTimeout(r, 200));
      const t0 = Date.now();
      a.send({ stop: '1' });
      await a.until(isDone('1'));
      assert.ok(Date.now() - t0 < 2000, `stopped in ${Date.now() - t0} ms`);
      assert.equal((JSON.parse(a.out[0]!) as { truncated: boolean }).truncated, true);
      a.send({ job: '2', args: ['--target', `127.0.0.1:${srv.port}`, '--clients', '1', '--read-timeout', '0', '--metrics-port', '0'] });
      a.send({ go: '2' });
      await new Promise((r) => setTimeout(r, 200));
      a.send({ job: '3', args: ['--target', `127.0.0.1:${srv.port}`, '--clients', '1', '--metrics-port', '0'] });
      await a.until((l) => parseJobLine(l)?.job === '3' && parseJobLine(l)?.event === 'ready');
      assert.ok(a.err.indexOf(a.err.find(isDone('2'))!) < a.err.indexOf('socklab swarm: job 3 begins'), 'job 2 ended before job 3 began');
      a.send({ go: 'x' });
      await a.until((l) => l.includes('go for job x'));
    } finally {
      await a.end();
      srv.close();
    }
  });
});
