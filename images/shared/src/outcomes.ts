/** How one client connection ended: one closed set used by the swarm, the server, metrics and reports. */
export const OUTCOMES = ['ok', 'refused', 'reset', 'connect_timeout', 'read_timeout', 'error'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Zero counts for every outcome, so summaries always list the whole set. */
export function emptyOutcomeCounts(): Record<Outcome, number> {
  return { ok: 0, refused: 0, reset: 0, connect_timeout: 0, read_timeout: 0, error: 0 };
}

/**
 * Classify a socket error code into an outcome. Timeouts are decided by the caller (it knows which
 * phase timed out), so only the kernel's answers are mapped here.
 */
export function outcomeOfErrno(code: string | undefined): Outcome {
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    case 'ETIMEDOUT':
      return 'connect_timeout';
    default:
      return 'error';
  }
}
