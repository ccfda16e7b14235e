import type { FailoverActivities, FailoverQuickActivity } from '../activities';
import { proxyActivities } from '@temporalio/workflow';
import { activityKinds, type ActivityKinds } from '../../temporal/workflow/activity-options';
import { NON_RETRYABLE_FAILURE_TYPES } from '../../temporal/workflow/failure-types';

// Failover's activities as its workflow calls them (types only: the worker runs them).

export type FailoverActivityKinds = ActivityKinds<FailoverActivities, FailoverQuickActivity>;

/** Failover's activities, each call labelled with `summary` in the Temporal UI. */
export const failoverActivities = (summary?: string): FailoverActivityKinds =>
  activityKinds<FailoverActivities, FailoverQuickActivity>(summary);

/**
 * The activities that issue an action and follow its job, labelled `summary`. Their heartbeat
 * timeout is seconds, not minutes: a worker that dies while an action is issued or its job
 * followed is replaced within it (the activities beat every few seconds), and it counts against RTO.
 */
export const jobActivities =
  (heartbeatTimeout = '15s') =>
  (summary: string): FailoverActivities =>
    proxyActivities<FailoverActivities>({
      startToCloseTimeout: '4h',
      heartbeatTimeout,
      summary,
      retry: {
        initialInterval: '1s',
        backoffCoefficient: 2,
        maximumInterval: '1m',
        nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
      },
    });
