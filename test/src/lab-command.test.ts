import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { DockerRuntime } from '@socklab/orchestrator';
import { CLI } from './support/cli.js';
import { COMPOSE } from './support/compose.js';
import { until } from './support/prometheus.js';

/**
 * `npm run lab` (socklab lab) as a person runs it: in the foreground, Grafana's image not to be had (as on these
 * machines), stopped with Ctrl-C, which the terminal sends to the whole foreground process group.
 */
for (const [i, tool] of COMPOSE.entries()) {
const PROJECT = `socklabfg${tool.name}`;
const PORT = 19096 + i;
const composed = (): string[] =>
  ['ps -aq', 'network ls -q', 'volume ls -q'].flatMap((k) =>
    spawnSync('docker', [...k.split(' '), '--filter', `label=com.docker.compose.project=${PROJECT}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean),
  );

describe(`socklab lab (npm run lab) with ${tool.shown}: the whole lab in the foreground, Ctrl-C removes it`, { skip: tool.skip }, () => {
  it('starts every default server without Grafana, says so, serves Prometheus; Ctrl-C leaves nothing', async () => {
    const env = {
      ...process.env,
      COMPOSE_PROJECT_NAME: PROJECT,
      SOCKLAB_COMPOSE: tool.name,
      SOCKLAB_PROMETHEUS_PORT: String(PORT),
      SOCKLAB_GRAFANA_PORT: '13006',
      SOCKLAB_SUBNET: `172.31.${249 - i}.0/24`,
      SOCKLAB_WAVE_EVERY: '4s',
      // An image no registry has: the Grafana-less path, whatever this machine can pull.
      SOCKLAB_GRAFANA_IMAGE: 'socklab/no-such-grafana:0',
    };
    const child = spawn(process.execPath, [CLI, 'lab'], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    child.stdout.on('data', (d: Buffer) => (said += d.toString()));
    child.stderr.on('data', (d: Buffer) => (said += d.toString()));
    const exit = new Promise<number | null>((r) => child.on('close', r));
    try {
      const accepted = await until(PORT, 'sum by (server) (socklab_server_connections_accepted_total{run="lab", role="server"})', 'server', (v) =>
        ['sequential', 'gargalo', 'threaded', 'event-loop'].every((s) => (v.get(s) ?? 0) > 0),
      );
      assert.deepEqual([...accepted.keys()].sort(), ['event-loop', 'gargalo', 'sequential', 'threaded'], said);
      assert.match(said, new RegExp(String.raw`socklab lab: Grafana's image socklab\/no-such-grafana:0 cannot be pulled here .*; starting the rest: Prometheus on http:\/\/localhost:${PORT}`));
    } catch (e) {
      throw new Error(`${(e as Error).message}\nsocklab lab ${child.exitCode === null ? 'still runs' : `ended with exit ${child.exitCode}`}; it said:\n${said.slice(-3000)}`);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the CLI and Compose alike
    }
    const t0 = Date.now();
    const code = await exit;
    assert.ok(code === 0 || code === 130, `exit ${code}\n${said.slice(-2000)}`);
    assert.ok(Date.now() - t0 < 5000, `the terminal back ${Date.now() - t0} ms after Ctrl-C (target 2 s, 5 s at worst)`);
    assert.deepEqual(composed(), [], 'no container, network or volume of the lab is left');
    assert.deepEqual(await new DockerRuntime().listLabelled('lab'), { containers: [], networks: [], volumes: [] });
  });
});
}
