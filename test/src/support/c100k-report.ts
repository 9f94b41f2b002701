/**
 * The c100k report's answer held to its results.json: one check for the suite's small variant (c100k.test) and
 * for the 100,000 themselves (`npm run bench -- c100k`), so the full-size report is checked as the small one is.
 */
import { fmt, trialMeasures, type Results } from '@socklab/orchestrator';

const f = fmt('en');

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

/** What the report's answer says that its results do not: an empty list when they agree. */
export function c100kReportMismatches(md: string, t: Results['trials'][number]): string[] {
  const out: string[] = [];
  const m = trialMeasures(t);
  const s = m.servers[0]!;
  const n = m.connections;
  const allOk = m.outcomes.ok === n;
  const answer = /\*\*Answer\.\*\* (.*)/.exec(md)?.[1] ?? '';
  const opening = `${allOk ? 'Yes' : 'No'}: ${m.outcomes.ok.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} connections ended ok`;
  if (!answer.startsWith(opening)) out.push(`the answer opens "${answer.slice(0, 80)}", not "${opening}"`);
  // What the clients held per connection, where each swarm held the most at once.
  const held = t.swarms.reduce((a, w) => a + (w.summary?.memory?.heldConnections ?? 0), 0);
  const perHeld = t.swarms.reduce((a, w) => a + ((w.summary?.memory?.heldBytes ?? 0) - (w.summary?.memory?.idleBytes ?? 0)), 0) / held;
  const clients = /the clients' own memory stood ([\d.,]+ [KM]iB) above rest: ([\d.,]+ KiB) per connection held/.exec(answer);
  if (!clients) out.push("the answer does not say what the clients held per connection");
  else if (clients[2] !== kib(perHeld)) out.push(`the clients held ${clients[2]} per connection in the answer, ${kib(perHeld)} in results.json`);
  // The kernel's TCP buffers (sockstat's mem), at rest and at most, over the connections held.
  const kernel = /The kernel's TCP buffers \([^)]*\) went from (.+?) at rest to (.+?) at most: (.+?) per connection held\./.exec(answer);
  if (s.tcpMemoryRestBytes === null || s.tcpMemoryPeakBytes === null || s.establishedPeak === null) out.push('results.json has no reading of the kernel\'s TCP buffers');
  else if (!kernel) out.push("the answer does not say what the kernel's TCP buffers held");
  else {
    const want = [f.size(s.tcpMemoryRestBytes), f.size(s.tcpMemoryPeakBytes), kib(Math.max(0, s.tcpMemoryPeakBytes - s.tcpMemoryRestBytes) / s.establishedPeak)];
    if (kernel.slice(1, 4).join(' | ') !== want.join(' | ')) out.push(`the kernel's buffers (rest | most | per connection): ${kernel.slice(1, 4).join(' | ')} in the answer, ${want.join(' | ')} in results.json`);
  }
  // The server's own growth per connection, as the table's rest→peak gives it.
  if (s.rssPeakBytes !== null && s.rssIdleBytes !== null) {
    const grew = /resident memory grew by ([\d.,]+ [KM]iB), ([\d.,]+ KiB) per connection/.exec(answer);
    const want = [f.size(s.rssPeakBytes - s.rssIdleBytes), f.size((s.rssPeakBytes - s.rssIdleBytes) / n)];
    if (!grew) out.push("the answer does not say how the server's memory grew per connection");
    else if (`${grew[1]} | ${grew[2]}` !== want.join(' | ')) out.push(`the server grew by ${grew[1]} | ${grew[2]} a connection in the answer, ${want.join(' | ')} in results.json`);
  }
  return out;
}
