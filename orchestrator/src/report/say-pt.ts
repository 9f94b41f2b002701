/** The findings and answers in Brazilian Portuguese. Kernel and protocol terms stay as students search for them. */
import type { Outcome } from '@socklab/shared';
import type { Answer, OneThreadRow, ThreadsRow, WorkRow } from './answers.js';
import type { Comparison, ServerFact } from './facts.js';
import { fmt } from './lang.js';
import { coreCount, NOUNS } from './words.js';

const f = fmt('pt-BR');
const N = NOUNS['pt-BR'];

/** Conexões mantidas ao mesmo tempo e quanto cada uma custou aos clientes, quando o servidor manteve muitas. */
function heldPt(a: Extract<Answer, { kind: 'capacity' }>, fm: typeof f): string {
  if (a.held === null) return '';
  const clients =
    a.clientsPerHeld !== null && a.clientsHeld !== null
      ? ` Com ${fm.num(a.clientsHeld, 0)} abertas ao mesmo tempo, a memória dos próprios clientes ficou ${fm.size(a.clientsPerHeld * a.clientsHeld)} acima do repouso: ${fm.size(a.clientsPerHeld)} por conexão mantida.`
      : a.clientsGrowth !== null && a.connections > 0 ? ` A memória dos próprios clientes cresceu ${fm.size(a.clientsGrowth)}, ${fm.size(a.clientsGrowth / a.connections)} por conexão.` : '';
  const kernel =
    a.tcpMemory !== null
      ? ` Os buffers TCP do kernel (o mem de /proc/net/sockstat: a máquina inteira, as duas pontas de cada conexão; os próprios sockets ficam no slab do kernel, fora dessa conta) foram de ${fm.size(a.tcpMemory.restBytes)} em repouso a ${fm.size(a.tcpMemory.peakBytes)} no máximo: ${fm.size(Math.max(0, a.tcpMemory.peakBytes - a.tcpMemory.restBytes) / a.held)} por conexão mantida.`
      : '';
  return ` A sonda viu ${fm.num(a.held, 0)} estabelecidas ao mesmo tempo${a.heldAtMs !== null ? `, ${fm.secs(a.heldAtMs)} depois que os clientes começaram` : ''}.${clients}${kernel}`;
}
const outcomeList = (pairs: ReadonlyArray<readonly [Outcome, number]>): string => f.list(pairs.map(([k, v]) => `${f.num(v, 0)} ${k}`));
/** O verbo concordando com quantos: `1 recebeu`, `2 receberam` (como `were` em inglês). */
const verbo = (n: number, um: string, varios: string): string => (n === 1 ? um : varios);

/** A memória do contêiner na última leitura do engine antes da morte (ele lê cerca de uma vez por segundo), e quanto antes. */
function killedContainer(a: Extract<Answer, { kind: 'memory-limit' }>): string {
  return a.lastRead ? ` (a última leitura do contêiner pelo engine, ${f.secs(a.lastRead.beforeDeathMs)} antes da morte, foi ${f.mib(a.lastRead.bytes)})` : '';
}
/** Como um servidor é nomeado numa frase: pelo nome e modelo ao lado de outros; sozinho, pelo que ele é. */
const who = (name: string, model: string, several: boolean, capital = true): string => {
  const program = model.includes(':') ? model.slice(model.indexOf(':') + 1) : null;
  if (several) return `${name} (${program ?? model})`;
  return program ?? `${capital ? 'O' : 'o'} servidor ${model}`;
};
/** "1 thread própria", "2 threads próprias". */
const ownThreads = (n: number): string => `${f.count(n, N.thread)} ${f.form(n, { one: 'própria', other: 'próprias' })}`;
const between = (a: number | null, b: number | null): string => (a !== null && f.secs(a) === f.secs(b) ? `todos em ${f.secs(a)}` : `entre ${f.secs(a)} e ${f.secs(b)}`);

