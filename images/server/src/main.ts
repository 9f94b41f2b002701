#!/usr/bin/env node
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { parseArgs } from 'node:util';
import { ConfigError, formatWork, parseServerConfig, runMain, SERVER_ENV, SERVER_SAMPLE_PATH, type ServerConfig, type ServerEnv } from '@socklab/shared';
import { ServerStats } from './stats.js';
import { modelStarter } from './models/index.js';

/** Where the server image keeps the probe's observer (images/Dockerfile copies it for IMAGE=server). */
const OBSERVER = '/app/images/probe/dist/main.js';

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

/**
 * OBSERVE=1: run the probe's observer (the kernel's view and where each thread is blocked) inside this container,
 * on port 9465 as the probe would be. For Docker Swarm, where no sidecar can share the server's namespaces.
 */
function startObserver(port: number): ChildProcess {
  const child = spawn(process.execPath, [OBSERVER], {
    env: { ...process.env, OBSERVE_ONLY: '1', TARGET_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => console.error(`socklab server: the observer exited (${signal ?? code})`));
  return child;
}

async function main(): Promise<void> {
  const config = configFrom(process.argv.slice(2), process.env);
  const running = await modelStarter(config.model)(config);
  const stats = new ServerStats(config, running);
  stats.startSampling();
  const observer = process.env.OBSERVE === '1' ? startObserver(config.port) : undefined;
  if (observer?.pid !== undefined) stats.ignored.add(observer.pid);

  // The metrics endpoint lives on the main thread; blocking models block other threads, never this one.
  const metrics = http.createServer((req, res) => {
    const body = req.url === '/metrics' ? stats.metrics() : req.url === SERVER_SAMPLE_PATH ? stats.own() : undefined;
    if (body) {
      body.then(
        (text) => res.writeHead(200, { 'content-type': stats.registry.contentType }).end(text),
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
    observer?.kill('SIGTERM');
    void running
      .stop()
      .finally(() => metrics.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

runMain('socklab server', main);
