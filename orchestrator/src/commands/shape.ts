import type { Command } from 'commander';
import { ConfigError, parseShaping, SHAPING_ENV, type ShapingEnv } from '@socklab/shared';
import { SocklabError } from '../errors.js';
import { liveProbes, postShaping } from '../roles/probe.js';
import { DockerRuntime } from '../runtime/docker.js';

export function registerShape(program: Command): void {
  program
    .command('shape')
    .argument('<run-id>', 'a run that is live (its id is printed when it starts)')
    .description("change the link shaping of a live run's servers (through their probes)")
    .option('--server <name>', 'only this server of the run')
    .option('--delay <duration>', 'added one-way delay, e.g. 100ms')
    .option('--jitter <duration>', 'random variation of the delay')
    .option('--loss <percent>', 'packet loss, e.g. 1%')
    .option('--rate <rate>', 'link rate, e.g. 1mbit, or none')
    .option('--direction <d>', 'egress, ingress or both')
    .option('--refusal <policy>', 'drop, abort-on-overflow or reject-above=N')
    .action(async (run: string, o: Record<string, string | undefined>) => {
      const body: Record<string, string> = {};
      const env: ShapingEnv = {};
      for (const k of SHAPING_ENV) {
        const v = o[k.toLowerCase()];
        if (v !== undefined) (body[k.toLowerCase()] = v), (env[k] = v);
      }
      if (Object.keys(body).length === 0) throw new ConfigError(`socklab shape needs at least one of ${SHAPING_ENV.map((k) => `--${k.toLowerCase()}`).join(', ')}`);
      parseShaping(env); // bad values are named here, before anything is sent
      const rt = new DockerRuntime();
      await rt.ping();
      const probes = await liveProbes(rt, run, o.server);
      if (probes.length === 0) throw new SocklabError(`no live probe for run ${run}${o.server ? ` and server ${o.server}` : ''}`, { hint: 'a run is live only while `socklab run` shows it; `docker ps --filter label=socklab.run` lists what runs' });
      for (const p of probes) {
        const r = await postShaping(p, body);
        if (r.status !== 200) throw new ConfigError(`the probe ${p.name} refused it: ${String(r.body.error)}`);
        console.error(`socklab shape: ${p.name}: ${JSON.stringify((r.body as { config?: unknown }).config)}`);
      }
    });
}
