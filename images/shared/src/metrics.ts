/**
 * Every socklab metric, defined once. Images register them with prom-client from here; dashboards and tests
 * import the same names. Base units are in the name; counters end in `_total`.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram';

export interface MetricDef {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
}

const def = <const T extends MetricDef>(d: T): T => d;

/** Latency buckets in seconds, from loopback microseconds to the course's multi-second waits and SYN retries. */
export const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 30, 60,
] as const;

export const SERVER_METRICS = {
  info: def({
    name: 'socklab_server_info',
    help: 'Server model configuration (value is always 1)',
    type: 'gauge',
    labelNames: ['model', 'work', 'protocol'],
  }),
  connectionsAccepted: def({
    name: 'socklab_server_connections_accepted_total',
    help: 'Connections the server process accepted (accept() returned)',
    type: 'counter',
    labelNames: ['model'],
  }),
  connectionsActive: def({
    name: 'socklab_server_connections_active',
    help: 'Connections accepted and not yet closed by the server',
    type: 'gauge',
    labelNames: ['model'],
  }),
  connectionsHandled: def({
    name: 'socklab_server_connections_handled_total',
    help: 'Connections the server finished, by outcome as the server saw it',
    type: 'counter',
    labelNames: ['model', 'outcome'],
  }),
  requestDuration: def({
    name: 'socklab_server_request_duration_seconds',
    help: 'Time from accept to the response being sent',
    type: 'histogram',
    labelNames: ['model'],
    buckets: LATENCY_BUCKETS,
  }),
  inService: def({
    name: 'socklab_server_in_service',
    help: 'Requests being worked on right now (in-service concurrency)',
    type: 'gauge',
    labelNames: ['model'],
  }),
  inServicePeak: def({
    name: 'socklab_server_in_service_peak',
    help: 'Highest in-service concurrency since the server started',
    type: 'gauge',
    labelNames: ['model'],
  }),
  threads: def({
    name: 'socklab_server_threads',
    help: 'OS threads in the server process (Threads: in /proc/self/status), children included for prefork',
    type: 'gauge',
    labelNames: ['model'],
  }),
  modelThreads: def({
    name: 'socklab_server_model_threads',
    help: 'The model\'s own OS threads (named sl-*: the loop, the acceptor, one per connection, the pool, the prefork workers), apart from the runtime\'s',
    type: 'gauge',
    labelNames: ['model'],
  }),
  modelThreadsPeak: def({
    name: 'socklab_server_model_threads_peak',
    help: 'Highest count of the model\'s own threads seen since the server started',
    type: 'gauge',
    labelNames: ['model'],
  }),
  threadsPeak: def({
    name: 'socklab_server_threads_peak',
    help: 'Highest OS thread count seen since the server started',
    type: 'gauge',
    labelNames: ['model'],
  }),
  processes: def({
    name: 'socklab_server_processes',
    help: 'Processes serving connections (1, or the prefork children)',
    type: 'gauge',
    labelNames: ['model'],
  }),
  rss: def({
    name: 'socklab_server_resident_memory_bytes',
    help: 'Resident memory of the server, children included (VmRSS in /proc/<pid>/status)',
    type: 'gauge',
    labelNames: ['model'],
  }),
  rssPeak: def({
    name: 'socklab_server_resident_memory_peak_bytes',
    help: 'Peak resident memory of the server, children included (VmHWM in /proc/<pid>/status)',
    type: 'gauge',
    labelNames: ['model'],
  }),
  backlogRequested: def({
    name: 'socklab_server_backlog_requested',
    help: 'Backlog the server passed to listen()',
    type: 'gauge',
    labelNames: ['model'],
  }),
  backlogEffective: def({
    name: 'socklab_server_backlog_effective',
    help: 'Backlog the kernel applies: min(backlog, net.core.somaxconn); Linux queues one more than this',
    type: 'gauge',
    labelNames: ['model'],
  }),
} as const;

