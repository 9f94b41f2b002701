import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { DockerRuntime } from '@socklab/orchestrator';
import { until } from './prometheus.js';

/** Everything of a compose project on the engine: its containers, networks and volumes. */
export function composed(project: string): string[] {
  return ['ps -aq', 'network ls -q', 'volume ls -q'].flatMap((k) =>
    spawnSync('docker', [...k.split(' '), '--filter', `label=com.docker.compose.project=${project}`], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean),
  );
}

/**
 * `socklab lab` as a person runs it: in the foreground (`command` in `cwd`), until Prometheus on `port` has seen
 * every default server accept a connection; then Ctrl-C, which the terminal sends to the whole foreground
 * process group. Asserts the terminal comes back within 5 s and nothing of the lab is left. Grafana's image is
 * one no registry has (as on these machines), so the Grafana-less path runs whatever this machine can pull.
 */
export async function foregroundLab(command: readonly string[], cwd: string, project: string, port: number, env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(command[0]!, command.slice(1), {
    cwd,
    env: { ...process.env, COMPOSE_PROJECT_NAME: project, SOCKLAB_PROMETHEUS_PORT: String(port), SOCKLAB_WAVE_EVERY: '4s', SOCKLAB_GRAFANA_IMAGE: 'socklab/no-such-grafana:0', ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let said = '';
  child.stdout.on('data', (d: Buffer) => (said += d.toString()));
  child.stderr.on('data', (d: Buffer) => (said += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('close', r));
  try {
    const accepted = await until(port, 'sum by (server) (socklab_server_connections_accepted_total{run="lab", role="server"})', 'server', (v) =>
      ['sequential', 'gargalo', 'threaded', 'event-loop'].every((s) => (v.get(s) ?? 0) > 0),
    );
    assert.deepEqual([...accepted.keys()].sort(), ['event-loop', 'gargalo', 'sequential', 'threaded'], said);
    assert.match(said, new RegExp(String.raw`socklab lab: Grafana's image socklab\/no-such-grafana:0 cannot be pulled here .*; starting the rest: Prometheus on http:\/\/localhost:${port}`));
  } catch (e) {
    throw new Error(`${(e as Error).message}\nsocklab lab ${child.exitCode === null ? 'still runs' : `ended with exit ${child.exitCode}`}; it said:\n${said.slice(-3000)}`);
  } finally {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT'); // Ctrl-C: the CLI and Compose alike
  }
  const t0 = Date.now();
  const code = await exit;
  assert.ok(code === 0 || code === 130, `exit ${code}\n${said.slice(-2000)}`);
  assert.ok(Date.now() - t0 < 5000, `the terminal back ${Date.now() - t0} ms after Ctrl-C (target 2 s, 5 s at worst)`);
  assert.deepEqual(composed(project), [], 'no container, network or volume of the lab is left');
  assert.deepEqual(await new DockerRuntime().listLabelled('lab'), { containers: [], networks: [], volumes: [] });
  return said;
}
