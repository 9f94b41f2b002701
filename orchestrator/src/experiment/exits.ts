import { explainExit } from '../errors.js';
import { fmt } from '../report/lang.js';
import type { ExitReport } from '../results/types.js';
import type { ExitInfo } from '../runtime/runtime.js';

/** How a container ended, for people; an OOM kill names the memory limit it hit. */
export const exitReport = (e: ExitInfo, memoryBytes?: number): ExitReport => ({
  code: e.code,
  oomKilled: e.oomKilled,
  explanation: e.oomKilled
    ? `exit ${e.code}: killed by the kernel because it ran out of memory (OOM)${memoryBytes ? `, at its limit of ${fmt('en').mib(memoryBytes)}` : ''}`
    : explainExit(e.code),
  ...(e.oomKilled && memoryBytes ? { memoryLimitBytes: memoryBytes } : {}),
});
