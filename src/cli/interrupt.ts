/**
 * Ctrl-C (or SIGTERM) as an AbortSignal: what ends a `--watch`, or a `dev up` / demo that stays
 * up. Only the caller's wait ends; workflows on the server go on.
 */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return controller.signal;
}

/** Resolves on Ctrl-C or SIGTERM. */
export function waitForInterrupt(): Promise<void> {
  const signal = interruptSignal();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
