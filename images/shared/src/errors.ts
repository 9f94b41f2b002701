/** A bad value from a user (flag, environment variable, scenario file). The CLI boundary prints it and exits 2. */
export class ConfigError extends Error {
  readonly exitCode = 2;
  override name = 'ConfigError';
  constructor(message: string) {
    super(message);
  }
}

/** Quote a user's value and the valid choices the same way in every message. */
export function invalid(what: string, value: unknown, valid: string): ConfigError {
  return new ConfigError(`invalid ${what} ${JSON.stringify(value)}: expected ${valid}`);
}
