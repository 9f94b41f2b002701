/**
 * socklab's Grafana dashboards, as typed code (grafana-foundation-sdk). `npm run dashboards` writes them to
 * grafana/dashboards/*.json, which Grafana loads through the provisioned provider; a test fails when the
 * committed JSON differs from what this code generates. Every query uses metric names from images/shared.
 */
import { DashboardBuilder, DashboardCursorSync, QueryVariableBuilder, TextBoxVariableBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { LegendDisplayMode, LegendPlacement, StackingConfigBuilder, StackingMode, VisibilityMode, VizLegendOptionsBuilder } from '@grafana/grafana-foundation-sdk/common';
import { BLOCKING_CALLS, PROBE_METRICS as P, SERVER_METRICS as S, SWARM_METRICS as W } from '@socklab/shared';

/** The provisioned Prometheus datasource (grafana/provisioning/datasources/socklab.yaml). */
export const DATASOURCE = { type: 'prometheus', uid: 'socklab-prometheus' } as const;

/** A label filter every query carries, so the model and run variables narrow every panel at once. */
type Filter = string;

interface Query {
  readonly expr: string;
  readonly legend: string;
  readonly instant?: boolean;
}

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
  readonly stacked?: boolean;
  readonly width?: number;
  /** Series whose legend starts with this are limits: drawn dashed and red, as a threshold line. */
  readonly limitSeries?: string;
  /** One panel per value of this dashboard variable (small multiples, four to a row). */
  readonly repeat?: string;
  /** The axis' top (1 for a fraction that cannot exceed it). */
  readonly max?: number;
  /** Series with this legend are drawn apart from the stack: a dashed line on an axis of their own, on the right. */
  readonly apart?: string;
}

const RATE = '$__rate_interval';

/** The calls a server's threads panel folds into one series, other: it names accept, recv, sleep, poll and futex. */
const FOLDED_CALLS = BLOCKING_CALLS.filter((c) => !['accept', 'recv', 'sleep', 'poll', 'futex'].includes(c)).join('|');
/** The per-server threads panel (short enough for a quarter of the screen), and its runtime series' legend. */
export const BLOCKED_TITLE = '$server: where its threads wait';
const RUNTIME_SERIES = "runtime's threads";

/** `{matchers}` from the dashboard's filter and a panel's own matchers; nothing when there are none. */
const selector =
  (f: Filter) =>
  (extra = ''): string => {
    const m = [f, extra].filter(Boolean).join(', ');
    return m ? `{${m}}` : '';
  };

function timeseries(p: PanelSpec): TimeseriesBuilder {
  const b = new TimeseriesBuilder()
    .title(p.title)
    .description(p.description)
    .datasource(DATASOURCE)
    .unit(p.unit)
    .min(0)
    .lineWidth(2)
    .fillOpacity(p.stacked ? 60 : 10)
    .showPoints(VisibilityMode.Never)
    .legend(new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).showLegend(true).calcs([]))
    .height(8)
    .span(p.width ?? 12);
  if (p.stacked) b.stacking(new StackingConfigBuilder().mode(StackingMode.Normal));
  if (p.max !== undefined) b.max(p.max);
  if (p.repeat) b.repeat(p.repeat).repeatDirection('h').maxPerRow(4);
  if (p.limitSeries) {
    b.overrideByRegexp(`^${p.limitSeries}.*`, [
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } },
      { id: 'custom.fillOpacity', value: 0 },
    ]);
  }
  if (p.apart) {
    b.overrideByName(p.apart, [
      { id: 'custom.axisPlacement', value: 'right' },
      { id: 'custom.stacking', value: { mode: 'none', group: 'A' } },
      { id: 'custom.fillOpacity', value: 0 },
      { id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } },
      { id: 'color', value: { mode: 'fixed', fixedColor: 'text' } },
    ]);
  }
  for (const q of p.queries) b.withTarget(new DataqueryBuilder().expr(q.expr).legendFormat(q.legend));
  return b;
}

function table(p: PanelSpec): TableBuilder {
  const b = new TableBuilder().title(p.title).description(p.description).datasource(DATASOURCE).height(6).span(p.width ?? 24);
  for (const q of p.queries) b.withTarget(new DataqueryBuilder().expr(q.expr).legendFormat(q.legend).instant().format('table' as never));
  return b;
}

