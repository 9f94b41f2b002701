/**
 * The report's languages: English and Brazilian Portuguese (the seeds are Brazilian courses). Kernel and protocol
 * terms stay as students search for them: backlog, accept queue, ListenOverflows, SYN, recv, ECONNREFUSED.
 */
import type { Finding } from './findings.js';
import { kib, mib, msText, num, pct } from './format.js';

export const LANGS = ['en', 'pt-BR'] as const;
export type Lang = (typeof LANGS)[number];

const secs = (ms: number | null | undefined, lang: Lang): string => {
  if (ms === null || ms === undefined) return '-';
  const text = (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
  return `${lang === 'pt-BR' ? text.replace('.', ',') : text} s`;
};

function list(items: readonly string[], lang: Lang): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${lang === 'pt-BR' ? 'e' : 'and'} ${items[items.length - 1]}`;
}

/** Words and headings of the report, the run summary and the check table. */
export const WORDS = {
  en: {
    question: 'Question',
    whatHappened: 'What happened',
    trial: 'Trial',
    repetition: 'repetition',
    across: 'Across the cells',
    clients: 'Clients',
    servers: 'Servers and kernel',
    eachConnection: 'Each connection',
    expectations: 'Expectations',
    charts: 'Charts',
    missing: 'Missing data',
    measured: 'How this was measured',
    run: 'Run',
    comparison: 'Comparison',
    stage: 'Seed lab stage',
    check: 'Check',
    criterion: 'criterion',
    value: 'measured',
    result: 'result',
    pass: 'pass',
    fail: 'FAIL',
    notRun: 'not run',
    mistakes: 'What it means',
  },
  'pt-BR': {
    question: 'Pergunta',
    whatHappened: 'O que aconteceu',
    trial: 'Ensaio',
    repetition: 'repetição',
    across: 'Entre as células',
    clients: 'Clientes',
    servers: 'Servidores e kernel',
    eachConnection: 'Cada conexão',
    expectations: 'Expectativas',
    charts: 'Gráficos',
    missing: 'Dados ausentes',
    measured: 'Como foi medido',
    run: 'Execução',
    comparison: 'Comparação',
    stage: 'Etapa do roteiro',
    check: 'Verificação',
    criterion: 'critério',
    value: 'medido',
    result: 'resultado',
    pass: 'ok',
    fail: 'FALHOU',
    notRun: 'não executado',
    mistakes: 'O que isso significa',
  },
} as const satisfies Record<Lang, Record<string, string>>;

export type Words = (typeof WORDS)[Lang];

/** One finding as a sentence in the language asked for. */
export function say(f: Finding, lang: Lang): string {
  return lang === 'pt-BR' ? pt(f) : en(f);
}

function en(f: Finding): string {
  const L: Lang = 'en';
  switch (f.kind) {
    case 'outcomes':
      return (
        `${f.ok} of ${f.connections} connection${f.connections === 1 ? '' : 's'} ended ok${f.others.length > 0 ? `; ${list(f.others.map(([k, v]) => `${v} ${k}`), L)}` : ''}` +
        (f.completionMs !== null ? `, all within ${secs(f.completionMs, L)} of the first connect.` : '.')
      );
    case 'serial':
      return `The ${f.model} server worked on one request at a time (in-service peak 1): the ok clients finished at ${list(f.finishedMs.map((x) => secs(x, L)), L)}${f.more ? ', ...' : ''}, about ${secs(f.gapMs, L)} apart, each waiting for the ones before it.`;
    case 'backlog': {
      const o = f.outcomes;
      const parts = [`The accept queue held ${f.queuePeak ?? '?'} connection(s) against a limit of ${f.queueMax ?? '?'} (listen backlog ${f.backlog ?? '?'}; Linux queues one more than the limit)`];
      if (f.overflows !== null) parts.push(`${f.overflows} handshake packet${f.overflows === 1 ? '' : 's'} found it full (TcpExt ListenOverflows +${f.overflows}, ListenDrops +${f.drops ?? 0})`);
      const effects: string[] = [];
      if (o.connect_timeout > 0) effects.push(`${o.connect_timeout} of ${f.connections} clients timed out connecting after ${secs(f.connectTimeoutMs, L)}: their SYNs, and the client's retries, were dropped unanswered`);
      if (o.read_timeout > 0) effects.push(`${o.read_timeout} completed the handshake but never got an answer in time (read_timeout): the kernel dropped their final ACK, so they believed they were connected`);
      if (o.reset > 0) effects.push(`${o.reset} were reset (ECONNRESET)`);
      if (o.refused > 0) effects.push(`${o.refused} were refused (ECONNREFUSED)`);
      const tail = {
        dropped: ' Linux dropped, never refused: a full backlog is met with silence, and the client decides how long to wait.',
        'reject-above': " The refusals came from the probe's reject-above policy (iptables), not from the backlog.",
        'abort-on-overflow': ' With net.ipv4.tcp_abort_on_overflow=1 the kernel answers a full queue with a reset instead of dropping.',
      };
      return `${parts.join('; ')}${effects.length > 0 ? `. ${effects.join('; ')}.` : '.'}${f.why ? tail[f.why] : ''}`;
    }
    case 'threads-per-connection':
      return `Threads went from ${f.idle} at rest to ${f.peak} at the peak, with ${f.inService ?? '?'} requests in service at once: one thread per connection. Resident memory went from ${mib(f.rssIdle)} to ${mib(f.rssPeak)}${f.perThread !== null ? ` (${kib(f.perThread)} per extra thread)` : ''}.`;
    case 'threads-flat':
      return `The process kept ${f.peak} OS thread${f.peak === 1 ? '' : 's'} (${f.idle} at rest)${f.inService !== null ? ` while ${f.inService} requests were in service at once` : ' while serving them all'}: no thread per connection. Resident memory went from ${mib(f.rssIdle)} to ${mib(f.rssPeak)}.`;
    case 'cpu':
      return `The server's container used ${num(f.mean)} cores on average while the swarm ran (${num(f.peak)} at the peak): CPU spent ${f.polling ? 'asking sockets whether anything arrived' : 'on the work itself'}.`;
    case 'deadlock':
      return `${f.connected} client(s) connected and not one byte came back: the clients waited for the server to speak first while the server waited for a request, both blocked in recv. Only a timeout (or the run's bound) ended it.`;
    case 'shaping': {
      const what = [f.delayMs > 0 ? `${f.delayMs} ms delay${f.jitterMs > 0 ? ` ± ${f.jitterMs} ms` : ''}` : '', f.loss > 0 ? `${pct(f.loss)} loss` : '', f.rateBps !== null ? `a ${f.rateBps / 1e6} Mbit/s rate` : ''].filter(Boolean);
      return (
        `The probe shaped the server's link (${f.direction}) with ${list(what, L)}, using ${f.method}${f.unreal.length > 0 ? ` (not available here: ${list(f.unreal, L)})` : ''}.` +
        (f.connectP50 !== null ? ` Connects took ${msText(f.connectP50)} at the median and ${msText(f.connectP99)} at p99.` : '')
      );
    }
    case 'died':
      return (
        `The ${f.model} server died during the run: ${f.explanation}.` +
        (f.threadsPeak !== null ? ` Before it died it had reached ${f.threadsPeak} thread${f.threadsPeak === 1 ? '' : 's'}${f.rssPeak !== null ? ` and ${mib(f.rssPeak)} resident` : ''} (the most the samples saw).` : '') +
        ' From then on its clients met what a dead server leaves: the kernel closed or reset the connections it held, and new ones found no one listening.'
      );
    case 'localhost':
      return `${f.model} listened on loopback only (127.0.0.1:${f.port}), as the seeds' programs do: its clients ran in its own network namespace.`;
    case 'compare':
      return `With ${f.group.clients} clients${f.group.delay ? ` at ${f.group.delay} delay` : ''}, ${f.first.model} finished first in ${secs(f.first.completionMs, L)} (${f.first.ok}/${f.first.connections} ok, ${f.first.threads ?? '?'} threads) and ${f.last.model} last in ${secs(f.last.completionMs, L)} (${f.last.ok}/${f.last.connections} ok, ${f.last.threads ?? '?'} threads).`;
  }
}

