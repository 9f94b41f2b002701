import type { Command } from 'commander';
import { composeCommand } from '../runtime/compose.js';
import { DockerRuntime } from '../runtime/docker.js';
import { buildImages } from '../runtime/images.js';
import { REPO_ROOT } from '../paths.js';
import { foregroundLab } from '../lab/foreground.js';
import { checkLabEnv, labEnv } from '../lab/env.js';
import { automaticBuild, buildOnFirstUse, missingLabImages } from './first-use.js';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('start the whole lab (docker-compose.yml) in the foreground; Ctrl-C stops it and removes everything')
    .option('--build', 'build the socklab images first (what `npm run lab` does)', false)
    .action(async (o: { build: boolean }) => {
      // Bad variables end here, before anything is built or started (exit 2).
      checkLabEnv(labEnv(REPO_ROOT));
      const rt = new DockerRuntime();
      await rt.ping();
      // Which Compose (SOCKLAB_COMPOSE, checked here too): before anything is built.
      const compose = await composeCommand();
      if (o.build) {
        await buildImages(rt, automaticBuild());
      } else {
        const missing = await missingLabImages(rt);
        if (missing.length > 0) await buildOnFirstUse(rt)(missing);
      }
      // Ctrl-C (which Compose receives too, in the same process group) or SIGTERM ends the lab at once.
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        if (await foregroundLab(rt, { compose, signal: stop.signal, say: (l) => console.error(l) })) process.exitCode = 130;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
