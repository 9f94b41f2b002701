import type { ServerConfig } from '@socklab/shared';
import type { StatsSource } from '../stats.js';

/** A running server model: a source of counters that can be stopped. */
export interface RunningModel extends StatsSource {
  stop(): Promise<void>;
}

export type StartModel = (config: ServerConfig) => Promise<RunningModel>;
