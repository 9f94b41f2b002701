#!/usr/bin/env node
/**
 * npm run bench: memory and throughput figures measured side by side in one run, on the lab's own internal
 * network. Prints a table per section and, last, one JSON line with every figure.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DockerRuntime, establishedCount, labDownArgs, labUpArgs, processRss, readResults, REPO_ROOT, trialMeasures, type Execs, type Results } from '@socklab/orchestrator';
import { IMAGES, LAB_PORT, pollUntil, SERVER_METRICS as M } from '@socklab/shared';
import { c100kReportMismatches } from '../support/c100k-report.js';
import { Lab, metricValue, sampleWhile, type Started, type SwarmRun } from '../support/lab.js';
import { connectTimesOnNode, swarmOnNode } from '../support/cluster.js';
import { query } from '../support/prometheus.js';
import { execsOf, runReference, startReference, startReferenceRun } from '../support/references.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const figures: Record<string, unknown> = {};

function table(title: string, head: string[], rows: Array<Array<string | number>>): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: Array<string | number>): string => cells.map((c, i) => String(c).padStart(widths[i] ?? 0)).join('  ');
  console.log(`\n${title}\n${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r));
}

/** Memory per in-service connection with 200 clients held in service by io work. */
async function serverMemory(lab: Lab): Promise<void> {
  const models = ['threaded', 'worker-threads', 'pool', 'prefork', 'event-loop'] as const;
  const targets: Partial<Record<(typeof models)[number], number>> = { threaded: 64 * KiB, 'event-loop': 8 * KiB };
  const rows: Array<Array<string | number>> = [];
  for (const model of models) {
    const name = `mem-${model}`;
    // pool and prefork are sized to 200 so that 200 connections are in service at once, like the others.
    const server = await lab.server({ MODEL: model, WORK: 'io:3s', POOL_SIZE: '200', PROCESSES: '200', BACKLOG: '1024' }, { name });
    // A warm-up round of 1,000 clients first, so one-time costs (JIT, heap sizing, first page faults, thread
    // stacks touched for the first time) are not counted as the cost of a connection; worker-threads warms up
    // with 200 (1,000 Workers would take 7 GB).
    const swarmArgs = ['--target', lab.target(name), '--preset', 'challenge', '--read-timeout', '30s', '--metrics-port', '0'];
    const warmup = model === 'worker-threads' ? '200' : '1000';
    await lab.swarm([...swarmArgs, '--clients', warmup], `${name}-warmup`);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = await lab.processRss(server);
    const t0 = Date.now();
    let inService = 0;
    const { samples } = await sampleWhile(lab.swarm(swarmArgs, `${name}-swarm`), 200, async () => {
      const at = Date.now() - t0;
      // One scrape, after the memory window (a scrape allocates on the server's heap), for the in-service count.
      if (inService === 0 && at > 2500) inService = metricValue(await lab.scrape(server), M.inService.name) ?? 0;
      return { at, rss: await lab.processRss(server) };
    });
    // Memory while the connections are in service: the median of the samples in the steady window of the
    // io:3s work (1 s to 2.4 s after the swarm started), not a transient peak of the accept burst.
    const steady = samples.filter((s) => s.at >= 1000 && s.at <= 2400).map((s) => s.rss).sort((a, b) => a - b);
    const loaded = steady[Math.floor(steady.length / 2)] ?? NaN;
    const perConn = (loaded - idle) / (inService || 200);
    const target = targets[model];
    figures[`memory_per_connection_bytes.${model}`] = Math.round(perConn);
    figures[`idle_rss_bytes.${model}`] = idle;
    rows.push([
      `${model} (warm-up ${warmup})`,
      (idle / MiB).toFixed(1),
      (loaded / MiB).toFixed(1),
      inService,
      (perConn / KiB).toFixed(1),
      target === undefined ? '-' : `< ${target / KiB} (${perConn < target ? 'met' : 'MISSED'})`,
    ]);
    await server.stop();
  }
  table('Server memory at 200 concurrent clients (io:3s): RSS from /proc, steady window, after a warm-up round', ['model', 'idle MiB', 'loaded MiB', 'in service', 'KiB/conn', 'target KiB'], rows);
}

/** New connections per second against the event loop: the swarm next to a plain Node loop, same settings. */
async function connectionRate(lab: Lab): Promise<void> {
  const server = await lab.server({ MODEL: 'event-loop', BACKLOG: '4096' }, { name: 'rate' });
  const clients = 20_000;
  const concurrency = 64;
  const reference = readFileSync(new URL('./reference-client.js', import.meta.url), 'utf8');
  const rows: Array<Array<string | number>> = [];
  const rates: { swarm: number[]; reference: number[] } = { swarm: [], reference: [] };
  for (let round = 0; round < 3; round += 1) {
    // Alternate which goes first, so neither always meets the other's TIME_WAIT leftovers on the server.
    const runSwarm = async (): Promise<number> => {
      const s = await lab.swarm(
        ['--target', lab.target('rate'), '--arrival', 'closed', '--concurrency', String(concurrency), '--clients', String(clients), '--metrics-port', '0'],
        `rate-swarm-${round}`,
      );
      return ((s.summary?.outcomes.ok ?? 0) / (s.summary?.durationMs ?? Infinity)) * 1000;
    };
    const runPlain = async (): Promise<number> => {
      const r = await runReference({
        run: lab.run,
        name: `rate-ref-${round}`,
        network: { join: lab.network },
        cmd: ['node', '--input-type=module', '-e', reference, `${lab.run}-rate`, String(LAB_PORT), String(clients), String(concurrency)],
      });
      const ref = JSON.parse(r.output.trim().split('\n').pop() ?? '{}') as { ok: number; durationMs: number };
      return (ref.ok / ref.durationMs) * 1000;
    };
    let swarmRate: number;
    let refRate: number;
    if (round % 2 === 0) {
      swarmRate = await runSwarm();
      refRate = await runPlain();
    } else {
      refRate = await runPlain();
      swarmRate = await runSwarm();
    }
    rates.swarm.push(swarmRate);
    rates.reference.push(refRate);
    rows.push([round + 1, Math.round(swarmRate), Math.round(refRate), (swarmRate / refRate).toFixed(2)]);
  }
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] ?? 0;
  const ratios = rates.swarm.map((v, i) => v / (rates.reference[i] ?? 1));
  rows.push(['median', Math.round(median(rates.swarm)), Math.round(median(rates.reference)), `${median(ratios).toFixed(2)} (target >= 0.80: ${median(ratios) >= 0.8 ? 'met' : 'MISSED'})`]);
  table(`New connections per second to the event loop (${clients} per run, ${concurrency} in flight, connect+request+close)`, ['run', 'swarm/s', 'plain net loop/s', 'swarm/ref'], rows);
  figures.event_loop_accepts_per_second = Math.round(median(rates.swarm));
  figures.swarm_connections_per_second = Math.round(median(rates.swarm));
  figures.reference_connections_per_second = Math.round(median(rates.reference));
  figures.swarm_vs_reference_ratio = Number(median(ratios).toFixed(3));
  const accepted = metricValue(await lab.scrape(server), M.connectionsAccepted.name);
  figures.event_loop_accepted_total = accepted;
  await server.stop();
}