/** O que mostra o jeito como as respostas de um servidor vieram, como medido: nada se diz de uma forma que não teve. */
function workShape(r: WorkRow): string {
  const doing = r.work?.kind === 'cpu' ? 'calcular' : 'esperar';
  const cores = r.cpus === null ? 'os núcleos da máquina' : coreCount(r.cpus, 'pt-BR');
  switch (r.shape) {
    case 'together-early':
      return ` ${r.name}: ${doing} não o travou: as ${f.num(r.ok, 0)} requisições estiveram em atendimento ao mesmo tempo.`;
    case 'together-late':
      return ` ${r.name}: suas ${f.num(r.ok, 0)} requisições dividiram ${cores}, cada uma na sua vez, então nenhuma terminou cedo e todas terminaram juntas.`;
    case 'staircase':
      return ` ${r.name}: ${doing} prendeu ${r.model === 'event-loop' ? 'o laço' : 'a thread'}, que respondeu cerca de uma requisição a cada ${f.secs(r.gapMs)}, em escada.`;
    case 'spread':
      return '';
  }
}

function threadsRow(r: ThreadsRow, several: boolean): string {
  const peak = r.peak === null ? 'um número desconhecido de threads' : r.userServer ? f.count(r.peak, N.thread) : ownThreads(r.peak);
  const runtime = r.runtime ? `, além de ${f.num(r.runtime, 0)} do runtime que o hospeda` : '';
  const stack = r.stack ? `; a pilha de cada thread mapeia ${f.size(r.stack.mappedBytes)} de espaço de endereçamento, dos quais ${f.size(r.stack.residentBytes)} estavam residentes` : '';
  return `${who(r.name, r.model, several)} chegou a ${peak}${runtime}${r.inService !== null ? `, com ${f.count(r.inService, N.request)} em atendimento ao mesmo tempo` : ''}${stack}`;
}

function oneThreadRow(r: OneThreadRow, several: boolean): string {
  const threads = r.threads === null ? 'um número desconhecido de threads' : r.userServer ? f.count(r.threads, N.thread) : ownThreads(r.threads);
  const when =
    r.firstMs === null || r.lastMs === null
      ? ''
      : r.apartMs !== null
        ? `, respondidos um depois do outro, com cerca de ${f.secs(r.apartMs)} entre um e outro (${between(r.firstMs, r.lastMs)})`
        : `, respondidos ${between(r.firstMs, r.lastMs)}`;
  return `${who(r.name, r.model, several)} atendeu ${f.num(r.ok, 0)} de ${f.count(r.connections, N.client)} com ${threads}${r.runtime ? ` (o runtime manteve mais ${f.num(r.runtime, 0)} suas)` : ''}${r.inService !== null ? `, ${f.num(r.inService, 0)} em atendimento ao mesmo tempo` : ''}${when}`;
}

const cpuVerdict = (cores: number | null): string => (cores === null ? 'Desconhecida' : cores >= 0.9 ? 'Um núcleo inteiro' : cores >= 0.5 ? 'A maior parte de um núcleo' : cores >= 0.2 ? 'Uma boa parte de um núcleo' : 'Pouca');

