#!/usr/bin/env node
import { parseSwarmArgs, runMain, sleep, SWARM_READY_LINE, SWARM_START_SIGNAL, SWARM_USAGE } from '@socklab/shared';
import { SwarmMetrics } from './metrics.js';
import { runWave } from './runner.js';
import { checkTarget } from './safety.js';
import { humanTable, SummaryBuilder, waveLine } from './summary.js';
import { limitWarnings } from './limits.js';
import { heldNow } from './connection.js';
import { MemoryWatch } from './memory.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SWARM_USAGE);
    return;
  }
  const cfg = parseSwarmArgs(argv);
  // Started ahead (--start-on-signal), it may boot before its server exists: the target is looked up and
  // checked once it is set off, still before a packet is sent.
  let address = cfg.startOnSignal ? '' : await checkTarget(cfg.target.host);
  for (const w of limitWarnings(cfg)) console.error(`socklab swarm: warning: ${w}`);
  const metrics = new SwarmMetrics();
  await metrics.listen(cfg.metricsPort);

  const bound = new AbortController();
  const stop = (): void => bound.abort();
  const timer = setTimeout(stop, cfg.maxDurationMs);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);

  if (cfg.startOnSignal) {
    await startSignal(bound.signal);
    address = await checkTarget(cfg.target.host);
  }
  if (cfg.delayMs > 0) await sleep(cfg.delayMs, bound.signal);
  // The wall clock where the first wave starts: the time zero a run puts every other series on.
  const startedAt = Date.now();
  const t0 = performance.now();
  // Its own memory, for what each connection costs on the clients' side.
  const watchMemory = new MemoryWatch(() => process.memoryUsage.rss(), heldNow);
  const results = new SummaryBuilder(startedAt);
  const record = results.add.bind(results);
  let waves = 0;
  for (;;) {
    const waveStart = performance.now();
    const before = results.snapshot();
    await runWave(cfg, address, metrics, bound.signal, record);
    waves += 1;
    // In --repeat mode the summary comes only at the end: say what each wave did as it ends.
    if (cfg.repeatMs > 0) console.error(`socklab swarm: ${waveLine(waves, performance.now() - waveStart, results.snapshot(), before)}`);
    if (cfg.repeatMs === 0 || bound.signal.aborted) break;
    const wait = cfg.repeatMs - (performance.now() - waveStart);
    if (wait > 0) await sleep(wait, bound.signal);
    if (bound.signal.aborted) break;
  }
  clearTimeout(timer);
  const memory = watchMemory.stop();
  const truncated = bound.signal.aborted && cfg.repeatMs === 0;
  const summary = results.summary({
    target: `${cfg.target.host}:${cfg.target.port}`,
    clients: cfg.clients,
    waves,
    durationMs: performance.now() - t0,
    startedAtMs: startedAt,
    truncated,
    memory,
  });
  console.error(humanTable(summary));
  console.log(JSON.stringify(summary));
  if (cfg.lingerMs > 0) await new Promise((r) => setTimeout(r, cfg.lingerMs));
  metrics.close();
}

/** Booted and waiting: say so, and go on the start signal (or when the run's bound ends the wait). */
function startSignal(bound: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const go = (): void => {
      process.off(SWARM_START_SIGNAL, go);
      bound.removeEventListener('abort', go);
      resolve();
    };
    process.on(SWARM_START_SIGNAL, go);
    bound.addEventListener('abort', go, { once: true });
    console.error(SWARM_READY_LINE);
  });
}

runMain('socklab swarm', main);
