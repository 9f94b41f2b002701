import { ConfigError } from './errors.js';

/**
 * The boundary of every socklab image's entry point: run `main`; a bad value from the user (ConfigError)
 * prints one line and exits 2, anything else prints the failure and exits 1.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(`${name}: ${err.message}`);
      process.exit(err.exitCode);
    }
    console.error(`${name}: failed:`, err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
