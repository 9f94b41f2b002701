import { arrivalCount, type SwarmConfig } from '@socklab/shared';
import { Connection, ConnectionSet, runConnection, type ConnectionResult } from './connection.js';
import type { SwarmMetrics } from './metrics.js';

/** When each connection starts, in ms from the wave's start, for the configured arrival pattern. */
export function arrivalOffsets(cfg: Pick<SwarmConfig, 'arrival' | 'clients' | 'rate' | 'durationMs'>): number[] {
  switch (cfg.arrival) {
    case 'closed': // started by completions, not by the clock (see runWave)
    case 'burst':
      return new Array<number>(cfg.clients).fill(0);
    case 'steady': {
      const n = arrivalCount('steady', cfg.rate, cfg.durationMs);
      return Array.from({ length: n }, (_, i) => (i * 1000) / cfg.rate);
    }
    case 'ramp': {
      // Rate rises linearly from 0 to `rate` over the duration: n(t) = rate t^2 / (2 D).
      const d = cfg.durationMs / 1000;
      const n = arrivalCount('ramp', cfg.rate, cfg.durationMs);
      return Array.from({ length: n }, (_, i) => Math.sqrt((2 * d * i) / cfg.rate) * 1000);
    }
  }
}

/**
 * One wave: start connections at their offsets, hand each result to `record` as it ends, resolve with how many
 * ran when all have ended (or the signal cut them). Nothing is kept here: memory stays flat across waves.
 */
export async function runWave(
  cfg: SwarmConfig,
  address: string,
  metrics: SwarmMetrics,
  signal: AbortSignal,
  record: (r: ConnectionResult) => void,
): Promise<number> {
  const live = new ConnectionSet();
  // --max-duration ends what is still open; such connections count as errors (ECANCELED).
  const cancel = (): void => live.cancelAll();
  signal.addEventListener('abort', cancel, { once: true });
  const connected = (ms: number): void => metrics.connected(ms);
  const one = (): Promise<ConnectionResult> => {
    metrics.started();
    return runConnection(address, cfg.target.port, cfg, connected, live).then((r) => {
      metrics.finished(r);
      record(r);
      return r;
    });
  };
  if (cfg.arrival === 'closed') {
    // Each of `concurrency` lanes runs connections back to back until `clients` have been started.
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < cfg.clients && !signal.aborted) {
        started += 1;
        await one();
      }
    };
    await Promise.all(Array.from({ length: Math.min(cfg.concurrency, cfg.clients) }, lane));
    signal.removeEventListener('abort', cancel);
    return started;
  }
  // Clock-driven arrivals: one shared completion callback, no promise per connection (bytes matter at C10K).
  const offsets = arrivalOffsets(cfg);
  let ended = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  let launched = 0;
  const onDone = (r: ConnectionResult): void => {
    metrics.finished(r);
    record(r);
    ended += 1;
    if (ended === offsets.length || (signal.aborted && ended === launched)) allDone();
  };
  const start = performance.now();
  const launch = (): void => {
    metrics.started();
    launched += 1;
    new Connection(address, cfg.target.port, cfg, live, connected, onDone);
  };
  let i = 0;
  while (i < offsets.length && !signal.aborted) {
    const now = performance.now() - start;
    while (i < offsets.length && (offsets[i] ?? 0) <= now) {
      launch();
      i += 1;
    }
    if (i < offsets.length) await new Promise((r) => setTimeout(r, Math.min(10, (offsets[i] ?? 0) - now)));
  }
  if (ended < launched) await finished;
  signal.removeEventListener('abort', cancel);
  return launched;
}
