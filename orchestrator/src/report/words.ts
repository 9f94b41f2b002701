/**
 * Every word of the report, the run summary and the check table that is not a sentence of findings: headings,
 * table heads, chart titles, axes and legends, the manifest's keys. Kernel and protocol terms stay as students
 * search for them (backlog, accept queue, ListenOverflows, SYN_RECV, recv, the outcomes' names).
 */
import { fmt, type Fmt, type Forms, type Lang } from './lang.js';
import type { ReadCount } from '../results/types.js';

export type { Lang } from './lang.js';
export { LANGS } from './lang.js';

const en = {
  question: 'Question',
  answer: 'Answer',
  whatHappened: 'What happened',
  trial: 'Trial',
  /** A compare cell's axis, in a trial's heading. */
  cellKey: (k: string): string => k,
  repetition: 'repetition',
  across: 'Across the cells',
  compared: 'The servers compared',
  server: 'Server',
  clients: 'Clients',
  servers: 'Servers and kernel',
  eachConnection: 'Each connection',
  expectations: 'Expectations',
  charts: 'Charts',
  missing: 'Missing data',
  missingOf: (trial: string, role: 'server' | 'swarm', name: string): string => `trial ${trial}, ${role} ${name}`,
  interruptedRun: 'the run was interrupted: later trials did not run',
  /** A missing-data line as results.json keeps it ("what: detail", the detail as the engine or the OS said it). */
  missingLine: (line: string): string => line,
  readsFailed: (part: 'metrics' | 'probe', c: ReadCount, f: Fmt): string =>
    `${part === 'metrics' ? "its own metrics (the sampler's readings)" : "the kernel's view (the probe's readings)"}: ${
      c.ok === 0 ? 'no reading at all' : `${f.num(c.failed, 0)} of ${f.count(c.ok + c.failed, { one: 'reading', other: 'readings' })} failed, gaps in its charts`
    }${c.lastError ? ` (last: ${c.lastError})` : ''}`,
  measured: 'How this was measured',
  run: 'Run',
  comparison: 'Comparison',
  /** Where in the course a scenario comes from: a stage of the lab guide, or another of its documents. */
  stage: (stage: string): string => ({ notebook: "From the course's notebook on sockets", talk: "From the course's talk on concurrency", extra: 'Beyond the lab guide' })[stage] ?? `Lab guide stage ${stage}`,
  reproduces: 'reproduces',
  check: 'Check',
  criterion: 'criterion',
  value: 'measured',
  result: 'result',
  pass: 'pass',
  fail: 'FAIL',
  notRun: 'not run',
  mistakes: 'What it means',
  yes: 'yes',
  no: 'NO',
  missingValue: 'missing',
  head: {
    trial: 'trial',
    model: 'model',
    server: 'server',
    doneIn: 'done in',
    p50: 'p50',
    p99: 'p99',
    clientsOk: 'clients ok',
    queue: 'accept queue peak/limit',
    overflows: 'ListenOverflows',
    synRecv: 'SYN_RECV peak',
    threads: 'threads of its own, rest→peak',
    runtime: 'runtime threads',
    stack: 'stack per thread: mapped / resident',
    inService: 'in service peak',
    rss: 'resident memory, rest→peak',
    cpu: 'CPU cores: at rest / serving',
    client: 'client',
    outcome: 'outcome',
    started: 'started at',
    connected: 'connected after',
    ended: 'ended at',
    errno: 'errno',
    measure: 'measure',
    expected: 'expected',
    met: 'met',
  },
  manifest: { socklab: 'socklab', engine: 'engine', shaping: 'shaping', sysctls: 'sysctls', images: 'images', cpu: 'CPU limits', seed: 'random seed', scenario: 'scenario', host: 'host', time: 'time', unknown: 'unknown' },
  chart: {
    axisSeconds: 's after the clients started',
    connections: 'connections',
    outcomesTitle: 'Connections ended per second, by outcome',
    outcomesAlt: 'Client outcomes over time',
    queueTitle: (name: string): string => `Accept queue of ${name}: how full`,
    queueAlt: (name: string): string => `Accept queue of ${name}`,
    queue: 'accept queue',
    limit: (n: string): string => `limit ${n}`,
    synRecv: 'SYN_RECV',
    threadsTitle: (name: string): string => `Threads and memory of ${name}`,
    threadsAlt: (name: string): string => `Threads and memory of ${name}`,
    ownThreads: 'its own threads',
    programThreads: 'threads (seen by the probe)',
    allThreads: 'all threads (runtime too)',
    inService: 'in service',
    threads: 'threads',
    rss: 'resident memory (MiB)',
    containerMemory: 'container memory, by the engine (MiB)',
    killed: 'killed',
    cpuTitle: (name: string): string => `CPU of ${name}`,
    cores: 'cores',
    latencyTitle: 'How long each connection took, by outcome',
    latencyAlt: 'Connection time distribution',
    latencyAxis: (width: string): string => `ms from connect to end, in bins of ${width} ms (each labelled by where it starts)`,
    completionTitle: 'Completion time by model and clients',
    threadsPeakTitle: 'Peak threads of its own by model and clients',
    memoryTitle: 'Peak resident memory by model and clients',
    outcomesByCell: 'Client outcomes by cell',
    clientsGroup: (n: string, delay: string | null): string => `${n} clients${delay ? ` ${delay}` : ''}`,
  },
} as const;

