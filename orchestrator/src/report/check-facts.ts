import { medianGap, okEnds, trialMeasures, type ServerMeasures, type TrialMeasures } from '../results/measures.js';
import type { Results } from '../results/types.js';
import { fmt, type Lang } from './lang.js';
import { NOUNS } from './words.js';

/** The lab guide's acceptance criteria for its stage 3 (server_async.py), each measured. */
const CRITERIA = ['listens', 'nervous-ok', 'concurrent', 'one-thread', 'closes', 'challenge-ok'] as const;
export type CriterionId = (typeof CRITERIA)[number];

export interface Criterion {
  readonly id: CriterionId;
  readonly label: string;
  readonly measured: string;
  /** null: not run (an earlier criterion failed in a way that makes it pointless, or take too long). */
  readonly passed: boolean | null;
}

/**
 * The mistakes an asyncio beginner makes, each told apart from the others by what was measured: a blocking call
 * in the coroutine (served one after another), threads, a connection never closed, a request read but never
 * answered (both sides waiting: the notebook's deadlock in its asyncio form), a program that ends at once, and
 * another port. Each diagnosis names its mistake and no other.
 */
export type Mistake =
  | {
      readonly kind: 'blocking';
      readonly firstMs: number;
      readonly lastMs: number;
      readonly gapMs: number;
      readonly gaveUp: number;
      readonly closeWaitPeak: number;
      /** Where the probe saw the loop's one thread most of the time, when that was what holds a loop. */
      readonly seen: 'sleep' | 'running' | null;
    }
  | { readonly kind: 'threads'; readonly threads: number }
  | { readonly kind: 'never-closes'; readonly closeWait: number; readonly idleMs: number }
  | {
      readonly kind: 'never-answers';
      readonly waited: number;
      readonly readTimeoutMs: number | null;
      readonly loopWaits: boolean;
      /** The server's receive queues while the clients waited (ServerMeasures' unread; null: not seen). */
      readonly unread: ServerMeasures['unread'];
      /** Connections still in CLOSE_WAIT at the end: the handler never got past its read to its close. */
      readonly neverClosed: number;
    }
  | { readonly kind: 'exits'; readonly code: number }
  | { readonly kind: 'other-port'; readonly port: number; readonly found: string | null };

const LABELS: Record<Lang, Record<CriterionId, string>> = {
  en: {
    listens: 'listens on the given port',
    'nervous-ok': '10 nervous clients, all ok',
    concurrent: 'served concurrently (all 10 within one work period)',
    'one-thread': 'one thread in the server process',
    closes: 'closes every connection (none left in CLOSE_WAIT)',
    'challenge-ok': '200 connections at once, all ok',
  },
  'pt-BR': {
    listens: 'escuta na porta dada',
    'nervous-ok': '10 clientes nervosos, todos ok',
    concurrent: 'atendidos em concorrência (os 10 dentro de um período de trabalho)',
    'one-thread': 'uma única thread no processo do servidor',
    closes: 'fecha todas as conexões (nenhuma em CLOSE_WAIT)',
    'challenge-ok': '200 conexões simultâneas, todas ok',
  },
};

export const label = (id: CriterionId, lang: Lang): string => LABELS[lang][id];

/** How the ok clients' end times spread: concurrent when the last ends within one work period of the first. */
export function spread(r: Results): { first: number; last: number; ok: number; concurrent: boolean } | null {
  const t = r.trials[0];
  if (!t) return null;
  const done = trialMeasures(t).servers.flatMap((s) => s.clients.each).filter((c) => c.outcome === 'ok').map((c) => c.endMs).sort((a, b) => a - b);
  if (done.length === 0) return null;
  const first = done[0]!;
  const last = done[done.length - 1]!;
  return { first, last, ok: done.length, concurrent: last - first <= Math.max(500, 0.5 * first) };
}