export const SWARM_METRICS = {
  connections: def({
    name: 'socklab_swarm_connections_total',
    help: 'Client connections finished, by outcome',
    type: 'counter',
    labelNames: ['outcome'],
  }),
  attempts: def({
    name: 'socklab_swarm_connection_attempts_total',
    help: 'Client connections started (rate() gives attempts per second)',
    type: 'counter',
    labelNames: [],
  }),
  inFlight: def({
    name: 'socklab_swarm_connections_in_flight',
    help: 'Client connections started and not yet finished',
    type: 'gauge',
    labelNames: [],
  }),
  inFlightByPhase: def({
    name: 'socklab_swarm_connections_in_flight_by_phase',
    help: 'Client connections in flight by what they wait for: connecting, awaiting_greeting, awaiting_answer, holding',
    type: 'gauge',
    labelNames: ['phase'],
  }),
  errors: def({
    name: 'socklab_swarm_errors_total',
    help: 'Socket errors by errno code (ECONNREFUSED, ECONNRESET, ...)',
    type: 'counter',
    labelNames: ['errno'],
  }),
  connectDuration: def({
    name: 'socklab_swarm_connect_duration_seconds',
    help: 'Time from connect() to the connection being established',
    type: 'histogram',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  }),
  firstByteDuration: def({
    name: 'socklab_swarm_first_byte_duration_seconds',
    help: 'Time from connect() to the first byte of the answer',
    type: 'histogram',
    labelNames: [],
    buckets: LATENCY_BUCKETS,
  }),
  totalDuration: def({
    name: 'socklab_swarm_total_duration_seconds',
    help: 'Time from connect() to the end of the connection, whatever the outcome',
    type: 'histogram',
    labelNames: ['outcome'],
    buckets: LATENCY_BUCKETS,
  }),
} as const;

/** Kernel counters the probe reads from /proc/net/netstat and /proc/net/snmp, by their kernel names. */
export const KERNEL_COUNTERS = [
  ['TcpExt', 'ListenOverflows'],
  ['TcpExt', 'ListenDrops'],
  ['TcpExt', 'TCPReqQFullDrop'],
  ['TcpExt', 'TCPReqQFullDoCookies'],
  ['TcpExt', 'SyncookiesSent'],
  ['TcpExt', 'TCPSynRetrans'],
  ['TcpExt', 'TCPTimeouts'],
  ['Tcp', 'PassiveOpens'],
  ['Tcp', 'ActiveOpens'],
  ['Tcp', 'AttemptFails'],
  ['Tcp', 'EstabResets'],
  ['Tcp', 'RetransSegs'],
  ['Tcp', 'OutRsts'],
] as const;

/** Connection states the probe counts on the lab port; `established_unaccepted` is ESTABLISHED with inode 0. */
export const PROBE_TCP_STATES = ['syn_recv', 'established', 'established_unaccepted', 'close_wait', 'time_wait'] as const;
export type ProbeTcpState = (typeof PROBE_TCP_STATES)[number];

/** Where a thread can be blocked, grouped as students meet it (poll covers poll, select and epoll). */
/**
 * Whose a thread is: the server model's own (socklab names them "sl-..."), the runtime's that hosts the model (the
 * Node main thread of a blocking model, V8's and libuv's), or a program of one's own (shown whole: all its threads).
 */
export const THREAD_OWNERS = ['model', 'runtime', 'program'] as const;
export type ThreadOwner = (typeof THREAD_OWNERS)[number];
/** The prefix of the names of a socklab model's own threads (pthread_setname_np; /proc/<pid>/task/<tid>/comm). */
export const MODEL_THREAD_PREFIX = 'sl-';

export const BLOCKING_CALLS = ['accept', 'recv', 'send', 'connect', 'poll', 'sleep', 'futex', 'other'] as const;
export type BlockingCall = (typeof BLOCKING_CALLS)[number];
/** A thread's scheduler state from /proc/<pid>/task/<tid>/stat: R running, S or D blocked, anything else other. */
export const THREAD_STATES = ['running', 'blocked', 'other'] as const;
export type ThreadState = (typeof THREAD_STATES)[number];