/**
 * C10K: 10,000 connections held 30 s by one swarm, only `ok`, and its RSS per held connection, next to the
 * plainest Node client holding the same 10,000 (reference-holder), both measured from /proc the same way.
 */
async function c10k(lab: Lab): Promise<void> {
  const server = await lab.server({ MODEL: 'event-loop', PROTOCOL: 'keepalive', BACKLOG: '4096' }, { name: 'c10k' });
  const target = `${lab.run}-c10k`;
  // Read from /proc with cat: a metrics scrape would allocate on the measured process's heap and be counted.
  const measure = async (c: Execs): Promise<{ rss: number; held: number }> => ({
    rss: await processRss(c),
    held: await establishedCount(c),
  });
  const perConnection = async (
    started: { container: Execs; done: Promise<unknown> },
  ): Promise<{ perConn: number; heldRss: number; seconds: number; result: unknown }> => {
    await new Promise((r) => setTimeout(r, 1500));
    const baseline = await measure(started.container);
    const { result, samples } = await sampleWhile(started.done, 1000, () => measure(started.container));
    // The median while all 10,000 are held (a steady state), like the server memory figures.
    const held = samples.filter((s) => s.held >= 10_000).map((s) => s.rss).sort((a, b) => a - b);
    const heldRss = held[Math.floor(held.length / 2)] ?? NaN;
    return { perConn: (heldRss - baseline.rss) / 10_000, heldRss, seconds: held.length, result };
  };

  const swarm = await perConnection(
    await lab.startSwarm(
      ['--target', `${target}:${LAB_PORT}`, '--preset', 'c10k', '--arrival', 'steady', '--rate', '2000', '--duration', '5s',
        '--hold', '30s', '--request-interval', '10s', '--connect-timeout', '20s', '--delay', '3s', '--max-duration', '3m'],
      'c10k-swarm',
    ).then(({ container, done }) => ({ container: container.handle, done })),
  );
  const run = swarm.result as SwarmRun;
  const o = run.summary?.outcomes ?? {};
  const onlyOk = Object.entries(o).every(([k, v]) => (k === 'ok' ? v === 10_000 : v === 0));

  const holder = readFileSync(new URL('./reference-holder.js', import.meta.url), 'utf8');
  const refStarted = await startReferenceRun({
    run: lab.run,
    name: 'c10k-reference',
    network: { join: lab.network },
    cmd: ['node', '--input-type=module', '-e', `await new Promise((r) => setTimeout(r, 3000));\n${holder}`, target, String(LAB_PORT), '10000', '30'],
  });
  const ref = await perConnection({ container: execsOf(refStarted.container), done: refStarted.done });

  figures.c10k_outcomes = o;
  figures.c10k_swarm_rss_per_connection_bytes = Math.round(swarm.perConn);
  figures.c10k_reference_rss_per_connection_bytes = Math.round(ref.perConn);
  figures.c10k_swarm_vs_reference_ratio = Number((swarm.perConn / ref.perConn).toFixed(3));
  table('C10K: 10,000 connections held 30 s (RSS from /proc, median while all are held)', ['client', 'outcomes', 's all held', 'RSS MiB', 'KiB/conn', 'target KiB/conn'], [
    ['swarm', onlyOk ? 'all 10000 ok' : JSON.stringify(o), swarm.seconds, (swarm.heldRss / MiB).toFixed(1), (swarm.perConn / KiB).toFixed(2), `<= 5 (${swarm.perConn <= 5 * KiB ? 'met' : 'MISSED'})`],
    ['plain net client', '-', ref.seconds, (ref.heldRss / MiB).toFixed(1), (ref.perConn / KiB).toFixed(2), '-'],
    ['swarm / plain', '', '', '', (swarm.perConn / ref.perConn).toFixed(2), ''],
  ]);
  figures.c10k_server_rss_peak_bytes = metricValue(await lab.scrape(server), M.rssPeak.name) ?? NaN;
  await server.stop();
}

/**
 * The probe's own cost: CPU at a 1 s refresh with 10,000 established connections on the port, and the NFQUEUE
 * helper's CPU per 10,000 packets per second of shaped traffic.
 */
async function probeCost(lab: Lab): Promise<void> {
  const server = await lab.server({ MODEL: 'event-loop', PROTOCOL: 'keepalive', BACKLOG: '4096' }, { name: 'probe-cost' });
  const probe = await lab.probe(server, { REFRESH: '1s' }, 'probe-cost-probe');
  const { container: swarm, done } = await lab.startSwarm(
    ['--target', `${lab.run}-probe-cost:${LAB_PORT}`, '--clients', '10000', '--arrival', 'steady', '--rate', '2000', '--duration', '5s',
      '--hold', '25s', '--request-interval', '20s', '--connect-timeout', '20s', '--metrics-port', '0'],
    'probe-cost-swarm',
  );
  while ((await lab.established(swarm)) < 10_000) await new Promise((r) => setTimeout(r, 500));
  const window = 10;
  const c0 = await lab.cpuSeconds(probe);
  const s0 = await lab.probeState(probe);
  await new Promise((r) => setTimeout(r, window * 1000));
  const c1 = await lab.cpuSeconds(probe);
  const s1 = await lab.probeState(probe);
  const probeCores = (c1 - c0) / window;
  await done;
  figures.probe_cpu_share_10k_established = Number(probeCores.toFixed(4));
  await server.stop();

  // NFQUEUE helper: every packet of closed-loop connections both ways through the queue, 1 ms delay.
  const shaped = await lab.server({ MODEL: 'event-loop', BACKLOG: '4096' }, { name: 'nfq-cost' });
  const nfqProbe = await lab.probe(shaped, { DELAY: '1ms', DIRECTION: 'both' }, 'nfq-cost-probe');
  const packets = async (): Promise<number> =>
    (JSON.parse(await lab.scrape(nfqProbe, 9465, '/shaping')) as { helper: { received: number } }).helper.received;
  const { container: load, done: loadDone } = await lab.startSwarm(
    ['--target', `${lab.run}-nfq-cost:${LAB_PORT}`, '--arrival', 'closed', '--concurrency', '64', '--clients', '40000', '--metrics-port', '0'],
    'nfq-cost-swarm',
  );
  void load;
  await new Promise((r) => setTimeout(r, 2000));
  const h0 = await lab.cpuSeconds(nfqProbe, ['socklab-nfq-delay']);
  const p0 = await packets();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 5000));
  const h1 = await lab.cpuSeconds(nfqProbe, ['socklab-nfq-delay']);
  const p1 = await packets();
  const seconds = (Date.now() - t0) / 1000;
  await loadDone;
  const pps = (p1 - p0) / seconds;
  const helperCores = (h1 - h0) / seconds;
  const per10k = helperCores / (pps / 10_000);
  figures.nfqueue_packets_per_second = Math.round(pps);
  figures.nfqueue_cpu_share_per_10k_pps = Number(per10k.toFixed(4));
  table('Probe cost', ['what', 'measured', 'target'], [
    [`probe CPU, 1 s refresh, ${s1.connections.established} established (${window} s)`, `${(probeCores * 100).toFixed(2)}% of a core`, `< 5% (${probeCores < 0.05 ? 'met' : 'MISSED'})`],
    ['NFQUEUE helper packets/s (both directions, 1 ms delay)', Math.round(pps), '-'],
    ['NFQUEUE helper CPU per 10,000 packets/s', `${(per10k * 100).toFixed(1)}% of a core`, '-'],
  ]);
  void s0;
  await shaped.stop();
}

