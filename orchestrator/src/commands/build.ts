import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError } from '@socklab/shared';
import { BASE_MODES, buildImages, type BaseMode } from '../runtime/images.js';
import { DockerRuntime } from '../runtime/docker.js';
import { sayBuilt } from './first-use.js';

export function registerBuild(program: Command): void {
  program
    .command('build')
    .description('build the socklab images; uses the offline base by itself when the official images cannot be pulled')
    .option('--base <mode>', `where images start from: ${BASE_MODES.join(', ')}`, 'auto')
    .option('--ca-file <pem>', 'extra CA bundle for npm behind a TLS-intercepting proxy (also SOCKLAB_CA_FILE)')
    .option('--verbose', "show docker's build output", false)
    .action(async (o: { base: string; caFile?: string; verbose: boolean }) => {
      if (!(BASE_MODES as readonly string[]).includes(o.base)) {
        throw new ConfigError(`invalid --base ${JSON.stringify(o.base)}: expected one of ${BASE_MODES.join(', ')}`);
      }
      const caFile = o.caFile ?? process.env.SOCKLAB_CA_FILE;
      if (caFile !== undefined && !existsSync(caFile)) {
        throw new ConfigError(`invalid --ca-file ${JSON.stringify(caFile)}: expected a readable PEM file`);
      }
      const t0 = performance.now();
      const built = await buildImages(new DockerRuntime(), {
        base: o.base as BaseMode,
        ...(caFile !== undefined && { caFile }),
        verbose: o.verbose,
        log: (l) => console.error(`socklab build: ${l}`),
      });
      sayBuilt(built, t0);
    });
}