/** A resposta à pergunta do cenário: o primeiro parágrafo do relatório. */
export function answer(a: Answer): string {
  switch (a.kind) {
    case 'outcomes':
      return `${a.died.map((d) => `O servidor ${d.model} morreu durante a execução (${d.oomKilled ? `saída ${d.code}: morto pelo kernel por falta de memória` : d.code === 137 ? 'saída 137: morto' : `saída ${d.code}`}). `).join('')}${f.num(a.ok, 0)} de ${f.count(a.connections, N.connection)} terminaram ok${a.others.length > 0 ? `; ${outcomeList(a.others)}` : ''}${a.completionMs !== null ? `, todas em até ${f.secs(a.completionMs)} após o primeiro início.` : '.'}`;
    case 'one-at-a-time':
      return a.yes
        ? `Sim. O servidor ${a.model} teve uma requisição em atendimento por vez (pico ${f.num(a.inService, 0)}): respondeu aos clientes em ${f.list(a.finishedMs.slice(0, 6).map((x) => f.secs(x)))}, um depois do outro${a.queuePeak ? `, enquanto o kernel segurava os demais na accept queue (até ${f.num(a.queuePeak, 0)} esperando${a.queueFirstMs !== null ? `, desde ${f.secs(a.queueFirstMs)}` : ''})` : ''}.`
        : `Não. O servidor ${a.model} teve até ${f.count(a.inService ?? 0, N.request)} em atendimento ao mesmo tempo${a.finishedMs.length > 0 ? `, respondendo entre ${f.secs(a.finishedMs[0])} e ${f.secs(a.finishedMs[a.finishedMs.length - 1])}` : ''}.`;
    case 'refused-or-timed-out': {
      const o = a.outcomes;
      const timedOut = o.connect_timeout + o.read_timeout;
      const verdict = o.refused === 0 && timedOut > 0 ? 'Timeouts, não recusas.' : o.refused > 0 && timedOut === 0 ? 'Recusas, não timeouts.' : `As duas coisas: ${f.num(o.refused, 0)} recusados e ${f.num(timedOut, 0)} por timeout.`;
      return `${verdict} Com listen(${f.num(a.backlog, 0)}) o kernel enfileirou no máximo ${f.count(a.queuePeak ?? 0, N.connection)} para o servidor ocupado; os handshakes que encontraram a fila cheia foram descartados (TcpExt ListenOverflows +${f.num(a.overflows, 0)}), então ${f.num(o.connect_timeout, 0)} de ${f.count(a.connections, N.client)} desistiram de conectar (connect_timeout)${o.read_timeout > 0 ? ` e ${f.num(o.read_timeout, 0)} desistiram de esperar a resposta (read_timeout)` : ''}, e ${f.num(o.refused, 0)} foram recusados: o Linux responde a um backlog cheio com silêncio, nunca com ECONNREFUSED.`;
    }
    case 'threads':
      return `${a.servers.map((r) => `${threadsRow(r, a.servers.length > 1)}.`).join(' ')}${a.servers.some((r) => r.rssGrowth !== null) ? ` A memória residente cresceu ${f.list(a.servers.map((r) => `${f.size(r.rssGrowth)}${a.servers.length > 1 ? ` (${r.name})` : ''}`))}, incluindo o que o próprio runtime alocou.` : ''}`;
    case 'one-thread':
      return `${a.yes ? 'Sim' : 'Não'}: ${f.list(a.servers.map((r) => oneThreadRow(r, a.servers.length > 1)))}.`;
    case 'capacity':
      return `${a.yes ? 'Sim' : 'Não'}: ${f.num(a.ok, 0)} de ${f.count(a.connections, N.connection)} terminaram ok${a.completionMs !== null ? `, todas em até ${f.secs(a.completionMs)}` : ''}, com ${ownThreads(a.threads ?? 0)}${a.rssGrowth !== null && a.connections > 0 ? `; a memória residente cresceu ${f.size(a.rssGrowth)}, ${f.size(a.rssGrowth / a.connections)} por conexão (incluindo o que o próprio runtime alocou)` : ''}.${heldPt(a, f)}`;
    case 'deadlock':
      return a.yes
        ? `Um deadlock: cada lado esperou o outro. ${f.count(a.waiting, N.client)} conectaram e esperaram o servidor falar primeiro, enquanto a thread do servidor ficou em recv esperando a requisição${a.stalled > 0 ? ` (o probe viu ${f.count(a.stalled, N.thread)} bloqueada${a.stalled === 1 ? '' : 's'} em recv num socket sem nada para ler)` : ''}; nada andou até o read timeout dos clientes${a.readTimeoutMs ? ` de ${f.secs(a.readTimeoutMs)}` : ''} encerrá-los (${outcomeList((Object.entries(a.outcomes) as Array<[Outcome, number]>).filter(([, v]) => v > 0))}).`
        : `Desta vez não houve deadlock: ${outcomeList((Object.entries(a.outcomes) as Array<[Outcome, number]>).filter(([, v]) => v > 0))}.`;
    case 'deadlock-fix':
      return a.yes
        ? `Sim. O timeout de recepção do servidor (SO_RCVTIMEO ${f.secs(a.recvTimeoutMs)}) disparou ${f.count(a.fired, N.time)}: ele desistiu do cliente que nunca falou e voltou ao accept(), e o cliente seguinte foi respondido em ${f.secs(a.nextOkMs)}${a.gaveUp > 0 ? '; o cliente calado também tinha desistido (read_timeout)' : ''}.`
        : `Não: o timeout de recepção do servidor disparou ${f.count(a.fired, N.time)}${a.nextOkMs === null ? ' e nenhum cliente seguinte foi atendido' : ''}.`;
    case 'cpu':
      return `${cpuVerdict(a.serving)}: ${f.cores(a.serving)} núcleos enquanto atendia ${f.num(a.ok, 0)} de ${f.count(a.connections, N.client)}${a.atRest !== null ? `, e já ${f.cores(a.atRest)} núcleos em repouso, antes de chegar qualquer cliente` : ''}: o polling pergunta a cada socket se algo chegou, tenha chegado algo ou não.`;
    case 'cpu-vs-io':
      return `${f.list(a.servers.map((r) => `${r.name} (${r.model}, ${r.work?.kind ?? '?'} ${f.secs(r.work?.ms ?? null)} por requisição) respondeu aos seus ${f.count(r.connections, N.client)} ${between(r.firstMs, r.lastMs)} depois que começaram`))}.${a.servers.map(workShape).join('')}`;
    case 'refusal-policy':
      return `Depende da política: ${f.list(
        a.servers.map((r) =>
          r.policy === 'drop'
            ? `com o padrão do Linux, descartar (${r.name}), ${f.num(r.outcomes.connect_timeout + r.outcomes.read_timeout, 0)} de ${f.count(r.connections, N.client)} ${verbo(r.outcomes.connect_timeout + r.outcomes.read_timeout, 'terminou', 'terminaram')} em timeout e ${f.num(r.outcomes.refused, 0)} ${verbo(r.outcomes.refused, 'foi recusado', 'foram recusados')}`
            : r.policy === 'abort-on-overflow'
              ? `com net.ipv4.tcp_abort_on_overflow=1 (${r.name}), ${f.num(r.outcomes.reset, 0)} de ${f.count(r.connections, N.client)} ${verbo(r.outcomes.reset, 'recebeu', 'receberam')} reset depois do handshake`
              : `com uma regra que recusa mais de ${f.num(r.limit, 0)} conexões ao mesmo tempo (${r.name}), ${f.num(r.outcomes.refused, 0)} de ${f.count(r.connections, N.client)} ${verbo(r.outcomes.refused, 'foi recusado', 'foram recusados')} na hora (ECONNREFUSED)`,
        ),
      )}.`;
    case 'slow-link': {
      const o = a.outcomes;
      return `Cada handshake pagou os ${f.ms(a.delayMs)} do enlace (os connects levaram ${f.ms(a.connectP50)} na mediana)${a.loss ? `; com ${f.pct(a.loss)} de perda, ${f.count(a.synRetrans ?? 0, N.packet)} do handshake foram retransmitidos (TCPSynRetrans)` : ''}; o backlog pequeno transbordou ${f.count(a.overflows ?? 0, N.time)} (ListenOverflows). Ao todo ${f.num(o.ok, 0)} de ${f.count(a.connections, N.client)} terminaram ok${o.connect_timeout + o.read_timeout > 0 ? `, ${f.num(o.connect_timeout, 0)} desistiram de conectar e ${f.num(o.read_timeout, 0)} de esperar a resposta` : ''}.`;
    }
    case 'memory-limit':
      return a.killed
        ? `${ownThreads(a.threads ?? 0)}: então o OOM killer do kernel o encerrou (saída ${f.num(a.code, 0)}) quando o contêiner atingiu o limite de ${f.mib(a.limit)}${killedContainer(a)}. O processo em si foi visto por último com ${f.mib(a.rssPeak)} residentes.`
        : `Não foi morto: chegou a ${ownThreads(a.threads ?? 0)}, com o contêiner em no máximo ${f.mib(a.containerPeak)} de ${f.mib(a.limit)}.`;
  }
}

