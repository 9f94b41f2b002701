import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@socklab/shared';
import { RESULTS_SCHEMA_VERSION, ResultsSchema, type Results } from './types.js';

/** Read results/<id>/results.json strictly: a file of another schema version or shape is refused, not guessed at. */
export function readResults(dir: string): Results {
  const file = path.join(dir, 'results.json');
  if (!existsSync(file)) throw new ConfigError(`invalid results directory ${JSON.stringify(dir)}: expected a folder with results.json (as written by socklab run)`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(`invalid ${file}: not JSON (${(e as Error).message})`);
  }
  const version = (raw as { schemaVersion?: unknown }).schemaVersion;
  if (version !== RESULTS_SCHEMA_VERSION) throw new ConfigError(`invalid ${file}: schemaVersion ${JSON.stringify(version)}; this socklab reads version ${RESULTS_SCHEMA_VERSION}`);
  const r = ResultsSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(`invalid ${file}: ${i ? `${i.path.join('.')}: ${i.message}` : 'unreadable'}`);
  }
  return r.data;
}
