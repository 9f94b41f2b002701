import { setMaxListeners } from 'node:events';
import type { ContainerHandle, ContainerRuntime } from '../runtime/runtime.js';
import type { ContainerSpec } from '../runtime/spec.js';

/**
 * The containers a trial started, and the work that follows them (log and stats streams). Every start is tracked
 * from the moment it is asked for, so a trial that fails or is interrupted half-way removes all it made, the
 * starts still in flight included.
 */
export class TrialStack {
  private readonly handles: ContainerHandle[] = [];
  private readonly starts: Array<Promise<unknown>> = [];
  private readonly background: Array<Promise<unknown>> = [];
  private readonly ends: Array<() => Promise<unknown>> = [];
  private tornDown = false;
  private readonly stopper = new AbortController();
  private readonly unlink: () => void;

  constructor(
    private readonly rt: ContainerRuntime,
    run: AbortSignal,
  ) {
    // Every stream and wait of the trial listens to it: a trial of several servers has dozens, none leaked.
    setMaxListeners(0, this.stopper.signal);
    const onAbort = (): void => this.stopper.abort();
    if (run.aborted) this.stopper.abort();
    else run.addEventListener('abort', onAbort, { once: true });
    this.unlink = () => run.removeEventListener('abort', onAbort);
  }

  /** Aborted when the run is, and when the trial's teardown begins: every wait of the trial ends on it. */
  get signal(): AbortSignal {
    return this.stopper.signal;
  }

  /** End every wait of the trial (a start failed, so the rest need not be waited for); the teardown follows. */
  abort(): void {
    this.stopper.abort();
  }

  /** Create and start a container, tracked for the teardown. */
  start(spec: ContainerSpec): Promise<ContainerHandle> {
    const p = this.rt.start(spec).then((h) => (this.handles.push(h), h));
    this.starts.push(p.catch(() => {}));
    return p;
  }

  /** Forget a container removed on purpose (a probe replaced by another). */
  async replace(h: ContainerHandle): Promise<void> {
    this.handles.splice(this.handles.indexOf(h), 1);
    await h.remove();
  }

  /** Work that follows the trial's containers (a stream reader); it ends with them. */
  follow(work: Promise<unknown>): void {
    this.background.push(work.catch(() => {}));
  }

  /** What the teardown ends besides its containers (a swarm agent's job still running); at once if it has begun. */
  atTeardown(end: () => Promise<unknown>): void {
    if (this.tornDown) void end().catch(() => {});
    else this.ends.push(end);
  }

  get started(): readonly ContainerHandle[] {
    return this.handles;
  }

  /**
   * Kill and remove every container at once, in parallel (nothing in them is worth a graceful stop), and end what
   * else it ran, after the starts still in flight have landed. Resolves with how long it took, in ms.
   */
  async teardown(): Promise<number> {
    const t0 = performance.now();
    this.tornDown = true;
    this.stopper.abort();
    this.unlink();
    await Promise.allSettled(this.starts);
    await Promise.all([...this.handles.map((h) => h.remove().catch(() => {})), ...this.ends.map((end) => end().catch(() => {}))]);
    // The streams end with their containers; a stream the engine never closes is not waited for long.
    await Promise.race([Promise.allSettled(this.background), new Promise((r) => setTimeout(r, 1000).unref())]);
    return performance.now() - t0;
  }
}
