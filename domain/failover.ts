import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { VaultTarget } from './onboarding';

// Per-VM failover: what crosses the client/workflow/activity boundaries, and the pure rules
// (preflight, RTO/RPO arithmetic) that the workflow, the CLI and the tests share. Pure:
// workflows import it. Credentials travel as references only.

export const FAILOVER_KINDS = ['test', 'planned', 'unplanned', 'commit', 'cleanup', 'change-recovery-point', 'reprotect', 'failback'] as const;
export type FailoverKind = (typeof FAILOVER_KINDS)[number];

/** One ASR action on a protected item: the POST, the operation that must be allowed, the job it starts. */
export type FailoverAction = 'testFailover' | 'testFailoverCleanup' | 'plannedFailover' | 'unplannedFailover' | 'failoverCommit' | 'applyRecoveryPoint' | 'failback' | 'reprotect';

export const ACTIONS: Record<FailoverAction, { operation: string; scenario: string; title: string }> = {
  testFailover: { operation: 'TestFailover', scenario: 'TestFailover', title: 'Test failover' },
  testFailoverCleanup: { operation: 'TestFailoverCleanup', scenario: 'TestFailoverCleanup', title: 'Test failover cleanup' },
  plannedFailover: { operation: 'PlannedFailover', scenario: 'PlannedFailover', title: 'Planned failover' },
  unplannedFailover: { operation: 'UnplannedFailover', scenario: 'UnplannedFailover', title: 'Unplanned failover' },
  failoverCommit: { operation: 'Commit', scenario: 'CommitFailover', title: 'Commit' },
  applyRecoveryPoint: { operation: 'ChangePit', scenario: 'ChangePit', title: 'Change recovery point' },
  failback: { operation: 'Failback', scenario: 'PlannedFailover', title: 'Failback (planned failover to the primary site)' },
  reprotect: { operation: 'ReverseReplicate', scenario: 'ReverseReplication', title: 'Reprotect (replicate to Azure again)' },
};

/** The action a kind starts with; the workflow decides what follows (cleanup, commit, reprotect). */
export const FIRST_ACTION: Record<FailoverKind, FailoverAction> = {
  test: 'testFailover',
  cleanup: 'testFailoverCleanup',
  planned: 'plannedFailover',
  unplanned: 'unplannedFailover',
  commit: 'failoverCommit',
  'change-recovery-point': 'applyRecoveryPoint',
  reprotect: 'reprotect',
  failback: 'failback',
};

export const KIND_TITLES: Record<FailoverKind, string> = {
  test: 'Test failover',
  cleanup: 'Test failover cleanup',
  planned: 'Planned failover',
  unplanned: 'Unplanned failover',
  commit: 'Commit failover',
  'change-recovery-point': 'Change recovery point',
  reprotect: 'Reprotect',
  failback: 'Failback',
};

/** Kinds that move production (or could lose data): they need an explicit confirmation. */
export const NEEDS_CONFIRMATION: ReadonlySet<FailoverKind> = new Set(['planned', 'unplanned', 'failback']);

export interface FailoverOptions {
  /** Planned/unplanned/failback run only with this set (the CLI's --yes). */
  confirmed?: boolean;
  /** Fail over even though replication health is Critical. */
  force?: boolean;
  /** Test failover: clean up by itself after this long (Temporal duration, default '24h'). */
  cleanupAfter?: string;
  /** Test failover: ARM id of the isolated VNet (default: the plan's test-failover VNet). */
  testNetworkId?: string;
  /** Recovery point to fail over to (test/unplanned) or to apply (change-recovery-point). */
  recoveryPointId?: string;
  /** Unplanned: try to shut the source VM down first (the site is reachable). */
  sourceSiteOperations?: boolean;
  /** Failback: ForDownTime (one go) or ForSynchronization (sync, pause, then complete). */
  dataSyncOption?: 'ForDownTime' | 'ForSynchronization';
  /** How long a failover activity may go without a heartbeat before a new worker takes it over. */
  heartbeatTimeout?: string;
}

export interface FailoverInput {
  tenant: string;
  scenario: string;
  vm: string;
  kind: FailoverKind;
  /** The vault that protects the VM, with the principal that may call it. */
  vault: VaultTarget;
  options: FailoverOptions;
}

/** Where the protected item is, found by listing the vault's items (friendlyName = VM). */
export interface ItemRef {
  fabricName: string;
  containerName: string;
  itemName: string;
  itemId: string;
}

export interface RecoveryPointInfo {
  id: string;
  time: string;
  type?: string;
}

/** What preflight reads from the item. */
export interface ItemFacts {
  protectionState?: string;
  activeLocation?: string;
  replicationHealth?: string;
  testFailoverState?: string;
  allowedOperations: string[];
  currentScenario?: { scenarioName?: string; jobId?: string; jobState?: string };
  latestRecoveryPoint?: RecoveryPointInfo;
  /** The item's (or Site Recovery's) clock when it was read, to age the recovery point. */
  readAt: string;
  /** Site Recovery's own RPO figure for the item, when it gives one. */
  rpoInSeconds?: number;
}

