import type { ExitReport } from '../results/types.js';
import type { ExitInfo } from '../runtime/runtime.js';

/** How a container ended, as facts (the report words them in each language); an OOM kill keeps the limit it hit. */
export const exitReport = (e: ExitInfo, memoryBytes?: number): ExitReport => ({
  code: e.code,
  oomKilled: e.oomKilled,
  ...(e.oomKilled && memoryBytes ? { memoryLimitBytes: memoryBytes } : {}),
});