/** The mistakes the measures show, each only where its own evidence is. */
function mistakesOf(r: Results, s: ServerMeasures, challenge: TrialMeasures | null): Mistake[] {
  const out: Mistake[] = [];
  const sp = spread(r);
  const c = s.clients;
  const where = s.ownWhere;
  // Its one thread blocked in sleep (or computing) while the clients waited: a blocking call in the coroutine.
  const blocked = (where.sleep ?? 0) + (where.running ?? 0) >= 0.5;
  const idle = (where.poll ?? 0) >= 0.5;
  const serial = sp !== null && !sp.concurrent && sp.ok >= 2;
  if (serial || (blocked && c.outcomes.ok < c.connections)) {
    const ends = okEnds(c);
    out.push({
      kind: 'blocking',
      firstMs: ends[0] ?? 0,
      lastMs: ends[ends.length - 1] ?? 0,
      gapMs: medianGap(ends) ?? 0,
      gaveUp: c.outcomes.read_timeout,
      // Connections waiting for their close (the clients had closed) that did get it, late: none left at the end.
      closeWaitPeak: (s.closeWaitPeak ?? 0) > 0 && s.closeWaitEnd === 0 ? (s.closeWaitPeak ?? 0) : 0,
      seen: (where.sleep ?? 0) >= 0.5 ? 'sleep' : (where.running ?? 0) >= 0.5 ? 'running' : null,
    });
  }
  if (s.threadsPeak !== null && s.threadsPeak > 1) out.push({ kind: 'threads', threads: s.threadsPeak });
  void challenge;
  // Connected, request sent, not one answer, and the loop idle meanwhile: it read the request and waited for more.
  const connected = c.each.filter((x) => x.connectMs !== null).length;
  const answered = r.trials[0]?.swarms.reduce((a, w) => a + (w.summary?.latencyMs.firstByte.count ?? 0), 0) ?? 0;
  const left = s.closeWaitEnd ?? 0;
  if (connected > 0 && answered === 0 && !blocked) {
    // Connections left in CLOSE_WAIT then are the same mistake's: the handler never got past its read to its close.
    out.push({ kind: 'never-answers', waited: connected, readTimeoutMs: c.readTimeoutMs, loopWaits: idle, unread: s.unread, neverClosed: left });
  } else if (left > 0) {
    // Still in CLOSE_WAIT once the server had been left alone for a while (the nervous run waits for its sockets to
    // settle): never closed. A late close drains meanwhile.
    out.push({ kind: 'never-closes', closeWait: left, idleMs: s.idleAtEndMs ?? 0 });
  }
  return out;
}

const secs = (ms: number, lang: Lang): string => fmt(lang).secs(ms);
const BYTES = { one: 'byte', other: 'bytes' };

/** What a mistake means, in the language asked for: it names its mistake and what the measures showed. */
export function sayMistake(m: Mistake, lang: Lang): string {
  const f = fmt(lang);
  const N = NOUNS[lang];
  const pt = lang === 'pt-BR';
  switch (m.kind) {
    case 'blocking': {
      const late = m.closeWaitPeak > 0
        ? pt
          ? ` Conexões que os clientes já tinham fechado esperaram em CLOSE_WAIT (até ${f.num(m.closeWaitPeak, 0)} ao mesmo tempo) até o laço bloqueado chegar a fechá-las: fechou tarde, não deixou de fechar.`
          : ` Connections their clients had already closed waited in CLOSE_WAIT (up to ${f.num(m.closeWaitPeak, 0)} at once) until the blocked loop got round to closing them: closed late, not never.`
        : '';
      const when = m.lastMs > m.firstMs ? (pt ? `, de ${secs(m.firstMs, lang)} a ${secs(m.lastMs, lang)}, cerca de ${secs(m.gapMs, lang)} um do outro` : `, from ${secs(m.firstMs, lang)} to ${secs(m.lastMs, lang)}, about ${secs(m.gapMs, lang)} apart`) : '';
      const seen = pt
        ? { sleep: ', e a probe a viu parada em sleep', running: ', e a probe a viu calculando, sem parar', none: '' }
        : { sleep: ', and the probe saw it waiting in sleep', running: ', and the probe saw it computing, never stopping', none: '' };
      return pt
        ? `Os clientes foram atendidos um depois do outro${when}: uma chamada bloqueante na corrotina (time.sleep em vez de await asyncio.sleep, ou um cálculo longo) segura a única thread do laço de eventos${seen[m.seen ?? 'none']}.${late}`
        : `The clients were served one after another${when}: a blocking call in the coroutine (time.sleep instead of await asyncio.sleep, or a long computation) holds the event loop's one thread${seen[m.seen ?? 'none']}.${late}`;
    }
    case 'threads':
      return pt
        ? `O processo chegou a ${f.count(m.threads, N.thread)}: entregar clientes a threads (threading, to_thread, run_in_executor) não é o servidor de uma thread só que a Etapa 3 pede; o laço de eventos atende todos em uma.`
        : `The process reached ${f.count(m.threads, N.thread)}: handing clients to threads (threading, to_thread, run_in_executor) is not the single-threaded server stage 3 asks for; the event loop serves them all on one.`;
    case 'never-closes':
      return pt
        ? `O servidor nunca fechou ${f.count(m.closeWait, N.connection)} depois de responder: ${f.secs(m.idleMs)} depois do último cliente, elas seguiam em CLOSE_WAIT do lado dele. Chame writer.close() e await writer.wait_closed().`
        : `The server never closed ${f.count(m.closeWait, N.connection)} after answering: ${f.secs(m.idleMs)} after the last client they were still in CLOSE_WAIT on its side. Call writer.close() and await writer.wait_closed().`;
    case 'never-answers':
      return neverAnswers(m, lang);
    case 'exits':
      return pt
        ? `O programa terminou logo (saída ${m.code}) sem ficar escutando: asyncio.start_server sozinho não o mantém rodando; use async with server: await server.serve_forever().`
        : `The program ended at once (exit ${m.code}) without staying to listen: asyncio.start_server alone does not keep it running; use async with server: await server.serve_forever().`;
    case 'other-port':
      return pt
        ? `O servidor não escutou na porta ${m.port}${m.found ? ` (ele escuta em ${m.found})` : ''}: confira HOST e PORT no programa, ou passe --port.`
        : `The server did not listen on port ${m.port}${m.found ? ` (it listens on ${m.found})` : ''}: check HOST and PORT in the program, or pass --port.`;
  }
}

