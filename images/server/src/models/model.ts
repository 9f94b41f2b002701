import type { ServerConfig } from '@socklab/shared';
import type { ServerStats } from '../stats.js';

/** A running server model. `stop` stops accepting, lets nothing hang, and resolves when done. */
export interface RunningModel {
  stop(): Promise<void>;
}

export type StartModel = (config: ServerConfig, stats: ServerStats) => Promise<RunningModel>;
