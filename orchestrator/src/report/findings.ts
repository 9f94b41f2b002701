import { parseDuration, type Outcome } from '@socklab/shared';
import { serverMeasures, trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results, ServerResult, TrialResult } from '../results/types.js';
import { kib, list, mib, msText, num, pct, plural, secs } from './format.js';

/** The swarm flag's value in a trial (its args), as milliseconds. */
function swarmFlagMs(t: TrialResult, flag: string, fallback: number): number {
  const args = t.swarms[0]?.args ?? [];
  const i = args.indexOf(flag);
  const v = i >= 0 ? args[i + 1] : undefined;
  return v === undefined ? fallback : parseDuration(v);
}

function outcomesSentence(m: TrialMeasures): string {
  const o = m.outcomes;
  const others = (['refused', 'reset', 'connect_timeout', 'read_timeout', 'error'] as Outcome[]).filter((k) => o[k] > 0).map((k) => `${o[k]} ${k}`);
  return `${o.ok} of ${plural(m.connections, 'connection')} ended ok${others.length > 0 ? `; ${list(others)}` : ''}` +
    (m.completionMs !== null ? `, all within ${secs(m.completionMs)} of the first connect.` : '.');
}

function serialSentence(t: TrialResult, s: ServerMeasures): string | null {
  if (s.inServicePeak !== 1) return null;
  const conns = t.swarms.flatMap((w) => w.summary?.connections ?? []).filter((c) => c.outcome === 'ok').map((c) => c.totalMs).sort((a, b) => a - b);
  if (conns.length < 2) return null;
  const shown = conns.slice(0, 6).map((x) => secs(x));
  const gaps = conns.slice(1).map((x, i) => x - (conns[i] ?? 0));
  const meanGap = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  return `The ${s.model} server worked on one request at a time (in-service peak 1): the ok clients finished at ${list(shown)}${conns.length > 6 ? ', ...' : ''}, about ${secs(meanGap)} apart, each waiting for the ones before it.`;
}

function backlogSentence(t: TrialResult, m: TrialMeasures, s: ServerMeasures, srv: ServerResult): string | null {
  const full = s.acceptQueuePeak !== null && s.acceptQueueMax !== null && s.acceptQueuePeak > s.acceptQueueMax;
  if (!full && !(s.listenOverflows && s.listenOverflows > 0)) return null;
  const o = m.outcomes;
  const connectTimeout = swarmFlagMs(t, '--connect-timeout', 5000);
  const parts = [
    `The accept queue held ${s.acceptQueuePeak ?? '?'} connection(s) against a limit of ${s.acceptQueueMax ?? '?'} (listen backlog ${s.backlog ?? '?'}; Linux queues one more than the limit)`,
  ];
  if (s.listenOverflows !== null) parts.push(`${plural(s.listenOverflows, 'handshake packet')} found it full (TcpExt ListenOverflows +${s.listenOverflows}, ListenDrops +${s.listenDrops ?? 0})`);
  const effects: string[] = [];
  if (o.connect_timeout > 0) effects.push(`${o.connect_timeout} of ${m.connections} clients timed out connecting after ${secs(connectTimeout)}: their SYNs, and the client's retries, were dropped unanswered`);
  if (o.read_timeout > 0) effects.push(`${o.read_timeout} completed the handshake but never got an answer in time (read_timeout): the kernel dropped their final ACK, so they believed they were connected`);
  if (o.reset > 0) effects.push(`${o.reset} were reset (ECONNRESET)`);
  if (o.refused > 0) effects.push(`${o.refused} were refused (ECONNREFUSED)`);
  const refusal = srv.shaping?.config?.refusal.kind ?? 'drop';
  let tail = '';
  if (o.refused === 0 && refusal === 'drop' && o.connect_timeout + o.read_timeout > 0) tail = ' Linux dropped, never refused: a full backlog is met with silence, and the client decides how long to wait.';
  if (refusal === 'reject-above' && o.refused > 0) tail = ' The refusals came from the probe\'s reject-above policy (iptables), not from the backlog.';
  if (o.reset > 0 && srv.sysctls['net.ipv4.tcp_abort_on_overflow'] === '1') tail = ' With net.ipv4.tcp_abort_on_overflow=1 the kernel answers a full queue with a reset instead of dropping.';
  return `${parts.join('; ')}${effects.length > 0 ? `. ${effects.join('; ')}.` : '.'}${tail}`;
}

