import type { ServerConfig } from '@socklab/shared';
import { native, nativeOptions, type NATIVE_MODE } from '../native.js';
import type { RunningModel } from './model.js';

/**
 * Models whose every socket call is a blocking (or, for polling, non-blocking) syscall on C threads:
 *   sequential  one thread: accept, recv, work, send, close, then the next; the rest wait in the kernel's queue
 *   threaded    one thread blocks in accept; a pthread per connection does the rest
 *   pool        POOL_SIZE threads all blocking in accept on the same socket
 *   polling     one thread, non-blocking accept and recv in a loop (POLL_INTERVAL 0 spins a core)
 */
export function nativeLoop(mode: keyof typeof NATIVE_MODE) {
  return async (config: ServerConfig): Promise<RunningModel> => {
    const n = native();
    const fd = n.listen(config.port, config.backlog);
    const id = n.create(nativeOptions(config, fd, mode));
    n.start(id);
    return {
      counters: () => n.stats(id),
      effectiveBacklog: () => n.listenerInfo(fd).max,
      async stop(): Promise<void> {
        n.stop(id);
      },
    };
  };
}
