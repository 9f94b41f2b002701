/** The findings and answers in English. */
import type { Outcome } from '@socklab/shared';
import { explainExit } from '../errors.js';
import type { Answer, OneThreadRow, ThreadsRow, WorkRow } from './answers.js';
import type { Comparison, ServerFact } from './facts.js';
import { fmt } from './lang.js';
import { coreCount, NOUNS } from './words.js';

const f = fmt('en');
const N = NOUNS.en;
const outcomeList = (pairs: ReadonlyArray<readonly [Outcome, number]>): string => f.list(pairs.map(([k, v]) => `${f.num(v, 0)} ${k}`));

/** The container's memory by the engine's last reading before the kill (it reads about once a second), and how long before. */
function killedContainer(a: Extract<Answer, { kind: 'memory-limit' }>): string {
  return a.lastRead ? ` (the engine's last reading of the container, ${f.secs(a.lastRead.beforeDeathMs)} before the kill, was ${f.mib(a.lastRead.bytes)})` : '';
}
/** How a server is named in a sentence: by its name and model beside others; alone, by what it is. */
const who = (name: string, model: string, several: boolean, capital = true): string => {
  const program = model.includes(':') ? model.slice(model.indexOf(':') + 1) : null;
  if (several) return `${name} (${program ?? model})`;
  return program ?? `${capital ? 'The' : 'the'} ${model} server`;
};
const between = (a: number | null, b: number | null): string => (a !== null && f.secs(a) === f.secs(b) ? `all at ${f.secs(a)}` : `between ${f.secs(a)} and ${f.secs(b)}`);

/** What the way a server's answers came shows, as measured: nothing is said of a shape it did not have. */
function workShape(r: WorkRow): string {
  const doing = r.work?.kind === 'cpu' ? 'computing' : 'waiting';
  const cores = r.cpus === null ? 'the machine\'s cores' : coreCount(r.cpus, 'en');
  switch (r.shape) {
    case 'together-early':
      return ` ${r.name}: ${doing} did not hold it up: all ${f.num(r.ok, 0)} requests were in service at once.`;
    case 'together-late':
      return ` ${r.name}: its ${f.num(r.ok, 0)} requests shared ${cores}, ${doing} in turns, so none finished early and all finished together.`;
    case 'staircase':
      return ` ${r.name}: ${doing} held its ${r.model === 'event-loop' ? 'loop' : 'thread'}, which answered one request about every ${f.secs(r.gapMs)}, in a staircase.`;
    case 'spread':
      return '';
  }
}

function threadsRow(r: ThreadsRow, several: boolean): string {
  const peak = r.peak === null ? 'an unknown number of threads' : r.userServer ? f.count(r.peak, N.thread) : `${f.count(r.peak, N.thread)} of its own`;
  const runtime = r.runtime ? `, beside ${f.num(r.runtime, 0)} of the runtime that hosts it` : '';
  const stack = r.stack ? `; each thread's stack maps ${f.size(r.stack.mappedBytes)} of address space, of which ${f.size(r.stack.residentBytes)} was resident` : '';
  return `${who(r.name, r.model, several)} reached ${peak}${runtime}${r.inService !== null ? `, with ${f.count(r.inService, N.request)} in service at once` : ''}${stack}`;
}

function oneThreadRow(r: OneThreadRow, several: boolean): string {
  const threads = r.threads === null ? 'an unknown number of threads' : r.userServer ? f.count(r.threads, N.thread) : `${f.count(r.threads, N.thread)} of its own`;
  const when =
    r.firstMs === null || r.lastMs === null
      ? ''
      : r.apartMs !== null
        ? `, answered one after another, about ${f.secs(r.apartMs)} apart (${between(r.firstMs, r.lastMs)})`
        : `, answered ${between(r.firstMs, r.lastMs)}`;
  return `${who(r.name, r.model, several)} served ${f.num(r.ok, 0)} of ${f.count(r.connections, N.client)} on ${threads}${r.runtime ? ` (the runtime kept ${f.num(r.runtime, 0)} more of its own)` : ''}${r.inService !== null ? `, ${f.num(r.inService, 0)} in service at once` : ''}${when}`;
}

