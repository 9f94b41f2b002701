#!/usr/bin/env node
/**
 * socklab sampler: runs in a server's network namespace next to the probe (its own container, so either can die
 * without the other) and prints one JSON line per tick on stdout: the server's metrics, the probe's /state and
 * each swarm's metrics, as numbers. The orchestrator follows these lines over the Docker API, which works the
 * same on Linux, macOS and Windows (no port has to be reachable from the host).
 *
 *   INTERVAL=250ms SERVER=http://127.0.0.1:9464/metrics PROBE=http://127.0.0.1:9465/state SWARMS=name=url,...
 */
import dns from 'node:dns/promises';
import http from 'node:http';
import net from 'node:net';
import { parseDuration, runMain, ConfigError } from '@socklab/shared';

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
    const req = http.get({ host, port: u.port, path: u.pathname, agent: false, headers: { host: u.host, connection: 'close' } }, (res) => {
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

async function main(): Promise<void> {
  const env = process.env;
  const intervalMs = parseDuration(env.INTERVAL ?? '250ms', 'INTERVAL');
  if (intervalMs < 50) throw new ConfigError(`invalid INTERVAL ${JSON.stringify(env.INTERVAL)}: expected 50ms or more`);
  const server = env.SERVER ?? 'http://127.0.0.1:9464/metrics';
  const probe = env.PROBE ?? 'http://127.0.0.1:9465/state';
  const swarms = (env.SWARMS ?? '')
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const i = pair.indexOf('=');
      if (i <= 0) throw new ConfigError(`invalid SWARMS entry ${JSON.stringify(pair)}: expected name=url`);
      return [pair.slice(0, i), pair.slice(i + 1)] as const;
    });
  let stop = false;
  process.once('SIGTERM', () => (stop = true));
  process.once('SIGINT', () => (stop = true));
  while (!stop) {
    const t0 = Date.now();
    const timeout = Math.max(150, intervalMs * 0.8);
    // SERVER='' : a server of one's own has no metrics endpoint.
    const [s, p, ...w] = await Promise.all([server ? get(server, timeout) : null, get(probe, timeout), ...swarms.map(([, url]) => get(url, timeout))]);
    const line: Record<string, unknown> = { t: t0 };
    if (s?.ok) line.server = parseExposition(s.body);
    else if (s) line.serverError = s.error;
    if (p?.ok) {
      try {
        line.probe = JSON.parse(p.body) as unknown;
      } catch {
        line.probeError = 'not JSON';
      }
    } else line.probeError = p?.error;
    const sw: Record<string, unknown> = {};
    swarms.forEach(([name], i) => {
      const r = w[i];
      sw[name] = r?.ok ? parseExposition(r.body) : { error: r?.error };
    });
    if (swarms.length > 0) line.swarms = sw;
    process.stdout.write(`${JSON.stringify(line)}\n`);
    await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - t0))));
  }
}

runMain('socklab sampler', main);
