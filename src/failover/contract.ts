import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ItemAction } from '../domain/item-actions';
import type { Principal, VaultTarget } from '../domain/targets';
import type { NicAddressing, VmPlacement } from '../domain/vm-settings';

// Per-VM failover: what crosses the client/workflow/activity boundaries, and the pure rules
// (preflight, RTO/RPO arithmetic) that the workflow, the CLI and the tests share. Pure:
// workflows import it. Credentials travel as references only.

export const FAILOVER_KINDS = [
  'test',
  'planned',
  'unplanned',
  'commit',
  'cleanup',
  'change-recovery-point',
  'reprotect',
  'failback',
] as const;
export type FailoverKind = (typeof FAILOVER_KINDS)[number];

/** One ASR action on a protected item: the POST, the operation that must be allowed, the job it starts. */
export type FailoverAction = ItemAction;

export const ACTIONS: Record<FailoverAction, { operation: string; scenario: string; title: string }> = {
  testFailover: { operation: 'TestFailover', scenario: 'TestFailover', title: 'Test failover' },
  testFailoverCleanup: {
    operation: 'TestFailoverCleanup',
    scenario: 'TestFailoverCleanup',
    title: 'Test failover cleanup',
  },
  plannedFailover: { operation: 'PlannedFailover', scenario: 'PlannedFailover', title: 'Planned failover' },
  unplannedFailover: { operation: 'UnplannedFailover', scenario: 'UnplannedFailover', title: 'Unplanned failover' },
  failoverCommit: { operation: 'Commit', scenario: 'CommitFailover', title: 'Commit' },
  applyRecoveryPoint: { operation: 'ChangePit', scenario: 'ChangePit', title: 'Change recovery point' },
  failback: {
    operation: 'Failback',
    scenario: 'PlannedFailover',
    title: 'Failback (planned failover to the primary site)',
  },
  reprotect: {
    operation: 'ReverseReplicate',
    scenario: 'ReverseReplication',
    title: 'Reprotect (replicate to Azure again)',
  },
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
  /** A scheduled drill's run (its schedule id): manual actions are continued by the drill itself. */
  drillSchedule?: string;
}

export interface FailoverInput {
  tenant: string;
  scenario: string;
  vm: string;
  kind: FailoverKind;
  /** The vault that protects the VM, with the principal that may call it. */
  vault: VaultTarget;
  /** The tenant's own part of that vault and of Azure: every lookup stays inside it. */
  scope: TenantScope;
  options: FailoverOptions;
}

/**
 * Where tenant T's VMs are. In a shared vault (scenario 1) every tenant's items sit side by
 * side, so an item is looked up only inside T's own protection container (T's VMM cloud on the
 * VMM server's fabric), and the networks a failover attaches the VM to must be in T's own
 * subscription: a name of another tenant's VM is "not found for T", as if it did not exist.
 */
export interface TenantScope {
  /** T's own subscription (target and test networks, the failed-over VM's resource group). */
  subscriptionId: string;
  /** The VMM server as the vault's fabric names it. */
  vmmServer: string;
  /** T's VMM cloud: its protection container's friendly name. */
  cloud: string;
  /** All of T's clouds (`cloud` first), when it has several: a VM is looked up in these only. */
  clouds?: string[];
  /** T's own identity, for reads in T's subscription (the vault's may be the provider's). */
  principal?: Principal;
}

/** Where the protected item is: inside the tenant's own protection container (friendlyName = VM). */
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
  /** Where a failover puts the VM (the item's target settings), to check they are the tenant's. */
  recoveryNetworkId?: string;
  recoveryResourceGroupId?: string;
  /** Why Azure could not create the VM where the item places it (size, availability set). */
  placementProblems?: string[];
}

/** The resolve step's answer: the item, or (in the tenant's own cloud only) the closest names. */
export interface ResolvedItem {
  item?: ItemRef;
  /** Protected VMs of the tenant's cloud whose names are closest to the one asked for. */
  closest: string[];
  /** The VM is in the tenant's cloud but not protected. */
  unprotected?: boolean;
}

/** A VM name as VMM could have given it: failovers take any, plans too (with a name in Azure). */
export { vmmNameProblem as vmNameProblem } from '../domain/vm-names';

const ARM_SUBSCRIPTION = /^\/subscriptions\/([^/]+)\//i;

/** The subscription an ARM id lives in (lower case), if it is an ARM id. */
export function subscriptionOf(armId: string | undefined): string | undefined {
  return armId ? ARM_SUBSCRIPTION.exec(armId)?.[1]?.toLowerCase() : undefined;
}

