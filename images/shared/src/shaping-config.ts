import { ConfigError, invalid } from './errors.js';
import { DURATION_FORMS, parseDuration, parseInteger, parsePercent, parseRate } from './duration.js';

/** Which way shaping applies, seen from the server: egress is what it sends, ingress what it receives. */
export const DIRECTIONS = ['egress', 'ingress', 'both'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** How the kernel treats a client the server cannot take: the course's "refused or timeout". */
export type Refusal = { readonly kind: 'drop' } | { readonly kind: 'abort-on-overflow' } | { readonly kind: 'reject-above'; readonly n: number };
export const REFUSAL_FORMS = 'drop (Linux default: SYNs dropped, clients time out), abort-on-overflow (resets after the handshake), or reject-above=N (clients beyond N concurrent get ECONNREFUSED)';

/** Shaping methods, from the most faithful: tc netem, the NFQUEUE helper (plus tbf for rate), or none. */
export const SHAPING_METHODS = ['netem', 'nfqueue', 'none'] as const;
export type ShapingMethod = (typeof SHAPING_METHODS)[number];

export interface ShapingConfig {
  readonly delayMs: number;
  readonly jitterMs: number;
  /** Probability 0..1. */
  readonly loss: number;
  /** Bits per second, or null for no limit. */
  readonly rateBps: number | null;
  readonly direction: Direction;
  readonly refusal: Refusal;
}

const NO_SHAPING: ShapingConfig = { delayMs: 0, jitterMs: 0, loss: 0, rateBps: null, direction: 'egress', refusal: { kind: 'drop' } };

export const SHAPING_ENV = ['DELAY', 'JITTER', 'LOSS', 'RATE', 'DIRECTION', 'REFUSAL'] as const;
export type ShapingEnv = Partial<Record<(typeof SHAPING_ENV)[number], string>>;

export function parseRefusal(text: string): Refusal {
  const t = text.trim();
  if (t === 'drop') return { kind: 'drop' };
  if (t === 'abort-on-overflow') return { kind: 'abort-on-overflow' };
  const m = /^reject-above=(.+)$/.exec(t);
  if (m) return { kind: 'reject-above', n: parseInteger(m[1] ?? '', 'REFUSAL reject-above', 1, 1_000_000) };
  throw invalid('REFUSAL', text, REFUSAL_FORMS);
}

export function formatRefusal(r: Refusal): string {
  return r.kind === 'reject-above' ? `reject-above=${r.n}` : r.kind;
}

/**
 * Validate shaping (environment at start, or a JSON body at run time with the same names in lower case).
 * Values not given keep those of `base`. Impossible shaping is rejected with the valid forms named.
 */
export function parseShaping(env: ShapingEnv, base: ShapingConfig = NO_SHAPING): ShapingConfig {
  const delayMs = env.DELAY !== undefined && env.DELAY !== '' ? parseDuration(env.DELAY, 'DELAY') : base.delayMs;
  const jitterMs = env.JITTER !== undefined && env.JITTER !== '' ? parseDuration(env.JITTER, 'JITTER') : base.jitterMs;
  if (jitterMs > delayMs) {
    throw new ConfigError(`invalid JITTER ${JSON.stringify(env.JITTER ?? `${jitterMs}ms`)}: expected at most DELAY (${delayMs}ms); forms: ${DURATION_FORMS}`);
  }
  const loss = env.LOSS !== undefined && env.LOSS !== '' ? parsePercent(env.LOSS, 'LOSS') : base.loss;
  let rateBps = base.rateBps;
  if (env.RATE !== undefined && env.RATE !== '') rateBps = env.RATE === 'none' ? null : parseRate(env.RATE, 'RATE');
  const direction = env.DIRECTION !== undefined && env.DIRECTION !== '' ? env.DIRECTION : base.direction;
  if (!(DIRECTIONS as readonly string[]).includes(direction)) throw invalid('DIRECTION', direction, `one of ${DIRECTIONS.join(', ')}`);
  const refusal = env.REFUSAL !== undefined && env.REFUSAL !== '' ? parseRefusal(env.REFUSAL) : base.refusal;
  return { delayMs, jitterMs, loss, rateBps, direction: direction as Direction, refusal };
}

/** The environment that reproduces a shaping configuration. */
export function shapingEnv(s: ShapingConfig): Record<string, string> {
  return {
    DELAY: `${s.delayMs}ms`,
    JITTER: `${s.jitterMs}ms`,
    LOSS: `${+(s.loss * 100).toFixed(4)}%`,
    RATE: s.rateBps === null ? 'none' : `${s.rateBps}bit`,
    DIRECTION: s.direction,
    REFUSAL: formatRefusal(s.refusal),
  };
}


/** What a kernel offers for shaping: netem, an ifb device (ingress), tbf (rate), NFQUEUE (the helper's fallback). */
export interface KernelOffers {
  readonly netem: boolean;
  readonly ifb: boolean;
  readonly tbf: boolean;
  readonly nfqueue: boolean;
}
const OFFERS = ['netem', 'ifb', 'tbf', 'nfqueue'] as const;
export const KERNEL_OFFERS_FORM = 'netem=<true|false>,ifb=<true|false>,tbf=<true|false>,nfqueue=<true|false>';

/**
 * KERNEL_OFFERS: what a run's first probe found this kernel to offer, handed to the probes of its later trials
 * (the same kernel, the same image), so they do not try qdiscs and links again on every start.
 */
export function formatKernelOffers(k: KernelOffers): string {
  return OFFERS.map((o) => `${o}=${k[o]}`).join(',');
}

export function parseKernelOffers(text: string): KernelOffers {
  const pairs = new Map(text.split(',').map((p) => p.trim().split('=') as [string, string | undefined]));
  const out: Partial<Record<(typeof OFFERS)[number], boolean>> = {};
  for (const o of OFFERS) {
    const v = pairs.get(o);
    if (v !== 'true' && v !== 'false') throw invalid('KERNEL_OFFERS', text, KERNEL_OFFERS_FORM);
    out[o] = v === 'true';
  }
  if (pairs.size !== OFFERS.length) throw invalid('KERNEL_OFFERS', text, KERNEL_OFFERS_FORM);
  return out as KernelOffers;
}
