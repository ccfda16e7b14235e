import { Context } from '@temporalio/activity';

/** How often a waiting or keep-alive activity heartbeats: well inside the shortest heartbeat timeout (10 s). */
export const BEAT_MS = 3_000;

/**
 * Sleeps like Context.sleep (cancellable) but heartbeats meanwhile, so activities that wait long
 * between looks at Azure can keep a short heartbeat timeout and a dead worker's wait is taken
 * over quickly.
 */
export async function sleepWithHeartbeats(ms: number, details?: unknown): Promise<void> {
  const context = Context.current();
  let left = ms;
  while (left > 0) {
    const step = Math.min(left, BEAT_MS);
    await context.sleep(step);
    left -= step;
    context.heartbeat(details);
  }
}

/** A heartbeat that repeats by itself; `set` sends new details now and repeats those from then on. */
export interface Beat {
  set(details: unknown): void;
  stop(): void;
}

/**
 * Heartbeats every BEAT_MS until stopped, repeating the latest details (a checkpoint must not be
 * replaced by an empty heartbeat). Azure calls do not heartbeat by themselves; with this an
 * activity made of a few of them can run under a heartbeat timeout of seconds, so a worker that
 * dies inside it is noticed in seconds rather than at its start-to-close timeout.
 */
export function keepBeating(initial?: unknown): Beat {
  const context = Context.current();
  let details = initial;
  context.heartbeat(details);
  const timer = setInterval(() => context.heartbeat(details), BEAT_MS);
  return {
    set(next) {
      details = next;
      context.heartbeat(details);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Runs `fn` with a keep-alive heartbeat (no details) for as long as it runs. */
export function keepAlive<I extends unknown[], O>(fn: (...args: I) => Promise<O>): (...args: I) => Promise<O> {
  return async (...args: I) => {
    const beat = keepBeating();
    try {
      return await fn(...args);
    } finally {
      beat.stop();
    }
  };
}

/** Wraps the named activities of a capability in `keepAlive` (its quick ones), in place. */
export function keepAliveEach<T extends object>(activities: T, names: ReadonlyArray<keyof T>): T {
  const table = activities as Record<PropertyKey, (...args: unknown[]) => Promise<unknown>>;
  for (const name of names) {
    const activity = table[name];
    if (activity) table[name] = keepAlive(activity);
  }
  return activities;
}
