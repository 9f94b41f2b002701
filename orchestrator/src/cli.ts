#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ConfigError } from '@socklab/shared';
import { explainExit, SocklabError } from './errors.js';
import { engineAddress } from './runtime/docker.js';
import { socklabVersion } from './paths.js';
import { registerBuild } from './commands/build.js';
import { registerDown } from './commands/down.js';
import { registerLab } from './commands/lab.js';
import { registerCompare, registerRun } from './commands/run.js';
import { registerScenarios } from './commands/scenarios.js';
import { registerReport } from './commands/report.js';
import { registerShape } from './commands/shape.js';
import { registerDoctor } from './commands/doctor.js';
import { registerCheck } from './commands/check.js';
import { registerCluster } from './commands/cluster.js';

const program = new Command()
  .name('socklab')
  .description('a containerized network lab for teaching how TCP servers behave under load')
  .version(socklabVersion(), '-V, --version', 'print socklab\'s version')
  .exitOverride()
  .showHelpAfterError();
registerRun(program);
registerCompare(program);
registerCheck(program);
registerScenarios(program);
registerReport(program);
registerShape(program);
registerDoctor(program);
registerBuild(program);
registerLab(program);
registerDown(program);
registerCluster(program);

/**
 * Node exits when nothing is left to wait for, even if a command never finished: that happens when a request to
 * the engine is cut mid-way and never settles. Say so and fail, rather than end silently with exit 0.
 */
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  finished = true;
  console.error(`socklab: stopped waiting for the Docker engine at ${engineAddress()}: a request to it never answered (was the engine stopped or restarted?)`);
  console.error('hint: once `docker info` answers again, `socklab down` removes whatever socklab left');
  process.exitCode = 1;
});

/** The CLI boundary: one clear message and an exit code (2 for bad input). */
async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (err instanceof ConfigError) {
      console.error(`socklab: ${err.message}`);
      process.exitCode = 2;
      return;
    }
    if (err instanceof SocklabError) {
      console.error(`socklab: ${err.message}`);
      if (err.details.exitCode !== undefined && err.details.container) console.error(`(${err.details.container}: ${explainExit(err.details.exitCode)})`);
      if (err.details.hint) console.error(`hint: ${err.details.hint}`);
      process.exitCode = 1;
      return;
    }
    console.error('socklab: unexpected failure:', err);
    process.exitCode = 1;
  } finally {
    finished = true;
  }
}

void main();