function pt(f: Finding): string {
  const L: Lang = 'pt-BR';
  const outcome = (k: string, v: number): string => `${v} ${k}`;
  switch (f.kind) {
    case 'outcomes':
      return (
        `${f.ok} de ${f.connections} conex${f.connections === 1 ? 'ão terminou' : 'ões terminaram'} ok${f.others.length > 0 ? `; ${list(f.others.map(([k, v]) => outcome(k, v)), L)}` : ''}` +
        (f.completionMs !== null ? `, todas em até ${secs(f.completionMs, L)} após o primeiro connect.` : '.')
      );
    case 'serial':
      return `O servidor ${f.model} atendeu uma requisição por vez (pico de 1 em atendimento): os clientes ok terminaram em ${list(f.finishedMs.map((x) => secs(x, L)), L)}${f.more ? ', ...' : ''}, cerca de ${secs(f.gapMs, L)} um do outro, cada um esperando os anteriores.`;
    case 'backlog': {
      const o = f.outcomes;
      const parts = [`A accept queue chegou a ${f.queuePeak ?? '?'} conexão(ões) para um limite de ${f.queueMax ?? '?'} (backlog do listen ${f.backlog ?? '?'}; o Linux enfileira uma a mais que o limite)`];
      if (f.overflows !== null) parts.push(`${f.overflows} pacote(s) do handshake a encontraram cheia (TcpExt ListenOverflows +${f.overflows}, ListenDrops +${f.drops ?? 0})`);
      const effects: string[] = [];
      if (o.connect_timeout > 0) effects.push(`${o.connect_timeout} de ${f.connections} clientes desistiram de conectar após ${secs(f.connectTimeoutMs, L)} (connect_timeout): seus SYNs, e as retransmissões, foram descartados sem resposta`);
      if (o.read_timeout > 0) effects.push(`${o.read_timeout} completaram o handshake mas nunca receberam resposta a tempo (read_timeout): o kernel descartou o ACK final, e eles acreditaram estar conectados`);
      if (o.reset > 0) effects.push(`${o.reset} receberam reset (ECONNRESET)`);
      if (o.refused > 0) effects.push(`${o.refused} foram recusados (ECONNREFUSED)`);
      const tail = {
        dropped: ' O Linux descartou, nunca recusou: um backlog cheio responde com silêncio, e é o cliente quem decide quanto esperar.',
        'reject-above': ' As recusas vieram da política reject-above do probe (iptables), não do backlog.',
        'abort-on-overflow': ' Com net.ipv4.tcp_abort_on_overflow=1 o kernel responde à fila cheia com um reset em vez de descartar.',
      };
      return `${parts.join('; ')}${effects.length > 0 ? `. ${effects.join('; ')}.` : '.'}${f.why ? tail[f.why] : ''}`;
    }
    case 'threads-per-connection':
      return `As threads foram de ${f.idle} em repouso a ${f.peak} no pico, com ${f.inService ?? '?'} requisições em atendimento ao mesmo tempo: uma thread por conexão. A memória residente foi de ${mib(f.rssIdle)} a ${mib(f.rssPeak)}${f.perThread !== null ? ` (${kib(f.perThread)} por thread a mais)` : ''}.`;
    case 'threads-flat':
      return `O processo manteve ${f.peak} thread${f.peak === 1 ? '' : 's'} do SO (${f.idle} em repouso)${f.inService !== null ? ` com ${f.inService} requisições em atendimento ao mesmo tempo` : ' atendendo todos'}: nenhuma thread por conexão. A memória residente foi de ${mib(f.rssIdle)} a ${mib(f.rssPeak)}.`;
    case 'cpu':
      return `O contêiner do servidor usou ${num(f.mean)} núcleos em média durante a execução (${num(f.peak)} no pico): CPU gasta ${f.polling ? 'perguntando aos sockets se algo chegou' : 'no próprio trabalho'}.`;
    case 'deadlock':
      return `${f.connected} cliente(s) conectaram e nenhum byte voltou: os clientes esperavam o servidor falar primeiro enquanto o servidor esperava a requisição, ambos bloqueados em recv. Só um timeout (ou o limite da execução) encerrou.`;
    case 'shaping': {
      const what = [f.delayMs > 0 ? `${f.delayMs} ms de atraso${f.jitterMs > 0 ? ` ± ${f.jitterMs} ms` : ''}` : '', f.loss > 0 ? `${pct(f.loss)} de perda` : '', f.rateBps !== null ? `taxa de ${f.rateBps / 1e6} Mbit/s` : ''].filter(Boolean);
      return (
        `O probe moldou o enlace do servidor (${f.direction}) com ${list(what, L)}, usando ${f.method}${f.unreal.length > 0 ? ` (indisponível aqui: ${list(f.unreal, L)})` : ''}.` +
        (f.connectP50 !== null ? ` Os connects levaram ${msText(f.connectP50)} na mediana e ${msText(f.connectP99)} no p99.` : '')
      );
    }
    case 'died': {
      const why = f.oomKilled
        ? `saída ${f.code}: morto pelo kernel por falta de memória (OOM)${f.memoryLimitBytes ? `, no seu limite de ${mib(f.memoryLimitBytes)}` : ''}`
        : f.code === 137
          ? 'saída 137: morto (SIGKILL), em geral por falta de memória (OOM) ou `docker kill`'
          : f.code === 143
            ? 'saída 143: parado com SIGTERM'
            : `saída ${f.code}`;
      return (
        `O servidor ${f.model} morreu durante a execução: ${why}.` +
        (f.threadsPeak !== null ? ` Antes de morrer chegou a ${f.threadsPeak} thread${f.threadsPeak === 1 ? '' : 's'}${f.rssPeak !== null ? ` e ${mib(f.rssPeak)} residentes` : ''} (o máximo que as amostras viram).` : '') +
        ' Dali em diante seus clientes encontraram o que um servidor morto deixa: o kernel fechou ou resetou as conexões que ele tinha, e as novas não acharam ninguém escutando.'
      );
    }
    case 'localhost':
      return `${f.model} escutava só no loopback (127.0.0.1:${f.port}), como os programas do roteiro: seus clientes rodaram no próprio namespace de rede dele.`;
    case 'compare':
      return `Com ${f.group.clients} clientes${f.group.delay ? ` e ${f.group.delay} de atraso` : ''}, ${f.first.model} terminou primeiro em ${secs(f.first.completionMs, L)} (${f.first.ok}/${f.first.connections} ok, ${f.first.threads ?? '?'} threads) e ${f.last.model} por último em ${secs(f.last.completionMs, L)} (${f.last.ok}/${f.last.connections} ok, ${f.last.threads ?? '?'} threads).`;
  }
}