/**
 * Run the CLI as a user would, without blocking (so the host can be sampled meanwhile): its wall time, the results
 * it wrote and what it said. An exit code outside `accept` fails the bench.
 */
async function cli(args: string[], accept: readonly number[] = [0]): Promise<{ wallMs: number; results: Results; stderr: string; report: string }> {
  const out = mkdtempSync(path.join(tmpdir(), 'socklab-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'orchestrator/dist/cli.js'), ...args, '--out', out], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const wallMs = performance.now() - t0;
  if (code === null || !accept.includes(code)) throw new Error(`socklab ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  const run = path.join(out, readdirSync(out)[0] ?? '');
  const results = readResults(run);
  const report = readFileSync(path.join(run, 'report.md'), 'utf8');
  rmSync(out, { recursive: true, force: true });
  return { wallMs, results, stderr, report };
}

/** The swarms' own time: from the first one's start to the last one's end, as each measured it. */
function swarmsMs(r: Results): number {
  return r.trials.reduce((a, t) => a + Math.max(0, ...t.swarms.map((w) => w.summary?.durationMs ?? 0)), 0);
}

/** A docker CLI call, its output; a failing one fails the bench. */
function docker(args: string[]): string {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A cell run by hand: the server's model and work, and the swarm's clients (its flags). */
interface PlainCell {
  readonly model: string;
  readonly work: string;
  readonly clients: readonly string[];
}

/**
 * One cell by hand with the docker CLI, on a network made already: the server (waited for by its log line), its
 * probe and sampler in its namespaces, the swarm in the foreground, then all four removed. Answers the swarm's
 * own duration.
 */
async function plainCell(net: string, tag: string, cell: PlainCell): Promise<number> {
  const server = `${net}-${tag}-server`;
  const labels = ['--label', `socklab.run=${net}`];
  docker(['run', '-d', ...labels, '--name', server, '--network', net, '--network-alias', 'server', '-e', `MODEL=${cell.model}`, '-e', `WORK=${cell.work}`, IMAGES.server]);
  while (!docker(['logs', server]).includes('socklab server: model=')) await new Promise((r) => setTimeout(r, 20));
  docker(['run', '-d', ...labels, '--name', `${server}-probe`, '--network', `container:${server}`, '--pid', `container:${server}`, '--cap-add', 'NET_ADMIN', IMAGES.probe]);
  docker(['run', '-d', ...labels, '--name', `${server}-sampler`, '--network', `container:${server}`, '--entrypoint', 'node', IMAGES.probe, '/app/images/probe/dist/sampler.js']);
  const out = docker(['run', ...labels, '--name', `${net}-${tag}-swarm`, '--network', net, IMAGES.swarm, '--target', 'server:7000', ...cell.clients, '--metrics-port', '0']);
  const summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { durationMs: number };
  docker(['rm', '-f', server, `${server}-probe`, `${server}-sampler`, `${net}-${tag}-swarm`]);
  return summary.durationMs;
}

/**
 * What socklab does, by hand with the docker CLI: a network, the cells one after another (plainCell), the
 * network removed. Its overhead is the wall time minus the swarms' own durations, as for socklab.
 */
async function plainDocker(tag: string, cells: readonly PlainCell[]): Promise<{ wallMs: number; experimentMs: number }> {
  const net = `socklab-benchref-${tag}`;
  const t0 = performance.now();
  docker(['network', 'create', '--internal', '--label', `socklab.run=${net}`, net]);
  try {
    let experimentMs = 0;
    for (const [i, cell] of cells.entries()) experimentMs += await plainCell(net, String(i + 1), cell);
    docker(['network', 'rm', net]);
    return { wallMs: performance.now() - t0, experimentMs };
  } finally {
    spawnSync('sh', ['-c', `docker rm -f $(docker ps -aq --filter label=socklab.run=${net}) 2>/dev/null; docker network rm ${net} 2>/dev/null`]);
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] ?? NaN) : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2;
};

/**
 * The engine's own cost, side by side with the same containers run by hand: `socklab run sequential` and the
 * plain docker CLI in turn (A B A B ...), each overhead being the wall time minus the swarm's own duration; then
 * a 3 models x 2 client counts `compare`, its overhead per cell, and where each phase's time went.
 */
async function engineCost(): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  const ours: number[] = [];
  const plain: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const { wallMs, results } = await cli(['run', 'sequential']);
    ours.push(wallMs - swarmsMs(results));
    const ref = await plainDocker(String(i), [{ model: 'sequential', work: 'io:1s', clients: ['--preset', 'client'] }]);
    plain.push(ref.wallMs - ref.experimentMs);
    rows.push([`run sequential #${i + 1}`, (ours[i]! / 1000).toFixed(2), (plain[i]! / 1000).toFixed(2), (ours[i]! / plain[i]!).toFixed(2)]);
  }
  const ratios = ours.map((o, i) => o / (plain[i] ?? NaN));
  const m = median(ours);
  rows.push(['median', (m / 1000).toFixed(2), (median(plain) / 1000).toFixed(2), `${median(ratios).toFixed(2)} (target <= 2, and socklab < 3 s: ${median(ratios) <= 2 && m < 3000 ? 'met' : 'MISSED'})`]);
  table('Engine overhead of one run (wall time minus the swarm\'s own time), socklab against the same containers by hand', ['run', 'socklab s', 'docker CLI s', 'ratio'], rows);

  const cmp = await cli(['compare', '--models', 'sequential,threaded,event-loop', '--clients', '10,50', '--work', 'io:1s']);
  const cells = cmp.results.trials.length;
  const perCell = (cmp.wallMs - swarmsMs(cmp.results)) / cells;
  // The same cells by hand, right after: the four containers of each cell, one cell after another.
  const byHand = await plainDocker('compare', cmp.results.trials.map((t) => ({ model: t.cell.model ?? 'sequential', work: 'io:1s', clients: ['--clients', t.cell.clients ?? '10'] })));
  const perCellByHand = (byHand.wallMs - byHand.experimentMs) / cells;
  const phases = (['startMs', 'readinessMs', 'collectMs', 'teardownMs'] as const).map((k) => [k, median(cmp.results.trials.map((t) => t.timings[k]))] as const);
  table(`compare 3 models x 2 client counts: ${cells} cells, ${(cmp.wallMs / 1000).toFixed(2)} s wall, ${(swarmsMs(cmp.results) / 1000).toFixed(2)} s of clients`, ['what', 'ms'], [
    ['overhead per cell (wall minus the clients\' time, / cells)', `${Math.round(perCell)} (target < 1000: ${perCell < 1000 ? 'met' : 'MISSED'})`],
    ['the same cells by hand with the docker CLI, per cell', `${Math.round(perCellByHand)} (socklab: ${(perCell / perCellByHand).toFixed(2)}x)`],
    ...phases.map(([k, v]) => [`median ${k.replace('Ms', '')} per cell${k === 'teardownMs' ? ' (overlaps the next cell)' : ''}`, Math.round(v)]),
  ]);
  figures.engine_run_overhead_ms = Math.round(m);
  figures.engine_run_plain_docker_overhead_ms = Math.round(median(plain));
  figures.engine_run_overhead_ratio = Math.round(median(ratios) * 100) / 100;
  figures.engine_compare_wall_ms = Math.round(cmp.wallMs);
  figures.engine_compare_overhead_per_cell_ms = Math.round(perCell);
  figures.engine_compare_plain_docker_per_cell_ms = Math.round(perCellByHand);
  figures.engine_compare_overhead_ratio = Math.round((perCell / perCellByHand) * 100) / 100;
}

/** A course-style Python program, bound to every address (so clients reach it over the lab network like a model). */
function pythonProgram(example: string, work: number): Record<string, string> {
  const text = readFileSync(path.join(REPO_ROOT, 'examples', example), 'utf8').replace(/^HOST = .*$/m, 'HOST = "0.0.0.0"').replace(/^ESPERA = \d+/m, `ESPERA = ${work}`);
  return { SOCKLAB_PROGRAM: Buffer.from(text).toString('base64'), SOCKLAB_PROGRAM_NAME: example };
}

/**
 * The anchor a student would otherwise use, side by side: socklab's event-loop and threaded models against the
 * course-style asyncio and threaded Python servers (accepts per second, memory per connection and threads at 200
 * clients), and socklab's swarm against a threaded Python client at 200 and 1,000 connections.
 */
async function classroom(lab: Lab): Promise<void> {
  const rows: Array<Array<string | number>> = [];
  const pairs = [
    ['event-loop', 'server_async.py'],
    ['threaded', 'servidor_threads.py'],
  ] as const;
  for (const [model, example] of pairs) {
    for (const kind of ['socklab', 'python'] as const) {
      const name = `cls-${kind}-${model}`;
      const port = kind === 'socklab' ? LAB_PORT : 65432;
      // socklab's model through its role, as the CLI starts it; the course's Python program as a reference.
      const start = async (work: number): Promise<{ readonly execs: Execs; stop(): Promise<unknown> }> => {
        if (kind === 'socklab') {
          const s = await lab.server({ MODEL: model, WORK: `io:${work}s`, BACKLOG: '1024' }, { name: `${name}-${work}` });
          return { execs: s.handle, stop: () => s.stop() };
        }
        const r = await startReference({ run: lab.run, name: `${name}-${work}`, network: { join: lab.network }, image: IMAGES.python, env: pythonProgram(example, work) });
        return { execs: execsOf(r), stop: () => r.stop({ remove: true }) };
      };
      // Accepts per second: no work, closed-loop clients (64 in flight).
      const fast = await start(0);
      await new Promise((r) => setTimeout(r, 1500));
      const rate = await lab.swarm(['--target', `${lab.run}-${name}-0:${port}`, '--arrival', 'closed', '--concurrency', '64', '--clients', '5000', '--metrics-port', '0'], `${name}-rate`);
      const accepts = ((rate.summary?.outcomes.ok ?? 0) / (rate.summary?.durationMs ?? Infinity)) * 1000;
      await fast.stop();
      // 200 clients held in service by 3 s of work: memory per connection and threads.
      const slow = await start(3);
      await new Promise((r) => setTimeout(r, 1500));
      const idle = await processRss(slow.execs);
      const threadsIdle = await threadCount(slow.execs);
      const t0 = Date.now();
      const { result, samples } = await sampleWhile(
        lab.swarm(['--target', `${lab.run}-${name}-3:${port}`, '--clients', '200', '--read-timeout', '30s', '--metrics-port', '0'], `${name}-200`),
        250,
        async () => ({ at: Date.now() - t0, rss: await processRss(slow.execs), threads: await threadCount(slow.execs) }),
      );
      const steady = samples.filter((x) => x.at >= 1000 && x.at <= 2500).map((x) => x.rss).sort((a, b) => a - b);
      const loaded = steady[Math.floor(steady.length / 2)] ?? NaN;
      const peakThreads = Math.max(...samples.map((x) => x.threads));
      await slow.stop();
      const label = kind === 'socklab' ? `socklab ${model}` : `Python ${example}`;
      rows.push([label, Math.round(accepts), `${result.summary?.outcomes.ok ?? 0}/200`, ((loaded - idle) / 200 / KiB).toFixed(1), `${threadsIdle} -> ${peakThreads}`]);
      figures[`classroom.${kind}.${model}.accepts_per_second`] = Math.round(accepts);
      figures[`classroom.${kind}.${model}.rss_per_connection_bytes`] = Math.round((loaded - idle) / 200);
      figures[`classroom.${kind}.${model}.threads_peak_200`] = peakThreads;
    }
  }
  table('socklab models against the course-style Python servers (accepts/s: no work, 64 in flight; memory and threads: 200 clients, io 3 s)', ['server', 'accepts/s', '200 clients', 'KiB/conn', 'threads rest -> peak'], rows);

  // The clients: socklab's swarm against the threaded Python client, 200 and 1,000 connections.
  const target = await lab.server({ MODEL: 'event-loop', WORK: 'io:2s', BACKLOG: '4096' }, { name: 'cls-target' });
  void target;
  const client = readFileSync(path.join(REPO_ROOT, 'test/src/bench/python-client.py'), 'utf8');
  const crow: Array<Array<string | number>> = [];
  for (const n of [200, 1000]) {
    const sw = await lab.startSwarm(['--target', `${lab.run}-cls-target:${LAB_PORT}`, '--clients', String(n), '--read-timeout', '30s', '--metrics-port', '0'], `cls-swarm-${n}`);
    const swPeak = await peakRss(sw.container.handle, sw.done);
    const s = await sw.done;
    const py = await startReferenceRun({
      run: lab.run,
      name: `cls-pyclient-${n}`,
      network: { join: lab.network },
      image: IMAGES.python,
      env: { SOCKLAB_PROGRAM: Buffer.from(client).toString('base64'), SOCKLAB_PROGRAM_NAME: 'client.py' },
      cmd: ['python3', '-c', `import base64,os,sys; open('/tmp/c.py','wb').write(base64.b64decode(os.environ['SOCKLAB_PROGRAM'])); sys.argv=['c.py','${n}','${lab.run}-cls-target','${LAB_PORT}']; exec(open('/tmp/c.py').read())`],
    });
    const pyPeak = await peakRss(execsOf(py.container), py.done);
    const pr = JSON.parse((await py.done).logs.trim().split('\n').pop() ?? '{}') as { ok: number; allConnectedMs: number };
    crow.push([n, `${s.summary?.outcomes.ok}/${n}`, Math.round(s.summary?.latencyMs.connect.max ?? NaN), (swPeak / MiB).toFixed(1), `${pr.ok}/${n}`, Math.round(pr.allConnectedMs), (pyPeak / MiB).toFixed(1), ((s.summary?.latencyMs.connect.max ?? NaN) / pr.allConnectedMs).toFixed(2), (swPeak / pyPeak).toFixed(2)]);
    figures[`classroom.clients_${n}.swarm_all_connected_ms`] = Math.round(s.summary?.latencyMs.connect.max ?? NaN);
    figures[`classroom.clients_${n}.python_all_connected_ms`] = Math.round(pr.allConnectedMs);
    figures[`classroom.clients_${n}.swarm_peak_rss_bytes`] = swPeak;
    figures[`classroom.clients_${n}.python_peak_rss_bytes`] = pyPeak;
  }
  table('Clients: socklab swarm against a threaded Python client (time until all connected, peak RSS)', ['clients', 'swarm ok', 'swarm ms', 'swarm MiB', 'python ok', 'python ms', 'python MiB', 'time swarm/py', 'memory swarm/py'], crow);
}

/** Threads of a container's processes (all but our own sh and cat), from /proc. */
async function threadCount(c: Execs): Promise<number> {
  const r = await c.exec(['sh', '-c', 'for p in /proc/[0-9]*; do cat $p/status 2>/dev/null; echo; done']);
  let n = 0;
  for (const block of r.stdout.split(/\n\s*\n/)) {
    const name = /^Name:\s+(\S+)/m.exec(block)?.[1];
    if (name === undefined || name === 'sh' || name === 'cat') continue;
    n += Number(/^Threads:\s+(\d+)/m.exec(block)?.[1] ?? 0);
  }
  return n;
}

/** The highest RSS a container reached while `done` was pending, sampled every 100 ms. */
async function peakRss(c: Execs, done: Promise<unknown>): Promise<number> {
  const { samples } = await sampleWhile(done, 100, () => processRss(c));
  return Math.max(0, ...samples);
}

/**
 * Soak: the compose lab with its default waves for SOCKLAB_SOAK_MINUTES (10 by default). No container restarts,
 * every Prometheus target up the whole time, resident memory of the swarms, probes and event-loop server flat
 * within 10% after a warm-up, and the swarms' memory bounded.
 */
async function soak(): Promise<void> {
  const minutes = Number(process.env.SOCKLAB_SOAK_MINUTES ?? 10);
  const project = 'socklabsoak';
  const port = 19094;
  const env = { ...process.env, SOCKLAB_PROMETHEUS_PORT: String(port), SOCKLAB_GRAFANA_PORT: '13001', SOCKLAB_SUBNET: '172.31.254.0/24' };
  const compose = (args: string[]) => spawnSync('docker-compose', args, { cwd: REPO_ROOT, env, encoding: 'utf8' });
  const up = compose(labUpArgs({ v1: true, grafana: false, project, detach: true }));
  if (up.status !== 0) throw new Error(`compose up failed: ${up.stderr}`);
  const q = (expr: string) => query(port, expr);
  const rss = async (): Promise<Map<string, number>> =>
    new Map(
      (await q('process_resident_memory_bytes{run="lab", role=~"swarm|probe"} or process_resident_memory_bytes{run="lab", role="server", model="event-loop"}')).map((s) => [
        `${s.metric.role}/${s.metric.server}${s.metric.role === 'swarm' ? `/${s.metric.instance}` : ''}`,
        Number(s.value[1]),
      ]),
    );
  try {
    const warmup = 120_000;
    await new Promise((r) => setTimeout(r, warmup));
    const start = await rss();
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, minutes * 60_000 - warmup));
    const end = await rss();
    const window = `${Math.round((Date.now() - t0) / 1000)}s`;
    const down = await q(`min_over_time(up{run="lab"}[${window}]) == 0`);
    const targets = (await q('up{run="lab"}')).length;
    const restarts = spawnSync('docker', ['inspect', '-f', '{{.Name}} {{.RestartCount}}', ...compose(['-p', project, 'ps', '-q']).stdout.trim().split('\n')], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter((l) => !l.endsWith(' 0'));
    const rows: Array<Array<string | number>> = [];
    let flat = true;
    for (const [k, v0] of start) {
      const v1 = end.get(k);
      if (v1 === undefined) continue;
      const change = (v1 - v0) / v0;
      if (Math.abs(change) > 0.1) flat = false;
      rows.push([k, (v0 / MiB).toFixed(1), (v1 / MiB).toFixed(1), `${(change * 100).toFixed(1)}%`]);
    }
    table(`Soak: the compose lab for ${minutes} min (RSS from process_resident_memory_bytes, after a 2 min warm-up)`, ['process', 'start MiB', 'end MiB', 'change'], rows);
    console.log(`targets: ${targets}, ever down: ${down.length}; container restarts: ${restarts.length === 0 ? 'none' : restarts.join(', ')}; memory flat within 10%: ${flat ? 'yes' : 'NO'}`);
    figures.soak_minutes = minutes;
    figures.soak_targets = targets;
    figures.soak_targets_ever_down = down.length;
    figures.soak_restarts = restarts.length;
    figures.soak_rss_flat_within_10pct = flat;
    figures.soak_max_rss_change = Math.max(...rows.map((r) => Math.abs(parseFloat(String(r[3]))))) / 100;
  } finally {
    compose(labDownArgs({ v1: true, project }));
  }
}

/** A socklab command as a user types it, with extra environment; its wall time (a failing one fails the bench). */
function socklabTimed(args: string[], env: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'orchestrator/dist/cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  if (r.status !== 0) throw new Error(`socklab ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return performance.now() - t0;
}

/**
 * The lab across nodes (`socklab cluster`, three engines in containers): how long the cluster takes to come up
 * and go, and what crossing the VXLAN overlay between nodes costs, side by side in one run: connects and a
 * 200-connection wave from the clients' node against the same from the servers' own node.
 */
async function clusterCost(): Promise<void> {
  const ports = { SOCKLAB_PROMETHEUS_PORT: '19399', SOCKLAB_GRAFANA_PORT: '13399' };
  const quiet = { SOCKLAB_WAVE_EVERY: '1h', SOCKLAB_GARGALO_EVERY: '1h', SOCKLAB_CHALLENGE_EVERY: '1h' };
  const upMs = socklabTimed(['cluster', 'up', '--nodes', '3', '--engine-port', '23769'], ports);
  const stack = (args: string[]): void => {
    const r = spawnSync('docker', args, { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...ports, ...quiet, DOCKER_HOST: 'tcp://127.0.0.1:23769' } });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    stack(['stack', 'deploy', '-c', 'docker-compose.yml', '-c', 'docker-stack.yml', 'socklab']);
    const served = await pollUntil(() => connectTimesOnNode(3, 'event-loop', { lab: LAB_PORT }, 1), { everyMs: 2000, timeoutMs: 180_000 });
    if (!served) throw new Error('event-loop did not answer on the cluster within 180 s');
    const cross = connectTimesOnNode(3, 'event-loop', { lab: LAB_PORT }, 101).lab ?? NaN;
    const local = connectTimesOnNode(2, 'event-loop', { lab: LAB_PORT }, 101).lab ?? NaN;
    const wave = ['--target', `event-loop:${LAB_PORT}`, '--clients', '200', '--read-timeout', '30s'];
    const wCross = swarmOnNode(3, wave);
    const wLocal = swarmOnNode(2, wave);
    const ok = (w: typeof wCross): string => `${w.outcomes.ok ?? 0}/200`;
    table('Across nodes (socklab cluster, 3 engines in containers): the overlay between nodes against the same node', ['what', 'node-3 -> node-2', 'node-2 -> node-2', 'ratio'], [
      ['connect, median of 101 (ms)', cross.toFixed(3), local.toFixed(3), (cross / local).toFixed(2)],
      ['200 at once: ok', ok(wCross), ok(wLocal), ''],
      ['200 at once: connect p50 (ms)', wCross.latencyMs.connect.p50.toFixed(1), wLocal.latencyMs.connect.p50.toFixed(1), (wCross.latencyMs.connect.p50 / wLocal.latencyMs.connect.p50).toFixed(2)],
      ['200 at once: all connected (ms)', wCross.latencyMs.connect.max.toFixed(1), wLocal.latencyMs.connect.max.toFixed(1), (wCross.latencyMs.connect.max / wLocal.latencyMs.connect.max).toFixed(2)],
    ]);
    figures.cluster_up_ms = Math.round(upMs);
    figures.cluster_connect_cross_node_ms = cross;
    figures.cluster_connect_same_node_ms = local;
    figures.cluster_wave_all_connected_cross_vs_same_ratio = Number((wCross.latencyMs.connect.max / wLocal.latencyMs.connect.max).toFixed(2));
  } finally {
    spawnSync('docker', ['stack', 'rm', 'socklab'], { env: { ...process.env, DOCKER_HOST: 'tcp://127.0.0.1:23769' } });
    const downMs = socklabTimed(['cluster', 'down']);
    table('socklab cluster, 3 nodes', ['what', 's'], [
      ['cluster up (engines, swarm, images loaded)', (upMs / 1000).toFixed(1)],
      ['cluster down', (downMs / 1000).toFixed(1)],
    ]);
    figures.cluster_down_ms = Math.round(downMs);
  }
}

