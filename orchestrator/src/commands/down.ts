import type { Command } from 'commander';
import { DockerRuntime } from '../runtime/docker.js';

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('remove every container, network and volume socklab created (selected by the socklab.run label)')
    .option('--run <id>', 'only the resources of this run')
    .action(async (o: { run?: string }) => {
      const rt = new DockerRuntime();
      await rt.ping();
      const r = await rt.removeLabelled(o.run);
      console.error(
        `socklab down: removed ${r.containers.length} containers, ${r.networks.length} networks, ${r.volumes.length} volumes`,
      );
    });
}
