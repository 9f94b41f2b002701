import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { parseDuration } from '@socklab/shared';
import { fmt, readResults, REPO_ROOT, type Results } from '@socklab/orchestrator';
import { runDir, socklab } from './support/cli.js';
import { axisInsidePlot, CHROMIUM, clipped, look, openBrowser, overlaps, repeatedTicks } from './support/report-page.js';

/**
 * Every built-in scenario, run as a user runs it, its report held to what a student hands in: it opens with the
 * answer to its question, in the numbers that decide it; those numbers are results.json's (computed here from
 * the raw results, apart from socklab's own measures) and the tables'; and the HTML, in both languages, opened in
 * Chromium, draws every chart with data and no text over other text.
 */
const ARTIFACTS = path.join(REPO_ROOT, 'test/artifacts/reports');
const f = fmt('en');

type Trial = Results['trials'][number];

/** The ok clients' end times on the trial's clock, from the swarms' raw summaries. */
function okEnds(t: Trial, target?: string): number[] {
  return t.swarms
    .filter((w) => target === undefined || w.target === target)
    .flatMap((w) => (w.summary?.connections ?? []).filter((c) => c.outcome === 'ok').map((c) => w.summary!.startedAtMs - t.swarmsStartedAt + c.startMs + c.totalMs))
    .sort((a, b) => a - b);
}

const counter = (t: Trial, server: string, key: string): number => {
  const p = t.servers.find((s) => s.name === server)!.probe;
  return (p[p.length - 1]?.counters[key] ?? 0) - (p[0]?.counters[key] ?? 0);
};
const ownThreadsPeak = (t: Trial, server: string): number => {
  const s = t.servers.find((x) => x.name === server)!;
  return s.userServer ? Math.max(...s.probe.map((p) => p.ownThreads ?? 0)) : Math.max(...s.samples.flatMap((x) => [x.modelThreads, x.modelThreadsPeak]));
};
const outcomes = (t: Trial, server: string): Record<string, number> => {
  const o: Record<string, number> = {};
  for (const w of t.swarms.filter((x) => x.target === server)) for (const [k, v] of Object.entries(w.summary?.outcomes ?? {})) o[k] = (o[k] ?? 0) + v;
  return o;
};

const MIB = 2 ** 20;
const rssOf = (t: Trial, server: string): number[] => {
  const s = t.servers.find((x) => x.name === server)!;
  return s.userServer ? s.probe.flatMap((p) => (p.rssBytes === null ? [] : [p.rssBytes])) : s.samples.map((x) => x.rssBytes);
};
const growthOf = (t: Trial, server: string): number => Math.max(...rssOf(t, server)) - rssOf(t, server)[0]!;

/** What a server held at once, by the probe: the most established, when first seen, and the machine's TCP buffers. */
function held(t: Trial, server: string): string[] {
  const s = t.servers.find((x) => x.name === server)!;
  const peak = Math.max(...s.probe.map((p) => p.established));
  const at = s.probe.find((p) => p.established === peak)!;
  const mem = s.probe.flatMap((p) => (p.tcpMemoryBytes == null ? [] : [{ t: p.t, b: p.tcpMemoryBytes }]));
  const rest = ([...mem].reverse().find((m) => m.t < t.swarmsStartedAt) ?? mem[0])!.b;
  const top = Math.max(...mem.map((m) => m.b));
  const w = t.swarms.find((x) => x.target === server)!.summary!.memory!;
  return [
    `The probe saw ${f.num(peak, 0)} established at once, ${f.secs(at.t - t.swarmsStartedAt)} after the clients started`,
    `the clients' own memory stood ${f.size(w.heldBytes! - w.idleBytes)} above rest: ${f.size((w.heldBytes! - w.idleBytes) / w.heldConnections!)} per connection held`,
    `went from ${f.size(rest)} at rest to ${f.size(top)} at most: ${f.size(Math.max(0, top - rest) / peak)} per connection held`,
  ];
}

/** Every figure with a unit a text states: 1.01 s, 2,004 ms, 12.0 KiB, 0.73 cores, 2%. */
const FIGURE = /(?<![\w.,])\d[\d,]*(?:\.\d+)?\s?(?:ms|s|MiB|KiB|GiB|%|cores?)(?![\w])/g;

