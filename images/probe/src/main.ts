#!/usr/bin/env node
import http from 'node:http';
import { ConfigError, LAB_PORT, parseDuration, parseInteger, PROBE_PORT } from '@socklab/shared';
import { Observer } from './observer.js';

const SHAPING_ENV = ['DELAY', 'JITTER', 'LOSS', 'RATE', 'REFUSAL'] as const;

async function main(): Promise<void> {
  const env = process.env;
  const port = env.TARGET_PORT ? parseInteger(env.TARGET_PORT, 'TARGET_PORT', 1, 65535) : LAB_PORT;
  const refreshMs = env.REFRESH ? parseDuration(env.REFRESH, 'REFRESH') : 1000;
  if (refreshMs < 100 || refreshMs > 60_000) throw new ConfigError(`invalid REFRESH ${JSON.stringify(env.REFRESH)}: expected 100ms to 1m`);
  const asked = SHAPING_ENV.filter((k) => env[k]);
  if (asked.length > 0) {
    // Never a silent no-op: shaping that cannot be applied is an error, not a quiet success.
    throw new ConfigError(`link shaping (${asked.join(', ')}) is not available in this probe build`);
  }

  const observer = new Observer(port, refreshMs);
  await observer.start();
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      observer.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': observer.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(String(err)),
      );
    } else if (req.url === '/state') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(observer.state));
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else {
      res.writeHead(404).end('try /metrics or /state\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(PROBE_PORT, '::', resolve));
  console.log(`socklab probe: watching port ${port} every ${refreshMs}ms; metrics and /state on :${PROBE_PORT}`);
  const stop = (): void => {
    observer.stop();
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(`socklab probe: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error('socklab probe: failed:', err);
  process.exit(1);
});
