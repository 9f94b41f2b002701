import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '@socklab/shared';
import type { Scenario } from '@socklab/shared/scenario';

/** Python programs may be up to this big (they travel in an environment variable). */
const MAX_PROGRAM_BYTES = 256 * 1024;

/**
 * Read the Python programs a scenario names (paths relative to `baseDir`: the scenario file's folder, or the
 * working directory for flags). Returns each file's source in base64, keyed by the path as written.
 */
export function readPrograms(s: Scenario, baseDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  s.servers.forEach((srv, i) => {
    if (srv.program === undefined) return;
    const file = path.resolve(baseDir, srv.program);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new ConfigError(`invalid servers[${i}].program ${JSON.stringify(srv.program)}: no such file (looked for ${file}); expected the path of a Python file`);
    }
    const source = readFileSync(file);
    if (source.length > MAX_PROGRAM_BYTES) throw new ConfigError(`invalid servers[${i}].program ${JSON.stringify(srv.program)}: ${source.length} bytes; expected at most ${MAX_PROGRAM_BYTES}`);
    out[srv.program] = source.toString('base64');
  });
  return out;
}