/** The figures the report's tables show: each cell, each side of "rest→peak" and "at rest / serving". */
function tableFigures(md: string): Set<string> {
  const cells = md.split('\n').filter((l) => l.startsWith('|')).flatMap((l) => l.split('|'));
  return new Set(cells.flatMap((c) => c.split(/→| \/ /)).map((c) => c.trim()));
}

/**
 * The figures an answer states that nothing grounds: not a table's (a CPU figure's number alone, as its column
 * shows it), not the server's own settings (its WORK, its timeouts), not a growth a table's rest→peak shows (to
 * the 0.1 MiB the table rounds to), and not one the test computed from results.json itself.
 */
function unexplained(answer: string, md: string, t: Trial, expected: ReadonlyArray<string | RegExp>): string[] {
  const cells = tableFigures(md);
  // The figures of what the test computed, whole (a figure is not found inside a longer one: 1.00 s in 11.00 s).
  const computed = new Set(expected.flatMap((e) => (typeof e === 'string' ? (e.match(FIGURE) ?? []).map((x) => x.trim()) : [])));
  const settings = t.servers.flatMap((s) => Object.values(s.env)).flatMap((v) => {
    try {
      const ms = parseDuration(String(v).replace(/^(io|cpu):/, ''));
      return [f.secs(ms), f.ms(ms)];
    } catch {
      return [];
    }
  });
  // The link as the probe shaped it (its /shaping answer): the delay, jitter and loss the scenario asked for.
  for (const s of t.servers) {
    const c = s.shaping?.config;
    if (c?.delayMs) settings.push(f.ms(c.delayMs), f.secs(c.delayMs));
    if (c?.jitterMs) settings.push(f.ms(c.jitterMs));
    if (c?.loss) settings.push(f.pct(c.loss));
  }
  // The clients' own timeouts, as the plan set them.
  for (const w of t.swarms) settings.push(...[w.connectTimeoutMs, w.readTimeoutMs].flatMap((ms) => (ms ? [f.secs(ms), f.ms(ms)] : [])));
  const grown = md.split('\n').filter((l) => l.startsWith('|')).flatMap((l) => [...l.matchAll(/([\d.,]+) MiB→([\d.,]+) MiB/g)].map((m) => (Number(m[2]!.replace(/,/g, '')) - Number(m[1]!.replace(/,/g, ''))) * MIB));
  const bytes = (x: string): number | null => {
    const m = /^([\d.,]+)\s?(KiB|MiB|GiB)$/.exec(x);
    return m ? Number(m[1]!.replace(/,/g, '')) * { KiB: 1024, MiB: MIB, GiB: 1024 * MIB }[m[2] as 'KiB'] : null;
  };
  return (answer.match(FIGURE) ?? []).filter((x) => {
    const n = x.replace(/\s?cores?$/, '');
    const b = bytes(x);
    return !cells.has(x) && !cells.has(n) && !settings.includes(x) && !computed.has(x) && !(b !== null && grown.some((g) => Math.abs(g - b) <= 0.1 * MIB));
  });
}

const medianOf = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * What the text may say of when clients were answered, from the swarms' raw summaries: each server's ok clients'
 * end times and, for clients served one after another, the median gap between two answers.
 */
function answeredAt(t: Trial): string[] {
  return t.servers.flatMap((s) => {
    const ends = okEnds(t, s.name);
    const gaps = ends.slice(1).map((e, i) => e - ends[i]!);
    const mid = gaps.length === 0 ? null : medianOf(gaps);
    return [...ends.map((e) => f.secs(e)), ...(mid === null ? [] : [`about ${f.secs(mid)} apart`])];
  });
}

/** When each server's clients were done, on the trial's clock, and how long they took from their own start. */
function clientsClock(t: Trial): { done: number[]; took: number[] } {
  const own = (s: Trial['servers'][number]) => t.swarms.filter((w) => w.target === s.name).map((w) => ({ from: w.summary!.startedAtMs - t.swarmsStartedAt, to: w.summary!.startedAtMs - t.swarmsStartedAt + w.summary!.durationMs }));
  const done = t.servers.map((s) => Math.max(...own(s).map((x) => x.to)));
  return { done, took: t.servers.map((s, i) => done[i]! - Math.min(...own(s).map((x) => x.from))) };
}

/**
 * What a text comparing servers may say, from the raw results: how much later each server's clients were done
 * than another's, and as many times as long; and how long after the trial's first clients each swarm started.
 */
