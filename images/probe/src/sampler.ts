#!/usr/bin/env node
/**
 * socklab sampler: runs in a server's network namespace next to the probe (its own process, so either can die
 * without the other: in a container of its own, or as the first process of the probe's, PROBE_PID) and prints one JSON line per tick on stdout: the server's metrics, the probe's /state and
 * each swarm's metrics, as numbers. The orchestrator follows these lines over the Docker API, which works the
 * same on Linux, macOS and Windows (no port has to be reachable from the host).
 *
 *   INTERVAL=100ms SERVER=http://127.0.0.1:9464/metrics/own PROBE=http://127.0.0.1:9465/state?fresh=1
 *   SHAPING=http://127.0.0.1:9465/shaping SWARMS=name=url,...  [PROBE_PID=n: the probe beside it in one container]
 *
 * Each part of a line carries the time it was read (the probe's state its own `updatedAt`), on this machine's
 * wall clock: the clock the swarms stamp their start with, so a run puts every series on one time axis.
 * SIGUSR2 takes the next sample at once (the run asks for a last one the moment its clients are done).
 */
import dns from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { parseDuration, runMain, ConfigError, SERVER_METRICS_PORT, SERVER_SAMPLE_PATH } from '@socklab/shared';

/** Metric families worth sampling (histogram buckets are left out: the swarm summary has the distribution). */
const KEEP = /^(socklab_[a-z_]+|process_cpu_seconds_total|process_resident_memory_bytes)(\{[^}]*\})? (\S+)$/;

/** Prometheus text -> { 'name{labels}': value } for the kept families. */
export function parseExposition(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.includes('_bucket{')) continue;
    const m = KEEP.exec(line);
    if (m) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
  }
  return out;
}

/**
 * Names resolved through c-ares with a short timeout, and cached: the swarms do not exist yet when sampling
 * starts, and on an internal network the engine's DNS forwards an unknown name outside and waits there. Plain
 * lookups (getaddrinfo) would pile up in libuv's thread pool and stall every sample behind them.
 */
const resolver = new dns.Resolver({ timeout: 150, tries: 1 });
const resolved = new Map<string, string>();
async function address(host: string): Promise<string> {
  if (net.isIP(host) || host === 'localhost') return host;
  const known = resolved.get(host);
  if (known) return known;
  const [ip] = await resolver.resolve4(host);
  if (!ip) throw Object.assign(new Error('no address'), { code: 'ENOTFOUND' });
  resolved.set(host, ip);
  return ip;
}

/**
 * One GET on a fresh connection that the server closes (Connection: close, no keep-alive pool): the sampler
 * holds no socket between ticks, so nothing of it lingers in the server's namespace when the run is torn down.
 * It answers within `timeoutMs` whatever happens, so one slow target never delays the others' samples.
 */
