#!/usr/bin/env node
/** Writes the dashboards (grafana/dashboards/<name>.json) from the code in dashboards.ts. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dashboards } from './dashboards.js';

export const DASHBOARDS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dashboards');

/** The file text of a dashboard, exactly as committed. */
export const dashboardJson = (d: unknown): string => `${JSON.stringify(d, null, 2)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [name, d] of Object.entries(dashboards())) {
    const file = path.join(DASHBOARDS_DIR, `${name}.json`);
    writeFileSync(file, dashboardJson(d));
    console.error(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
