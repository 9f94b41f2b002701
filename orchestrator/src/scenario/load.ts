import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { ConfigError } from '@socklab/shared';
import { validateScenario, type Scenario, type ScenarioIssue } from '@socklab/shared/scenario';
import { REPO_ROOT } from '../paths.js';

const SCENARIOS_DIR = path.join(REPO_ROOT, 'orchestrator', 'scenarios');

/** The built-in scenarios: orchestrator/scenarios/<name>.yaml, in file order (numbered like the course's stages). */
export function builtinScenarios(): Array<{ name: string; file: string; scenario: Scenario }> {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const file = path.join(SCENARIOS_DIR, f);
      const scenario = parseScenarioText(readFileSync(file, 'utf8'), file);
      return { name: scenario.name, file, scenario };
    });
}

/** One line per problem: `file:line:col: path: invalid value V: expected ...`. */
export function formatIssues(issues: readonly ScenarioIssue[], where: (i: number) => string): string {
  return issues
    .map((i, n) => `${where(n)}${i.path}: ${i.value === undefined ? '' : `invalid value ${JSON.stringify(i.value)}: `}${i.message}`)
    .join('\n');
}

function position(doc: Document, lc: LineCounter, p: PropertyKey[], file: string, preferKey: boolean): string {
  // The value's node when there is one, else its key (an unknown key), else the nearest parent.
  for (let n = p.length; n >= 0; n -= 1) {
    const node = doc.getIn(p.slice(0, n) as Array<string | number>, true) as { range?: [number, number] } | undefined;
    let offset = node?.range?.[0];
    if (n === p.length - 1 || offset === undefined || (preferKey && n === p.length)) {
      const parent = doc.getIn(p.slice(0, -1) as Array<string | number>, true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === p[p.length - 1]);
        const k = pair?.key as { range?: [number, number] } | undefined;
        if (k?.range) offset = k.range[0];
      }
    }
    if (offset !== undefined) {
      const { line, col } = lc.linePos(offset);
      return `${file}:${line}:${col}: `;
    }
  }
  return `${file}: `;
}

/** Parse and validate a scenario's YAML; every problem at once, each with file:line:col, path, value and forms. */
export function parseScenarioText(text: string, file: string): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors
        .map((e) => {
          const pos = e.linePos?.[0];
          return `${file}${pos ? `:${pos.line}:${pos.col}` : ''}: invalid YAML: ${(e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`;
        })
        .join('\n'),
    );
  }
  const r = validateScenario(doc.toJS());
  if (r.ok) return r.scenario;
  throw new ConfigError(`${file}: ${r.issues.length} problem(s)\n${formatIssues(r.issues, (i) => position(doc, lc, r.paths[i] ?? [], file, r.issues[i]?.message.startsWith('unknown key') ?? false))}`);
}

/** A scenario by built-in name or by file path. Unknown names list the built-in ones. */
export function loadScenario(ref: string): { scenario: Scenario; source: string } {
  const looksLikeFile = /\.ya?ml$/i.test(ref) || ref.includes('/') || ref.includes(path.sep);
  if (looksLikeFile || existsSync(ref)) {
    if (!existsSync(ref)) throw new ConfigError(`invalid scenario file ${JSON.stringify(ref)}: no such file`);
    return { scenario: parseScenarioText(readFileSync(ref, 'utf8'), ref), source: path.resolve(ref) };
  }
  const builtin = builtinScenarios().find((b) => b.name === ref);
  if (!builtin) {
    throw new ConfigError(
      `invalid scenario ${JSON.stringify(ref)}: expected a built-in scenario (${builtinScenarios().map((b) => b.name).join(', ')}) or a .yaml file`,
    );
  }
  return { scenario: builtin.scenario, source: `builtin:${builtin.name}` };
}
