import type { Model } from '@socklab/shared';
import type { StartModel } from './model.js';
import { startEventLoop } from './event-loop.js';

/** The start function of each model; exhaustive over the closed set of models. */
export async function modelStarter(model: Model): Promise<StartModel> {
  switch (model) {
    case 'event-loop':
      return startEventLoop;
    case 'sequential':
    case 'threaded':
    case 'worker-threads':
    case 'pool':
    case 'prefork':
    case 'polling':
      throw new Error(`model ${model} is not built yet`);
  }
}