function threadSentence(m: TrialMeasures, s: ServerMeasures): string | null {
  if (s.threadsIdle === null || s.threadsPeak === null) return null;
  const extra = s.threadsPeak - s.threadsIdle;
  const rss = s.rssIdleBytes !== null && s.rssPeakBytes !== null ? s.rssPeakBytes - s.rssIdleBytes : null;
  if (extra >= 3) {
    const per = rss !== null && extra > 0 ? ` (${kib(rss / extra)} per extra thread)` : '';
    return `Threads went from ${s.threadsIdle} at rest to ${s.threadsPeak} at the peak, with ${s.inServicePeak ?? '?'} requests in service at once: one thread per connection. Resident memory went from ${mib(s.rssIdleBytes)} to ${mib(s.rssPeakBytes)}${per}.`;
  }
  if (m.outcomes.ok >= 5 && (s.inServicePeak ?? 0) >= 5 && extra <= 1) {
    return `The process kept ${s.threadsPeak} OS threads (${s.threadsIdle} at rest) while ${s.inServicePeak} requests were in service at once: no thread per connection. Resident memory went from ${mib(s.rssIdleBytes)} to ${mib(s.rssPeakBytes)}.`;
  }
  return null;
}

function cpuSentence(s: ServerMeasures): string | null {
  if (s.cpuCoresMean === null || s.cpuCoresMean < 0.4) return null;
  return `The server's container used ${num(s.cpuCoresMean)} cores on average while the swarm ran (${num(s.cpuCoresPeak)} at the peak): CPU spent ${s.model === 'polling' ? 'asking sockets whether anything arrived' : 'on the work itself'}.`;
}

function deadlockSentence(t: TrialResult, m: TrialMeasures): string | null {
  const fb = t.swarms.reduce((a, w) => a + (w.summary?.latencyMs.firstByte.count ?? 0), 0);
  if (m.connections === 0 || fb > 0 || m.outcomes.ok > 0) return null;
  const connected = t.swarms.reduce((a, w) => a + (w.summary?.latencyMs.connect.count ?? 0), 0);
  if (connected === 0) return null;
  return `${connected} client(s) connected and not one byte came back: the clients waited for the server to speak first while the server waited for a request, both blocked in recv. Only a timeout (or the run's bound) ended it.`;
}

function shapingSentence(t: TrialResult, srv: ServerResult): string | null {
  const c = srv.shaping?.config;
  if (!c || (c.delayMs === 0 && c.loss === 0 && c.rateBps === null)) return null;
  const what = [c.delayMs > 0 ? `${c.delayMs} ms delay${c.jitterMs > 0 ? ` ± ${c.jitterMs} ms` : ''}` : '', c.loss > 0 ? `${pct(c.loss)} loss` : '', c.rateBps !== null ? `a ${c.rateBps / 1e6} Mbit/s rate` : '']
    .filter(Boolean);
  const unreal = (srv.shaping?.plan.effects ?? []).filter((e) => !e.real).map((e) => `${e.effect} ${e.direction}`);
  const connect = t.swarms[0]?.summary?.latencyMs.connect;
  return `The probe shaped the server's link (${c.direction}) with ${list(what)}, using ${srv.shaping?.plan.method}${unreal.length > 0 ? ` (not available here: ${list(unreal)})` : ''}.` +
    (connect && connect.count > 0 ? ` Connects took ${msText(connect.p50)} at the median and ${msText(connect.p99)} at p99.` : '');
}

/** Paragraphs written from one trial's measured values; a paragraph appears only when its data say something. */
export function trialFindings(t: TrialResult): string[] {
  const m = trialMeasures(t);
  const out = [outcomesSentence(m)];
  for (const srv of t.servers) {
    const s = serverMeasures(srv);
    if (srv.died) out.push(`The ${s.model} server died during the run: ${srv.died.explanation}.`);
    for (const p of [serialSentence(t, s), backlogSentence(t, m, s, srv), threadSentence(m, s), cpuSentence(s), shapingSentence(t, srv)]) if (p) out.push(p);
  }
  const d = deadlockSentence(t, m);
  if (d) out.push(d);
  return out;
}

/** For a compare: per client count, which model finished first and last, and the thread and memory costs. */
export function compareFindings(r: Results): string[] {
  const rows = r.trials.map((t) => ({ t, m: trialMeasures(t) }));
  const out: string[] = [];
  const byClients = new Map<string, typeof rows>();
  for (const row of rows) {
    const key = `${row.t.cell.clients ?? '?'} clients${row.t.cell.delay && row.t.cell.delay !== '0ms' ? ` at ${row.t.cell.delay} delay` : ''}`;
    byClients.set(key, [...(byClients.get(key) ?? []), row]);
  }
  for (const [key, group] of byClients) {
    const timed = group.filter((g) => g.m.completionMs !== null).sort((a, b) => (a.m.completionMs ?? 0) - (b.m.completionMs ?? 0));
    if (timed.length < 2) continue;
    const first = timed[0]!;
    const last = timed[timed.length - 1]!;
    const okText = (g: (typeof timed)[number]): string => `${g.m.outcomes.ok}/${g.m.connections} ok`;
    const threads = (g: (typeof timed)[number]): string => `${g.m.servers[0]?.threadsPeak ?? '?'} threads`;
    out.push(
      `With ${key}, ${first.t.cell.model} finished first in ${secs(first.m.completionMs)} (${okText(first)}, ${threads(first)}) and ${last.t.cell.model} last in ${secs(last.m.completionMs)} (${okText(last)}, ${threads(last)}).`,
    );
  }
  return out;
}
