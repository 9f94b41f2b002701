import type { RunEvent } from './events.js';

/**
 * The run's progress on stderr. On a terminal: phases as lines and one live status line redrawn in place.
 * Elsewhere (CI logs, pipes): plain lines only, the live counts at most once a second.
 */
export function terminalProgress(out: NodeJS.WriteStream = process.stderr, isTty = Boolean(out.isTTY)): (e: RunEvent) => void {
  let status = '';
  let lastPlain = 0;
  const clear = (): void => {
    if (isTty && status) out.write('\r\x1b[2K');
  };
  const line = (text: string): void => {
    clear();
    out.write(`${text}\n`);
    if (isTty && status) out.write(status);
  };
  return (e) => {
    switch (e.type) {
      case 'phase':
        // The swarms are done: their last counts stay on screen as a line of their own.
        if (isTty && status) {
          out.write('\n');
          status = '';
        }
        line(`socklab: ${e.trial === '-' ? '' : `[trial ${e.trial}/${e.trials}] `}${e.phase}: ${e.detail}`);
        return;
      case 'line':
        line(`socklab: ${e.trial === '-' ? '' : `[trial ${e.trial}] `}${e.source}: ${e.text.replace(/^socklab swarm: /, '')}`);
        return;
      case 'warn':
        line(`socklab: warning: ${e.message}`);
        return;
      case 'live': {
        const o = e.outcomes;
        const timeouts = o.connect_timeout + o.read_timeout;
        const queue = e.acceptQueue === null ? '' : `  accept queue ${e.acceptQueue}/${e.acceptQueueMax ?? '?'}`;
        const text = `[trial ${e.trial}] ${(Math.max(0, e.elapsedMs) / 1000).toFixed(1)}s  ok ${o.ok}  refused ${o.refused}  reset ${o.reset}  timeouts ${timeouts}  errors ${o.error}  in flight ${e.inFlight}${queue}`;
        if (isTty) {
          clear();
          status = text;
          out.write(text);
        } else if (Date.now() - lastPlain >= 1000) {
          lastPlain = Date.now();
          out.write(`socklab: ${text}\n`);
        }
        return;
      }
    }
  };
}

/** End the live line so later output starts on a fresh line. */
export function endProgress(out: NodeJS.WriteStream = process.stderr): void {
  if (out.isTTY) out.write('\r\x1b[2K');
}