const hostCount = (file: string): number => {
  try {
    return Number(readFileSync(file, 'utf8').trim());
  } catch {
    return NaN;
  }
};

/**
 * C100K: the built-in c100k scenario as a user runs it (`socklab run c100k`): 100,000 connections held at once by
 * event-loop worker processes, the plan sizing processes and swarm containers to the engine's open-files limit.
 * What each connection costs on each side, how long all took to be established, every outcome, and the host's
 * limits met on the way (conntrack).
 */
async function c100k(lab: Lab): Promise<void> {
  let conntrackPeak = 0;
  const watch = setInterval(() => (conntrackPeak = Math.max(conntrackPeak, hostCount('/proc/sys/net/netfilter/nf_conntrack_count') || 0)), 1000);
  // The observer's own CPU (the probe's container from its cgroup, less its sampler's process) all along, read
  // against the held window.
  const cpu: Record<'probe' | 'sampler', Array<{ t: number; usec: number }>> = { probe: [], sampler: [] };
  const cpuWatch = setInterval(() => void readObserverCpu(cpu), 1000);
  // Exit 3 (an expectation not met) still leaves every figure to report.
  const { wallMs, results, stderr, report } = await cli(['run', 'c100k'], [0, 3]).finally(() => (clearInterval(watch), clearInterval(cpuWatch)));
  const trial = results.trials[0]!;
  const m = trialMeasures(trial);
  const server = m.servers[0]!;
  const n = 100_000;
  const ok = m.outcomes.ok;
  const serverPerConn = server.rssPeakBytes !== null && server.rssIdleBytes !== null ? (server.rssPeakBytes - server.rssIdleBytes) / n : NaN;
  const swarmPerPeak = (server.clients.memoryGrowthBytes ?? NaN) / n;
  const swarmPerHeld = server.clients.memoryPerHeldBytes ?? NaN;
  const establishS = (server.establishedPeakMs ?? NaN) / 1000;
  const notOk = Object.entries(m.outcomes).filter(([k, v]) => k !== 'ok' && v > 0);
  const errnos = trial.swarms.flatMap((w) => Object.entries(w.summary?.errno ?? {}));
  // While (nearly) all are held: the probe's samples with at least 99% of them established.
  const held = trial.servers[0]!.probe.filter((p) => p.established >= 0.99 * n).map((p) => p.t);
  const window = held.length > 1 ? { from: Math.min(...held), to: Math.max(...held) } : null;
  const probeCores = window ? coresOver(cpu.probe, window) : NaN;
  const samplerCores = window ? coresOver(cpu.sampler, window) : NaN;
  // tcp_mem's middle value (pages): past it the kernel starts to squeeze every socket's buffers.
  const tcpMemPressure = Number(readFileSync('/proc/sys/net/ipv4/tcp_mem', 'utf8').trim().split(/\s+/)[1]) * 4096;
  const mib = (b: number | null): string => (b === null ? 'n/a' : (b / 2 ** 20).toFixed(1));
  const rate = await c100kRate(lab).catch((e: unknown) => {
    console.log(`c100k: the rate side by side failed: ${(e as Error).message}`);
    return { swarm: NaN, plain: NaN };
  });
  table(`C100K: socklab run c100k (${(wallMs / 1000).toFixed(0)} s wall)`, ['what', 'measured', 'target'], [
    ['outcomes', ok === n ? 'all 100000 ok' : `${ok} ok; ${JSON.stringify(Object.fromEntries(notOk))} ${JSON.stringify(errnos)}`, `all ok (${ok === n ? 'met' : 'MISSED'})`],
    ['held at once (the probe)', server.establishedPeak ?? 'n/a', ''],
    ['time until all were established (s)', establishS.toFixed(1), ''],
    ['connections per second, all swarms (the scenario ramps at 4,000/s)', Math.round(n / establishS), ''],
    ['server RSS per connection (KiB, peak over rest)', (serverPerConn / KiB).toFixed(2), `<= 6 (${serverPerConn <= 6 * KiB ? 'met' : 'MISSED'})`],
    ['swarm RSS per held connection (KiB, where each held the most)', (swarmPerHeld / KiB).toFixed(2), `<= 3 (${swarmPerHeld <= 3 * KiB ? 'met' : 'MISSED'})`],
    ['swarm RSS per connection at its peak (KiB)', (swarmPerPeak / KiB).toFixed(2), ''],
    [`probe CPU while all were held (cores, ${window ? ((window.to - window.from) / 1000).toFixed(0) : 0} s)`, probeCores.toFixed(3), `< 0.05 (${probeCores < 0.05 ? 'met' : 'MISSED'})`],
    ['sampler CPU over the same window (cores)', samplerCores.toFixed(3), ''],
    [`one swarm container's 12,500 opened at once: swarm / plain Node (/s)`, `${Math.round(rate.swarm)} / ${Math.round(rate.plain)} = ${(rate.swarm / rate.plain).toFixed(2)}`, `>= 1.0 (${rate.swarm >= rate.plain ? 'met' : 'MISSED'})`],
    ["the report's answer against results.json", ...((bad) => (bad.length === 0 ? ['agree', 'agree (met)'] : [bad.join('; '), 'agree (MISSED)']))(c100kReportMismatches(report, trial))],
    ['worker processes, swarm containers', `${trial.servers[0]!.env.PROCESSES}, ${trial.swarms.length}`, ''],
    ['conntrack entries at most (host), of nf_conntrack_max', `${conntrackPeak} of ${hostCount('/proc/sys/net/netfilter/nf_conntrack_max')}`, ''],
    ["kernel TCP buffers (sockstat mem, the machine's): rest -> most (MiB), of tcp_mem's pressure", `${mib(server.tcpMemoryRestBytes)} -> ${mib(server.tcpMemoryPeakBytes)} of ${mib(tcpMemPressure)}`, ''],
  ]);
  for (const line of stderr.split('\n').filter((l) => /open files|worker processes|swarm containers/.test(l))) console.log(`  ${line}`);
  figures.c100k_ok = ok;
  figures.c100k_established_peak = server.establishedPeak;
  figures.c100k_tcp_memory_peak_bytes = server.tcpMemoryPeakBytes;
  figures.c100k_establish_seconds = Number(establishS.toFixed(2));
  figures.c100k_server_rss_per_connection_bytes = Math.round(serverPerConn);
  figures.c100k_swarm_rss_per_held_connection_bytes = Math.round(swarmPerHeld);
  figures.c100k_swarm_rss_per_connection_at_peak_bytes = Math.round(swarmPerPeak);
  figures.c100k_probe_cores_while_held = Number(probeCores.toFixed(4));
  figures.c100k_sampler_cores_while_held = Number(samplerCores.toFixed(4));
  figures.c100k_swarm_connections_per_second = Math.round(rate.swarm);
  figures.c100k_plain_node_connections_per_second = Math.round(rate.plain);
  figures.c100k_swarm_vs_plain_rate_ratio = Number((rate.swarm / rate.plain).toFixed(3));
  figures.c100k_conntrack_peak = conntrackPeak;
}

