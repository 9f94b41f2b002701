/** Resolves after `ms`, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // An abort that already happened fires no event: resolve now rather than wait the whole time.
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * A signal that aborts when `parent` does, or once `ms` have passed, whichever comes first; `clear()` ends the
 * wait (call it once done: it aborts the signal too, so a sleep tied to it ends and holds no timer). Its timer is
 * held here, strongly: an `AbortSignal.timeout()` inside `AbortSignal.any()` is referenced only weakly and can be
 * garbage-collected before it fires, leaving a wait unbounded.
 */
export function deadline(parent: AbortSignal | undefined, ms: number): { readonly signal: AbortSignal; clear(): void } {
  const c = new AbortController();
  const onAbort = (): void => c.abort();
  if (parent?.aborted) c.abort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => c.abort(), ms);
  c.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return {
    signal: c.signal,
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
      c.abort();
    },
  };
}