const cpuVerdict = (cores: number | null): string => (cores === null ? 'Unknown' : cores >= 0.9 ? 'A whole core' : cores >= 0.5 ? 'Most of a core' : cores >= 0.2 ? 'A fair share of a core' : 'Little');
/** "was" or "were" for a count. */
const were = (n: number): string => (n === 1 ? 'was' : 'were');

/** Connections held at once and what each cost the clients, where the server held many (C10K, C100K). */
function heldEn(a: Extract<Answer, { kind: 'capacity' }>, fm: typeof f): string {
  if (a.held === null) return '';
  const clients =
    a.clientsPerHeld !== null && a.clientsHeld !== null
      ? ` Holding ${fm.num(a.clientsHeld, 0)} open at once, the clients' own memory stood ${fm.size(a.clientsPerHeld * a.clientsHeld)} above rest: ${fm.size(a.clientsPerHeld)} per connection held.`
      : a.clientsGrowth !== null && a.connections > 0 ? ` The clients' own memory grew by ${fm.size(a.clientsGrowth)}, ${fm.size(a.clientsGrowth / a.connections)} per connection.` : '';
  const kernel =
    a.tcpMemory !== null
      ? ` The kernel's TCP buffers (sockstat's mem: the whole machine's, both ends of every connection; the sockets themselves are kernel slab, not counted there) went from ${fm.size(a.tcpMemory.restBytes)} at rest to ${fm.size(a.tcpMemory.peakBytes)} at most: ${fm.size(Math.max(0, a.tcpMemory.peakBytes - a.tcpMemory.restBytes) / a.held)} per connection held.`
      : '';
  return ` The probe saw ${fm.num(a.held, 0)} established at once${a.heldAtMs !== null ? `, ${fm.secs(a.heldAtMs)} after the clients started` : ''}.${clients}${kernel}`;
}

