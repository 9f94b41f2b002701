import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { demuxBuffer, parseStats, tarOne } from './wire.js';

/** One frame of Docker's multiplexed stream: [stream, 0, 0, 0, size (u32 BE)] then the payload. */
const frame = (stream: 1 | 2, text: string): Buffer => {
  const payload = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = stream;
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
};

describe("the engine's wire formats", () => {
  it('tarOne: an archive tar itself reads back, with the name, the bytes and a valid checksum', () => {
    const data = Buffer.from('{"targets":["server:9464"]}\n'.repeat(40));
    const archive = tarOne('run-1.json', data);
    assert.equal(archive.length % 512, 0, 'whole 512-byte blocks');
    const dir = mkdtempSync(path.join(tmpdir(), 'socklab-tar-'));
    try {
      writeFileSync(path.join(dir, 'a.tar'), archive);
      assert.equal(execFileSync('tar', ['-tf', 'a.tar'], { cwd: dir, encoding: 'utf8' }), 'run-1.json\n');
      execFileSync('tar', ['-xf', 'a.tar'], { cwd: dir });
      assert.deepEqual(readFileSync(path.join(dir, 'run-1.json')), data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The checksum: the header's bytes summed with its own field as spaces.
    const header = Buffer.from(archive.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString('ascii'), 8);
    header.fill(' ', 148, 156);
    assert.equal(stored, header.reduce((a, b) => a + b, 0));
  });

  it('tarOne: an empty file is a header and the two end blocks', () => {
    assert.equal(tarOne('empty', Buffer.alloc(0)).length, 512 + 1024);
  });

  it('demuxBuffer: stdout and stderr frames in order, payloads only; plain (TTY) text as it is', () => {
    assert.equal(demuxBuffer(Buffer.concat([frame(1, 'listening on 7000\n'), frame(2, 'warn: x\n'), frame(1, 'ready\n')])), 'listening on 7000\nwarn: x\nready\n');
    assert.equal(demuxBuffer(Buffer.from('plain text from a TTY container\n')), 'plain text from a TTY container\n');
    assert.equal(demuxBuffer(Buffer.alloc(0)), '');
  });

  it('parseStats: memory without the inactive page cache (as docker stats shows it), CPU in cores, pids', () => {
    const line = JSON.stringify({
      read: '2026-12-02T04:00:00.5Z',
      memory_stats: { usage: 100 * 2 ** 20, stats: { inactive_file: 30 * 2 ** 20 } },
      cpu_stats: { cpu_usage: { total_usage: 3_000_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 2 },
      precpu_stats: { cpu_usage: { total_usage: 2_000_000_000 }, system_cpu_usage: 18_000_000_000 },
      pids_stats: { current: 12 },
    });
    assert.deepEqual(parseStats(line), { t: Date.parse('2026-12-02T04:00:00.5Z'), memoryBytes: 70 * 2 ** 20, cpuCores: 1, pids: 12 });
  });

  it('parseStats: cgroup v1 names, a first reading with no previous one, and lines that are not readings', () => {
    const v1 = parseStats(JSON.stringify({ read: '2026-12-02T04:00:00Z', memory_stats: { usage: 5000, stats: { total_inactive_file: 1000 } }, cpu_stats: { cpu_usage: { total_usage: 10 }, system_cpu_usage: 100 }, precpu_stats: {} }));
    assert.equal(v1?.memoryBytes, 4000);
    assert.equal(v1?.cpuCores, 0.1, 'against no previous reading: the share since boot of one CPU');
    assert.equal(parseStats('not json'), null);
    assert.equal(parseStats(JSON.stringify({ read: '2026-12-02T04:00:00Z', memory_stats: {} })), null, 'a stopped container has no memory reading');
  });
});
