import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './paths.js';

/**
 * The orchestrator's folders, lowest first: each imports only from folders below it (or from itself), so the flow
 * runs one way, scenario -> plan -> runtime -> roles -> collect -> results -> report, with the engine, the check,
 * the commands and the CLI on top. Test files may import anything.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'paths.ts'],
  ['scenario', 'runtime'],
  ['roles', 'lab', 'cluster', 'testing'],
  ['plan'],
  ['results'],
  ['collect'],
  ['report'],
  ['experiment'],
  ['check'],
  ['commands'],
  ['cli.ts', 'index.ts'],
];
const SRC = path.join(REPO_ROOT, 'orchestrator', 'src');

/** The layer of a file: its folder under src/, or its own name at the top. */
function layerOf(rel: string): number {
  const top = rel.split('/')[0]!;
  const i = LAYERS.findIndex((l) => l.includes(top));
  assert.ok(i >= 0, `${rel} is in no layer: add its folder to LAYERS`);
  return i;
}

/** The functions of a file longer than `max` lines (declarations, methods, arrows and function expressions). */
function longFunctions(file: string, max: number): Array<{ file: string; line: number; name: string; lines: number }> {
  const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out: Array<{ file: string; line: number; name: string; lines: number }> = [];
  const visit = (n: ts.Node): void => {
    if (ts.isFunctionLike(n) && 'body' in n && n.body) {
      const start = src.getLineAndCharacterOfPosition(n.getStart(src)).line;
      const end = src.getLineAndCharacterOfPosition(n.getEnd()).line;
      const name = (n as ts.FunctionLikeDeclaration).name?.getText(src) ?? '(anonymous)';
      if (end - start + 1 > max) out.push({ file, line: start + 1, name, lines: end - start + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe("the orchestrator's layers", () => {
  it('every import goes down (or stays in its folder): no folder imports one above it', () => {
    const upward: string[] = [];
    let edges = 0;
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file);
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!)).replace(/\.js$/, '.ts');
        edges += 1;
        if (layerOf(target) > layerOf(rel)) upward.push(`${rel} imports ${target}`);
      }
    }
    assert.ok(edges > 100, `read the imports (${edges})`);
    assert.deepEqual(upward, []);
  });

  it('only runtime/ talks to dockerode, and commands/ run no process of their own', () => {
    const offenders: string[] = [];
    for (const file of sources(SRC)) {
      const rel = path.relative(SRC, file);
      const text = readFileSync(file, 'utf8');
      if (/from 'dockerode'/.test(text) && !rel.startsWith('runtime/')) offenders.push(`${rel} imports dockerode`);
      if (/from 'node:child_process'/.test(text) && rel.startsWith('commands/')) offenders.push(`${rel} runs processes`);
    }
    assert.deepEqual(offenders, []);
  });

  it('no function is longer than a reader holds in mind (80 lines)', () => {
    const long = sources(SRC).flatMap((file) => longFunctions(file, 80)).sort((a, b) => b.lines - a.lines);
    assert.deepEqual(long.map((f) => `${path.relative(SRC, f.file)}:${f.line} ${f.name} (${f.lines} lines)`), []);
    // The check itself sees long functions: this test file's own describe callback is one.
    assert.ok(longFunctions(path.join(SRC, 'layers.test.ts'), 20).length > 0);
  });

  it('finds an upward import when there is one (the check itself can fail)', () => {
    assert.ok(layerOf('report/render.ts') > layerOf('results/types.ts'));
    assert.ok(layerOf('runtime/docker.ts') < layerOf('plan/types.ts'));
  });
});
