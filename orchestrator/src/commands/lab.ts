import type { Command } from 'commander';
import { composeCommand, composeForeground } from '../runtime/compose.js';
import { DockerRuntime } from '../runtime/docker.js';
import { buildImages } from '../runtime/images.js';
import { REPO_ROOT } from '../paths.js';
import { grafanaAvailable, grafanaImage, labDownArgs, labUpArgs } from '../lab/compose-lab.js';
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
      const v1 = compose[0] === 'docker-compose';
      const grafana = await grafanaAvailable(rt);
      // Ctrl-C (which Compose receives too, in the same process group) or SIGTERM: nothing in the lab is worth
      // Compose's graceful stop, so every container of it is killed and removed at once, and Compose, finding its
      // containers gone, ends.
      const stop = new AbortController();
      const onSignal = (): void => {
        if (stop.signal.aborted) return;
        stop.abort();
        console.error('\nsocklab lab: stopping; removing every container, network and volume of the lab');
        void rt.removeLabelled('lab').catch(() => {});
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const prometheus = `http://localhost:${process.env.SOCKLAB_PROMETHEUS_PORT ?? '9090'}`;
        if (grafana.ok) console.error(`socklab lab: starting; open http://localhost:${process.env.SOCKLAB_GRAFANA_PORT ?? '3000'} (Grafana) or ${prometheus} (Prometheus); Ctrl-C stops and removes the lab`);
        else console.error(`socklab lab: Grafana's image ${grafanaImage()} cannot be pulled here (${grafana.why}); starting the rest: Prometheus on ${prometheus}; Ctrl-C stops and removes the lab`);
        await composeForeground(compose, labUpArgs({ v1, grafana: grafana.ok }), REPO_ROOT, stop.signal);
      } finally {
        // Compose's own down when the lab ended by itself; after a signal, everything labelled is removed (again:
        // Compose may have made a container while the first removal ran).
        if (!stop.signal.aborted) await composeForeground(compose, labDownArgs({ v1 }), REPO_ROOT);
        await rt.removeLabelled('lab');
        if (stop.signal.aborted) process.exitCode = 130;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