type Words = {
  readonly [K in keyof typeof en]: (typeof en)[K] extends (...a: infer A) => string
    ? (...a: A) => string
    : (typeof en)[K] extends Record<string, unknown>
      ? { readonly [J in keyof (typeof en)[K]]: (typeof en)[K][J] extends (...a: infer B) => string ? (...a: B) => string : string }
      : string;
};

const pt: Words = {
  question: 'Pergunta',
  answer: 'Resposta',
  whatHappened: 'O que aconteceu',
  trial: 'Ensaio',
  cellKey: (k: string): string => ({ model: 'modelo', clients: 'clientes', delay: 'atraso' })[k] ?? k,
  repetition: 'repetição',
  across: 'Entre as células',
  compared: 'Os servidores comparados',
  server: 'Servidor',
  clients: 'Clientes',
  servers: 'Servidores e kernel',
  eachConnection: 'Cada conexão',
  expectations: 'Expectativas',
  charts: 'Gráficos',
  missing: 'Dados ausentes',
  missingOf: (trial: string, role: 'server' | 'swarm', name: string): string => `ensaio ${trial}, ${role === 'server' ? 'servidor' : 'clientes'} ${name}`,
  interruptedRun: 'a execução foi interrompida: os ensaios seguintes não rodaram',
  missingLine: (line) => {
    const whole: Record<string, string> = { 'container stats: none': 'estatísticas do contêiner: nenhuma', 'the swarm did not finish: no summary': 'os clientes não terminaram: nenhum resumo' };
    const what: Record<string, string> = { 'figures at rest': 'números em repouso', samples: 'amostras', 'container stats': 'estatísticas do contêiner', summary: 'resumo', 'live view targets': 'alvos da visão ao vivo', cleanup: 'limpeza' };
    const atRest = /^figures at rest: none within (\d+) ms$/.exec(line);
    if (atRest) return `números em repouso: nenhuma leitura completa em ${atRest[1]} ms`;
    const i = line.indexOf(': ');
    return whole[line] ?? (i > 0 && what[line.slice(0, i)] ? `${what[line.slice(0, i)]}${line.slice(i)}` : line);
  },
  readsFailed: (part, c, f) =>
    `${part === 'metrics' ? 'suas próprias métricas (as leituras do sampler)' : 'a visão do kernel (as leituras do probe)'}: ${
      c.ok === 0 ? 'nenhuma leitura' : `${f.num(c.failed, 0)} de ${f.count(c.ok + c.failed, { one: 'leitura', other: 'leituras' })} falharam, lacunas nos seus gráficos`
    }${c.lastError ? ` (última: ${c.lastError})` : ''}`,
  measured: 'Como foi medido',
  run: 'Execução',
  comparison: 'Comparação',
  stage: (stage) => ({ notebook: 'Do notebook do curso sobre sockets', talk: 'Da palestra do curso sobre concorrência', extra: 'Além do roteiro' })[stage] ?? `Etapa do roteiro ${stage}`,
  reproduces: 'reproduz',
  check: 'Verificação',
  criterion: 'critério',
  value: 'medido',
  result: 'resultado',
  pass: 'ok',
  fail: 'FALHOU',
  notRun: 'não executado',
  mistakes: 'O que isso significa',
  yes: 'sim',
  no: 'NÃO',
  missingValue: 'ausente',
  head: {
    trial: 'ensaio',
    model: 'modelo',
    server: 'servidor',
    doneIn: 'terminou em',
    p50: 'p50',
    p99: 'p99',
    clientsOk: 'clientes ok',
    queue: 'accept queue pico/limite',
    overflows: 'ListenOverflows',
    synRecv: 'pico de SYN_RECV',
    threads: 'threads próprias, repouso→pico',
    runtime: 'threads do runtime',
    stack: 'pilha por thread: mapeada / residente',
    inService: 'pico em atendimento',
    rss: 'memória residente, repouso→pico',
    cpu: 'núcleos de CPU: repouso / atendendo',
    client: 'cliente',
    outcome: 'resultado',
    started: 'começou em',
    connected: 'conectou após',
    ended: 'terminou em',
    errno: 'errno',
    measure: 'medida',
    expected: 'esperado',
    met: 'cumprida',
  },
  manifest: { socklab: 'socklab', engine: 'motor', shaping: 'modelagem do enlace', sysctls: 'sysctls', images: 'imagens', cpu: 'limites de CPU', seed: 'semente aleatória', scenario: 'cenário', host: 'máquina', time: 'tempo', unknown: 'desconhecido' },
  chart: {
    axisSeconds: 's após o início dos clientes',
    connections: 'conexões',
    outcomesTitle: 'Conexões encerradas por segundo, por resultado',
    outcomesAlt: 'Resultados dos clientes ao longo do tempo',
    queueTitle: (name) => `Accept queue de ${name}: quão cheia`,
    queueAlt: (name) => `Accept queue de ${name}`,
    queue: 'accept queue',
    limit: (n) => `limite ${n}`,
    synRecv: 'SYN_RECV',
    threadsTitle: (name) => `Threads e memória de ${name}`,
    threadsAlt: (name) => `Threads e memória de ${name}`,
    ownThreads: 'threads próprias',
    programThreads: 'threads (vistas pelo probe)',
    allThreads: 'todas as threads (runtime incluso)',
    inService: 'em atendimento',
    threads: 'threads',
    rss: 'memória residente (MiB)',
    containerMemory: 'memória do contêiner, pelo motor (MiB)',
    killed: 'morto',
    cpuTitle: (name) => `CPU de ${name}`,
    cores: 'núcleos',
    latencyTitle: 'Quanto tempo cada conexão levou, por resultado',
    latencyAlt: 'Distribuição do tempo das conexões',
    latencyAxis: (width) => `ms do connect ao fim, em faixas de ${width} ms (cada uma marcada por onde começa)`,
    completionTitle: 'Tempo até terminar, por modelo e clientes',
    threadsPeakTitle: 'Pico de threads próprias, por modelo e clientes',
    memoryTitle: 'Pico de memória residente, por modelo e clientes',
    outcomesByCell: 'Resultados dos clientes por célula',
    clientsGroup: (n, delay) => `${n} clientes${delay ? ` ${delay}` : ''}`,
  },
};

