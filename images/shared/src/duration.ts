import { invalid } from './errors.js';

const UNITS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
export const DURATION_FORMS = 'a number with a unit: ms, s, m or h (e.g. 250ms, 5s, 1.5m), or 0';

/** Parse a duration like `250ms`, `5s`, `1m` into milliseconds. `0` alone is allowed. */
export function parseDuration(text: string, what = 'duration'): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(trimmed);
  if (!m) throw invalid(what, text, DURATION_FORMS);
  return Number(m[1]) * UNITS[m[2] as keyof typeof UNITS];
}

/** Format milliseconds for people: 1500 -> "1.5s", 250 -> "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  return `${+(ms / 60_000).toFixed(2)}m`;
}

export const RATE_FORMS = 'a number with a unit: bit, kbit, mbit or gbit per second (e.g. 1mbit, 512kbit)';
const RATE_UNITS = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 } as const;

/** Parse a link rate like `1mbit` into bits per second (tc's units). */
export function parseRate(text: string, what = 'rate'): number {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit)$/.exec(text.trim().toLowerCase());
  if (!m) throw invalid(what, text, RATE_FORMS);
  const bps = Number(m[1]) * RATE_UNITS[m[2] as keyof typeof RATE_UNITS];
  if (bps <= 0) throw invalid(what, text, `${RATE_FORMS}, above zero`);
  return bps;
}

export const PERCENT_FORMS = 'a percentage from 0 to 100 (e.g. 30%, 0.5%)';

/** Parse a probability written as a percentage, `30%` or `30`, into 0..1. */
export function parsePercent(text: string, what = 'percentage'): number {
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  if (!m) throw invalid(what, text, PERCENT_FORMS);
  const v = Number(m[1]);
  if (v > 100) throw invalid(what, text, PERCENT_FORMS);
  return v / 100;
}

/** Parse a whole number within bounds, naming the bounds when it is not one. */
export function parseInteger(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const trimmed = text.trim();
  if (!/^-?\d+$/.test(trimmed)) throw invalid(what, text, `a whole number from ${min} to ${max}`);
  const n = Number(trimmed);
  if (n < min || n > max) throw invalid(what, text, `a whole number from ${min} to ${max}`);
  return n;
}
