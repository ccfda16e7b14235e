import { proxyActivities, type ActivityInterfaceFor, type ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_FAILURE_TYPES } from './failure-types';

// Activity settings by kind of Azure work, shared by every capability. Transient and throttled
// failures retry without limit (throttled ones after Retry-After, set by the activity);
// NeedsOperator and AzureFatal never retry on their own: the step waits for a person instead.
const retry: ActivityOptions['retry'] = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2m',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/**
 * Quick ARM reads and synchronous PUTs. They heartbeat while they run (each slice wraps its
 * quick activities in `keepAlive`), so a worker that dies inside one is noticed after the
 * heartbeat timeout — seconds on the failover path, where they count against the RTO — and the
 * start-to-close only bounds one attempt on a live worker.
 */
export const QUICK: ActivityOptions = { startToCloseTimeout: '5m', heartbeatTimeout: '10s', retry };

/**
 * Begin-style calls that heartbeat their serialized poller (on every poll and every 5 s) and
 * wait for it; a worker that dies mid-wait is noticed within the heartbeat timeout.
 */
export const LONG_RUNNING: ActivityOptions = { startToCloseTimeout: '4h', heartbeatTimeout: '20s', retry };

/** Waits that poll Azure inside the activity (registration, replication): cheap on history. */
export const WAITING: ActivityOptions = { startToCloseTimeout: '6h', heartbeatTimeout: '45s', retry };

/**
 * Per-VM requests of a large onboarding (a thousand enable-protection PUTs): Temporal dispatches
 * them after every task of the default priority (3) on the task queue, so a tenant's setup does
 * not wait behind another tenant's VMs for a worker slot.
 */
export const BULK_PRIORITY = { priorityKey: 4 };

/**
 * A capability's activities by kind. `quick` offers only the activities the capability declares
 * quick (and wraps in a heartbeat), so none can run with a seconds-long heartbeat timeout and
 * no heartbeat.
 */
export interface ActivityKinds<A, Q extends keyof A> {
  quick: ActivityInterfaceFor<Pick<A, Q>>;
  longRunning: ActivityInterfaceFor<A>;
  waiting: ActivityInterfaceFor<A>;
  /** Long-running settings at bulk priority (`BULK_PRIORITY`). */
  bulk: ActivityInterfaceFor<A>;
}

/**
 * The activities a step calls, labelled with a summary (the step's title): the workflow's
 * timeline in the Temporal UI then reads as the runbook, step by step, instead of bare names.
 */
export function activityKinds<A, Q extends keyof A>(summary?: string): ActivityKinds<A, Q> {
  const label = summary === undefined ? {} : { summary };
  return {
    quick: proxyActivities<Pick<A, Q>>({ ...QUICK, ...label }),
    longRunning: proxyActivities<A>({ ...LONG_RUNNING, ...label }),
    waiting: proxyActivities<A>({ ...WAITING, ...label }),
    bulk: proxyActivities<A>({ ...LONG_RUNNING, ...label, priority: BULK_PRIORITY }),
  };
}