export const WORDS: Record<Lang, Words> = { en: en as Words, 'pt-BR': pt };
export type { Words };

/** The nouns the sentences count, in each language (Intl.PluralRules picks the form). */
export const NOUNS: Record<Lang, Record<'connection' | 'client' | 'thread' | 'request' | 'packet' | 'time' | 'core', Forms>> = {
  en: {
    connection: { one: 'connection', other: 'connections' },
    client: { one: 'client', other: 'clients' },
    thread: { one: 'thread', other: 'threads' },
    request: { one: 'request', other: 'requests' },
    packet: { one: 'packet', other: 'packets' },
    time: { one: 'time', other: 'times' },
    core: { one: 'core', other: 'cores' },
  },
  'pt-BR': {
    connection: { one: 'conexão', other: 'conexões' },
    client: { one: 'cliente', other: 'clientes' },
    thread: { one: 'thread', other: 'threads' },
    request: { one: 'requisição', other: 'requisições' },
    packet: { one: 'pacote', other: 'pacotes' },
    time: { one: 'vez', other: 'vezes' },
    core: { one: 'núcleo', other: 'núcleos' },
  },
};

/** A number of cores as a report says it: "1 core", "0.5 cores", "2 núcleos" (one form for 1, the other for the rest). */
export function coreCount(n: number, lang: Lang): string {
  return `${fmt(lang).num(n, 2)} ${n === 1 ? NOUNS[lang].core.one : NOUNS[lang].core.other}`;
}
