import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeRuntime, type FakeScript } from '../runtime/fake.js';
import type { ContainerSpec } from '../runtime/spec.js';
import { waitReady } from './ready.js';

/** /proc/net/tcp with one listener: 0.0.0.0 or 127.0.0.1 on `port`. */
const tcp = (port: number, loopback = false): string =>
  `  sl  local_address rem_address   st\n   0: ${loopback ? '0100007F' : '00000000'}:${port.toString(16).toUpperCase().padStart(4, '0')} 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1 1\n`;

const server = (port: number): ContainerSpec => ({
  name: 'own-server',
  role: 'server',
  image: 'me/server',
  env: {},
  cmd: [],
  labels: { 'socklab.model': 'image:me/server' },
  network: { kind: 'none' },
  sysctls: {},
  capAdd: [],
  ready: { kind: 'listening', port, timeoutMs: 600 },
});
const probe: ContainerSpec = { ...server(7000), name: 'probe', role: 'probe', labels: {}, ready: { kind: 'none' } };

/** A server of one's own and a probe in its namespace that reads `listening` (what the namespace's sockets say). */
async function started(script: FakeScript, listening: () => string): Promise<{ rt: FakeRuntime; handle: Awaited<ReturnType<FakeRuntime['start']>>; observer: Awaited<ReturnType<FakeRuntime['start']>> }> {
  const rt = new FakeRuntime((spec) => (spec.role === 'probe' ? { exec: () => ({ exitCode: 0, stdout: listening(), stderr: '' }) } : script));
  const handle = await rt.start(server(7000));
  const observer = await rt.start(probe);
  return { rt, handle, observer };
}

describe("a server of one's own is ready once its port listens", () => {
  it('ready as soon as the port listens, with where it listens (loopback told apart)', async () => {
    let n = 0;
    const { handle, observer } = await started({}, () => (++n < 3 ? '' : tcp(7000, true)));
    const info = await waitReady(handle, server(7000), { observer });
    assert.deepEqual(info.listeners?.map((l) => [l.port, l.loopback]), [[7000, true]]);
  });

  it('listening on another port: named, with the port it does listen on and the flag that gives it, and removed', async () => {
    const { handle, observer } = await started({ lines: [{ stream: 'stdout', line: 'serving on 8080' }] }, () => tcp(8080));
    await assert.rejects(waitReady(handle, server(7000), { observer }), (e: Error & { details?: { hint?: string } }) => {
      assert.match(e.message, /server own-server \(image:me\/server\) not listening on port 7000 after 600 ms: it listens on 0\.0\.0\.0:8080; its last lines:\n {2}serving on 8080/);
      assert.equal(e.details?.hint, 'give its port: --port 8080');
      return true;
    });
    assert.equal((handle as unknown as { removed: boolean }).removed, true, 'the server is removed');
  });

  it('ending before it listens: its exit code and last lines, not a timeout', async () => {
    const { handle, observer } = await started({ lines: [{ stream: 'stderr', line: 'Traceback: boom' }], exitAfterMs: 50, exitCode: 1 }, () => '');
    await assert.rejects(waitReady(handle, server(7000), { observer }), /own-server \(image:me\/server\) exited \(exit 1\) before listening on port 7000; its last lines:\n {2}Traceback: boom/);
  });
});