async function get(url: string, timeoutMs: number): Promise<{ ok: true; body: string } | { ok: false; error: string }> {
  const u = new URL(url);
  let host: string;
  try {
    host = await address(u.hostname);
  } catch (e) {
    return { ok: false, error: (e as NodeJS.ErrnoException).code ?? 'ENOTFOUND' };
  }
  return new Promise((resolve) => {
    const req = http.get({ host, port: u.port, path: `${u.pathname}${u.search}`, agent: false, headers: { host: u.host, connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => done(res.statusCode === 200 ? { ok: true, body } : { ok: false, error: `HTTP ${res.statusCode}` }));
      res.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
    });
    const timer = setTimeout(() => {
      done({ ok: false, error: 'ETIMEDOUT' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
    function done(r: { ok: true; body: string } | { ok: false; error: string }): void {
      clearTimeout(timer);
      resolve(r);
    }
  });
}

/**
 * A swarm's metrics endpoint as the sampler sees it: not up yet, answering, or ended. One that answered and then
 * fails three times in a row has ended (its container is gone, and asking its address would cost a timeout on
 * every tick): it is asked no more.
 */
class SwarmEndpoint {
  private answered = false;
  private failures = 0;
  constructor(
    readonly name: string,
    readonly url: string,
  ) {}

  get ended(): boolean {
    return this.answered && this.failures >= 3;
  }

  async read(timeoutMs: number): Promise<Record<string, number> | { error: string }> {
    if (this.ended) return { error: 'ended' };
    const r = await get(this.url, timeoutMs);
    if (r.ok) {
      this.answered = true;
      this.failures = 0;
      return parseExposition(r.body);
    }
    this.failures += 1;
    return { error: r.error };
  }
}

function parseSwarms(text: string): SwarmEndpoint[] {
  return text
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0) throw new ConfigError(`invalid SWARMS entry ${JSON.stringify(pair)}: expected name=url`);
      return new SwarmEndpoint(pair.slice(0, i), pair.slice(i + 1));
    });
}

interface Sources {
  readonly server: string;
  readonly probe: string;
  /** The probe's shaping answer, asked until it comes once ('' for none, or once it came). */
  shaping: string;
  readonly swarms: readonly SwarmEndpoint[];
}

/** One line: everything read at once, each part on its own timeout. `last`: the clients are done, leave them out. */
async function sampleOnce(src: Sources, timeout: number, last: boolean): Promise<Record<string, unknown>> {
  const t0 = Date.now();
  const asked = last ? [] : src.swarms;
  // SERVER='' : a server of one's own has no metrics endpoint.
  const [s, p, sh, ...w] = await Promise.all([
    src.server ? get(src.server, timeout) : null,
    get(src.probe, timeout),
    src.shaping ? get(src.shaping, timeout) : null,
    ...asked.map((e) => e.read(timeout)),
  ]);
  const line: Record<string, unknown> = { t: t0 };
  if (sh?.ok) {
    try {
      line.shaping = JSON.parse(sh.body) as unknown;
      src.shaping = '';
    } catch {
      /* asked again next tick */
    }
  }
  if (s?.ok) line.server = parseExposition(s.body);
  else if (s) line.serverError = s.error;
  if (p?.ok) {
    try {
      line.probe = JSON.parse(p.body) as unknown;
    } catch {
      line.probeError = 'not JSON';
    }
  } else line.probeError = p?.error;
  if (asked.length > 0) line.swarms = Object.fromEntries(asked.map((e, i) => [e.name, w[i]]));
  return line;
}

async function main(): Promise<void> {
  const env = process.env;
  const intervalMs = parseDuration(env.INTERVAL ?? '250ms', 'INTERVAL');
  if (intervalMs < 50) throw new ConfigError(`invalid INTERVAL ${JSON.stringify(env.INTERVAL)}: expected 50ms or more`);
  const src: Sources = {
    server: env.SERVER ?? `http://127.0.0.1:${SERVER_METRICS_PORT}${SERVER_SAMPLE_PATH}`,
    probe: env.PROBE ?? 'http://127.0.0.1:9465/state?fresh=1',
    shaping: env.SHAPING ?? '',
    swarms: parseSwarms(env.SWARMS ?? ''),
  };
  const probePid = env.PROBE_PID === undefined ? undefined : Number(env.PROBE_PID);
  let stop = false;
  // SIGUSR2: a last reading, now (the clients are done); asked while one is being taken, it comes right after.
  let asked = false;
  let wake: (() => void) | undefined;
  const end = (signal: NodeJS.Signals): void => {
    stop = true;
    wake?.();
    // The probe beside it (PROBE_PID, in one container): told too, so it clears its shaping.
    if (probePid) tryKill(probePid, signal);
  };
  process.once('SIGTERM', end);
  process.once('SIGINT', end);
  process.on('SIGUSR2', () => {
    asked = true;
    wake?.();
  });
  let last = false;
  // Whether the probe beside it has answered yet: one that ends before it ever did ends the container with it.
  let answered = false;
  const watch = probePid ? watchProbe(probePid, () => answered) : undefined;
  while (!stop) {
    const t0 = Date.now();
    const line = await sampleOnce(src, Math.max(150, intervalMs * 0.8), last);
    answered ||= line.probe !== undefined;
    process.stdout.write(`${JSON.stringify(line)}\n`);
    last = false;
    if (stop) break;
    if (!asked) {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, Math.max(0, intervalMs - (Date.now() - t0)));
        wake = () => {
          clearTimeout(timer);
          r();
        };
      });
      wake = undefined;
    }
    if (asked) [asked, last] = [false, true];
  }
  if (watch) clearInterval(watch);
  if (probePid) await ended(probePid, 3000);
}

/** How a process ended, from its /proc stat ('' once it is gone): running (null), or its exit code. */
function endOf(stat: string): { code: number } | null {
  if (stat === '') return { code: 1 };
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (f[0] !== 'Z') return null;
  // Field 52, the wait status (Linux 3.5 and later): an exit code, or 128 + the signal that ended it.
  const status = Number(f[49]);
  if (!Number.isFinite(status)) return { code: 1 };
  return { code: status & 0x7f ? 128 + (status & 0x7f) : (status >> 8) & 0xff };
}

/**
 * Watch the probe beside it: one that ends before it ever answered failed to start, and ends the container with
 * its exit code (its own lines tell why), as a probe in a container of its own would; one that ends later is said
 * once, and the sampler goes on without it.
 */
function watchProbe(pid: number, answered: () => boolean): NodeJS.Timeout {
  const timer: NodeJS.Timeout = setInterval(() => {
    void readFile(`/proc/${pid}/stat`, 'utf8')
      .catch(() => '')
      .then((stat) => {
        const end = endOf(stat);
        if (!end) return;
        clearInterval(timer);
        if (!answered()) {
          console.error(`socklab sampler: the probe ended (exit ${end.code}) before it answered`);
          process.exit(end.code || 1);
        }
        console.error(`socklab sampler: the probe ended (exit ${end.code}); going on without it`);
      });
  }, 100);
  return timer;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* it has ended already */
  }
}

/**
 * Until the probe beside it has ended (at most `ms`): the container ends with this process, and would take a probe
 * still clearing its shaping with it. Its child by the shell that started both, but not one Node reaps: an ended
 * probe stays a zombie, told by its state.
 */
async function ended(pid: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (endOf(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

runMain('socklab sampler', main);
