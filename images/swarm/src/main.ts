#!/usr/bin/env node
import { parseSwarmArgs, runMain, SWARM_AGENT_FLAG, SWARM_READY_LINE, SWARM_START_SIGNAL, SWARM_USAGE } from '@socklab/shared';
import { runAgent } from './agent.js';
import { SwarmMetrics } from './metrics.js';
import { runSwarm } from './run.js';
import { checkTarget } from './safety.js';
import { humanTable } from './summary.js';
import { limitWarnings } from './limits.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(SWARM_USAGE);
    return;
  }
  if (argv.length === 1 && argv[0] === SWARM_AGENT_FLAG) return runAgent(process.stdin);
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
  const summary = await runSwarm(cfg, address, metrics, bound.signal, (l) => console.error(l));
  clearTimeout(timer);
  console.error(humanTable(summary));
  console.log(JSON.stringify(summary));
  if (cfg.lingerMs > 0) await new Promise((r) => setTimeout(r, cfg.lingerMs));
  await metrics.close();
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
