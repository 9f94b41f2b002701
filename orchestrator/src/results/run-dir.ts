import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The one place that writes a run's files (results/<run-id>/). Collectors append their own raw files as data
 * arrive, so one failing collector, or a crash, loses nothing the others wrote.
 */
export class RunDir {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(file: string): string {
    return path.join(this.dir, file);
  }

  write(file: string, content: string): string {
    const p = this.path(file);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, content);
    return p;
  }

  append(file: string, line: string): void {
    const p = this.path(file);
    try {
      appendFileSync(p, `${line}\n`);
    } catch {
      mkdirSync(path.dirname(p), { recursive: true });
      appendFileSync(p, `${line}\n`);
    }
  }

  json(file: string, value: unknown): string {
    return this.write(file, `${JSON.stringify(value, null, 2)}\n`);
  }
}
