import { trialMeasures } from '../results/measures.js';
import type { Results } from '../results/types.js';
import type { Lang } from '../report/lang.js';

/** The lab guide's acceptance criteria for its stage 3 (server_async.py), each measured. */
export const CRITERIA = ['listens', 'nervous-ok', 'concurrent', 'one-thread', 'challenge-ok'] as const;
export type CriterionId = (typeof CRITERIA)[number];

export interface Criterion {
  readonly id: CriterionId;
  readonly label: string;
  readonly measured: string;
  /** null: not run (an earlier criterion failed in a way that makes it pointless, or take too long). */
  readonly passed: boolean | null;
}

const LABELS: Record<Lang, Record<CriterionId, string>> = {
  en: {
    listens: 'listens on the given port',
    'nervous-ok': '10 nervous clients, all ok',
    concurrent: 'served concurrently (all 10 within one work period)',
    'one-thread': 'one thread in the server process',
    'challenge-ok': '200 connections at once, all ok',
  },
  'pt-BR': {
    listens: 'escuta na porta dada',
    'nervous-ok': '10 clientes nervosos, todos ok',
    concurrent: 'atendidos em concorrência (os 10 dentro de um período de trabalho)',
    'one-thread': 'uma única thread no processo do servidor',
    'challenge-ok': '200 conexões simultâneas, todas ok',
  },
};

export const label = (id: CriterionId, lang: Lang): string => LABELS[lang][id];

const s = (ms: number, lang: Lang): string => `${(ms / 1000).toFixed(2).replace('.', lang === 'pt-BR' ? ',' : '.')} s`;

/** How the ok clients' end times spread: concurrent when the last ends within one work period of the first. */
export function spread(r: Results): { first: number; last: number; ok: number; concurrent: boolean } | null {
  const t = r.trials[0];
  if (!t) return null;
  const done = t.swarms.flatMap((w) => w.summary?.connections ?? []).filter((c) => c.outcome === 'ok').map((c) => c.totalMs).sort((a, b) => a - b);
  if (done.length === 0) return null;
  const first = done[0]!;
  const last = done[done.length - 1]!;
  return { first, last, ok: done.length, concurrent: last - first <= Math.max(500, 0.5 * first) };
}

/** The criteria measured by the nervous run (and the challenge run, when there was one), in the language asked. */
export function evaluate(nervous: Results, challenge: Results | null, lang: Lang): { criteria: Criterion[]; mistakes: string[] } {
  const t = nervous.trials[0];
  const m = t ? trialMeasures(t) : null;
  const server = m?.servers[0];
  const sp = spread(nervous);
  const pt = lang === 'pt-BR';
  const criteria: Criterion[] = [{ id: 'listens', label: label('listens', lang), measured: `${t?.servers[0]?.localhost ? '127.0.0.1' : '*'}:${t?.servers[0]?.port ?? '?'}`, passed: true }];
  const ok = m?.outcomes.ok ?? 0;
  criteria.push({ id: 'nervous-ok', label: label('nervous-ok', lang), measured: `${ok}/${m?.connections ?? 0} ok`, passed: ok === 10 });
  criteria.push({
    id: 'concurrent',
    label: label('concurrent', lang),
    measured: sp ? (pt ? `terminaram entre ${s(sp.first, lang)} e ${s(sp.last, lang)}` : `done between ${s(sp.first, lang)} and ${s(sp.last, lang)}`) : '-',
    passed: sp ? sp.concurrent && sp.ok === 10 : false,
  });
  const threads = server?.threadsPeak ?? null;
  criteria.push({ id: 'one-thread', label: label('one-thread', lang), measured: threads === null ? '-' : `${threads} thread${threads === 1 ? '' : 's'}`, passed: threads === 1 });
  const cm = challenge?.trials[0] ? trialMeasures(challenge.trials[0]) : null;
  criteria.push({
    id: 'challenge-ok',
    label: label('challenge-ok', lang),
    measured: cm ? `${cm.outcomes.ok}/${cm.connections} ok` : pt ? 'não executado: o servidor não atende em concorrência' : 'not run: the server does not serve concurrently',
    passed: cm ? cm.outcomes.ok === 200 : null,
  });

  const mistakes: string[] = [];
  if (sp && !sp.concurrent && sp.ok >= 2) {
    mistakes.push(
      pt
        ? `Os clientes foram atendidos um depois do outro (de ${s(sp.first, lang)} a ${s(sp.last, lang)}): uma chamada bloqueante na corrotina (time.sleep em vez de await asyncio.sleep) segura a única thread do laço de eventos.`
        : `The clients were served one after another (from ${s(sp.first, lang)} to ${s(sp.last, lang)}): a blocking call in the coroutine (time.sleep instead of await asyncio.sleep) holds the event loop's one thread.`,
    );
  }
  if (threads !== null && threads > 1) {
    mistakes.push(
      pt
        ? `O processo chegou a ${threads} threads: entregar clientes a threads (threading) não é o servidor de uma thread só que a Etapa 3 pede; o laço de eventos atende todos em uma.`
        : `The process reached ${threads} threads: handing clients to threads (threading) is not the single-threaded server stage 3 asks for; the event loop serves them all on one.`,
    );
  }
  const closeWait = Math.max(server?.closeWaitPeak ?? 0, cm?.servers[0]?.closeWaitPeak ?? 0);
  if (closeWait > 0) {
    mistakes.push(
      pt
        ? `O servidor nunca fechou ${closeWait} conexão(ões) depois de responder (CLOSE_WAIT do lado dele): chame writer.close() e await writer.wait_closed().`
        : `The server never closed ${closeWait} connection(s) after answering (CLOSE_WAIT on its side): call writer.close() and await writer.wait_closed().`,
    );
  }
  return { criteria, mistakes };
}

/** A server that never listened on the port: the one failed criterion and what it means. */
export function notListening(port: number, message: string, lang: Lang): { criteria: Criterion[]; mistakes: string[] } {
  const other = /listens on ([^;]+);/.exec(message)?.[1];
  const pt = lang === 'pt-BR';
  return {
    criteria: [
      { id: 'listens', label: label('listens', lang), measured: other ?? (pt ? 'não escuta' : 'not listening'), passed: false },
      ...(['nervous-ok', 'concurrent', 'one-thread', 'challenge-ok'] as const).map((id) => ({ id, label: label(id, lang), measured: '-', passed: null })),
    ],
    mistakes: [
      pt
        ? `O servidor não escutou na porta ${port}${other ? ` (ele escuta em ${other})` : ''}: confira HOST e PORT no programa, ou passe --port.`
        : `The server did not listen on port ${port}${other ? ` (it listens on ${other})` : ''}: check HOST and PORT in the program, or pass --port.`,
    ],
  };
}
