/** An error the CLI explains in one message: what failed, where, and what to do. */
export class SocklabError extends Error {
  override name = 'SocklabError';
  constructor(
    message: string,
    readonly details: { hint?: string; container?: string; exitCode?: number; cause?: unknown } = {},
  ) {
    super(message);
  }
}

/** The engine stopped answering in the middle of something (its socket closed, the daemon died or hung). */
export class EngineLostError extends SocklabError {
  override name = 'EngineLostError';
}

/** What a container's exit means to a person at the terminal, and in the English report (the Portuguese one words it its own way). */
export function explainExit(code: number, oomKilled = false): string {
  if (oomKilled) return `exit ${code}: killed by the kernel because it ran out of memory (OOM)`;
  if (code === 137) return 'exit 137: killed (SIGKILL), usually out of memory (OOM) or `docker kill`';
  if (code === 143) return 'exit 143: stopped with SIGTERM';
  if (code === 2) return 'exit 2: bad configuration (see its log)';
  return `exit ${code}`;
}
