import type { Command } from 'commander';
import { scenarioJsonSchema } from '@socklab/shared/scenario';
import { builtinScenarios } from '../scenario/load.js';

export function registerScenarios(program: Command): void {
  program
    .command('scenarios')
    .description('list the built-in scenarios, one line each with the question it answers')
    .option('--json-schema', 'print the scenario JSON Schema (for editors) instead')
    .action((o: { jsonSchema?: boolean }) => {
      if (o.jsonSchema) {
        console.log(JSON.stringify(scenarioJsonSchema(), null, 2));
        return;
      }
      const all = builtinScenarios();
      const width = Math.max(...all.map((b) => b.name.length));
      for (const b of all) console.log(`${b.name.padEnd(width)}  ${b.scenario.stage ? `[${b.scenario.stage}] ` : ''}${b.scenario.question}`);
      console.error(`\nrun one with: socklab run <name>   (or a file of your own: socklab run my.yaml)`);
    });
}
