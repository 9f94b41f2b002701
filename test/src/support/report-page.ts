/**
 * A report opened as a person sees it: headless Chromium (playwright-core) loads the HTML from disk, and the test
 * reads what was drawn: console errors, each chart's marks and text boxes, and a screenshot kept as an artifact.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

export interface TextBox {
  readonly text: string;
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

export interface ChartSeen {
  readonly id: string;
  readonly marks: number;
  /** The data points the report drew in it (its figure's data-points): a chart of none shows nothing. */
  readonly points: number;
  readonly texts: readonly TextBox[];
  /** The chart's own drawing (its svg) on the page. */
  readonly box: Omit<TextBox, 'text'>;
  /** Its straight lines (axes, ticks, grid lines, marks), in the svg's own coordinates, with their colour. */
  readonly lines: ReadonlyArray<{ readonly x1: number; readonly y1: number; readonly x2: number; readonly y2: number; readonly stroke: string }>;
}

export interface PageSeen {
  readonly errors: readonly string[];
  readonly charts: readonly ChartSeen[];
  /** The first paragraph after the question: the answer. */
  readonly answer: string;
}

export async function openBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no chromium here');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Load an HTML report from disk, read what it shows, and take its picture (full page) to `png`. */
export async function look(browser: Browser, file: string, png: string): Promise<PageSeen> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const errors: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  page.on('pageerror', (e) => void errors.push(e.message));
  await page.goto(`file://${file}`);
  const charts = await page.$$eval('figure.chart', (figs) =>
    figs.map((f) => {
      const svg = f.querySelector('svg');
      const b = svg?.getBoundingClientRect();
      const box = { x: b?.x ?? 0, y: b?.y ?? 0, w: b?.width ?? 0, h: b?.height ?? 0 };
      const texts = [...(svg?.querySelectorAll('text') ?? [])]
        .filter((t) => (t.textContent ?? '').trim() !== '')
        .map((t) => {
          const r = t.getBoundingClientRect();
          return { text: t.textContent ?? '', x: r.x, y: r.y, w: r.width, h: r.height };
        });
      const lines = [...(svg?.querySelectorAll('path') ?? [])].flatMap((p) => {
        const m = /^M\s*(-?[\d.]+)[\s,]+(-?[\d.]+)\s*L\s*(-?[\d.]+)[\s,]+(-?[\d.]+)$/.exec((p.getAttribute('d') ?? '').trim());
        return m ? [{ x1: Number(m[1]), y1: Number(m[2]), x2: Number(m[3]), y2: Number(m[4]), stroke: (p.getAttribute('stroke') ?? '').toLowerCase() }] : [];
      });
      return { id: f.id, marks: svg?.querySelectorAll('path, rect').length ?? 0, points: Number(f.getAttribute('data-points') ?? 0), texts, box, lines };
    }),
  );
  const answer = (await page.textContent('p.answer')) ?? '';
  await page.screenshot({ path: png, fullPage: true });
  await page.close();
  return { errors, charts, answer };
}

/** Pairs of text boxes in one chart that touch: more than a pixel of one inside the other, either way (a title's descenders on the legend below it count). */
export function overlaps(c: ChartSeen): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.texts.length; i += 1) {
    for (let j = i + 1; j < c.texts.length; j += 1) {
      const a = c.texts[i]!;
      const b = c.texts[j]!;
      const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
      const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
      if (w > 1 && h > 1) out.push(`${c.id}: "${a.text}" over "${b.text}" (${Math.round(w)}×${Math.round(h)} px)`);
    }
  }
  return out;
}

/**
 * An axis that repeats a tick label ("0, 0, 0" where the values were 0.0003 apart): numeric labels in one column
 * (a y axis: the same right edge) or one row (an x axis: the same top) that say the same thing twice.
 */
export function repeatedTicks(c: ChartSeen): string[] {
  const numeric = c.texts.filter((t) => /^-?[\d.,\s]+$/.test(t.text.trim()));
  const out: string[] = [];
  for (const key of [(t: TextBox) => `column ${Math.round(t.x + t.w)}`, (t: TextBox) => `row ${Math.round(t.y)}`]) {
    const groups = new Map<string, string[]>();
    for (const t of numeric) groups.set(key(t), [...(groups.get(key(t)) ?? []), t.text.trim()]);
    for (const [where, labels] of groups) {
      if (labels.length < 3) continue;
      const twice = labels.filter((l, i) => labels.indexOf(l) !== i);
      if (twice.length > 0) out.push(`${c.id}: the axis in ${where} says ${[...new Set(twice)].join(', ')} more than once (${labels.join(' | ')})`);
    }
  }
  return out;
}

/** Text drawn past the chart's edges, which the page cuts off (a legend entry read as "connect_timeou"), or shortened. */
export function clipped(c: ChartSeen): string[] {
  const { x, y, w, h } = c.box;
  return c.texts
    .filter((t) => t.x < x - 1 || t.y < y - 1 || t.x + t.w > x + w + 1 || t.y + t.h > y + h + 1 || /…|\.\.\.$/.test(t.text))
    .map((t) => `${c.id}: "${t.text}" is cut off (${Math.round(t.x - x)}..${Math.round(t.x + t.w - x)} of ${Math.round(w)} px wide, ${Math.round(t.y - y)}..${Math.round(t.y + t.h - y)} of ${Math.round(h)} px high)`);
}

/**
 * A y axis drawn inside the plot (its line at x = 0 of a range that starts before 0), where a reader takes it for
 * data. An axis is told by its colour: the colour of the short ticks along it. Every long upright line of that
 * colour belongs at the plot's left or right edge, where the x axis (a long level line of that colour) begins or ends.
 */
export function axisInsidePlot(c: ChartSeen): string[] {
  const ticks = new Set(c.lines.filter((l) => l.y1 === l.y2 && Math.abs(l.x2 - l.x1) <= 8).map((l) => l.stroke));
  const xAxes = c.lines.filter((l) => l.y1 === l.y2 && Math.abs(l.x2 - l.x1) > 100 && ticks.has(l.stroke));
  const edges = xAxes.flatMap((l) => [Math.min(l.x1, l.x2), Math.max(l.x1, l.x2)]);
  return c.lines
    .filter((l) => l.x1 === l.x2 && Math.abs(l.y2 - l.y1) > 40 && ticks.has(l.stroke) && !edges.some((e) => Math.abs(e - l.x1) <= 1))
    .map((l) => `${c.id}: a y axis drawn at x = ${l.x1} px, inside the plot (its edges at ${[...new Set(edges)].join(', ')} px)`);
}