/** Um fato sobre um servidor, como frase. */
export function fact(x: ServerFact, name: string): string {
  switch (x.kind) {
    case 'clients':
      return `${f.num(x.ok, 0)} de ${f.count(x.connections, N.connection)} terminaram ok${x.others.length > 0 ? `; ${outcomeList(x.others)}` : ''}${x.completionMs !== null ? `, todas em até ${f.secs(x.completionMs)} após o primeiro início.` : '.'}`;
    case 'delayed':
      return `Seus clientes começaram ${f.secs(x.startMs)} depois dos primeiros do ensaio: os tempos abaixo estão no relógio do ensaio.`;
    case 'localhost':
      return `${name} escutava só no loopback (127.0.0.1:${x.port}), como os programas do roteiro: seus clientes rodaram no próprio namespace de rede dele.`;
    case 'serial':
      return `Ele atendeu uma requisição por vez (em atendimento: no máximo 1): os clientes ok foram respondidos em ${f.list(x.finishedMs.map((v) => f.secs(v)))}${x.more ? ', ...' : ''}, cerca de ${f.secs(x.gapMs)} um do outro, cada um esperando os anteriores${x.queuePeak ? ` na accept queue (até ${f.num(x.queuePeak, 0)} ao mesmo tempo)` : ''}.`;
    case 'concurrent':
      return `Ele atendeu ${f.count(x.inService, N.request)} ao mesmo tempo: os clientes ok foram respondidos ${between(x.firstMs, x.lastMs)}.`;
    case 'cpu-work':
      return x.loop
        ? `Cada requisição calculou ${f.secs(x.workMs)} na única thread do laço, que não pôde fazer mais nada enquanto isso: os clientes foram respondidos um a um, de ${f.secs(x.firstMs)} a ${f.secs(x.lastMs)}.`
        : `Cada requisição calculou ${f.secs(x.workMs)} de CPU; ${f.count(x.inService ?? 0, N.thread)} dividiram os núcleos, cada uma calculando na sua vez, e terminaram entre ${f.secs(x.firstMs)} e ${f.secs(x.lastMs)}.`;
    case 'backlog': {
      const o = x.outcomes;
      const parts = [`A accept queue chegou a ${f.count(x.queuePeak ?? 0, N.connection)} para um limite de ${f.num(x.queueMax, 0)} (backlog do listen ${f.num(x.backlog, 0)}; o Linux enfileira uma a mais que o limite)`];
      if (x.overflows !== null) parts.push(`${f.count(x.overflows, N.packet)} do handshake a encontraram cheia (TcpExt ListenOverflows +${f.num(x.overflows, 0)}, ListenDrops +${f.num(x.drops ?? 0, 0)})`);
      const effects: string[] = [];
      if (o.connect_timeout > 0) effects.push(`${f.num(o.connect_timeout, 0)} de ${f.count(x.connections, N.client)} ${verbo(o.connect_timeout, 'desistiu', 'desistiram')} de conectar${x.connectTimeoutMs ? ` após ${f.secs(x.connectTimeoutMs)}` : ''} (connect_timeout): seus SYNs, e as retransmissões, foram descartados sem resposta`);
      if (o.read_timeout > 0) effects.push(`${f.num(o.read_timeout, 0)} ${verbo(o.read_timeout, 'completou o handshake mas nunca recebeu', 'completaram o handshake mas nunca receberam')} resposta a tempo (read_timeout): o kernel descartou o ACK final, e ${verbo(o.read_timeout, 'ele acreditou', 'eles acreditaram')} estar conectado${verbo(o.read_timeout, '', 's')}`);
      if (o.reset > 0) effects.push(`${f.num(o.reset, 0)} ${verbo(o.reset, 'recebeu', 'receberam')} reset (ECONNRESET)`);
      if (o.refused > 0) effects.push(`${f.num(o.refused, 0)} ${verbo(o.refused, 'foi recusado', 'foram recusados')} (ECONNREFUSED)`);
      const tail = {
        dropped: ' O Linux descartou, nunca recusou: um backlog cheio responde com silêncio, e é o cliente quem decide quanto esperar.',
        'reject-above': ' As recusas vieram da regra reject-above do probe (iptables), não do backlog.',
        'abort-on-overflow': ' Com net.ipv4.tcp_abort_on_overflow=1 o kernel responde à fila cheia com um reset em vez de descartar.',
      };
      return `${parts.join('; ')}${effects.length > 0 ? `. ${effects.join('; ')}.` : '.'}${x.why ? tail[x.why] : ''}`;
    }
    case 'threads': {
      const what = x.userServer ? 'Suas threads' : 'As threads próprias do modelo';
      const runtime = x.runtime ? ` (o runtime que o hospeda manteve mais ${f.num(x.runtime, 0)} suas: V8, libuv, a thread principal)` : '';
      const stack = x.stack ? ` A pilha de cada thread mapeia ${f.size(x.stack.mappedBytes)} de espaço de endereçamento, dos quais ${f.size(x.stack.residentBytes)} estavam residentes.` : '';
      const rss = x.rssIdle !== null && x.rssPeak !== null ? ` A memória residente foi de ${f.mib(x.rssIdle)} a ${f.mib(x.rssPeak)}.` : '';
      return `${what} foram de ${f.num(x.idle, 0)} em repouso a ${f.num(x.peak, 0)} no pico${x.inService ? `, com ${f.count(x.inService, N.request)} em atendimento ao mesmo tempo` : ''}${runtime}.${stack}${rss}`;
    }
    case 'cpu':
      return `Ele usou ${f.cores(x.serving)} núcleos enquanto seus clientes rodavam${x.atRest !== null ? ` e ${f.cores(x.atRest)} em repouso, antes deles` : ''}${x.polling ? ': o polling pergunta a cada socket se algo chegou, mesmo quando nada chegou' : ''}.`;
    case 'gap':
      return `Suas próprias métricas não responderam por ${f.secs(x.gapMs)} enquanto seus clientes rodavam, embora a visão do kernel continuasse chegando: o processo estava ocupado demais para responder (a lacuna nos gráficos).`;
    case 'stalled':
      return `Sua thread ficou em recv num socket sem nada para ler${x.stalled > 0 ? ` (o probe marcou ${f.count(x.stalled, N.thread)})` : ''}, esperando a requisição, enquanto ${f.count(x.waiting, N.client)} esperavam que ele falasse primeiro.`;
    case 'recv-timeout':
      return `Seu timeout de recepção (SO_RCVTIMEO ${f.secs(x.recvTimeoutMs)}) disparou ${f.count(x.fired, N.time)} (read_timeout, como o servidor contou)${x.nextOkMs !== null ? `; o cliente seguinte foi respondido em ${f.secs(x.nextOkMs)}` : ''}.`;
    case 'shaping': {
      const what = [x.delayMs > 0 ? `${f.ms(x.delayMs)} de atraso${x.jitterMs > 0 ? ` ± ${f.ms(x.jitterMs)}` : ''}` : '', x.loss > 0 ? `${f.pct(x.loss)} de perda` : '', x.rateBps !== null ? `taxa de ${f.num(x.rateBps / 1e6)} Mbit/s` : ''].filter(Boolean);
      return (
        `O probe moldou o enlace dele (${x.direction}) com ${f.list(what)}, usando ${x.method}${x.unreal.length > 0 ? ` (indisponível aqui: ${f.list(x.unreal)})` : ''}.` +
        (x.connectP50 !== null ? ` Os connects levaram ${f.ms(x.connectP50)} na mediana e ${f.ms(x.connectP99)} no p99${x.synRetrans ? `; ${f.count(x.synRetrans, N.packet)} do handshake foram retransmitidos (TCPSynRetrans)` : ''}.` : '')
      );
    }
    case 'died': {
      const why = x.oomKilled
        ? `saída ${x.code}: morto pelo kernel por falta de memória (OOM)${x.memoryLimitBytes ? `, no seu limite de ${f.mib(x.memoryLimitBytes)}` : ''}`
        : x.code === 137
          ? 'saída 137: morto (SIGKILL), em geral por falta de memória (OOM) ou `docker kill`'
          : x.code === 143
            ? 'saída 143: parado com SIGTERM'
            : `saída ${x.code}`;
      return (
        `O servidor morreu durante a execução: ${why}.` +
        (x.threadsPeak !== null ? ` Antes de morrer chegou a ${ownThreads(x.threadsPeak)}${x.rssPeak !== null ? ` e ${f.mib(x.rssPeak)} residentes` : ''} (o máximo que as leituras viram).` : '') +
        ' Dali em diante seus clientes encontraram o que um servidor morto deixa: o kernel fechou ou resetou as conexões que ele tinha, e as novas não acharam ninguém escutando.'
      );
    }
  }
}

