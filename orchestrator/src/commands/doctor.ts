import type { Command } from 'commander';
import { doctorChecks } from '../experiment/doctor.js';
import { DockerRuntime } from '../runtime/docker.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine for the lab: engine, images, netem or its fallback, per-namespace sysctls, free ports')
    .action(async () => {
      const checks = await doctorChecks(new DockerRuntime());
      for (const c of checks) console.log(`${c.status.padEnd(4)}  ${c.what}: ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`);
      process.exitCode = checks.some((c) => c.status === 'fail') ? 1 : 0;
    });
}
