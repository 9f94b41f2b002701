import { sleep, type SwarmConfig } from '@socklab/shared';
import type { SwarmSummary } from '@socklab/shared/results';
import { heldNow } from './connection.js';
import { MemoryWatch } from './memory.js';
import type { SwarmMetrics } from './metrics.js';
import { runWave } from './runner.js';
import { SummaryBuilder, waveLine } from './summary.js';

/**
 * One swarm, set off: its delay, its waves (one, or one per --repeat until its bound), and its summary. `bound`
 * ends it early (--max-duration, a signal, or the agent's stop): what is still open counts as cut short. Wave
 * lines go to `say` (stderr) as each wave of a --repeat ends.
 */
export async function runSwarm(cfg: SwarmConfig, address: string, metrics: SwarmMetrics, bound: AbortSignal, say: (line: string) => void): Promise<SwarmSummary> {
  if (cfg.delayMs > 0) await sleep(cfg.delayMs, bound);
  // The wall clock where the first wave starts: the time zero a run puts every other series on.
  const startedAt = Date.now();
  const t0 = performance.now();
  // Its own memory, for what each connection costs on the clients' side.
  const watchMemory = new MemoryWatch(() => process.memoryUsage.rss(), heldNow);
  const results = new SummaryBuilder(startedAt);
  let waves: number;
  try {
    waves = await runWaves(cfg, address, metrics, bound, say, results);
  } finally {
    // An agent lives on after a job that failed: its watch must not.
    watchMemory.stop();
  }
  return results.summary({
    target: `${cfg.target.host}:${cfg.target.port}`,
    clients: cfg.clients,
    waves,
    durationMs: performance.now() - t0,
    startedAtMs: startedAt,
    truncated: bound.aborted && cfg.repeatMs === 0,
    memory: watchMemory.readings,
  });
}

/** The waves of a swarm set off, each connection's result into `results`: how many waves ran. */
async function runWaves(cfg: SwarmConfig, address: string, metrics: SwarmMetrics, bound: AbortSignal, say: (line: string) => void, results: SummaryBuilder): Promise<number> {
  const record = results.add.bind(results);
  let waves = 0;
  for (;;) {
    const waveStart = performance.now();
    const before = results.snapshot();
    await runWave(cfg, address, metrics, bound, record);
    waves += 1;
    // In --repeat mode the summary comes only at the end: say what each wave did as it ends.
    if (cfg.repeatMs > 0) say(`socklab swarm: ${waveLine(waves, performance.now() - waveStart, results.snapshot(), before)}`);
    if (cfg.repeatMs === 0 || bound.aborted) break;
    const wait = cfg.repeatMs - (performance.now() - waveStart);
    if (wait > 0) await sleep(wait, bound);
    if (bound.aborted) break;
  }
  return waves;
}