/** The answer to the scenario's question: its report's first paragraph. */
export function answer(a: Answer): string {
  switch (a.kind) {
    case 'outcomes':
      return `${a.died.map((d) => `The ${d.model} server died during the run (${d.oomKilled ? `exit ${d.code}: killed by the kernel for memory` : d.code === 137 ? 'exit 137: killed' : `exit ${d.code}`}). `).join('')}${f.num(a.ok, 0)} of ${f.count(a.connections, N.connection)} ended ok${a.others.length > 0 ? `; ${outcomeList(a.others)}` : ''}${a.completionMs !== null ? `, all within ${f.secs(a.completionMs)} of the first start.` : '.'}`;
    case 'one-at-a-time':
      return a.yes
        ? `Yes. The ${a.model} server had one request in service at a time (peak ${f.num(a.inService, 0)}): it answered its clients at ${f.list(a.finishedMs.slice(0, 6).map((x) => f.secs(x)))}, one after the other${a.queuePeak ? `, while the kernel held the others in the accept queue (up to ${f.num(a.queuePeak, 0)} waiting${a.queueFirstMs !== null ? `, from ${f.secs(a.queueFirstMs)}` : ''})` : ''}.`
        : `No. The ${a.model} server had up to ${f.count(a.inService ?? 0, N.request)} in service at once${a.finishedMs.length > 0 ? `, answering between ${f.secs(a.finishedMs[0])} and ${f.secs(a.finishedMs[a.finishedMs.length - 1])}` : ''}.`;
    case 'refused-or-timed-out': {
      const o = a.outcomes;
      const timedOut = o.connect_timeout + o.read_timeout;
      const verdict = o.refused === 0 && timedOut > 0 ? 'Timeouts, not refusals.' : o.refused > 0 && timedOut === 0 ? 'Refusals, not timeouts.' : `Both: ${f.num(o.refused, 0)} refused and ${f.num(timedOut, 0)} timed out.`;
      return `${verdict} With listen(${f.num(a.backlog, 0)}) the kernel queued at most ${f.count(a.queuePeak ?? 0, N.connection)} for the busy server; the handshakes that found the queue full were dropped (TcpExt ListenOverflows +${f.num(a.overflows, 0)}), so ${f.num(o.connect_timeout, 0)} of ${f.count(a.connections, N.client)} timed out connecting${o.read_timeout > 0 ? ` and ${f.num(o.read_timeout, 0)} timed out waiting for an answer` : ''}, and ${f.num(o.refused, 0)} ${were(o.refused)} refused: Linux answers a full backlog with silence, never with ECONNREFUSED.`;
    }
    case 'threads':
      return `${a.servers.map((r) => `${threadsRow(r, a.servers.length > 1)}.`).join(' ')}${a.servers.some((r) => r.rssGrowth !== null) ? ` Resident memory grew by ${f.list(a.servers.map((r) => `${f.size(r.rssGrowth)}${a.servers.length > 1 ? ` (${r.name})` : ''}`))}, the runtime's own allocations included.` : ''}`;
    case 'one-thread':
      return `${a.yes ? 'Yes' : 'No'}: ${f.list(a.servers.map((r) => oneThreadRow(r, a.servers.length > 1)))}.`;
    case 'capacity':
      return `${a.yes ? 'Yes' : 'No'}: ${f.num(a.ok, 0)} of ${f.count(a.connections, N.connection)} ended ok${a.completionMs !== null ? `, all within ${f.secs(a.completionMs)}` : ''}, on ${f.count(a.threads ?? 0, N.thread)} of its own${a.rssGrowth !== null && a.connections > 0 ? `; resident memory grew by ${f.size(a.rssGrowth)}, ${f.size(a.rssGrowth / a.connections)} per connection (the runtime's own allocations included)` : ''}.${heldEn(a, f)}`;
    case 'deadlock':
      return a.yes
        ? `A deadlock: each side waited for the other. ${f.num(a.waiting, 0)} ${f.form(a.waiting, N.client)} connected and waited for the server to speak first, while the server's thread sat in recv waiting for a request${a.stalled > 0 ? ` (the probe saw ${f.count(a.stalled, N.thread)} blocked in recv on a socket with nothing to read)` : ''}; nothing moved until the clients' read timeout${a.readTimeoutMs ? ` of ${f.secs(a.readTimeoutMs)}` : ''} ended them (${outcomeList((Object.entries(a.outcomes) as Array<[Outcome, number]>).filter(([, v]) => v > 0))}).`
        : `No deadlock this time: ${outcomeList((Object.entries(a.outcomes) as Array<[Outcome, number]>).filter(([, v]) => v > 0))}.`;
    case 'deadlock-fix':
      return a.yes
        ? `Yes. The server's receive timeout (SO_RCVTIMEO ${f.secs(a.recvTimeoutMs)}) fired ${f.count(a.fired, N.time)}: it gave up on the client that never spoke and went back to accept(), and the next client was answered at ${f.secs(a.nextOkMs)}${a.gaveUp > 0 ? `; the silent client had given up too (read_timeout)` : ''}.`
        : `No: the server's receive timeout fired ${f.count(a.fired, N.time)}${a.nextOkMs === null ? ' and no later client was served' : ''}.`;
    case 'cpu':
      return `${cpuVerdict(a.serving)}: ${f.cores(a.serving)} cores while it served ${f.num(a.ok, 0)} of ${f.count(a.connections, N.client)}${a.atRest !== null ? `, and ${f.cores(a.atRest)} cores already at rest, before any client came` : ''}: polling asks every socket whether anything arrived, whether anything did or not.`;
    case 'cpu-vs-io':
      return `${f.list(a.servers.map((r) => `${r.name} (${r.model}, ${r.work?.kind ?? '?'} ${f.secs(r.work?.ms ?? null)} a request) answered its ${f.count(r.connections, N.client)} ${between(r.firstMs, r.lastMs)} after they started`))}.${a.servers.map(workShape).join('')}`;
    case 'refusal-policy':
      return `It depends on the policy: ${f.list(
        a.servers.map((r) =>
          r.policy === 'drop'
            ? `with Linux's default, dropping (${r.name}), ${f.num(r.outcomes.connect_timeout + r.outcomes.read_timeout, 0)} of ${f.count(r.connections, N.client)} timed out and ${f.num(r.outcomes.refused, 0)} ${were(r.outcomes.refused)} refused`
            : r.policy === 'abort-on-overflow'
              ? `with net.ipv4.tcp_abort_on_overflow=1 (${r.name}), ${f.num(r.outcomes.reset, 0)} of ${f.count(r.connections, N.client)} ${were(r.outcomes.reset)} reset after their handshake`
              : `with a rule refusing more than ${f.num(r.limit, 0)} connections at once (${r.name}), ${f.num(r.outcomes.refused, 0)} of ${f.count(r.connections, N.client)} ${were(r.outcomes.refused)} refused at once (ECONNREFUSED)`,
        ),
      )}.`;
    case 'slow-link': {
      const o = a.outcomes;
      return `Every handshake paid the link's ${f.ms(a.delayMs)} (connects took ${f.ms(a.connectP50)} at the median)${a.loss ? `; with ${f.pct(a.loss)} loss, ${f.count(a.synRetrans ?? 0, N.packet)} of the handshakes were retransmitted (TCPSynRetrans)` : ''}; the small backlog overflowed ${f.count(a.overflows ?? 0, N.time)} (ListenOverflows). In all ${f.num(o.ok, 0)} of ${f.count(a.connections, N.client)} ended ok${o.connect_timeout + o.read_timeout > 0 ? `, ${f.num(o.connect_timeout, 0)} timed out connecting and ${f.num(o.read_timeout, 0)} waiting for the answer` : ''}.`;
    }
    case 'memory-limit':
      return a.killed
        ? `${f.count(a.threads ?? 0, N.thread)} of its own: then the kernel's OOM killer ended it (exit ${f.num(a.code, 0)}) as its container reached its ${f.mib(a.limit)} limit${killedContainer(a)}. The process itself was last seen with ${f.mib(a.rssPeak)} resident.`
        : `It was not killed: it reached ${f.count(a.threads ?? 0, N.thread)} of its own, its container at most ${f.mib(a.containerPeak)} of ${f.mib(a.limit)}.`;
  }
}

