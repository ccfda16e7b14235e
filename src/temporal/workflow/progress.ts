import { defineQuery, defineUpdate } from '@temporalio/workflow';

// Messages and progress shapes shared by the workflows and the CLI. Pure: workflows import it.

export type StepState = 'pending' | 'running' | 'waiting-for-operator' | 'done' | 'skipped' | 'abandoned';

export interface StepError {
  message: string;
  type?: string;
  code?: string;
  possibleCauses?: string;
  recommendedAction?: string;
  fix?: string;
  /** Azure's x-ms-request-id of the failed request, for a support case. */
  requestId?: string;
}

export interface StepProgress {
  name: string;
  title: string;
  state: StepState;
  startedAt?: string;
  endedAt?: string;
  /** Operator-driven repeats of the step (activity retries are Temporal's own). */
  runs: number;
  lastError?: StepError;
  /** May the operator skip it? */
  skippable: boolean;
  /** What the operator must do while the step waits for them (Markdown: commands in inline code). */
  operatorHint?: string;
  /** Things the step found but deliberately left alone (e.g. a VNet that differs from the plan). */
  warnings?: string[];
}

export type VmState =
  | 'pending'
  | 'preflight'
  | 'not-eligible'
  | 'enabling'
  | 'replicating'
  | 'protected'
  | 'waiting-for-operator'
  | 'skipped';

export interface VmProgress {
  name: string;
  state: VmState;
  replicationPercent?: number;
  reason?: string;
  workflowId?: string;
}

export interface Progress {
  kind:
    | 'shared-vault'
    | 'tenant-onboarding'
    | 'vm-protection'
    | 'vault-watch'
    | 'failover'
    | 'plan-failover'
    | 'site-failover'
    | 'offboarding';
  tenant?: string;
  vm?: string;
  /** A recovery plan's failover: the plan's key. */
  plan?: string;
  scenario: string;
  stage: string;
  steps: StepProgress[];
  vms?: VmProgress[];
  /** The one thing a person has to do now, if any (Markdown: commands in inline code). */
  operatorAction?: string;
}

export interface OperatorDecision {
  step: string;
  /** `abandon` only where the workflow allows it (failover): the workflow ends, recorded as abandoned. */
  action: 'retry' | 'skip' | 'abandon';
  reason?: string;
}

/** The failure type a StepRunner throws when the operator abandons a waiting step. */
export const STEP_ABANDONED = 'StepAbandoned';

export const progressQuery = defineQuery<Progress>('progress');

/**
 * What each query, signal and update does, in words: the Temporal UI shows these beside the
 * handlers, so a person can tell what to send and what they will get.
 */
export const HANDLER_DESCRIPTIONS = {
  progress:
    'Steps with their state and times, per-VM replication, and the next action for the operator: what `asrflow status` prints.',
  operatorDecision:
    "An operator's decision on a step that waits: retry (after fixing the cause), skip (only a step declared safe to skip) or abandon (failovers). Refused unless that step waits.",
  replan:
    'A corrected plan for this tenant, sent by `asrflow onboard` with the edited plan: changed fields no step has used yet are taken, and a waiting step whose value changed is retried with it.',
  tenantPlan: 'The tenant plan this workflow works with now: its input, or the last replan.',
  replicationObserved:
    "The tenant workflow's look at the vault for this VM: protection state, health and initial replication progress.",
  watchItems:
    "Adds a workflow's VMs (replicated items) to this vault's watch; sent by tenant onboardings, refused for another identity's vault.",
  watchedItems: 'The replicated items this watcher looks at, and who waits on each (asked by its own watch session).',
  replicationBatch:
    "The vault watcher's news for this workflow's VMs: the items whose protection state, health or progress changed.",
  failoverRecord:
    'The drill record so far: preflight, every Site Recovery job with its tasks, measured RTO and RPO, cleanup and outcome.',
  cleanup: 'Ends a test failover that waits for its cleanup: the test VM is cleaned up now. Refused at any other time.',
} as const;
export const operatorDecisionUpdate = defineUpdate<string, [OperatorDecision]>('operatorDecision');
