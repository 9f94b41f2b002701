#!/usr/bin/env node
import http from 'node:http';
import {
  runMain,
  ConfigError,
  formatRefusal,
  LAB_PORT,
  parseDuration,
  parseInteger,
  parseKernelOffers,
  parseShaping,
  PROBE_PORT,
  SHAPING_ENV,
  type ShapingConfig,
  type ShapingEnv,
} from '@socklab/shared';
import { Observer } from './observer.js';
import { detectCapabilities, leftovers, Shaper } from './shaper/shaper.js';
import type { Capabilities } from './shaper/plan.js';
import { labInterfaces } from './shaper/system.js';

function shapingFromEnv(env: NodeJS.ProcessEnv): ShapingConfig {
  const picked: ShapingEnv = {};
  for (const k of SHAPING_ENV) if (env[k] !== undefined) picked[k] = env[k];
  return parseShaping(picked);
}

/** Mirror the shaping in force into metrics: the method, and each effect as really applied (1) or not (0). */
function exportShaping(observer: Observer, shaper: Shaper): void {
  const cfg = shaper.config;
  const m = observer.m;
  m.shapingInfo.reset();
  m.shapingEffect.reset();
  if (!cfg) return;
  m.shapingInfo.set(
    {
      method: shaper.plan.method,
      direction: cfg.direction,
      delay: `${cfg.delayMs}ms`,
      jitter: `${cfg.jitterMs}ms`,
      loss: `${+(cfg.loss * 100).toFixed(4)}%`,
      rate: cfg.rateBps === null ? 'none' : `${cfg.rateBps}bit`,
      refusal: formatRefusal(cfg.refusal),
    },
    1,
  );
  for (const e of shaper.plan.effects) m.shapingEffect.set({ effect: e.effect, direction: e.direction, how: e.how }, e.real ? 1 : 0);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
      if (body.length > 64 * 1024) reject(new ConfigError('request body over 64 KiB'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * Where this observer may shape: the probe container always; inside the server's own container (Docker Swarm)
 * only when shaping is asked for (the stack's shaping file then runs that container as root with NET_ADMIN).
 */
function shapesHere(observeOnly: boolean, env: NodeJS.ProcessEnv): boolean {
  return !observeOnly || ['DELAY', 'JITTER', 'LOSS', 'RATE'].some((k) => (env[k] ?? '') !== '');
}

const NO_CAPS: Capabilities = { netem: false, ifb: false, tbf: false, nfqueue: false };

/** What the orchestrator knows already: a namespace it has just made (FRESH_NAMESPACE=1), the kernel's offers (KERNEL_OFFERS). */
interface Known {
  readonly fresh: boolean;
  readonly offers: Capabilities | undefined;
}

/**
 * What the kernel offers for shaping, and the shaping of the link as asked, the namespace left clean if that
 * fails. Where this observer may not shape, nothing is tried.
 */
async function shapeLink(shapes: boolean, ifaces: string[], port: number, shaping: ShapingConfig, seed: number | undefined, known: Known): Promise<{ shaper: Shaper; caps: Capabilities }> {
  // Whether an earlier probe left shaping behind (read before the trials below touch the interface), then what
  // the kernel offers. A namespace the orchestrator has just made holds nothing; a kernel a probe of the same run
  // has tried already is not tried again (a run's trials share one kernel and one image): each trial's probe
  // would otherwise add and remove qdiscs and a link, seven commands, as it boots.
  const dirty = shapes && !known.fresh && (await leftovers(ifaces));
  const caps = shapes ? (known.offers ?? (await detectCapabilities(ifaces[0] ?? 'eth0'))) : NO_CAPS;
  console.log(
    !shapes
      ? 'socklab probe: observing only (inside the server\'s container): no shaping'
      : `socklab probe: kernel offers netem=${caps.netem} ifb=${caps.ifb} tbf=${caps.tbf} nfqueue=${caps.nfqueue}; ` +
          `shaping method: ${caps.netem ? 'netem' : caps.nfqueue ? 'nfqueue (NFQUEUE helper for delay, jitter, loss; tbf for rate)' : 'none'}${known.offers ? ' (as this run\'s first probe found)' : ''}`,
  );
  const shaper = new Shaper(caps, port, ifaces, seed);
  if (!shapes) return { shaper, caps };
  // A previous probe of this namespace may have left shaping behind; a fresh namespace has nothing to clear.
  if (dirty) await shaper.clear();
  else shaper.assumeClean();
  try {
    await shaper.apply(shaping);
  } catch (err) {
    await shaper.clear(); // never leave half of a shaping behind in the server's namespace
    if (process.getuid?.() !== 0) throw new Error(`${(err as Error).message}\nshaping needs root with NET_ADMIN in this container (on Docker Swarm: add -c docker-stack-shaping.yml)`);
    throw err;
  }
  return { shaper, caps };
}

interface Serving {
  readonly observer: Observer;
  readonly shaper: Shaper;
  readonly caps: Capabilities;
  /** False where this observer cannot shape (inside the server's container with no shaping asked for). */
  readonly shapes: boolean;
}

type Json = (code: number, body: unknown) => void;

/** POST /shaping: the environment's names in any case ({"delay": "200ms", "loss": "5%"}); what is not given is kept. */
function changeShaping(req: http.IncomingMessage, json: Json, p: Serving): void {
  readBody(req)
    .then((body) => {
      const given = JSON.parse(body || '{}') as Record<string, unknown>;
      const picked: ShapingEnv = {};
      for (const [k, v] of Object.entries(given)) {
        const key = k.toUpperCase() as (typeof SHAPING_ENV)[number];
        if (!(SHAPING_ENV as readonly string[]).includes(key)) throw new ConfigError(`unknown shaping field ${JSON.stringify(k)}: expected ${SHAPING_ENV.map((s) => s.toLowerCase()).join(', ')}`);
        picked[key] = String(v);
      }
      return p.shaper.apply(parseShaping(picked, p.shaper.config));
    })
    .then(
      () => (exportShaping(p.observer, p.shaper), json(200, { config: p.shaper.config, plan: p.shaper.plan })),
      (err: Error) => json(err instanceof ConfigError || err instanceof SyntaxError ? 400 : 500, { error: err.message }),
    );
}

/** The probe's HTTP answers: /metrics, /state (?fresh=1: a reading taken now), /shaping (GET, POST), /healthz. */
function answer(req: http.IncomingMessage, res: http.ServerResponse, p: Serving): void {
  const json = (code: number, body: unknown): void => void res.writeHead(code, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
  if (req.url === '/metrics') {
    p.observer.registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': p.observer.registry.contentType }).end(body),
      (err: Error) => res.writeHead(500).end(String(err)),
    );
  } else if (req.url === '/state') {
    json(200, p.observer.state);
  } else if (req.url === '/state?fresh=1') {
    // A reading taken for this request: the sampler stamps what it shows with when it was true.
    p.observer.fresh().then(
      (state) => json(200, state),
      (err: Error) => json(500, { error: err.message }),
    );
  } else if (req.url === '/shaping' && req.method === 'GET') {
    json(200, { config: p.shaper.config, plan: p.shaper.plan, capabilities: p.caps, helper: p.shaper.helperStats });
  } else if (req.url === '/shaping' && (req.method === 'POST' || req.method === 'PUT') && !p.shapes) {
    json(409, { error: 'this observer runs inside the server\'s container and was started without shaping: on Docker Swarm, deploy with -c docker-stack-shaping.yml and SOCKLAB_DELAY, SOCKLAB_LOSS or SOCKLAB_RATE' });
  } else if (req.url === '/shaping' && (req.method === 'POST' || req.method === 'PUT')) {
    changeShaping(req, json, p);
  } else if (req.url === '/healthz') {
    res.writeHead(200).end('ok\n');
  } else {
    res.writeHead(404).end('try /metrics, /state or /shaping\n');
  }
}

async function main(): Promise<void> {
  const env = process.env;
  // Everything is validated before anything in the namespace is touched.
  const port = env.TARGET_PORT ? parseInteger(env.TARGET_PORT, 'TARGET_PORT', 1, 65535) : LAB_PORT;
  const refreshMs = env.REFRESH ? parseDuration(env.REFRESH, 'REFRESH') : 1000;
  if (refreshMs < 100 || refreshMs > 60_000) throw new ConfigError(`invalid REFRESH ${JSON.stringify(env.REFRESH)}: expected 100ms to 1m`);
  const shaping = shapingFromEnv(env);
  // A thread blocked in recv on an empty socket for this long is flagged (both sides waiting: a deadlock).
  const stallMs = env.STALL_THRESHOLD ? parseDuration(env.STALL_THRESHOLD, 'STALL_THRESHOLD') : 2000;
  // The random seed of loss and jitter draws (a run records it in its manifest, so a rerun draws the same).
  const seed = env.SEED ? parseInteger(env.SEED, 'SEED', 0, 2 ** 53 - 1) : undefined;
  if (env.FRESH_NAMESPACE !== undefined && !['0', '1'].includes(env.FRESH_NAMESPACE)) throw new ConfigError(`invalid FRESH_NAMESPACE ${JSON.stringify(env.FRESH_NAMESPACE)}: expected 1 (a namespace just made, nothing to clear) or 0`);
  const known: Known = { fresh: env.FRESH_NAMESPACE === '1', offers: env.KERNEL_OFFERS ? parseKernelOffers(env.KERNEL_OFFERS) : undefined };

  // OBSERVE_ONLY=1: the observer runs inside the server's own container (Docker Swarm, where a sidecar cannot
  // share the server's namespaces): the kernel's view and the thread view, and shaping only when asked for.
  const observeOnly = env.OBSERVE_ONLY === '1';
  const shapes = shapesHere(observeOnly, env);
  // IFACES=lo: shape loopback (the swarm runs in the server's namespace against a server bound to 127.0.0.1).
  const ifaces = env.IFACES ? env.IFACES.split(',') : labInterfaces();
  // The first reading of the namespace is taken while the link is being shaped.
  const observer = new Observer(port, refreshMs, stallMs, observeOnly ? 'own-process' : 'own-cgroup');
  const watching = observer.start();
  const { shaper, caps } = await shapeLink(shapes, ifaces, port, shaping, seed, known);
  exportShaping(observer, shaper);
  await watching;
  let seen = { accepted: 0, dropped: 0 };
  const helperMetrics = setInterval(() => {
    const s = shaper.helperStats;
    if (s.accepted > seen.accepted) observer.m.shaperPackets.inc({ verdict: 'accepted' }, s.accepted - seen.accepted);
    if (s.dropped > seen.dropped) observer.m.shaperPackets.inc({ verdict: 'dropped' }, s.dropped - seen.dropped);
    seen = { accepted: s.accepted, dropped: s.dropped };
  }, 1000);

  const server = http.createServer((req, res) => answer(req, res, { observer, shaper, caps, shapes }));
  await new Promise<void>((resolve) => server.listen(PROBE_PORT, '::', resolve));
  console.log(`socklab probe: watching port ${port} every ${refreshMs}ms; /metrics, /state and /shaping on :${PROBE_PORT}`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(helperMetrics);
    observer.stop();
    server.close();
    // The namespace is the server's and outlives us: leave it as we found it.
    void (shapes ? shaper.clear() : Promise.resolve()).finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

runMain('socklab probe', main);