/** One fact about a server, as a sentence. */
export function fact(x: ServerFact, name: string): string {
  switch (x.kind) {
    case 'clients':
      return `${f.num(x.ok, 0)} of ${f.count(x.connections, N.connection)} ended ok${x.others.length > 0 ? `; ${outcomeList(x.others)}` : ''}${x.completionMs !== null ? `, all within ${f.secs(x.completionMs)} of the first start.` : '.'}`;
    case 'delayed':
      return `Its clients started ${f.secs(x.startMs)} after the trial's first ones: its times below are on the trial's clock.`;
    case 'localhost':
      return `${name} listened on loopback only (127.0.0.1:${x.port}), as the course's programs do: its clients ran in its own network namespace.`;
    case 'serial':
      return `It worked on one request at a time (in service: at most 1): the ok clients were answered at ${f.list(x.finishedMs.map((v) => f.secs(v)))}${x.more ? ', ...' : ''}, about ${f.secs(x.gapMs)} apart, each waiting for the ones before it${x.queuePeak ? ` in the accept queue (up to ${f.num(x.queuePeak, 0)} at once)` : ''}.`;
    case 'concurrent':
      return `It worked on ${f.count(x.inService, N.request)} at once: the ok clients were answered ${between(x.firstMs, x.lastMs)}.`;
    case 'cpu-work':
      return x.loop
        ? `Each request computed for ${f.secs(x.workMs)} on the loop's one thread, which could do nothing else meanwhile: the clients were answered one by one, from ${f.secs(x.firstMs)} to ${f.secs(x.lastMs)}.`
        : `Each request computed for ${f.secs(x.workMs)} of CPU; ${f.count(x.inService ?? 0, N.thread)} shared the cores, each computing in turns, so they finished between ${f.secs(x.firstMs)} and ${f.secs(x.lastMs)}.`;
    case 'backlog': {
      const o = x.outcomes;
      const parts = [`The accept queue held ${f.count(x.queuePeak ?? 0, N.connection)} against a limit of ${f.num(x.queueMax, 0)} (listen backlog ${f.num(x.backlog, 0)}; Linux queues one more than the limit)`];
      if (x.overflows !== null) parts.push(`${f.count(x.overflows, N.packet)} of the handshake found it full (TcpExt ListenOverflows +${f.num(x.overflows, 0)}, ListenDrops +${f.num(x.drops ?? 0, 0)})`);
      const effects: string[] = [];
      if (o.connect_timeout > 0) effects.push(`${f.num(o.connect_timeout, 0)} of ${f.count(x.connections, N.client)} timed out connecting${x.connectTimeoutMs ? ` after ${f.secs(x.connectTimeoutMs)}` : ''}: their SYNs, and the client's retries, were dropped unanswered`);
      if (o.read_timeout > 0) effects.push(`${f.num(o.read_timeout, 0)} completed the handshake but never got an answer in time (read_timeout): the kernel dropped their final ACK, so they believed they were connected`);
      if (o.reset > 0) effects.push(`${f.num(o.reset, 0)} ${were(o.reset)} reset (ECONNRESET)`);
      if (o.refused > 0) effects.push(`${f.num(o.refused, 0)} ${were(o.refused)} refused (ECONNREFUSED)`);
      const tail = {
        dropped: ' Linux dropped, never refused: a full backlog is met with silence, and the client decides how long to wait.',
        'reject-above': " The refusals came from the probe's reject-above rule (iptables), not from the backlog.",
        'abort-on-overflow': ' With net.ipv4.tcp_abort_on_overflow=1 the kernel answers a full queue with a reset instead of dropping.',
      };
      return `${parts.join('; ')}${effects.length > 0 ? `. ${effects.join('; ')}.` : '.'}${x.why ? tail[x.why] : ''}`;
    }
    case 'threads': {
      const what = x.userServer ? 'Its threads' : 'The model\'s own threads';
      const runtime = x.runtime ? ` (the runtime that hosts it kept ${f.num(x.runtime, 0)} more of its own: V8, libuv, the main thread)` : '';
      const stack = x.stack ? ` Each thread's stack maps ${f.size(x.stack.mappedBytes)} of address space, of which ${f.size(x.stack.residentBytes)} was resident.` : '';
      const rss = x.rssIdle !== null && x.rssPeak !== null ? ` Resident memory went from ${f.mib(x.rssIdle)} to ${f.mib(x.rssPeak)}.` : '';
      return `${what} went from ${f.num(x.idle, 0)} at rest to ${f.num(x.peak, 0)} at the peak${x.inService ? `, with ${f.count(x.inService, N.request)} in service at once` : ''}${runtime}.${stack}${rss}`;
    }
    case 'cpu':
      return `It used ${f.cores(x.serving)} cores while its clients ran${x.atRest !== null ? ` and ${f.cores(x.atRest)} at rest, before them` : ''}${x.polling ? ': polling asks every socket whether anything arrived, even when nothing has' : ''}.`;
    case 'gap':
      return `Its own metrics did not answer for ${f.secs(x.gapMs)} while its clients ran, though the kernel's view kept coming: the process was too busy to answer (the gap in its charts).`;
    case 'stalled':
      return `Its thread sat in recv on a socket with nothing to read${x.stalled > 0 ? ` (the probe flagged ${f.count(x.stalled, N.thread)})` : ''}, waiting for a request, while ${f.count(x.waiting, N.client)} waited for it to speak first.`;
    case 'recv-timeout':
      return `Its receive timeout (SO_RCVTIMEO ${f.secs(x.recvTimeoutMs)}) fired ${f.count(x.fired, N.time)} (read_timeout, as the server counted it)${x.nextOkMs !== null ? `; the next client was answered at ${f.secs(x.nextOkMs)}` : ''}.`;
    case 'shaping': {
      const what = [x.delayMs > 0 ? `${f.ms(x.delayMs)} delay${x.jitterMs > 0 ? ` ± ${f.ms(x.jitterMs)}` : ''}` : '', x.loss > 0 ? `${f.pct(x.loss)} loss` : '', x.rateBps !== null ? `a ${f.num(x.rateBps / 1e6)} Mbit/s rate` : ''].filter(Boolean);
      return (
        `The probe shaped its link (${x.direction}) with ${f.list(what)}, using ${x.method}${x.unreal.length > 0 ? ` (not available here: ${f.list(x.unreal)})` : ''}.` +
        (x.connectP50 !== null ? ` Connects took ${f.ms(x.connectP50)} at the median and ${f.ms(x.connectP99)} at p99${x.synRetrans ? `; ${f.count(x.synRetrans, N.packet)} of the handshake were retransmitted (TCPSynRetrans)` : ''}.` : '')
      );
    }
    case 'died': {
      // The terminal's words for the exit (one wording in English), with the limit where the kernel killed it.
      const why = `${explainExit(x.code, x.oomKilled)}${x.oomKilled && x.memoryLimitBytes ? `, at its limit of ${f.mib(x.memoryLimitBytes)}` : ''}`;
      return (
        `The server died during the run: ${why}.` +
        (x.threadsPeak !== null ? ` Before it died it had reached ${f.count(x.threadsPeak, N.thread)} of its own${x.rssPeak !== null ? ` and ${f.mib(x.rssPeak)} resident` : ''} (the most the readings saw).` : '') +
        ' From then on its clients met what a dead server leaves: the kernel closed or reset the connections it held, and new ones found no one listening.'
      );
    }
  }
}

