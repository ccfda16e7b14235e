import type { FailoverActivities, FailoverQuickActivity } from '../activities';
import { activityKinds, type ActivityKinds } from '../../temporal/workflow/activity-options';

// Failover's activities as its workflow calls them (types only: the worker runs them).

export type FailoverActivityKinds = ActivityKinds<FailoverActivities, FailoverQuickActivity>;

/** Failover's activities, each call labelled with `summary` in the Temporal UI. */
export const failoverActivities = (summary?: string): FailoverActivityKinds =>
  activityKinds<FailoverActivities, FailoverQuickActivity>(summary);
