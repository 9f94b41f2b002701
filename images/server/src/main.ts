#!/usr/bin/env node
import http from 'node:http';
import { parseArgs } from 'node:util';
import { ConfigError, formatWork, parseServerConfig, runMain, SERVER_ENV, type ServerConfig, type ServerEnv } from '@socklab/shared';
import { ServerStats } from './stats.js';
import { modelStarter } from './models/index.js';

/** Flags mirror the environment: --model for MODEL, --recv-timeout for RECV_TIMEOUT, ... Flags win. */
function configFrom(argv: string[], env: NodeJS.ProcessEnv): ServerConfig {
  const options = Object.fromEntries(SERVER_ENV.map((k) => [k.toLowerCase().replace(/_/g, '-'), { type: 'string' as const }]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (valid flags: ${Object.keys(options).map((k) => `--${k}`).join(', ')})`);
  }
  const merged: ServerEnv = {};
  for (const key of SERVER_ENV) {
    const flag = values[key.toLowerCase().replace(/_/g, '-')];
    const value = typeof flag === 'string' ? flag : env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  return parseServerConfig(merged);
}

async function main(): Promise<void> {
  const config = configFrom(process.argv.slice(2), process.env);
  const running = await modelStarter(config.model)(config);
  const stats = new ServerStats(config, running);
  stats.startSampling();

  // The metrics endpoint lives on the main thread; blocking models block other threads, never this one.
  const metrics = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      stats.metrics().then(
        (body) => res.writeHead(200, { 'content-type': stats.registry.contentType }).end(body),
        (err: Error) => res.writeHead(500).end(String(err)),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200).end('ok\n');
    } else {
      res.writeHead(404).end('try /metrics\n');
    }
  });
  await new Promise<void>((resolve) => metrics.listen(config.metricsPort, '::', resolve));
  console.log(
    `socklab server: model=${config.model} port=${config.port} backlog=${config.backlog} work=${formatWork(config.work)} ` +
      `protocol=${config.protocol} metrics=:${config.metricsPort}/metrics`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`socklab server: ${signal}, stopping`);
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    void running
      .stop()
      .finally(() => metrics.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

runMain('socklab server', main);
