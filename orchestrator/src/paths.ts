import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root (orchestrator/dist/paths.js -> ../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** socklab's version, as its package says it (what `socklab --version` prints and every results.json records). */
export function socklabVersion(): string {
  return (JSON.parse(readFileSync(path.join(REPO_ROOT, 'orchestrator', 'package.json'), 'utf8')) as { version: string }).version;
}
