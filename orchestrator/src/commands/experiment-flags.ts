import { Option, type Command } from 'commander';
import { ARRIVALS, DIRECTIONS, MODELS, PROTOCOLS, SWARM_PRESETS } from '@socklab/shared';
import { EXPECTATION_KEYS } from '@socklab/shared/scenario';
import { DEFAULT_SAMPLE_EVERY_MS } from '../plan/build.js';
import { LANGS, type Lang } from '../report/lang.js';
import { ConfigError } from '@socklab/shared';

/** --lang, checked: the bad value and the valid ones named (exit 2). */
export function parseLang(value: string | undefined): Lang {
  const v = value ?? 'en';
  if (!(LANGS as readonly string[]).includes(v)) throw new ConfigError(`invalid --lang ${JSON.stringify(v)}: expected one of ${LANGS.join(', ')}`);
  return v as Lang;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** The flags `run` and `compare` share: server, shaping, swarm, expectations, output. */
export function experimentFlags(cmd: Command, opts: { matrix: boolean }): Command {
  if (!opts.matrix) {
    cmd.option('--model <model>', `server model: ${MODELS.join(', ')}`);
    cmd.option('--server-file <file.py>', "a Python server of your own, run as it is (the course's server_async.py)");
    cmd.option('--server-image <image>', 'any image as the server, observed from outside');
    cmd.option('--port <n>', 'the port your server listens on (with --server-file or --server-image)');
    cmd.option('--localhost', 'run the clients in the server\'s own network namespace against 127.0.0.1 (chosen by itself for a server bound to loopback)');
    cmd.option('--clients <n>', 'connections the swarm makes');
    cmd.option('--delay <duration>', 'added one-way delay on the server link, e.g. 100ms');
  }
  return cmd
    .option('--backlog <n>', "listen() backlog (1 is the course's servergargalo.py)")
    .option('--work <work>', 'work per request: io:<duration> (sleep) or cpu:<duration> (busy loop)')
    .option('--protocol <p>', `wire protocol: ${PROTOCOLS.join(', ')}`)
    .option('--pool-size <n>', 'pool: threads blocking in accept')
    .option('--processes <n>', 'prefork and event-loop-workers: worker processes')
    .option('--poll-interval <duration>', 'polling: pause between polls (0 burns a core)')
    .option('--recv-timeout <duration>', "SO_RCVTIMEO on accepted sockets (the notebook's deadlock fix)")
    .option('--sysctl <key=value>', 'per-namespace sysctl of the server, repeatable (e.g. net.ipv4.tcp_abort_on_overflow=1)', collect)
    .option('--memory <size>', 'memory limit of the server container, e.g. 256m')
    .option('--cpus <n>', 'CPU limit of the server container in cores, e.g. 1 (one core) or 0.5')
    .option('--jitter <duration>', 'random variation of the delay, e.g. 10ms')
    .option('--loss <percent>', 'packet loss, e.g. 1%')
    .option('--rate <rate>', 'link rate, e.g. 1mbit')
    .option('--direction <d>', `which way shaping applies: ${DIRECTIONS.join(', ')}`)
    .option('--refusal <policy>', 'drop, abort-on-overflow (with --sysctl net.ipv4.tcp_abort_on_overflow=1) or reject-above=N')
    .option('--preset <name>', `client preset: ${Object.keys(SWARM_PRESETS).join(', ')}`)
    .option('--arrival <kind>', `how connections arrive: ${ARRIVALS.join(', ')}`)
    .option('--arrival-rate <n>', 'connections per second for ramp and steady arrivals')
    .option('--arrival-duration <duration>', 'how long ramp and steady arrivals go on')
    .option('--concurrency <n>', 'connections in flight for closed arrivals')
    .option('--connect-timeout <duration>', 'clients give up connecting after this')
    .option('--read-timeout <duration>', 'clients give up waiting for the answer after this')
    .option('--hold <duration>', 'keep each connection open this long (keep-alive servers)')
    .option('--expect-greeting', 'clients wait for the server to speak first (the deadlock against echo)')
    .option('--message <text>', 'request line')
    .option('--max-duration <duration>', 'hard bound on each swarm (default 2m)')
    .option('--repeat <n>', 'run the whole experiment (each cell) this many times')
    .option('--expect <key=bound>', `expected measurement, repeatable: KEY=N, KEY=MIN..MAX (KEY: ${EXPECTATION_KEYS.join(', ')}); exit 3 when not met`, collect)
    .option('--seed <n>', 'random seed of the loss and jitter draws (recorded in the manifest)')
    .option('--out <dir>', 'where results/<run-id>/ goes', 'results')
    .option('--lang <lang>', `language of the report and the summary: ${LANGS.join(', ')}`, 'en')
    .option('--json', 'print the results as JSON on stdout')
    .option('--dry-run', 'print the plan and start nothing')
    .addOption(new Option('--sample-every <ms>', 'sampling period of metrics and kernel state').default(String(DEFAULT_SAMPLE_EVERY_MS)).hideHelp());
}