const benchRuntime = new DockerRuntime();

/** One reading of the CPU time of each running probe and sampler of a socklab run (from their cgroups). */
async function readObserverCpu(into: Record<'probe' | 'sampler', Array<{ t: number; usec: number }>>): Promise<void> {
  for (const role of ['probe', 'sampler'] as const) {
    for (const c of await benchRuntime.containersWithRole(role)) {
      if (!(c.labels['socklab.run'] ?? '').startsWith('socklab-')) continue;
      const usec = (await cgroupCpuUsec(c.id)) ?? (await cgroupCpuUsecInside(c.name));
      if (usec === undefined || !Number.isFinite(usec)) continue;
      const t = Date.now();
      // A probe that samples: its container's CPU less its sampler's process (its first: the probe is its child).
      const sampler = role === 'probe' ? samplerProcessUsec(c.name) : undefined;
      if (sampler !== undefined) into.sampler.push({ t, usec: sampler });
      into[role].push({ t, usec: usec - (sampler ?? 0) });
    }
  }
}

/** The CPU of the sampler's process in a probe's container (read on the host: `docker top` and /proc), in µs. */
function samplerProcessUsec(container: string): number | undefined {
  const top = spawnSync('docker', ['top', container, '-eo', 'pid,args'], { encoding: 'utf8' }).stdout ?? '';
  const pid = /^\s*(\d+)\s+node \/app\/images\/probe\/dist\/sampler\.js/m.exec(top)?.[1];
  if (pid === undefined) return undefined;
  const stat = (() => {
    try {
      return readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return '';
    }
  })();
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime (fields 14 and 15), in clock ticks of 1/100 s.
  const ticks = Number(f[11]) + Number(f[12]);
  return Number.isFinite(ticks) ? ticks * 10_000 : undefined;
}