function compared(t: Trial): string[] {
  const { done, took } = clientsClock(t);
  // A server too busy to answer its metrics: the longest stretch, while its clients ran, with no reading of it
  // but two or more of the kernel's (the probe's).
  const silent = t.servers.map((s, i) => {
    const to = t.swarmsStartedAt + done[i]!;
    const edges = [t.swarmsStartedAt, ...s.samples.map((x) => x.t).filter((x) => x > t.swarmsStartedAt && x < to), to];
    return Math.max(0, ...edges.slice(1).map((x, j) => (s.probe.filter((p) => p.t > edges[j]! && p.t < x).length >= 2 ? x - edges[j]! : 0)));
  });
  return [
    ...silent.map((ms) => `did not answer for ${f.secs(ms)}`),
    ...took.flatMap((a) => took.flatMap((b) => (b > a ? [`${f.secs(b - a)} longer`] : []))),
    ...took.map((x) => `in ${f.secs(x)} (`),
    ...t.swarms.map((w) => `started ${f.secs(w.summary!.startedAtMs - t.swarmsStartedAt)} after the trial's first ones`),
  ];
}

/** What each scenario's answer must say, from the raw results. */
const ANSWERS: Record<string, (t: Trial) => Array<string | RegExp>> = {
  sequential: (t) => [
    /^Yes\. The sequential server had one request in service at a time \(peak 1\)/,
    ...okEnds(t).map((x) => f.secs(x)),
    // The queue on the report's clock: waiting from the probe's first reading of it non-empty after the start.
    `from ${f.secs(t.servers[0]!.probe.find((p) => p.t >= t.swarmsStartedAt && p.acceptQueue > 0)!.t - t.swarmsStartedAt)})`,
  ],
  backlog: (t) => [/^Timeouts, not refusals\./, `ListenOverflows +${counter(t, 'server', 'TcpExt ListenOverflows')})`, `${outcomes(t, 'server').connect_timeout} of 10 clients timed out connecting`, '0 were refused'],
  threaded: (t) => [/^The threaded server reached/, `reached ${ownThreadsPeak(t, 'server')} threads of its own`, 'with 10 requests in service at once', `Resident memory grew by ${f.size(growthOf(t, 'server'))}`],
  'event-loop': () => [/^Yes: The event-loop server served 10 of 10 clients on 1 thread of its own/, '10 in service at once'],
  challenge: (t) => [
    /^Yes: 200 of 200 connections ended ok/,
    'on 1 thread of its own',
    `resident memory grew by ${f.size(growthOf(t, 'server'))}, ${f.size(growthOf(t, 'server') / 200)} per connection`,
    ...held(t, 'server'),
  ],
  deadlock: (t) => [/^A deadlock: each side waited for the other\./, `(${outcomes(t, 'server').read_timeout} read_timeout)`, 'read timeout of 3.00 s'],
  'deadlock-timeout': (t) => [/^Yes\. The server's receive timeout \(SO_RCVTIMEO 1\.00 s\) fired 1 time/, `answered at ${f.secs(okEnds(t)[0])}`],
  polling: () => [/^(A whole core|Most of a core): \d\.\d\d cores while it served 10 of 10 clients, and \d\.\d\d cores already at rest/],
  'cpu-vs-io': (t) => [
    ...['loop-io', 'loop-cpu', 'threads-cpu'].map((name) => {
      const w = t.swarms.find((x) => x.target === name)!;
      const from = w.summary!.startedAtMs - t.swarmsStartedAt;
      const ends = okEnds(t, name).map((x) => x - from);
      return f.secs(ends[0]) === f.secs(ends[ends.length - 1]) ? `all at ${f.secs(ends[0])}` : `between ${f.secs(ends[0])} and ${f.secs(ends[ends.length - 1])} after they started`;
    }),
    // What each server's answers show, as they came: the waiting loop's all at once, the computing loop's one
    // every 200 ms (the median gap between two answers), the threads' together, late, on their one core.
    'loop-io: waiting did not hold it up: all 10 requests were in service at once.',
    ((ends) => `loop-cpu: computing held its loop, which answered one request about every ${f.secs(medianOf(ends.slice(1).map((e, i) => e - ends[i]!)))}, in a staircase.`)(okEnds(t, 'loop-cpu')),
    'threads-cpu: its 10 requests shared 1 core, computing in turns, so none finished early and all finished together.',
  ],
  refusal: (t) => [/^It depends on the policy:/, `${outcomes(t, 'reject').refused} of 10 clients were refused at once (ECONNREFUSED)`],
  'backlog-rtt': (t) => [/^Every handshake paid the link's 100 ms/, `connects took ${f.ms(t.swarms[0]!.summary!.latencyMs.connect.p50)} at the median`],
  'python-async-vs-event-loop': () => [/^Yes:/, 'server_async.py) served 10 of 10 clients on 1 thread', 'native (event-loop) served 10 of 10 clients on 1 thread of its own'],
  'python-threads-vs-threaded': (t) => [
    `servidor_threads.py) reached ${ownThreadsPeak(t, 'python-threads')} threads`,
    `native (threaded) reached ${ownThreadsPeak(t, 'native')} threads of its own`,
    `Resident memory grew by ${f.size(growthOf(t, 'python-threads'))} (python-threads) and ${f.size(growthOf(t, 'native'))} (native)`,
  ],
  'thread-explosion': (t) => [
    new RegExp(`^${f.num(ownThreadsPeak(t, 'server'), 0)} threads of its own: then the kernel's OOM killer ended it \\(exit 137\\) as its container reached its 128\\.0 MiB limit`),
    `its ${f.mib(t.servers[0]!.died!.memoryLimitBytes!)} limit`,
    // The container's memory beside the process's own, from the raw stats: the engine's last reading (about one a
    // second: never the instant of the kill) and how long before the kill it was taken.
    ((last, died) => `(the engine's last reading of the container, ${f.secs(died - last.t)} before the kill, was ${f.mib(last.memoryBytes)})`)(t.servers[0]!.stats[t.servers[0]!.stats.length - 1]!, t.servers[0]!.died!.at!),
  ],
};

describe('every built-in scenario: its report answers its question first, in the numbers results.json has', () => {
  let out: string;
  let browser: Browser | undefined;
  before(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'socklab-scn-'));
    mkdirSync(ARTIFACTS, { recursive: true });
    if (CHROMIUM) browser = await openBrowser();
  });
  after(async () => {
    await browser?.close();
    rmSync(out, { recursive: true, force: true });
  });

  for (const [name, expected] of Object.entries(ANSWERS)) {
    it(`${name}: answered first, the same numbers in the text, the tables and results.json; the page in English and Portuguese`, async (t) => {
      const dir = path.join(out, name);
      const r = socklab(['run', name, '--out', dir], {}, 240_000);
      assert.equal(r.status, 0, `exit ${r.status} (3: expectations not met)\n${r.stderr.slice(-3000)}`);
      const run = runDir(dir);
      const results = readResults(run);
      const trial = results.trials[0]!;
      const md = readFileSync(path.join(run, 'report.md'), 'utf8');
      const lines = md.split('\n').filter(Boolean);
      const q = lines.findIndex((l) => l.startsWith('**Question.**'));
      assert.ok(q >= 0 && lines[q + 1]?.startsWith('**Answer.** '), `the answer comes right after the question:\n${lines.slice(0, 8).join('\n')}`);
      const answer = lines[q + 1]!.replace('**Answer.** ', '');
      const wanted = expected(trial);
      for (const e of wanted) {
        if (typeof e === 'string') assert.ok(answer.includes(e), `${name}: the answer says ${JSON.stringify(e)}:\n${answer}`);
        else assert.match(answer, e, `${name}: the answer`);
      }
      // Every figure the answer states is one the tables show or the test computed from results.json; and so is
      // every figure of "What happened" (where the answer's own, checked above, may come again).
      assert.deepEqual(unexplained(answer, md, trial, wanted), [], `${name}: figures of the answer that neither the tables nor results.json give:\n${answer}`);
      // The text after the answer up to the tables: "What happened", or each server's section and their comparison.
      const happened = (md.split(lines[q + 1]!)[1] ?? '').split('\n## Clients')[0] ?? '';
      assert.ok(/\d/.test(happened), `${name}: what happened, after the answer`);
      assert.deepEqual(unexplained(happened, md, trial, [...wanted, answer, ...answeredAt(trial), ...compared(trial)]), [], `${name}: figures of what happened that neither the tables nor results.json give:\n${happened}`);
      // Servers compared each on its own clients' clock (cpu-vs-io starts the threaded server's clients later).
      if (trial.servers.length > 1) {
        const compare = happened.split('## The servers compared')[1] ?? '';
        trial.servers.forEach((s, i) => assert.match(compare, new RegExp(`${s.name} \\([^)]*\\) in ${f.secs(clientsClock(trial).took[i]!).replace('.', '\\.')} \\(`), `${name}: ${s.name} compared on its clients' own clock:\n${compare}`));
      }
      // The tables hold the same figures: each server's own threads and its clients' outcomes.
      for (const s of trial.servers) {
        assert.match(md, new RegExp(`\\| ${s.name} \\(${s.model.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\) \\|[^\\n]*\\|\\s*\\d[\\d,]*→${f.num(ownThreadsPeak(trial, s.name), 0)} \\|`), `${name}: the servers table shows ${s.name}'s own threads`);
        const o = outcomes(trial, s.name);
        assert.ok(md.includes(`| ${s.name} (${s.model}) | ${f.num(o.ok ?? 0, 0)} | ${f.num(o.refused ?? 0, 0)} | ${f.num(o.reset ?? 0, 0)} | ${f.num(o.connect_timeout ?? 0, 0)} |`), `${name}: the clients table shows ${s.name}'s outcomes`);
      }
      // No figure stands in as "?": everything the report states, it measured (the question alone asks).
      const stated = (text: string): string => text.split('\n').filter((l) => !/^(#|\*\*(Question|Pergunta)\.\*\*)/.test(l)).join('\n');
      assert.doesNotMatch(stated(md), /(^|[\s(|])\?($|[\s),.;:|])/m, `${name}: a "?" where a figure should be`);
      const pt = socklab(['report', run, '--lang', 'pt-BR'], {}, 60_000);
      assert.equal(pt.status, 0, pt.stderr);
      const mdPt = readFileSync(path.join(run, 'report.md'), 'utf8');
      assert.match(mdPt, /\*\*Resposta\.\*\* /);
      assert.doesNotMatch(mdPt, /\b\d+\.\d{1,2} (s|MiB|KiB|ms)\b/, 'Portuguese numbers in the Portuguese report');
      assert.doesNotMatch(stated(mdPt), /(^|[\s(|])\?($|[\s),.;:|])/m, `${name}: a "?" where a figure should be (pt-BR)`);
      // No English left in the Portuguese prose (tables keep the outcomes' and kernel's names; links their files).
      const prose = mdPt.split('\n').filter((l) => !/^(\||!\[)/.test(l)).join('\n');
      assert.doesNotMatch(prose, /\b(the|were|was|its own|answered|after they|readings?|failed|clients? (started|connected))\b/i, `${name}: English in the Portuguese report`);
      if (!browser) return t.skip('no chromium here: the pages were not opened');
      for (const lang of ['pt-BR', 'en'] as const) {
        if (lang === 'en') assert.equal(socklab(['report', run], {}, 60_000).status, 0);
        const seen = await look(browser, path.join(run, 'report.html'), path.join(ARTIFACTS, `${name}-${lang}.png`));
        assert.deepEqual(seen.errors, [], `${name} ${lang}: no console errors`);
        assert.ok(seen.charts.length >= 3, `${name} ${lang}: charts`);
        for (const c of seen.charts) assert.ok(c.marks > 3 && c.points > 0, `${name} ${lang}: chart ${c.id} has data (${c.points} points drawn)`);
        assert.deepEqual(seen.charts.flatMap(overlaps), [], `${name} ${lang}: no text over other text in the charts`);
        assert.deepEqual(seen.charts.flatMap(repeatedTicks), [], `${name} ${lang}: every axis tick says a different value`);
        assert.deepEqual(seen.charts.flatMap(clipped), [], `${name} ${lang}: no text cut off at a chart's edge`);
        assert.deepEqual(seen.charts.flatMap(axisInsidePlot), [], `${name} ${lang}: every y axis at its plot's edge`);
        assert.ok(seen.answer.length > 40, `${name} ${lang}: the answer on the page`);
        if (trial.servers[0]!.died) {
          // The kill marked on the threads-and-memory chart, with the container's memory and its limit beside the process's.
          const texts = seen.charts.find((c) => c.id.startsWith('threads-'))!.texts.map((x) => x.text);
          const w = lang === 'en' ? { killed: 'killed', limit: 'limit 128.0 MiB', container: 'container memory' } : { killed: 'morto', limit: 'limite 128,0 MiB', container: 'memória do contêiner' };
          for (const want of Object.values(w)) assert.ok(texts.some((x) => x.startsWith(want)), `${name} ${lang}: the threads chart shows "${want}" (it shows ${texts.join(' | ')})`);
        }
      }
    });
  }
});
