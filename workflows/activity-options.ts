import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities, QuickActivities } from '../activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '../domain/failure-types';

// Activity settings by kind of Azure work. Transient and throttled failures retry without
// limit (throttled ones after Retry-After, set by the activity); NeedsOperator and AzureFatal
// never retry on their own: the step waits for a person instead.
const retry: ActivityOptions['retry'] = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '2m',
  nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
};

/**
 * Quick ARM reads and synchronous PUTs. They heartbeat while they run (activities/index.ts
 * QUICK_ACTIVITIES), so a worker that dies inside one is noticed after the heartbeat timeout —
 * seconds on the failover path, where they count against the RTO — and the start-to-close only
 * bounds one attempt on a live worker.
 */
const QUICK: ActivityOptions = { startToCloseTimeout: '5m', heartbeatTimeout: '10s', retry };
export const quick = proxyActivities<QuickActivities>(QUICK);

/**
 * Begin-style calls that heartbeat their serialized poller (on every poll and every 5 s) and
 * wait for it; a worker that dies mid-wait is noticed within the heartbeat timeout.
 */
const LONG_RUNNING: ActivityOptions = { startToCloseTimeout: '4h', heartbeatTimeout: '20s', retry };
export const longRunning = proxyActivities<Activities>(LONG_RUNNING);

/** Waits that poll Azure inside the activity (registration, replication): cheap on history. */
const WAITING: ActivityOptions = { startToCloseTimeout: '6h', heartbeatTimeout: '45s', retry };
export const waiting = proxyActivities<Activities>(WAITING);

/** The three kinds of activities, each call labelled with a summary the Temporal UI shows. */
export interface StepActivities {
  quick: typeof quick;
  longRunning: typeof longRunning;
  waiting: typeof waiting;
}

/**
 * The activities a step calls, labelled with the step's title: the workflow's timeline in the
 * Temporal UI then reads as the runbook, step by step, instead of bare activity names.
 */
export function activitiesFor(summary: string): StepActivities {
  return {
    quick: proxyActivities<QuickActivities>({ ...QUICK, summary }),
    longRunning: proxyActivities<Activities>({ ...LONG_RUNNING, summary }),
    waiting: proxyActivities<Activities>({ ...WAITING, summary }),
  };
}
