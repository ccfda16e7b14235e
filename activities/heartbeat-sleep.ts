import { Context } from '@temporalio/activity';

const BEAT_MS = 10_000;

/**
 * Sleeps like Context.sleep (cancellable) but heartbeats at least every 10 s meanwhile, so
 * activities that wait long between looks at Azure can keep a short heartbeat timeout and a
 * dead worker's wait is taken over quickly.
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