/** Why an ARM id of a network is not one the tenant may attach a failed-over VM to, or undefined. */
export function foreignNetworkProblem(what: string, armId: string | undefined, scope: TenantScope): string | undefined {
  if (!armId) return undefined;
  if (
    !/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/]+$/i.test(
      armId,
    )
  ) {
    return `${what} ${armId} is not the ARM id of a virtual network (/subscriptions/<id>/resourceGroups/<rg>/providers/Microsoft.Network/virtualNetworks/<name>)`;
  }
  if (subscriptionOf(armId) !== scope.subscriptionId.toLowerCase())
    return `${what} ${armId} is not in the tenant's subscription ${scope.subscriptionId}`;
  return undefined;
}

export interface PreflightResult {
  ok: boolean;
  /** Why not, in words an operator acts on. */
  refusals: string[];
  /** Things that were overridden (--force) or worth knowing. */
  warnings: string[];
  recoveryPointAgeSeconds?: number;
}

export const RUNNING_JOB_STATES = new Set(['NotStarted', 'InProgress', 'Suspended']);

/** The failovers that create a VM in Azure from the item's target settings. */
export const CREATES_VM = new Set<FailoverKind>(['test', 'planned', 'unplanned']);

/** The rules a failover must pass before anything is issued. */
export function checkPreflight(
  kind: FailoverKind,
  facts: ItemFacts,
  options: FailoverOptions,
  scope?: TenantScope,
): PreflightResult {
  const action = ACTIONS[FIRST_ACTION[kind]];
  const refusals: string[] = [];
  const warnings: string[] = [];
  if (scope) {
    // A failover must never bring a VM up in, or attach it to, another tenant's network.
    const test = kind === 'test' ? foreignNetworkProblem('the test network', options.testNetworkId, scope) : undefined;
    const target =
      kind === 'test' || kind === 'cleanup'
        ? undefined
        : foreignNetworkProblem("the item's target network", facts.recoveryNetworkId, scope);
    const group =
      facts.recoveryResourceGroupId &&
      subscriptionOf(facts.recoveryResourceGroupId) !== scope.subscriptionId.toLowerCase()
        ? `the item's target resource group ${facts.recoveryResourceGroupId} is not in the tenant's subscription ${scope.subscriptionId}`
        : undefined;
    for (const problem of [test, target, group]) if (problem) refusals.push(problem);
  }
  // Azure would fail the job when it creates the VM: refused before anything is issued.
  if (CREATES_VM.has(kind)) refusals.push(...(facts.placementProblems ?? []));
  if (NEEDS_CONFIRMATION.has(kind) && !options.confirmed) {
    refusals.push(`${KIND_TITLES[kind]} needs an explicit confirmation (--yes)`);
  }
  const scenario = facts.currentScenario;
  if (
    scenario?.scenarioName &&
    scenario.scenarioName !== 'None' &&
    scenario.jobState &&
    RUNNING_JOB_STATES.has(scenario.jobState)
  ) {
    refusals.push(
      `another job runs on the item: ${scenario.scenarioName} (${scenario.jobState}, ${scenario.jobId ?? 'no id'}); wait for it to finish`,
    );
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
  return {
    ok: refusals.length === 0,
    refusals,
    warnings,
    ...(age !== undefined ? { recoveryPointAgeSeconds: age } : {}),
  };
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
  itemState?: {
    protectionState?: string;
    activeLocation?: string;
    testFailoverState?: string;
    /** How Site Recovery brings the VM up: name, size, licences, placement, NICs and addresses. */
    settings?: VmComesUpAs;
  };
}

/** The settings a failed-over (or test) VM comes up with, as its protected item says. */
export interface VmComesUpAs extends VmPlacement {
  nics: NicAddressing[];
}

export const failoverRecordQuery = defineQuery<DrillRecord>('failoverRecord');
/** Ends a test failover now (validated: only while it waits for the cleanup). */
export const cleanupUpdate = defineUpdate<string, [{ reason?: string }]>('cleanup');

// ---- Recovery plans: one action on a tenant's whole plan, group by group ------------------------

export const PLAN_FAILOVER_KINDS = [
  'test',
  'cleanup',
  'planned',
  'unplanned',
  'commit',
  'reprotect',
  'failback',
] as const;
export type PlanFailoverKind = (typeof PLAN_FAILOVER_KINDS)[number];

/** A plan's kinds are a VM's, titled alike. */
export const PLAN_KIND_TITLES: Record<PlanFailoverKind, string> = KIND_TITLES;

/** Kinds that move production: they need the operator's confirmation (--yes), as a VM's do. */
export const PLAN_NEEDS_CONFIRMATION: ReadonlySet<FailoverKind> = NEEDS_CONFIRMATION;

/** A recovery plan's action: the POST on the plan, the operation it needs, the job it starts. */
export type PlanAction =
  | 'testFailover'
  | 'testFailoverCleanup'
  | 'plannedFailover'
  | 'unplannedFailover'
  | 'failoverCommit'
  | 'reProtect'
  | 'failback';

export const PLAN_ACTIONS: Record<PlanAction, { operation: string; title: string; itemKind: FailoverKind }> = {
  testFailover: { operation: 'TestFailover', title: 'Test failover of the plan', itemKind: 'test' },
  testFailoverCleanup: {
    operation: 'TestFailoverCleanup',
    title: 'Test failover cleanup of the plan',
    itemKind: 'cleanup',
  },
  plannedFailover: { operation: 'PlannedFailover', title: 'Planned failover of the plan', itemKind: 'planned' },
  unplannedFailover: { operation: 'UnplannedFailover', title: 'Unplanned failover of the plan', itemKind: 'unplanned' },
  failoverCommit: { operation: 'Commit', title: 'Commit the failover of the plan', itemKind: 'commit' },
  reProtect: { operation: 'ReverseReplicate', title: 'Reprotect the plan', itemKind: 'reprotect' },
  failback: {
    operation: 'PlannedFailover',
    title: 'Failback of the plan (planned failover to the primary site)',
    itemKind: 'failback',
  },
};

/** The recovery plan a failover acts on, as the plan file has it. */
export interface PlanSpec {
  /** The plan's key in the plan file. */
  name: string;
  /** Its name in the vault (`asrflow-<tenant>-<name>`). */
  azureName: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  groups: Array<{ vms: string[]; before?: string; after?: string }>;
}

export interface PlanFailoverInput {
  tenant: string;
  scenario: string;
  plan: PlanSpec;
  kind: PlanFailoverKind;
  vault: VaultTarget;
  scope: TenantScope;
  options: FailoverOptions;
}

/** What preflight reads of the plan and of each of its VMs. */
export interface PlanFacts {
  /** Absent when the vault has no such recovery plan. */
  allowedOperations?: string[];
  currentScenario?: { scenarioName?: string; jobId?: string; jobState?: string };
  vms: Array<{ vm: string; item?: ItemRef; facts?: ItemFacts }>;
  /** Items in the vault's plan that are not VMs of this tenant's clouds (never acted on). */
  foreignItems: string[];
  /** A test failover's network does not exist (read with the tenant's own credential). */
  testNetworkMissing?: boolean;
}

/** One VM of a plan's failover: when it started and ran, and the recovery point it came up from. */
export interface PlanVmRecord {
  vm: string;
  group: number;
  startedAt?: string;
  endedAt?: string;
  rpo?: { recoveryPointTime: string; ageSeconds: number };
}

export interface PlanDrillRecord {
  workflowId: string;
  /** Set on a scheduled drill: the schedule that started it. */
  drillSchedule?: string;
  kind: PlanFailoverKind;
  tenant: string;
  plan: string;
  vault: string;
  startedAt: string;
  endedAt?: string;
  outcome: FailoverOutcome;
  reason?: string;
  preflight?: PreflightResult;
  /** Action start → the last VM running, on Site Recovery's clock; against the plan's target. */
  rto?: { seconds: number; from: string; until: string; targetSeconds?: number; met?: boolean };
  /** The plan's target RPO, and whether every VM met it. */
  rpo?: { targetSeconds?: number; worstSeconds?: number; met?: boolean };
  vms: PlanVmRecord[];
  manualActions: Array<{ group: number; when: 'before' | 'after'; text: string; by?: string; at?: string }>;
  jobs: Array<JobSnapshot & { action: PlanAction }>;
  cleanup?: { by: 'operator' | 'timeout' | 'none'; at?: string };
  testNetworkId?: string;
}

export const planRecordQuery = defineQuery<PlanDrillRecord>('planRecord');
/** Continues a plan's failover waiting at a manual action (validated: only while it waits). */
export const continueUpdate = defineUpdate<string, [{ by?: string; comments?: string }]>('continue');

// ---- A site: every tenant's recovery plans on one VMM server or shared vault ----------------------

export interface SiteFailoverInput {
  /** The VMM server or shared vault the operator named. */
  site: string;
  kind: PlanFailoverKind;
  scenario: string;
  /** Each tenant's plans, run one after another; tenants in parallel, `concurrency` at a time. */
  tenants: Array<{ tenant: string; plans: PlanFailoverInput[] }>;
  /** Tenants on the site without a recovery plan: shown, not failed over. */
  without: string[];
  concurrency: number;
}

export interface SiteFailoverRecord {
  workflowId: string;
  site: string;
  kind: PlanFailoverKind;
  startedAt: string;
  endedAt?: string;
  outcome: 'running' | 'succeeded' | 'partly';
  plans: Array<{
    tenant: string;
    plan: string;
    workflowId: string;
    outcome?: FailoverOutcome;
    reason?: string;
    rtoSeconds?: number;
  }>;
  without: string[];
}

export const siteRecordQuery = defineQuery<SiteFailoverRecord>('siteRecord');
/** A plan failover started by a site's tells it its test VMs are up (it then waits for its cleanup). */
export const planUpSignal = defineSignal<[{ workflowId: string }]>('planUp');
