import type { OffboardingActivities, OffboardingQuickActivity } from '../activities';
import { activityKinds, type ActivityKinds } from '../../temporal/workflow/activity-options';

// Offboarding's activities as its workflow calls them (types only: the worker runs them).

export type OffboardingActivityKinds = ActivityKinds<OffboardingActivities, OffboardingQuickActivity>;

/** Offboarding's activities, each call labelled with `summary` in the Temporal UI. */
export const offboardingActivities = (summary?: string): OffboardingActivityKinds =>
  activityKinds<OffboardingActivities, OffboardingQuickActivity>(summary);
