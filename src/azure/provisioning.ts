import { sleepWithHeartbeats } from '../temporal/heartbeat';
import { needsOperator, type FailureDetails } from './failures';

/** How long a read-first step waits for an object someone else is still creating. */
export interface ProvisioningWait {
  /** Bound of the wait; then the step pauses for the operator. Default 10 minutes. */
  maxWaitMs: number;
  /** Interval between two looks. */
  pollMs: number;
}

export const DEFAULT_PROVISIONING_WAIT: ProvisioningWait = { maxWaitMs: 10 * 60_000, pollMs: 10_000 };

export type ProvisioningLook =
  | { state: 'ready' }
  | { state: 'pending'; detail: string }
  | { state: 'failed'; detail: string; failure?: FailureDetails & { message?: string } };

/**
 * A read-first step found its object, but still being created (an earlier attempt whose answer
 * was lost, another tool, a second worker). Using it now fails the next step (e.g. pairing a
 * cloud with a policy still being created is refused) and creating it again would duplicate it:
 * wait for it, looking again at an interval and heartbeating meanwhile, within a bound. A failed
 * creation, or one still unfinished at the bound, pauses the step for the operator.
 */
export async function waitUntilProvisioned(
  what: string,
  look: () => Promise<ProvisioningLook>,
  wait: ProvisioningWait,
): Promise<{ waitedMs: number }> {
  const started = Date.now();
  for (let looks = 1; ; looks++) {
    const seen = await look();
    if (seen.state === 'ready') return { waitedMs: Date.now() - started };
    if (seen.state === 'failed') {
      throw needsOperator(`${what} ${seen.detail}${seen.failure?.message ? `: ${seen.failure.message}` : ''}`, {
        ...seen.failure,
        fix:
          seen.failure?.recommendedAction ??
          `look at its job in the vault (Site Recovery jobs), remove the failed ${what} if it is left behind, then retry`,
      });
    }
    const waited = Date.now() - started;
    if (waited >= wait.maxWaitMs) {
      const took = waited >= 120_000 ? `${Math.round(waited / 60_000)} min` : `${Math.round(waited / 1000)} s`;
      throw needsOperator(`${what} is still ${seen.detail} after ${took} of waiting`, {
        code: 'ProvisioningNotFinished',
        fix: `follow its job in the vault (Site Recovery jobs) until it finishes, or remove the ${what} if it is stuck, then retry`,
      });
    }
    await sleepWithHeartbeats(Math.min(wait.pollMs, Math.max(1, wait.maxWaitMs - waited)), {
      provisioning: what,
      looks,
    });
  }
}