/** A CPU reading in µs from a cgroup file's text: cgroup v2's cpu.stat (usage_usec) or v1's cpuacct.usage (ns). */
function cpuUsecOf(text: string): number {
  return /usage_usec/.test(text) ? Number(/^usage_usec (\d+)/m.exec(text)?.[1] ?? NaN) : Number(text.trim()) / 1000;
}

/**
 * A container's CPU so far, read from the host's cgroup tree (v1 or v2, cgroupfs or systemd driver), so that reading
 * it costs the container nothing; undefined where the host does not show it (a remote engine, a VM).
 */
async function cgroupCpuUsec(id: string): Promise<number | undefined> {
  for (const f of [
    `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`,
    `/sys/fs/cgroup/cpu,cpuacct/docker/${id}/cpuacct.usage`,
    `/sys/fs/cgroup/docker/${id}/cpu.stat`,
    `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`,
  ]) {
    const text = await readFile(f, 'utf8').catch(() => undefined);
    if (text !== undefined) return cpuUsecOf(text);
  }
  return undefined;
}

/** The same from inside the container (a process run in it, which costs it a little CPU of its own). */
async function cgroupCpuUsecInside(name: string): Promise<number | undefined> {
  const r = await benchRuntime.execIn(name, ['sh', '-c', 'cat /sys/fs/cgroup/cpu.stat 2>/dev/null || cat /sys/fs/cgroup/cpuacct/cpuacct.usage']).catch(() => undefined);
  return r ? cpuUsecOf(r.stdout) : undefined;
}

