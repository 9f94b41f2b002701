/**
 * What failed in a long test run, told once more at its very end: each failure's name, where it is and its
 * error, from the run's TAP. A failed hook cancels every test under it, and the error that says why is printed
 * far above the last lines of a 20-minute run; here it comes last, where a reader (or a CI excerpt) looks.
 */
export interface Failure {
  readonly name: string;
  readonly location: string;
  readonly failureType: string;
  readonly error: string;
}

const NOT_OK = /^(\s*)not ok \d+ - (.*)$/;

/** The failures in a TAP text, in order; tests cancelled because their parent failed are counted, not listed. */
export function failuresOf(tap: string): { failures: Failure[]; cancelled: number } {
  const lines = tap.split('\n');
  const failures: Failure[] = [];
  let cancelled = 0;
  for (let i = 0; i < lines.length; i += 1) {
    const m = NOT_OK.exec(lines[i] ?? '');
    if (!m) continue;
    const fields = yamlBlock(lines, i + 1, (m[1] ?? '').length + 2);
    if (fields.failureType === 'cancelledByParent') {
      cancelled += 1;
      continue;
    }
    // A suite that failed only because a test in it did adds nothing to that test's own entry.
    if (fields.failureType === 'subtestsFailed') continue;
    failures.push({ name: m[2] ?? '', location: fields.location ?? '', failureType: fields.failureType ?? '', error: fields.error ?? '' });
  }
  return { failures, cancelled };
}

/** The top-level keys of the YAML block that starts at `from` (`---` ... `...`, indented by `indent`). */
function yamlBlock(lines: readonly string[], from: number, indent: number): Record<string, string> {
  const pad = ' '.repeat(indent);
  const out: Record<string, string> = {};
  if (lines[from]?.trimEnd() !== `${pad}---`) return out;
  let key: string | undefined;
  for (let i = from + 1; i < lines.length; i += 1) {
    const line = lines[i] ?? '';
    if (line.trimEnd() === `${pad}...`) break;
    const kv = line.startsWith(pad) && !line.startsWith(`${pad} `) ? /^([A-Za-z_]+):\s?(.*)$/.exec(line.slice(indent)) : null;
    if (kv) {
      key = kv[1]!;
      const v = kv[2] ?? '';
      out[key] = v === '|-' || v === '|' ? '' : unquote(v);
    } else if (key !== undefined && out[key] !== undefined) {
      out[key] = `${out[key] === '' ? '' : `${out[key]}\n`}${line.slice(indent + 2)}`;
    }
  }
  return out;
}

function unquote(v: string): string {
  return v.startsWith("'") && v.endsWith("'") ? v.slice(1, -1).replaceAll("''", "'") : v;
}

/** The digest as printed: each failure with up to `maxLines` lines of its error. */
export function digest(tap: string, maxLines = 24): string {
  const { failures, cancelled } = failuresOf(tap);
  if (failures.length === 0 && cancelled === 0) return '';
  const head = `run-tests: ${failures.length} failure${failures.length === 1 ? '' : 's'}${cancelled > 0 ? `, and ${cancelled} test${cancelled === 1 ? '' : 's'} cancelled by them` : ''}:`;
  const body = failures.map((f) => {
    const error = f.error.trimEnd().split('\n');
    const shown = error.slice(0, maxLines).map((l) => `      ${l}`);
    if (error.length > maxLines) shown.push(`      (${error.length - maxLines} more lines above, in the run's output)`);
    return [`  x ${f.name}`, `    at ${f.location}${f.failureType ? ` (${f.failureType})` : ''}`, ...shown].join('\n');
  });
  return [head, ...body].join('\n');
}