/** The servers of one trial side by side. */
export function compare(c: Comparison): string {
  const [first, ...rest] = c.rows;
  if (!first) return '';
  const row = (r: Comparison['rows'][number]): string =>
    `${who(r.name, r.model, true)} in ${f.secs(r.completionMs)} (${f.num(r.ok, 0)} of ${f.num(r.connections, 0)} ok, ${f.count(r.threads ?? 0, N.thread)} of its own${r.inService !== null ? `, at most ${f.num(r.inService, 0)} in service at once` : ''})`;
  // By how much: each later one against the first, in time and as a multiple of it.
  const behind = (r: Comparison['rows'][number]): string =>
    first.completionMs === null || r.completionMs === null || first.completionMs <= 0
      ? ''
      : f.secs(r.completionMs - first.completionMs) === f.secs(0)
        ? ', just as long'
        : `, ${f.secs(r.completionMs - first.completionMs)} longer (${f.ratio(r.completionMs / first.completionMs)} as long)`;
  return `First done${c.ownClocks ? ", each timed from its own clients' start" : ''}: ${row(first)}; then ${f.list(rest.map((r) => `${row(r)}${behind(r)}`))}.`;
}

/** A compare's cells: for each client count, which model finished first and last. */
export function compareCells(group: { clients: string; delay: string | null }, first: Comparison['rows'][number], last: Comparison['rows'][number]): string {
  return `With ${group.clients} clients${group.delay ? ` at ${group.delay} delay` : ''}, ${first.model} finished first in ${f.secs(first.completionMs)} (${f.num(first.ok, 0)}/${f.num(first.connections, 0)} ok, ${f.count(first.threads ?? 0, N.thread)}) and ${last.model} last in ${f.secs(last.completionMs)} (${f.num(last.ok, 0)}/${f.num(last.connections, 0)} ok, ${f.count(last.threads ?? 0, N.thread)}).`;
}
