/**
 * The report's languages and how each writes numbers, durations, sizes, lists and plurals (Intl: the language's
 * own decimal separator, list conjunction and plural rules), so every number reads the same in the text, the
 * tables and the charts of one report.
 */
export const LANGS = ['en', 'pt-BR'] as const;
export type Lang = (typeof LANGS)[number];

/** A noun's forms by plural category (Intl.PluralRules): `one` and `other` at least. */
export type Forms = { readonly one: string; readonly other: string };

export class Fmt {
  private readonly plurals: Intl.PluralRules;
  private readonly lists: Intl.ListFormat;
  private readonly numbers = new Map<number, Intl.NumberFormat>();
  private ticks: Intl.NumberFormat | undefined;

  constructor(readonly lang: Lang) {
    this.plurals = new Intl.PluralRules(lang);
    this.lists = new Intl.ListFormat(lang, { type: 'conjunction' });
  }

  /** A number with at most `digits` decimals (trailing zeros dropped), in the language's format. */
  num(n: number | null | undefined, digits = 2): string {
    if (n === null || n === undefined || !Number.isFinite(n)) return '-';
    let f = this.numbers.get(digits);
    if (!f) this.numbers.set(digits, (f = new Intl.NumberFormat(this.lang, { maximumFractionDigits: digits })));
    return f.format(n);
  }

  /** An axis tick: small values keep two significant digits (0.002 cores is not 0), others up to two decimals. */
  tick(n: number): string {
    if (n === 0 || Math.abs(n) >= 1) return this.num(n, 2);
    let f = this.ticks;
    if (!f) this.ticks = f = new Intl.NumberFormat(this.lang, { maximumSignificantDigits: 2 });
    return f.format(n);
  }

  /** A number with exactly `digits` decimals. */
  fixed(n: number | null | undefined, digits: number): string {
    if (n === null || n === undefined || !Number.isFinite(n)) return '-';
    return new Intl.NumberFormat(this.lang, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
  }

  /** How many times as long: 2 decimals under 2× (1.02×, not 1×), 1 above. */
  ratio(x: number): string {
    return `${this.fixed(x, x < 2 ? 2 : 1)}×`;
  }

  /** Seconds from milliseconds: 2 decimals under 10 s, 1 above. */
  secs(ms: number | null | undefined): string {
    return ms === null || ms === undefined ? '-' : `${this.fixed(ms / 1000, ms < 10_000 ? 2 : 1)} s`;
  }

  /** Milliseconds: 1 decimal under 10 ms, whole above. */
  ms(ms: number | null | undefined): string {
    return ms === null || ms === undefined ? '-' : `${ms < 10 ? this.fixed(ms, 1) : this.num(Math.round(ms), 0)} ms`;
  }

  mib(bytes: number | null | undefined): string {
    return bytes === null || bytes === undefined ? '-' : `${this.fixed(bytes / 1024 / 1024, 1)} MiB`;
  }

  kib(bytes: number | null | undefined): string {
    return bytes === null || bytes === undefined ? '-' : `${this.fixed(bytes / 1024, 1)} KiB`;
  }

  /** A size in the unit that reads best: KiB under 1 MiB, MiB above. */
  size(bytes: number | null | undefined): string {
    return bytes === null || bytes === undefined ? '-' : bytes < 1024 * 1024 ? this.kib(bytes) : this.mib(bytes);
  }

  /** A fraction as a percentage: 0.02 -> 2%. */
  pct(x: number): string {
    return `${this.num(x * 100, 2)}%`;
  }

  /** CPU in cores, two decimals. */
  cores(x: number | null | undefined): string {
    return this.fixed(x, 2);
  }

  /** "a, b and c" / "a, b e c". */
  list(items: readonly string[]): string {
    return this.lists.format(items);
  }

  /** The form of a noun for a count (no number). */
  form(n: number, forms: Forms): string {
    const cat = this.plurals.select(n);
    return cat === 'one' ? forms.one : forms.other;
  }

  /** A count with its noun: "1 connection", "2 connections"; "1 conexão", "2 conexões". */
  count(n: number, forms: Forms): string {
    return `${this.num(n, 0)} ${this.form(n, forms)}`;
  }
}

const cache = new Map<Lang, Fmt>();
export const fmt = (lang: Lang): Fmt => {
  let f = cache.get(lang);
  if (!f) cache.set(lang, (f = new Fmt(lang)));
  return f;
};
