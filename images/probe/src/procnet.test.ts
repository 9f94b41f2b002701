import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCounterFile, parseSocketTables, parseSockstat } from './procnet.js';
import { parseListenSendQ } from './ss.js';

// Rows shaped like the kernel's: a listener on :1B58 (7000) with 2 queued, two accepted-by-kernel-only
// connections (inode 0), one served with 0x1A bytes it has not read, one half-open, one TIME_WAIT, and a row for
// another port.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:1B58 00000000:0000 0A 00000000:00000002 00:00000000 00000000     0        0 1001 1 0 100 0 0 10 0
   1: 0200A8C0:1B58 0300A8C0:9C40 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1
   2: 0200A8C0:1B58 0300A8C0:9C41 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1
   3: 0200A8C0:1B58 0300A8C0:9C42 01 00000000:0000001A 00:00000000 00000000     0        0 2002 1 0 20 4 30 10 -1
   4: 0200A8C0:1B58 0300A8C0:9C43 03 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1
   5: 0200A8C0:1B58 0300A8C0:9C44 06 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1
   6: 0200A8C0:23F0 0300A8C0:9C45 01 00000000:00000000 00:00000000 00000000     0        0 3003 1 0 20 4 30 10 -1
`;

describe('reading the kernel socket tables', () => {
  it('takes the accept queue from the LISTEN row and splits unaccepted connections out', () => {
    const t = parseSocketTables([TCP, ''], 7000);
    assert.equal(t.acceptQueue, 2);
    assert.deepEqual(t.states, { established: 1, established_unaccepted: 2, syn_recv: 1, time_wait: 1, close_wait: 0 });
    assert.deepEqual(t.unread, { bytes: 26, sockets: 1 }, 'what the served connection received and its process has not read');
  });

  it('reports no listener when nothing listens on the port', () => {
    assert.equal(parseSocketTables([TCP], 7001).acceptQueue, null);
  });

  it('pairs netstat name and value lines by group', () => {
    const c = parseCounterFile('TcpExt: SyncookiesSent ListenOverflows\nTcpExt: 0 17\nIpExt: InNoRoutes\nIpExt: 3\n');
    assert.equal(c.TcpExt?.ListenOverflows, 17);
    assert.equal(c.IpExt?.InNoRoutes, 3);
  });

  it('reads the listen backlog from ss Send-Q', () => {
    assert.equal(parseListenSendQ('LISTEN 2      1      *:7000      *:*\n', 7000), 1);
    assert.equal(parseListenSendQ('LISTEN 0      511    [::]:7001      [::]:*\n', 7000), null);
  });
});

describe('the kernel\'s socket memory', () => {
  it('reads sockstat\'s TCP line, its buffer pages in bytes', () => {
    const text = 'sockets: used 34075\nTCP: inuse 18001 orphan 2 tw 7 alloc 34047 mem 77\nUDP: inuse 0 mem 256\n';
    assert.deepEqual(parseSockstat(text, 4096), { tcpInUse: 18001, tcpOrphans: 2, tcpTimeWait: 7, tcpAllocated: 34047, tcpMemoryBytes: 77 * 4096 });
    assert.equal(parseSockstat('UDP: inuse 0 mem 256\n', 4096), null);
    assert.equal(parseSockstat('TCP: inuse 1 orphan 0\n', 4096), null, 'a line without its fields is no reading');
  });
});
