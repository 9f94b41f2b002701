import type { Model } from '@socklab/shared';
import type { StartModel } from './model.js';
import { startEventLoop } from './event-loop.js';
import { startEventLoopWorkers } from './event-loop-workers.js';
import { nativeLoop } from './native-loop.js';
import { startPrefork } from './prefork.js';
import { startWorkerThreads } from './worker-threads.js';

/** The start function of each model; exhaustive over the closed set of models. */
export function modelStarter(model: Model): StartModel {
  switch (model) {
    case 'event-loop':
      return startEventLoop;
    case 'event-loop-workers':
      return startEventLoopWorkers;
    case 'sequential':
      return nativeLoop('sequential');
    case 'threaded':
      return nativeLoop('threaded');
    case 'pool':
      return nativeLoop('pool');
    case 'polling':
      return nativeLoop('polling');
    case 'prefork':
      return startPrefork;
    case 'worker-threads':
      return startWorkerThreads;
  }
}
