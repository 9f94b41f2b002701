import http from 'node:http';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { SWARM_METRICS, SWARM_PHASES } from '@socklab/shared';
import { registerMetrics, labelNode } from '@socklab/shared/prom';
import { inFlightByPhase, type ConnectionResult } from './connection.js';

const { inFlightByPhase: PHASE_DEF, ...COUNTED } = SWARM_METRICS;

/**
 * Node's process metrics, collected once per process: an agent makes a SwarmMetrics per job, and each collection
 * would leave an event-loop monitor of its own running.
 */
let processMetrics: Registry | undefined;
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** One swarm's metrics (a job's, in an agent): its counts start at zero, beside the process's own. */
export class SwarmMetrics {
  private readonly own = new Registry();
  readonly registry: Registry;
  private readonly m = registerMetrics(COUNTED, this.own);
  private server: http.Server | undefined;

  constructor() {
    // Phases are counted by the connections themselves; the gauge reads them when scraped.
    new Gauge({
      name: PHASE_DEF.name,
      help: PHASE_DEF.help,
      labelNames: ['phase'],
      registers: [this.own],
      collect(): void {
        for (const p of SWARM_PHASES) this.set({ phase: p }, inFlightByPhase[p]);
      },
    });
    this.m.inFlight.set(0);
    this.m.attempts.inc(0);
    this.registry = Registry.merge([processRegistry(), this.own]);
    labelNode(this.registry);
  }

  started(): void {
    this.m.attempts.inc();
    this.m.inFlight.inc();
  }

  connected(ms: number): void {
    this.m.connectDuration.observe(ms / 1000);
  }

  finished(r: ConnectionResult): void {
    this.m.inFlight.dec();
    this.m.connections.inc({ outcome: r.outcome });
    if (r.errno !== undefined) this.m.errors.inc({ errno: r.errno });
    if (r.firstByteMs !== undefined) this.m.firstByteDuration.observe(r.firstByteMs / 1000);
    this.m.totalDuration.observe({ outcome: r.outcome }, r.totalMs / 1000);
  }

  async listen(port: number): Promise<void> {
    if (port === 0) return;
    this.server = http.createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end('try /metrics\n');
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once('error', reject);
      this.server?.listen(port, '::', resolve);
    });
  }

  /** Stop serving: open scrapes are cut, so the port is free for the next job of an agent at once. */
  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
