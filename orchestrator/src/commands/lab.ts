import type { Command } from 'commander';
import { composeCommand, composeForeground } from '../runtime/compose.js';
import { DockerRuntime } from '../runtime/docker.js';
import { REPO_ROOT } from '../paths.js';

export const LAB_PROJECT = 'socklab';

export function registerLab(program: Command): void {
  program
    .command('lab')
    .description('start the whole lab (docker-compose.yml) in the foreground; Ctrl-C stops it and removes everything')
    .action(async () => {
      const rt = new DockerRuntime();
      await rt.ping();
      const compose = await composeCommand();
      const down = async (): Promise<void> => {
        await composeForeground(compose, ['-p', LAB_PROJECT, 'down', '--volumes', '--remove-orphans'], REPO_ROOT);
        await rt.removeLabelled('lab');
      };
      // Compose receives Ctrl-C itself (same process group) and stops the containers; we then remove them.
      const ignore = (): void => {};
      process.on('SIGINT', ignore);
      process.on('SIGTERM', ignore);
      try {
        console.error('socklab lab: starting; Prometheus on http://localhost:9090 - Ctrl-C stops and removes the lab');
        await composeForeground(compose, ['-p', LAB_PROJECT, 'up', '--no-build', '--abort-on-container-exit'], REPO_ROOT);
      } finally {
        await down();
        process.off('SIGINT', ignore);
        process.off('SIGTERM', ignore);
      }
    });
}