/** Os servidores de um ensaio lado a lado. */
export function compare(c: Comparison): string {
  const [first, ...rest] = c.rows;
  if (!first) return '';
  const row = (r: Comparison['rows'][number]): string =>
    `${who(r.name, r.model, true)} em ${f.secs(r.completionMs)} (${f.num(r.ok, 0)} de ${f.num(r.connections, 0)} ok, ${ownThreads(r.threads ?? 0)}${r.inService !== null ? `, no máximo ${f.num(r.inService, 0)} em atendimento ao mesmo tempo` : ''})`;
  // Por quanto: cada um dos seguintes contra o primeiro, em tempo e em múltiplo dele.
  const behind = (r: Comparison['rows'][number]): string =>
    first.completionMs === null || r.completionMs === null || first.completionMs <= 0
      ? ''
      : f.secs(r.completionMs - first.completionMs) === f.secs(0)
        ? ', no mesmo tempo'
        : `, ${f.secs(r.completionMs - first.completionMs)} a mais (${f.ratio(r.completionMs / first.completionMs)} o tempo)`;
  return `Primeiro a terminar${c.ownClocks ? ', cada um contado a partir do início dos seus próprios clientes' : ''}: ${row(first)}; depois ${f.list(rest.map((r) => `${row(r)}${behind(r)}`))}.`;
}

/** As células de um compare: para cada número de clientes, o modelo que terminou primeiro e o último. */
export function compareCells(group: { clients: string; delay: string | null }, first: Comparison['rows'][number], last: Comparison['rows'][number]): string {
  return `Com ${group.clients} clientes${group.delay ? ` e ${group.delay} de atraso` : ''}, ${first.model} terminou primeiro em ${f.secs(first.completionMs)} (${f.num(first.ok, 0)}/${f.num(first.connections, 0)} ok, ${f.count(first.threads ?? 0, N.thread)}) e ${last.model} por último em ${f.secs(last.completionMs)} (${f.num(last.ok, 0)}/${f.num(last.connections, 0)} ok, ${f.count(last.threads ?? 0, N.thread)}).`;
}
