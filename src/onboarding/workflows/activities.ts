import type { OnboardingActivities, OnboardingQuickActivity } from '../activities';
import { activityKinds, type ActivityKinds } from '../../temporal/workflow/activity-options';
import type { StepRunner } from '../../temporal/workflow/steps';

// Onboarding's activities as its workflows call them (types only: the worker runs them).

export type OnboardingActivityKinds = ActivityKinds<OnboardingActivities, OnboardingQuickActivity>;

/** Onboarding's activities, each call labelled with `summary` in the Temporal UI. */
export const onboardingActivities = (summary?: string): OnboardingActivityKinds =>
  activityKinds<OnboardingActivities, OnboardingQuickActivity>(summary);

/** The step runner of an onboarding workflow: each step receives onboarding's activities. */
export type OnboardingSteps = StepRunner<OnboardingActivityKinds>;