/** Cores used over a window, from the first and last CPU readings inside it. */
function coresOver(readings: ReadonlyArray<{ t: number; usec: number }>, w: { from: number; to: number }): number {
  const inside = readings.filter((r) => r.t >= w.from && r.t <= w.to);
  const a = inside[0];
  const b = inside[inside.length - 1];
  return a && b && b.t > a.t ? (b.usec - a.usec) / 1000 / (b.t - a.t) : NaN;
}

/** Open files of a container's main process: its connections, less a few (/proc/1/fd: cheap to read at any count). */
async function openFds(c: Execs): Promise<number> {
  const r = await c.exec(['sh', '-c', 'ls /proc/1/fd | wc -l']);
  return Number(r.stdout.trim());
}

/**
 * How fast `n` connections are established when a client opens them all at once, read from the server's side
 * (its open files, every 50 ms) the same way for both clients: from the first one seen to the n-th.
 */
async function establishRate(server: Started, n: number, start: () => Promise<{ done: Promise<unknown> }>): Promise<number> {
  const base = await openFds(server.handle);
  const { done } = await start();
  let first = NaN;
  const until = performance.now() + 120_000;
  for (;;) {
    const inUse = (await openFds(server.handle)) - base;
    const now = performance.now();
    if (Number.isNaN(first) && inUse > 0) first = now;
    if (inUse >= n) {
      await done;
      return (n / (now - first)) * 1000;
    }
    if (now > until) throw new Error(`only ${inUse} of ${n} connections established within 120 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * C100K's rate, side by side: one swarm container's share of the 100,000 (12,500) opened at once by the swarm and
 * by the plainest Node client, against a fresh event-loop server each time, three rounds, alternating who goes first.
 */
async function c100kRate(lab: Lab): Promise<{ swarm: number; plain: number }> {
  const n = 12_500;
  const burst = readFileSync(new URL('./reference-burst.js', import.meta.url), 'utf8');
  const rates: { swarm: number[]; plain: number[] } = { swarm: [], plain: [] };
  for (let round = 0; round < 3; round += 1) {
    for (const who of round % 2 === 0 ? (['swarm', 'plain'] as const) : (['plain', 'swarm'] as const)) {
      const name = `c100k-rate-${who}-${round}`;
      const server = await lab.server({ MODEL: 'event-loop', PROTOCOL: 'keepalive', BACKLOG: '4096' }, { name, sysctls: { 'net.core.somaxconn': '4096' } });
      await new Promise((r) => setTimeout(r, 1000));
      const target = `${lab.run}-${name}`;
      const swarmArgs = ['--target', `${target}:${LAB_PORT}`, '--clients', String(n), '--arrival', 'burst', '--hold', '15s', '--request-interval', '10s', '--connect-timeout', '30s', '--read-timeout', '30s', '--metrics-port', '0'];
      const plainCmd = ['node', '--input-type=module', '-e', burst, target, String(LAB_PORT), String(n), '15'];
      const start = async (): Promise<{ done: Promise<unknown> }> =>
        who === 'swarm'
          ? { done: (await lab.startSwarm(swarmArgs, `${name}-clients`)).done }
          : { done: (await startReferenceRun({ run: lab.run, name: `${name}-clients`, network: { join: lab.network }, cmd: plainCmd })).done };
      rates[who].push(await establishRate(server, n, start));
      await server.stop();
    }
  }
  return { swarm: median(rates.swarm), plain: median(rates.plain) };
}

const SECTIONS = { memory: serverMemory, rate: connectionRate, c10k, c100k, probe: probeCost, engine: engineCost, classroom, cluster: clusterCost, soak } as const;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length > 0) {
    console.error(`bench: unknown section ${JSON.stringify(unknown[0])}: expected ${Object.keys(SECTIONS).join(', ')}`);
    process.exit(2);
  }
  // Testcontainers waits on timers that hold nothing open: keep the process alive until every section is done.
  const hold = setInterval(() => {}, 60_000);
  try {
    await using lab = await Lab.create('bench');
    console.log(`socklab bench on ${(await import('node:os')).cpus().length} cores; run ${lab.run}`);
    for (const [name, section] of Object.entries(SECTIONS)) {
      if (only.length > 0 && !only.includes(name)) continue;
      await section(lab);
    }
    console.log(`\n${JSON.stringify(figures)}`);
  } finally {
    // A failed section ends the bench too (exit 1), after the lab is removed.
    clearInterval(hold);
  }
}

main().catch((err: unknown) => {
  console.error('bench failed:', err);
  process.exitCode = 1;
});
