import type { ChildProcess } from 'node:child_process';

/** SIGTERM each worker process of a model (prefork, event-loop-workers) and wait until every one has exited. */
export function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  return Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
        }),
    ),
  ).then(() => undefined);
}
