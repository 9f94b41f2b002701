import { ConfigError } from './errors.js';

/**
 * How a failure ends a socklab program: a bad value from the user (ConfigError) is one line and exit 2, anything
 * else is the failure and exit 1.
 */
export function failureOf(name: string, err: unknown): { readonly line: string; readonly code: number } {
  if (err instanceof ConfigError) return { line: `${name}: ${err.message}`, code: err.exitCode };
  return { line: `${name}: failed: ${err instanceof Error ? err.message : String(err)}`, code: 1 };
}

/** The boundary of every socklab image's entry point: run `main`, and end a failure as failureOf says. */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const { line, code } = failureOf(name, err);
    console.error(line);
    process.exit(code);
  });
}
