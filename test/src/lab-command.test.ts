import { describe, it } from 'node:test';
import { CLI } from './support/cli.js';
import { COMPOSE } from './support/compose.js';
import { foregroundLab } from './support/foreground-lab.js';

/**
 * `npm run lab` (socklab lab) as a person runs it: in the foreground, Grafana's image not to be had (as on these
 * machines), stopped with Ctrl-C, which the terminal sends to the whole foreground process group.
 */
for (const [i, tool] of COMPOSE.entries()) {
const PROJECT = `socklabfg${tool.name}`;
const PORT = 19096 + i;
describe(`socklab lab (npm run lab) with ${tool.shown}: the whole lab in the foreground, Ctrl-C removes it`, { skip: tool.skip }, () => {
  it('starts every default server without Grafana, says so, serves Prometheus; Ctrl-C leaves nothing', async () => {
    await foregroundLab([process.execPath, CLI, 'lab'], process.cwd(), PROJECT, PORT, {
      SOCKLAB_COMPOSE: tool.name,
      SOCKLAB_GRAFANA_PORT: '13006',
      SOCKLAB_SUBNET: `172.31.${249 - i}.0/24`,
    });
  });
});
}