/** What a client connection of the swarm is waiting for while it is in flight. */
export const SWARM_PHASES = ['connecting', 'awaiting_greeting', 'awaiting_answer', 'holding'] as const;
export type SwarmPhase = (typeof SWARM_PHASES)[number];

export const PROBE_METRICS = {
  acceptQueue: def({
    name: 'socklab_probe_accept_queue_length',
    help: 'Connections completed by the kernel and waiting for accept() (LISTEN rx_queue in /proc/net/tcp*)',
    type: 'gauge',
    labelNames: ['port'],
  }),
  acceptQueueMax: def({
    name: 'socklab_probe_accept_queue_max',
    help: 'Accept-queue limit of the listener (ss -ltn Send-Q); Linux queues one more than this',
    type: 'gauge',
    labelNames: ['port'],
  }),
  tcpConnections: def({
    name: 'socklab_probe_tcp_connections',
    help: 'TCP connections on the lab port by state (established_unaccepted: ESTABLISHED with inode 0)',
    type: 'gauge',
    labelNames: ['port', 'state'],
  }),
  kernelCounter: def({
    name: 'socklab_probe_kernel_counter_total',
    help: `Kernel TCP counters of the namespace (/proc/net/netstat, /proc/net/snmp): ${KERNEL_COUNTERS.map((c) => c.join(' ')).join(', ')}`,
    type: 'counter',
    labelNames: ['group', 'field'],
  }),
  currEstab: def({
    name: 'socklab_probe_tcp_curr_estab',
    help: 'Tcp CurrEstab of the namespace (/proc/net/snmp)',
    type: 'gauge',
    labelNames: [],
  }),
  sysctl: def({
    name: 'socklab_probe_sysctl_info',
    help: 'Sysctls of the namespace that decide backlog behaviour (value is always 1)',
    type: 'gauge',
    labelNames: ['somaxconn', 'tcp_abort_on_overflow', 'tcp_syncookies', 'tcp_max_syn_backlog'],
  }),
  shapingInfo: def({
    name: 'socklab_probe_shaping_info',
    help: 'Link shaping in force and the method applying it: netem, nfqueue (NFQUEUE helper + tbf) or none (value is always 1)',
    type: 'gauge',
    labelNames: ['method', 'direction', 'delay', 'jitter', 'loss', 'rate', 'refusal'],
  }),
  shapingEffect: def({
    name: 'socklab_probe_shaping_effect',
    help: 'Each requested effect by direction: 1 when really applied (how says by what), 0 when not available here',
    type: 'gauge',
    labelNames: ['effect', 'direction', 'how'],
  }),
  shaperPackets: def({
    name: 'socklab_probe_shaper_packets_total',
    help: 'Packets through the NFQUEUE helper, by verdict (accepted after their delay, or dropped for loss)',
    type: 'counter',
    labelNames: ['verdict'],
  }),
  threads: def({
    name: 'socklab_probe_threads',
    help: 'Threads of the processes in the server\'s PID namespace, by state (running, blocked, other) and owner (model: the server model\'s own, named sl-*; runtime: its host runtime\'s; program: a server of one\'s own, whole), from /proc/<pid>/task/<tid>/{stat,comm}',
    type: 'gauge',
    labelNames: ['process', 'state', 'owner'],
  }),
  threadsBlocked: def({
    name: 'socklab_probe_threads_blocked',
    help: 'Blocked threads by the call they wait in (accept, recv, send, connect, poll, sleep, futex, other) and owner (model, runtime, program), from /proc/<pid>/task/<tid>/syscall',
    type: 'gauge',
    labelNames: ['process', 'call', 'owner'],
  }),
  threadsStalledRecv: def({
    name: 'socklab_probe_threads_stalled_recv',
    help: 'Threads blocked in recv on a socket with nothing to read for longer than the stall threshold (both sides waiting: a deadlock)',
    type: 'gauge',
    labelNames: ['process'],
  }),
  scrapeDuration: def({
    name: 'socklab_probe_refresh_duration_seconds',
    help: 'Time the probe took to read the kernel state once',
    type: 'gauge',
    labelNames: [],
  }),
} as const;