export interface PreflightResult {
  ok: boolean;
  /** Why not, in words an operator acts on. */
  refusals: string[];
  /** Things that were overridden (--force) or worth knowing. */
  warnings: string[];
  recoveryPointAgeSeconds?: number;
}

const RUNNING_JOB_STATES = new Set(['NotStarted', 'InProgress', 'Suspended']);

/** The rules a failover must pass before anything is issued. */
export function checkPreflight(kind: FailoverKind, facts: ItemFacts, options: FailoverOptions): PreflightResult {
  const action = ACTIONS[FIRST_ACTION[kind]];
  const refusals: string[] = [];
  const warnings: string[] = [];
  if (NEEDS_CONFIRMATION.has(kind) && !options.confirmed) {
    refusals.push(`${KIND_TITLES[kind]} needs an explicit confirmation (--yes)`);
  }
  const scenario = facts.currentScenario;
  if (scenario?.scenarioName && scenario.scenarioName !== 'None' && scenario.jobState && RUNNING_JOB_STATES.has(scenario.jobState)) {
    refusals.push(`another job runs on the item: ${scenario.scenarioName} (${scenario.jobState}, ${scenario.jobId ?? 'no id'}); wait for it to finish`);
  }
  if (!facts.allowedOperations.includes(action.operation)) {
    refusals.push(
      `${action.operation} is not allowed on the item now (protection state ${facts.protectionState ?? 'unknown'}, active on ${facts.activeLocation ?? 'unknown'}; allowed: ${facts.allowedOperations.join(', ') || 'none'})`,
    );
  }
  if (facts.replicationHealth === 'Critical') {
    const text = 'replication health is Critical: the recovery point may be stale or the replica inconsistent';
    if (options.force) warnings.push(`${text} (forced)`);
    else refusals.push(`${text}; fix replication first, or pass --force to fail over anyway`);
  } else if (facts.replicationHealth === 'Warning') {
    warnings.push('replication health is Warning');
  }
  const age = facts.latestRecoveryPoint ? secondsBetween(facts.latestRecoveryPoint.time, facts.readAt) : undefined;
  return { ok: refusals.length === 0, refusals, warnings, ...(age !== undefined ? { recoveryPointAgeSeconds: age } : {}) };
}

export function secondsBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 1000);
}

/** A Site Recovery job as asrflow records it. */
export interface JobTask {
  name: string;
  title: string;
  state: string;
  startTime?: string;
  endTime?: string;
}

export interface JobError {
  code?: string;
  message: string;
  possibleCauses?: string;
  recommendedAction?: string;
}

export interface JobSnapshot {
  jobId: string;
  jobName: string;
  scenarioName?: string;
  state: string;
  startTime?: string;
  endTime?: string;
  tasks: JobTask[];
  errors: JobError[];
}

export const TERMINAL_JOB_STATES = new Set(['Succeeded', 'Failed', 'Cancelled']);

/** What a person (or the workflow) needs to notice: state and each task's state. */
export function jobFingerprint(job: JobSnapshot | undefined): string {
  if (!job) return '';
  return `${job.state}|${job.tasks.map((t) => t.state).join(',')}`;
}

const START_VM_TASK = /^Start(Test|Replica|OnPrem)Vm$/i;

/**
 * Measured RTO: from the start of the failover job to the end of the task that starts the VM
 * in the recovery site (or the job's end when no such task is known). Site Recovery's clock.
 */
export function measuredRto(job: JobSnapshot): { seconds: number; until: string; untilTask?: string } | undefined {
  if (!job.startTime) return undefined;
  const task = job.tasks.find((t) => START_VM_TASK.test(t.name) && t.endTime);
  const until = task?.endTime ?? job.endTime;
  if (!until) return undefined;
  return { seconds: secondsBetween(job.startTime, until), until, ...(task ? { untilTask: task.name } : {}) };
}

export type FailoverOutcome = 'succeeded' | 'refused' | 'abandoned' | 'failed' | 'running';

/** The drill record: what a DR auditor asks for. */
export interface DrillRecord {
  workflowId: string;
  kind: FailoverKind;
  tenant: string;
  vm: string;
  vault: string;
  startedAt: string;
  endedAt?: string;
  outcome: FailoverOutcome;
  /** Why it was refused, abandoned or failed. */
  reason?: string;
  preflight?: PreflightResult;
  /** Action start → VM running in the recovery site, in Site Recovery's time. */
  rto?: { seconds: number; from: string; until: string; untilTask?: string };
  /** The recovery point used and its age when the failover started (the achieved RPO). */
  rpo?: { recoveryPointId: string; recoveryPointTime: string; recoveryPointType?: string; ageSeconds: number };
  /** Every ASR job the workflow ran, with its tasks and times. */
  jobs: Array<JobSnapshot & { action: FailoverAction }>;
  /** Test failover: how it was cleaned up. */
  cleanup?: { by: 'operator' | 'timeout' | 'none'; at?: string };
  testNetworkId?: string;
  itemState?: { protectionState?: string; activeLocation?: string; testFailoverState?: string };
}

export const failoverRecordQuery = defineQuery<DrillRecord>('failoverRecord');
/** Ends a test failover now (validated: only while it waits for the cleanup). */
export const cleanupUpdate = defineUpdate<string, [{ reason?: string }]>('cleanup');