/** How the clients are taken in and how their connections end. */
function clientPanels(sel: ReturnType<typeof selector>): PanelSpec[] {
  return [
    {
      title: 'Connections accepted per second',
      description: 'How fast each server takes connections off its accept queue (accept() returning). A sequential server accepts one per request time; an event loop accepts as fast as clients arrive.',
      unit: 'cps',
      queries: [{ expr: `sum by (server) (rate(${S.connectionsAccepted.name}${sel()}[${RATE}]))`, legend: '{{server}}' }],
    },
    {
      title: 'Connections open in the server',
      description: 'Connections accepted and not yet closed by the server. A thread-per-connection server holds one thread for each of these.',
      unit: 'short',
      queries: [{ expr: `sum by (server) (${S.connectionsActive.name}${sel()})`, legend: '{{server}}' }],
    },
    {
      title: 'Client outcomes per second',
      description: 'How the clients\' connections ended. connect_timeout: the SYN was never answered (a full accept queue drops it). read_timeout: connected, but no answer in time. refused: nothing listened (or a reject policy). reset: the server side reset (tcp_abort_on_overflow).',
      unit: 'cps',
      stacked: true,
      queries: [{ expr: `sum by (outcome) (rate(${W.connections.name}${sel()}[${RATE}]))`, legend: '{{outcome}}' }],
    },
  ];
}

/** The listener's queues, as the kernel holds them. */
function queuePanels(sel: ReturnType<typeof selector>): PanelSpec[] {
  return [
    {
      title: 'How full each accept queue is',
      description: 'Connections the kernel completed that wait for accept(), as a share of what the queue holds (Linux holds one more than the backlog: 2 for listen(1)). At 100% the queue is full: new handshakes are dropped (Linux never refuses for a full backlog) and ListenOverflows rises. A listen(1) server with two waiting is as full as a 511 one with 512.',
      unit: 'percentunit',
      max: 1,
      queries: [{ expr: `max by (server) (${P.acceptQueue.name}${sel()}) / max by (server) (${P.acceptQueueMax.name}${sel()} + 1)`, legend: '{{server}}' }],
    },
    {
      title: 'ListenOverflows and ListenDrops per second',
      description: 'TcpExt ListenOverflows: handshake packets that found the accept queue full; ListenDrops: all drops at the listener. Above zero, clients are waiting for answers that never come: expect connect_timeout (or read_timeout when the final ACK was the one dropped).',
      unit: 'pps',
      queries: [{ expr: `sum by (server, field) (rate(${P.kernelCounter.name}${sel('field=~"ListenOverflows|ListenDrops"')}[${RATE}]))`, legend: '{{field}} {{server}}' }],
    },
    {
      title: 'Half-open handshakes (SYN_RECV)',
      description: 'Connections whose SYN was answered and whose final ACK has not come yet. A slow or lossy link keeps them here longer; a SYN flood fills this queue, not the accept queue.',
      unit: 'short',
      queries: [{ expr: `sum by (server) (${P.tcpConnections.name}${sel('state="syn_recv"')})`, legend: '{{server}}' }],
    },
  ];
}

/** The servers' own threads, the clients waiting on them, and where the threads wait (a row of one panel per server). */
function threadPanels(sel: ReturnType<typeof selector>): PanelSpec[] {
  return [
    {
      title: 'Threads of each server (its own)',
      description: 'The model\'s own OS threads, as the course counts them (named sl-* by socklab\'s models; every thread of a program of one\'s own, seen by the probe). A thread-per-connection model grows one per client; an event loop and a sequential server stay at one; event-loop-workers has one per worker process. The Node runtime\'s threads (V8, libuv) are left out here.',
      unit: 'short',
      queries: [{ expr: `sum by (server) (${P.threads.name}${sel('owner!="runtime"')})`, legend: '{{server}}' }],
    },
    {
      title: 'Clients in flight by phase',
      description: 'What the clients\' open connections wait for: connecting (no SYN-ACK yet, a full queue), awaiting_answer (the server is working or queued), awaiting_greeting (waiting for the server to speak first: against an echo server, a deadlock), holding (keep-alive).',
      unit: 'short',
      stacked: true,
      queries: [{ expr: `sum by (phase) (${W.inFlightByPhase.name}${sel()})`, legend: '{{phase}}' }],
    },
    {
      title: BLOCKED_TITLE,
      description: `The server's own threads by the system call they wait in, read from /proc by the probe, stacked: accept (waiting for a client), recv (waiting for the client to speak), sleep (the io work), poll (an event loop waiting for any socket), futex (waiting for another thread), other (send, connect and the rest). The runtime's threads (V8, libuv) are the dashed line, on the right axis, apart from the model's. Threads in recv while the clients wait for a greeting are the notebook's deadlock.`,
      unit: 'short',
      stacked: true,
      width: 6,
      repeat: 'server',
      apart: RUNTIME_SERIES,
      queries: [
        // The calls named, and the rest summed into one series labelled other (a relabelling alone would make
        // several series of one name, which Prometheus refuses).
        {
          expr: `sum by (call) (${P.threadsBlocked.name}${sel(`server=~"$server", owner!="runtime", call!~"${FOLDED_CALLS}"`)}) or label_replace(sum(${P.threadsBlocked.name}${sel(`server=~"$server", owner!="runtime", call=~"${FOLDED_CALLS}"`)}), "call", "other", "", "")`,
          legend: '{{call}}',
        },
        { expr: `sum(${P.threadsBlocked.name}${sel('server=~"$server", owner="runtime"')})`, legend: RUNTIME_SERIES },
      ],
    },
  ];
}