/**
 * Clients that sent their request and never got an answer, told from both sides: the clients waiting in their read,
 * the server's loop idle, and its receive queues, which tell a request read and waited past (read() with no size,
 * readexactly(n), readline() with no newline sent: all wait for more than the client sends) from one never read.
 */
function neverAnswers(m: Extract<Mistake, { kind: 'never-answers' }>, lang: Lang): string {
  const f = fmt(lang);
  const N = NOUNS[lang];
  // Most readings found their requests unread: never read. None did: read. Some did: nothing is claimed.
  const unreadNow = m.unread !== null && m.unread.withUnread * 2 > m.unread.readings;
  const readAll = m.unread !== null && m.unread.withUnread === 0;
  const left = f.count(m.neverClosed, N.connection);
  const closed = m.neverClosed === 0
    ? ''
    : lang === 'pt-BR'
      ? unreadNow
        ? ` Quando os clientes desistiram, ${left} ficaram em CLOSE_WAIT do lado do servidor: o programa não chegou nem a ler, nem a fechar.`
        : ` Quando os clientes desistiram, ${left} ficaram em CLOSE_WAIT do lado do servidor: o handler nunca passou da leitura para o close (readexactly levanta IncompleteReadError no EOF, e este Python não fechou a conexão de um handler que terminou numa exceção).`
      : unreadNow
        ? ` When the clients gave up, ${left} stayed in CLOSE_WAIT on the server's side: the program got to neither its read nor its close.`
        : ` When the clients gave up, ${left} stayed in CLOSE_WAIT on the server's side: the handler never got past its read to its close (readexactly raises IncompleteReadError at EOF, and this Python did not close the connection of a handler that ended in an exception).`;
  if (lang === 'pt-BR') {
    const clients = `Os ${f.count(m.waited, N.client)} conectaram, enviaram a requisição e nenhuma resposta veio até o read timeout${m.readTimeoutMs ? ` de ${f.secs(m.readTimeoutMs)}` : ''}${m.loopWaits ? ', enquanto o laço do servidor esperava ocioso em epoll' : ''}`;
    if (unreadNow) return `${clients}; as requisições ficaram sem ser lidas nas filas de recepção do servidor (${f.count(m.unread!.bytes, BYTES)} em ${f.count(m.unread!.sockets, N.connection)}): o programa nunca as leu. Leia a requisição (await reader.readline()) antes de esperar qualquer outra coisa, e responda.${closed}`;
    const queues = readAll ? ', e nada ficou sem ler nas filas de recepção do servidor: ele leu as requisições' : '';
    return `${clients}${queues}. O servidor esperou mais do que o cliente manda, e os dois lados esperaram um pelo outro (o deadlock do notebook, na forma asyncio): await reader.read() sem tamanho espera o cliente fechar (EOF), readexactly(n) espera todos os n bytes, readline() espera uma quebra de linha que pode nunca vir. Leia o que o cliente manda (await reader.readline() se ele manda a linha, ou reader.read(1024)) e responda.${closed}`;
  }
  const clients = `The ${f.count(m.waited, N.client)} connected, sent their request and no answer came before their read timeout${m.readTimeoutMs ? ` of ${f.secs(m.readTimeoutMs)}` : ''}${m.loopWaits ? ", while the server's loop waited idle in epoll" : ''}`;
  if (unreadNow) return `${clients}; their requests sat unread in the server's receive queues (${f.count(m.unread!.bytes, BYTES)} on ${f.count(m.unread!.sockets, N.connection)}): the program never read them. Read the request (await reader.readline()) before waiting for anything else, and answer it.${closed}`;
  const queues = readAll ? ", and nothing was left unread in the server's receive queues: it had read the requests" : '';
  return `${clients}${queues}. The server waited for more than the client sends, and each side waited for the other (the notebook's deadlock, in its asyncio form): an await reader.read() with no size waits for the client to close (EOF), readexactly(n) for all n bytes, readline() for a newline it may never send. Read what the client sends (await reader.readline() if it sends a line, or reader.read(1024)) and answer it.${closed}`;
}