/** What serving costs (memory, CPU), how long it takes, and the link it runs over. */
function costPanels(sel: ReturnType<typeof selector>): PanelSpec[] {
  return [
    {
      title: 'Resident memory of the server',
      description: 'RSS of the server process and its children. Each OS thread costs tens of KiB of it, a Node Worker several MiB, a connection on an event loop a few KiB.',
      unit: 'bytes',
      queries: [{ expr: `sum by (server) (${S.rss.name}${sel()})`, legend: '{{server}}' }],
    },
    {
      title: 'CPU of the server',
      description: 'CPU seconds per second of the server process (1 = one core busy). A polling server burns a core while idle; cpu: work in an event loop holds the one thread and stalls every client.',
      unit: 'percentunit',
      queries: [{ expr: `sum by (server) (rate(process_cpu_seconds_total${sel('role="server"')}[${RATE}]))`, legend: '{{server}}' }],
    },
    {
      title: 'Connection time percentiles',
      description: 'From connect() to the end of the connection, as the clients measured it: p50, p95 and p99. A sequential server stretches the tail by one request time per client ahead in line.',
      unit: 's',
      width: 24,
      queries: [0.5, 0.95, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le, server) (rate(${W.totalDuration.name}_bucket${sel()}[${RATE}])))`,
        legend: `p${Math.round(q * 100)} {{server}}`,
      })),
    },
    {
      title: 'Link shaping in effect',
      description: 'The delay, jitter, loss, rate and refusal policy the probe applies to each server\'s link, and how: netem, or the NFQUEUE fallback where the kernel has no netem (many WSL2 and Docker Desktop kernels). method none means no shaping was asked for or none is possible here.',
      unit: 'short',
      width: 24,
      queries: [{ expr: `max by (model, server, method, direction, delay, jitter, loss, rate, refusal) (${P.shapingInfo.name}${sel()})`, legend: '{{method}}', instant: true }],
    },
  ];
}

/** The panels, each with what to look for; `f` is the label filter of the dashboard's variables. */
export function panels(f: Filter): PanelSpec[] {
  const sel = selector(f);
  return [...clientPanels(sel), ...queuePanels(sel), ...threadPanels(sel), ...costPanels(sel)];
}

export const KERNEL_PANELS = (f: Filter): PanelSpec[] => {
  const sel = selector(f);
  return [
    {
      title: 'Kernel TCP counters per second',
      description: 'Every counter the probe reads from /proc/net/netstat and /proc/net/snmp, by its kernel name (as nstat shows it): PassiveOpens (handshakes completed), ListenOverflows, TCPSynRetrans, OutRsts (resets sent), RetransSegs.',
      unit: 'pps',
      queries: [{ expr: `sum by (group, field) (rate(${P.kernelCounter.name}${sel()}[${RATE}]))`, legend: '{{group}} {{field}}' }],
      width: 24,
    },
    {
      title: 'Connections on the lab port by state',
      description: 'ESTABLISHED (established_unaccepted: still in the accept queue), SYN_RECV, CLOSE_WAIT (the client closed, the server has not), TIME_WAIT (the side that closed first keeps these).',
      unit: 'short',
      stacked: true,
      queries: [{ expr: `sum by (state) (${P.tcpConnections.name}${sel()})`, legend: '{{state}}' }],
    },
    {
      title: 'Threads by state',
      description: 'Running (on a CPU or ready to run) against blocked (waiting in a system call). Many running threads and few cores mean context switches.',
      unit: 'short',
      stacked: true,
      queries: [{ expr: `sum by (state) (${P.threads.name}${sel()})`, legend: '{{state}}' }],
    },
    {
      title: 'Threads blocked in recv on an empty socket',
      description: 'Threads that have waited in recv for longer than the probe\'s threshold on a socket with nothing to read: both sides waiting for the other, the notebook\'s deadlock. A receive timeout (RECV_TIMEOUT) ends it.',
      unit: 'short',
      queries: [{ expr: `sum by (server) (${P.threadsStalledRecv.name}${sel()})`, legend: '{{server}}' }],
    },
  ];
};

function build(uid: string, title: string, description: string, specs: PanelSpec[], opts: { variables: 'node' | 'model-run' | 'run'; from: string }): Dashboard {
  const d = new DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(['socklab'])
    .editable()
    .refresh('1s')
    .time({ from: opts.from, to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair);
  if (opts.variables === 'model-run') {
    d.withVariable(
      new QueryVariableBuilder('model')
        .label('model')
        .datasource(DATASOURCE)
        .query(`label_values(${S.info.name}, model)`)
        .includeAll(true)
        .multi(true)
        .allValue('.*'),
    );
    d.withVariable(
      new QueryVariableBuilder('run')
        .label('run')
        .datasource(DATASOURCE)
        .query(`label_values(${S.info.name}{model=~"$model"}, run)`)
        .includeAll(true)
        .allValue('.*'),
    );
  }
  if (opts.variables === 'run') d.withVariable(new TextBoxVariableBuilder('run').label('run id').defaultValue('lab'));
  // On Docker Swarm every series carries its node: the overview splits by it (elsewhere there is none, and All
  // matches the series without the label too).
  if (opts.variables === 'node') {
    d.withVariable(new QueryVariableBuilder('node').label('node').datasource(DATASOURCE).query(`label_values(${S.info.name}, node)`).includeAll(true).multi(true).allValue('.*').current({ text: 'All', value: '$__all' } as never));
  }
  // The servers the panels repeat over: every one in view, by default.
  const filter = opts.variables === 'model-run' ? '{model=~"$model", run=~"$run"}' : opts.variables === 'run' ? '{run="$run"}' : '{node=~"$node"}';
  d.withVariable(new QueryVariableBuilder('server').label('server').datasource(DATASOURCE).query(`label_values(${P.threadsBlocked.name}${filter}, server)`).includeAll(true).multi(true).allValue('.*').current({ text: 'All', value: '$__all' } as never));
  for (const p of specs) d.withPanel(p.queries.some((q) => q.instant) ? table(p) : timeseries(p));
  return layout(d.build());
}

/**
 * Place the panels on Grafana's 24-column grid, left to right, a new row where one would not fit; a panel
 * repeated across the servers takes a row of its own (Grafana fills it with one copy per server).
 */
export function layout(d: Dashboard): Dashboard {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  for (const p of (d.panels ?? []) as Array<{ gridPos?: { x: number; y: number; w: number; h: number }; repeat?: string }>) {
    const g = p.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
    const wide = p.repeat ? 24 : g.w;
    if (x + wide > 24 || (p.repeat && x > 0)) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    p.gridPos = { ...g, x, y };
    x += wide;
    rowHeight = Math.max(rowHeight, g.h);
  }
  return d;
}

/** The dashboards by file name (grafana/dashboards/<name>.json). */
export function dashboards(): Record<string, Dashboard> {
  return {
    overview: build(
      'socklab-overview',
      'socklab: overview',
      'Every server model side by side under its clients: connections, outcomes, the accept queue, the kernel\'s overflows, threads and where they block, memory, CPU, latency and shaping.',
      panels('node=~"$node"'),
      { variables: 'node', from: 'now-5m' },
    ),
    model: build(
      'socklab-model',
      'socklab: one model',
      'One model (or several) of one run in detail, with every kernel counter the probe reads.',
      [...panels('model=~"$model", run=~"$run"'), ...KERNEL_PANELS('model=~"$model", run=~"$run"')],
      { variables: 'model-run', from: 'now-15m' },
    ),
    run: build(
      'socklab-run',
      'socklab: one run',
      'A `socklab run` while it runs: its run id (printed by the run) as the variable. Open it as /d/socklab-run?var-run=<run-id>.',
      [...panels('run="$run"'), ...KERNEL_PANELS('run="$run"')],
      { variables: 'run', from: 'now-5m' },
    ),
  };
}

/** Every PromQL expression of a dashboard, with its panel's title (the data test runs each one). */
export function queriesOf(d: Dashboard): Array<{ panel: string; expr: string }> {
  return (d.panels ?? []).flatMap((p) => {
    const panel = p as { title?: string; targets?: Array<{ expr?: string }> };
    return (panel.targets ?? []).map((t) => ({ panel: panel.title ?? '?', expr: t.expr ?? '' }));
  });
}