/** The criteria measured by the nervous run (and the challenge run, when there was one), in the language asked. */
export function evaluate(nervous: Results, challenge: Results | null, lang: Lang): { criteria: Criterion[]; mistakes: Mistake[] } {
  const f = fmt(lang);
  const pt = lang === 'pt-BR';
  const t = nervous.trials[0];
  const m = t ? trialMeasures(t) : null;
  const server = m?.servers[0];
  const sp = spread(nervous);
  const criteria: Criterion[] = [{ id: 'listens', label: label('listens', lang), measured: `${t?.servers[0]?.localhost ? '127.0.0.1' : '*'}:${t?.servers[0]?.port ?? '?'}`, passed: true }];
  const ok = m?.outcomes.ok ?? 0;
  criteria.push({ id: 'nervous-ok', label: label('nervous-ok', lang), measured: `${ok}/${m?.connections ?? 0} ok`, passed: ok === 10 });
  criteria.push({
    id: 'concurrent',
    label: label('concurrent', lang),
    measured: sp ? (pt ? `terminaram entre ${f.secs(sp.first)} e ${f.secs(sp.last)}` : `done between ${f.secs(sp.first)} and ${f.secs(sp.last)}`) : '-',
    passed: sp ? sp.concurrent && sp.ok === 10 : false,
  });
  const threads = server?.threadsPeak ?? null;
  criteria.push({ id: 'one-thread', label: label('one-thread', lang), measured: threads === null ? '-' : f.count(threads, NOUNS[lang].thread), passed: threads === 1 });
  const left = server?.closeWaitEnd ?? null;
  criteria.push({
    id: 'closes',
    label: label('closes', lang),
    measured: left === null ? '-' : pt ? `${f.num(left, 0)} em CLOSE_WAIT ${f.secs(server?.idleAtEndMs ?? 0)} depois` : `${f.num(left, 0)} in CLOSE_WAIT ${f.secs(server?.idleAtEndMs ?? 0)} after`,
    passed: left === null ? null : left === 0,
  });
  const cm = challenge?.trials[0] ? trialMeasures(challenge.trials[0]) : null;
  criteria.push({
    id: 'challenge-ok',
    label: label('challenge-ok', lang),
    measured: cm ? `${cm.outcomes.ok}/${cm.connections} ok` : pt ? 'não executado: o servidor não atende em concorrência' : 'not run: the server does not serve concurrently',
    passed: cm ? cm.outcomes.ok === 200 : null,
  });
  return { criteria, mistakes: server ? mistakesOf(nervous, server, cm) : [] };
}

/** A server that never listened on the port: the one failed criterion and what it means (it ended, or listens elsewhere). */
export function notListening(port: number, message: string, exitCode: number | undefined, lang: Lang): { criteria: Criterion[]; mistakes: Mistake[] } {
  const other = /listens on ([^;]+);/.exec(message)?.[1] ?? null;
  const pt = lang === 'pt-BR';
  return {
    criteria: [
      { id: 'listens', label: label('listens', lang), measured: other ?? (exitCode !== undefined ? (pt ? `terminou (saída ${exitCode})` : `ended (exit ${exitCode})`) : pt ? 'não escuta' : 'not listening'), passed: false },
      ...(['nervous-ok', 'concurrent', 'one-thread', 'closes', 'challenge-ok'] as const).map((id) => ({ id, label: label(id, lang), measured: '-', passed: null })),
    ],
    mistakes: [exitCode !== undefined && other === null ? { kind: 'exits', code: exitCode } : { kind: 'other-port', port, found: other }],
  };
}
