import { ArmError, asrError } from '../arm/errors';
import type { EmulatorCore } from '../core';
import { obj, str } from '../resources/common';
import { iso } from '../sim/clock';
import type { TaskSpec } from '../sim/jobs';
import type {
  ContainerRec,
  FabricRec,
  JobErrorSpec,
  JobRec,
  ProtectedItemRec,
  RecoveryPlanActionRec,
  RecoveryPlanGroupRec,
  RecoveryPlanItemRef,
  RecoveryPlanRec,
} from '../state/world';
import { lower } from '../util/ids';
import { ids, scopeOfVault, type AsrScope } from './scope';
import { AZURE } from './views';

// Recovery plans: ordered groups of protected items of one fabric, with start and end actions
// per group. A plan's failover-type action runs one job whose tasks follow the groups in
// order: each group's start actions, its items (each doing what the item's own action of the
// same kind does, through the same checks and effects), then its end actions. A manual action
// suspends the job until ReplicationJobs_Resume; scripts and runbooks are recorded, not run.
// The per-item checks and job specifications live in routes-items.ts, which registers them
// here (see setItemActions) so the two modules need not import each other at load time.

export const PLAN_TYPE = 'Microsoft.RecoveryServices/vaults/replicationRecoveryPlans';
export const MAX_BOOT_GROUPS = 7;
export const MAX_PLAN_ITEMS = 100;
/** Simulated seconds an item task takes when its checks refuse the item (a prerequisites check). */
const PREREQ_SECONDS = 20;

/** Plan operations, named as RecoveryPlan.allowedOperations names them. */
export type PlanOp =
  'TestFailover' | 'TestFailoverCleanup' | 'PlannedFailover' | 'UnplannedFailover' | 'Commit' | 'ReverseReplicate';

const OP_ORDER = [
  'PlannedFailover',
  'UnplannedFailover',
  'TestFailover',
  'TestFailoverCleanup',
  'Commit',
  'ReverseReplicate',
] as const;

/** Item allowedOperations → the plan operation that runs them. */
const ITEM_TO_PLAN: Record<string, PlanOp> = {
  TestFailover: 'TestFailover',
  TestFailoverCleanup: 'TestFailoverCleanup',
  PlannedFailover: 'PlannedFailover',
  Failback: 'PlannedFailover',
  UnplannedFailover: 'UnplannedFailover',
  Commit: 'Commit',
  ReverseReplicate: 'ReverseReplicate',
};

export const FAILOVER_TYPES = [
  'ReverseReplicate',
  'Commit',
  'PlannedFailover',
  'UnplannedFailover',
  'DisableProtection',
  'TestFailover',
  'TestFailoverCleanup',
  'Failback',
  'FinalizeFailback',
  'CancelFailover',
  'ChangePit',
  'RepairReplication',
  'SwitchProtection',
  'CompleteMigration',
];
const DIRECTIONS = ['PrimaryToRecovery', 'RecoveryToPrimary'];

// ---- the per-item actions (registered by routes-items.ts) ----

export interface ItemRefCtx {
  s: AsrScope;
  f: FabricRec;
  c: ContainerRec;
  item: ProtectedItemRec;
}

export interface PlanItemSpec {
  phase: ProtectedItemRec['phase'];
  scenarioName: string;
  friendlyName: string;
  tasks: TaskSpec[];
  effect: string;
  args?: Record<string, string>;
  failure?: { atTask: number; error: JobErrorSpec };
}

export type ItemSpecFn = (
  env: { core: EmulatorCore; now: number },
  ic: ItemRefCtx,
  p: Record<string, unknown>,
  opts: { recoveryPointType?: string; planJob?: string },
) => PlanItemSpec;

export interface ItemActions {
  /** Key: `TestFailover`, `TestFailoverCleanup`, `PlannedFailover` (both directions), `UnplannedFailover`, `Commit`, `ReverseReplicate`. */
  specs: Record<PlanOp, ItemSpecFn>;
  allowed(env: { core: EmulatorCore; now: number }, s: AsrScope, item: ProtectedItemRec): string[];
}

let itemActions: ItemActions | undefined;

export function setItemActions(a: ItemActions): void {
  itemActions = a;
}

function actions(): ItemActions {
  if (!itemActions) throw new Error('recovery plans: per-item actions not registered');
  return itemActions;
}

// ---- lookups ----

export function plansOf(s: AsrScope): Record<string, RecoveryPlanRec> {
  s.vault.asr.recoveryPlans ??= {};
  return s.vault.asr.recoveryPlans;
}

export function planId(s: AsrScope, plan: RecoveryPlanRec | string): string {
  return `${s.v}/replicationRecoveryPlans/${typeof plan === 'string' ? plan : plan.name}`;
}

const ACTIVE = new Set(['InProgress', 'Suspended', 'NotStarted']);

/** The plan's job while it runs (InProgress, Suspended). */
export function activePlanJob(s: AsrScope, plan: RecoveryPlanRec): JobRec | undefined {
  if (!plan.currentJob) return undefined;
  const job = s.vault.asr.jobs[lower(plan.currentJob.jobName)];
  return job && ACTIVE.has(job.state) ? job : undefined;
}

function sameRef(r: RecoveryPlanItemRef, f: FabricRec, c: ContainerRec, item: ProtectedItemRec): boolean {
  return (
    lower(r.fabric) === lower(f.name) && lower(r.container) === lower(c.name) && lower(r.item) === lower(item.name)
  );
}

/** A running job of a recovery plan that holds the item, if any. */
export function activePlanJobOn(
  s: AsrScope,
  f: FabricRec,
  c: ContainerRec,
  item: ProtectedItemRec,
): { plan: RecoveryPlanRec; job: JobRec } | undefined {
  for (const plan of Object.values(s.vault.asr.recoveryPlans ?? {})) {
    const job = activePlanJob(s, plan);
    if (job && plan.groups.some((g) => g.items.some((r) => sameRef(r, f, c, item)))) return { plan, job };
  }
  return undefined;
}

function resolve(s: AsrScope, r: RecoveryPlanItemRef): ItemRefCtx | undefined {
  const f = s.vault.asr.fabrics[lower(r.fabric)];
  const c = f?.containers[lower(r.container)];
  const item = c?.items[lower(r.item)];
  return f && c && item ? { s, f, c, item } : undefined;
}

export function planItems(s: AsrScope, plan: RecoveryPlanRec): ItemRefCtx[] {
  return plan.groups.flatMap((g) => g.items.map((r) => resolve(s, r)).filter((x): x is ItemRefCtx => !!x));
}

/** Disabling protection of an item takes it out of every plan of the vault, as Site Recovery does. */
export function removeItemFromPlans(s: AsrScope, f: FabricRec, c: ContainerRec, item: ProtectedItemRec): void {
  for (const plan of Object.values(s.vault.asr.recoveryPlans ?? {}))
    for (const g of plan.groups) g.items = g.items.filter((r) => !sameRef(r, f, c, item));
}

// ---- validation of create/update input ----

const invalid = (code: string, message: string, cause: string, action: string): ArmError =>
  asrError(400, code, message, cause, action);

function parseAction(raw: unknown, where: string): RecoveryPlanActionRec {
  const a = obj(raw);
  const name = str(a?.['actionName'])?.trim();
  if (!a || !name)
    throw invalid(
      'InvalidRecoveryPlanAction',
      `An action of ${where} has no actionName.`,
      'Every recovery plan action needs a name.',
      'Give each action a unique actionName.',
    );
  const types = a['failoverTypes'];
  const dirs = a['failoverDirections'];
  if (!Array.isArray(types) || types.some((t) => !FAILOVER_TYPES.includes(String(t))))
    throw invalid(
      'InvalidRecoveryPlanAction',
      `The action '${name}' of ${where} has invalid failoverTypes ${JSON.stringify(types)}.`,
      'failoverTypes lists the operations the action runs for.',
      `Use values among: ${FAILOVER_TYPES.join(', ')}.`,
    );
  if (!Array.isArray(dirs) || dirs.some((d) => !DIRECTIONS.includes(String(d))))
    throw invalid(
      'InvalidRecoveryPlanAction',
      `The action '${name}' of ${where} has invalid failoverDirections ${JSON.stringify(dirs)}.`,
      'failoverDirections lists the directions the action runs for.',
      'Use PrimaryToRecovery and/or RecoveryToPrimary.',
    );
  const d = obj(a['customDetails']);
  const kind = str(d?.['instanceType']);
  const details: Record<string, string> = { instanceType: kind ?? '' };
  const location = str(d?.['fabricLocation']);
  const needLocation = () => {
    if (!location || !['Primary', 'Recovery'].includes(location))
      throw invalid(
        'InvalidRecoveryPlanAction',
        `The action '${name}' of ${where} needs customDetails.fabricLocation Primary or Recovery.`,
        'Scripts and runbooks run on the primary or the recovery side.',
        "Set fabricLocation to 'Primary' or 'Recovery'.",
      );
    details['fabricLocation'] = location;
  };
  if (kind === 'ManualActionDetails') {
    const description = str(d?.['description']);
    if (description !== undefined) details['description'] = description;
  } else if (kind === 'ScriptActionDetails') {
    const path = str(d?.['path']);
    if (!path)
      throw invalid(
        'InvalidRecoveryPlanAction',
        `The script action '${name}' of ${where} has no customDetails.path.`,
        'A script action names the script to run.',
        'Set customDetails.path.',
      );
    details['path'] = path;
    const timeout = str(d?.['timeout']);
    if (timeout) details['timeout'] = timeout;
    needLocation();
  } else if (kind === 'AutomationRunbookActionDetails') {
    const runbookId = str(d?.['runbookId']);
    if (runbookId) details['runbookId'] = runbookId;
    const timeout = str(d?.['timeout']);
    if (timeout) details['timeout'] = timeout;
    needLocation();
  } else {
    throw invalid(
      'InvalidRecoveryPlanAction',
      `The action '${name}' of ${where} has customDetails.instanceType '${kind ?? ''}'.`,
      'The action type is not known.',
      'Use ManualActionDetails, ScriptActionDetails or AutomationRunbookActionDetails.',
    );
  }
  return {
    actionName: name,
    failoverTypes: types.map(String),
    failoverDirections: dirs.map(String),
    customDetails: details,
  };
}

function parseActions(raw: unknown, where: string): RecoveryPlanActionRec[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw))
    throw invalid(
      'InvalidRecoveryPlanAction',
      `The actions of ${where} must be an array.`,
      'startGroupActions and endGroupActions are lists.',
      'Pass an array of RecoveryPlanAction.',
    );
  return raw.map((a) => parseAction(a, where));
}

/** The item a plan's `replicationProtectedItems[].id` names, which must be of this vault and of the primary fabric. */
function parseItemRef(s: AsrScope, primary: FabricRec, raw: unknown, where: string): RecoveryPlanItemRef {
  const id = str(obj(raw)?.['id']);
  if (!id)
    throw invalid(
      'InvalidInput',
      `A protected item of ${where} has no id.`,
      'Recovery plan items are named by the ARM id of the replicated protected item.',
      'Pass replicationProtectedItems: [{id: <replicated protected item id>}].',
    );
  const m =
    /^(?<vault>.+)\/replicationFabrics\/(?<fabric>[^/]+)\/replicationProtectionContainers\/(?<container>[^/]+)\/replicationProtectedItems\/(?<item>[^/]+)$/i.exec(
      id,
    );
  const g = m?.groups;
  const f = g ? s.vault.asr.fabrics[lower(g['fabric'] ?? '')] : undefined;
  const c = f?.containers[lower(g?.['container'] ?? '')];
  const item = c?.items[lower(g?.['item'] ?? '')];
  if (!g || lower(g['vault'] ?? '') !== lower(s.v) || !f || !c || !item)
    throw invalid(
      'ReplicationProtectedItemNotFound',
      `The replicated protected item '${id}' of ${where} was not found in the vault '${s.vault.name}'.`,
      'The id does not name a protected item of this vault: the item was never protected, its protection was disabled, or the id belongs to another vault.',
      'List the replicated protected items of the vault (GET replicationProtectedItems) and pass the id of one.',
    );
  if (lower(f.name) !== lower(primary.name))
    throw invalid(
      'ReplicationProtectedItemNotInPrimaryFabric',
      `The replicated protected item '${item.vmName}' belongs to the fabric '${f.friendlyName}', not to the plan's primary fabric '${primary.friendlyName}'.`,
      'Every item of a recovery plan must be protected from the primary fabric of the plan.',
      'Add only items of the primary fabric, or create a plan for the other fabric.',
    );
  return { fabric: f.name, container: c.name, item: item.name };
}

/**
 * The plan's groups as Site Recovery stores them: Shutdown, Failover, then the Boot groups in
 * the order given (at least one; at most seven). Items only in Boot groups, each once, at most
 * 100 per plan; action names unique within the plan.
 */
export function parseGroups(s: AsrScope, primary: FabricRec, raw: unknown): RecoveryPlanGroupRec[] {
  if (!Array.isArray(raw))
    throw invalid(
      'InvalidInput',
      'properties.groups is required and must be an array.',
      'A recovery plan is a list of groups.',
      'Pass groups: [{groupType: "Boot", replicationProtectedItems: [{id}]}].',
    );
  let shutdown: RecoveryPlanGroupRec | undefined;
  let failover: RecoveryPlanGroupRec | undefined;
  const boot: RecoveryPlanGroupRec[] = [];
  const seen = new Set<string>();
  const actionNames = new Set<string>();
  let count = 0;
  raw.forEach((rawGroup, i) => {
    const g = obj(rawGroup);
    const type = str(g?.['groupType']);
    const where = `group ${i + 1} (${type ?? 'no groupType'})`;
    if (!g || (type !== 'Shutdown' && type !== 'Failover' && type !== 'Boot'))
      throw invalid(
        'InvalidRecoveryPlanGroup',
        `The ${where} has no valid groupType.`,
        'groupType is Shutdown, Failover or Boot.',
        'Set groupType of every group.',
      );
    const rawItems = g['replicationProtectedItems'] ?? [];
    if (!Array.isArray(rawItems))
      throw invalid(
        'InvalidInput',
        `replicationProtectedItems of ${where} must be an array.`,
        'A group lists its items.',
        'Pass replicationProtectedItems: [{id}].',
      );
    if (type !== 'Boot' && rawItems.length > 0)
      throw invalid(
        'InvalidRecoveryPlanGroup',
        `The ${type} group cannot hold protected items.`,
        'Site Recovery puts every item of a plan in a Boot group; the Shutdown and Failover groups apply to all of them and hold only actions.',
        'Put the items in Boot groups.',
      );
    const items = rawItems.map((x) => {
      const ref = parseItemRef(s, primary, x, where);
      const key = `${lower(ref.fabric)}/${lower(ref.container)}/${lower(ref.item)}`;
      if (seen.has(key))
        throw invalid(
          'DuplicateReplicationProtectedItem',
          `The replicated protected item '${ref.item}' appears more than once in the recovery plan.`,
          'An item can be in one group of a plan only, once.',
          'Remove the repeated item.',
        );
      seen.add(key);
      count++;
      return ref;
    });
    if (count > MAX_PLAN_ITEMS)
      throw invalid(
        'RecoveryPlanItemLimitExceeded',
        `A recovery plan can hold at most ${MAX_PLAN_ITEMS} protected items.`,
        'The plan lists more items than Site Recovery allows.',
        'Split the items over several recovery plans.',
      );
    const startGroupActions = parseActions(g['startGroupActions'], where);
    const endGroupActions = parseActions(g['endGroupActions'], where);
    for (const a of [...startGroupActions, ...endGroupActions]) {
      if (actionNames.has(lower(a.actionName)))
        throw invalid(
          'DuplicateRecoveryPlanAction',
          `The action name '${a.actionName}' is used more than once in the recovery plan.`,
          'Action names identify the actions of a plan.',
          'Give every action a unique name.',
        );
      actionNames.add(lower(a.actionName));
    }
    const group: RecoveryPlanGroupRec = { groupType: type, items, startGroupActions, endGroupActions };
    if (type === 'Boot') boot.push(group);
    else if ((type === 'Shutdown' ? shutdown : failover) !== undefined)
      throw invalid(
        'InvalidRecoveryPlanGroup',
        `The plan has more than one ${type} group.`,
        'A plan has one Shutdown and one Failover group.',
        `Give at most one ${type} group.`,
      );
    else if (type === 'Shutdown') shutdown = group;
    else failover = group;
  });
  if (boot.length > MAX_BOOT_GROUPS)
    throw invalid(
      'RecoveryPlanGroupLimitExceeded',
      `A recovery plan can have at most ${MAX_BOOT_GROUPS} boot groups; ${boot.length} were given.`,
      'The plan has more groups than Site Recovery allows.',
      `Merge groups so that at most ${MAX_BOOT_GROUPS} remain.`,
    );
  const empty = (groupType: RecoveryPlanGroupRec['groupType']): RecoveryPlanGroupRec => ({
    groupType,
    items: [],
    startGroupActions: [],
    endGroupActions: [],
  });
  return [shutdown ?? empty('Shutdown'), failover ?? empty('Failover'), ...(boot.length ? boot : [empty('Boot')])];
}

// ---- state: allowed operations and the view ----

type Env = { core: EmulatorCore; now: number };

/** Which plan operations the items allow (any item), or CancelFailover while a failover job runs. */
export function planAllowedOperations(env: Env, s: AsrScope, plan: RecoveryPlanRec): string[] {
  const running = activePlanJob(s, plan);
  if (running)
    return ['TestFailover', 'PlannedFailover', 'UnplannedFailover'].includes(running.scenarioName)
      ? ['CancelFailover']
      : [];
  const items = planItems(s, plan);
  if (items.length === 0) return ['PlannedFailover', 'UnplannedFailover', 'TestFailover'];
  const ops = new Set<string>();
  for (const { item } of items)
    for (const op of actions().allowed(env, s, item)) {
      const planOp = ITEM_TO_PLAN[op];
      if (planOp) ops.add(planOp);
    }
  return OP_ORDER.filter((o) => ops.has(o));
}

/** Whether some item allows the operation in this direction (a failback is a planned failover RecoveryToPrimary). */
export function itemsAllow(env: Env, s: AsrScope, plan: RecoveryPlanRec, op: PlanOp, direction: string): boolean {
  const items = planItems(s, plan);
  if (items.length === 0) return ['PlannedFailover', 'UnplannedFailover', 'TestFailover'].includes(op);
  const itemOp = op === 'PlannedFailover' && direction === 'RecoveryToPrimary' ? 'Failback' : op;
  return items.some(({ item }) => actions().allowed(env, s, item).includes(itemOp));
}

function stateDescription(state: string): string {
  switch (state) {
    case 'Succeeded':
      return 'Completed';
    case 'InProgress':
      return 'In progress';
    case 'Suspended':
      return 'Waiting for user action';
    default:
      return state;
  }
}

export function planView(env: Env, s: AsrScope, plan: RecoveryPlanRec): Record<string, unknown> {
  const f = s.vault.asr.fabrics[lower(plan.primaryFabric)];
  const job = plan.currentJob ? s.vault.asr.jobs[lower(plan.currentJob.jobName)] : undefined;
  // After a test failover the plan waits for its cleanup, as Site Recovery shows it.
  const waitingForCleanup = job?.scenarioName === 'TestFailover' && job.state === 'Succeeded';
  const groups = plan.groups.map((g) => ({
    groupType: g.groupType,
    replicationProtectedItems: g.items
      .map((r) => resolve(s, r))
      .filter((x): x is ItemRefCtx => !!x)
      .map((x) => ({ id: ids.item(s, x.f, x.c, x.item), virtualMachineId: x.item.vmId })),
    startGroupActions: g.startGroupActions,
    endGroupActions: g.endGroupActions,
  }));
  return {
    id: planId(s, plan),
    name: plan.name,
    type: PLAN_TYPE,
    location: s.vault.location,
    properties: {
      friendlyName: plan.name,
      primaryFabricId: `${s.v}/replicationFabrics/${f?.name ?? plan.primaryFabric}`,
      primaryFabricFriendlyName: f?.friendlyName ?? plan.primaryFabric,
      recoveryFabricId: AZURE,
      recoveryFabricFriendlyName: AZURE,
      failoverDeploymentModel: plan.failoverDeploymentModel,
      replicationProviders: ['HyperVReplicaAzure'],
      allowedOperations: planAllowedOperations(env, s, plan),
      ...(plan.lastPlannedFailoverTime !== undefined
        ? { lastPlannedFailoverTime: iso(plan.lastPlannedFailoverTime) }
        : {}),
      ...(plan.lastUnplannedFailoverTime !== undefined
        ? { lastUnplannedFailoverTime: iso(plan.lastUnplannedFailoverTime) }
        : {}),
      ...(plan.lastTestFailoverTime !== undefined ? { lastTestFailoverTime: iso(plan.lastTestFailoverTime) } : {}),
      ...(plan.currentJob
        ? {
            currentScenario: {
              scenarioName: plan.currentJob.scenarioName,
              jobId: ids.job(s, plan.currentJob.jobName),
              startTime: iso(plan.currentJob.startTime),
            },
            currentScenarioStatus: waitingForCleanup ? 'Suspended' : (job?.state ?? 'Succeeded'),
            currentScenarioStatusDescription: waitingForCleanup
              ? 'WaitingForStopTestFailover'
              : stateDescription(job?.state ?? 'Succeeded'),
          }
        : {}),
      groups,
    },
  };
}

// ---- the plan's job ----

const VERB: Record<PlanOp, string> = {
  TestFailover: 'Test failover',
  TestFailoverCleanup: 'Test failover cleanup',
  PlannedFailover: 'Planned failover',
  UnplannedFailover: 'Failover',
  Commit: 'Commit',
  ReverseReplicate: 'Reverse replicate',
};

/** Scenario names of plan jobs: those of the per-item jobs of the same kind. */
export const PLAN_SCENARIO: Record<PlanOp, string> = {
  TestFailover: 'TestFailover',
  TestFailoverCleanup: 'TestFailoverCleanup',
  PlannedFailover: 'PlannedFailover',
  UnplannedFailover: 'UnplannedFailover',
  Commit: 'CommitFailover',
  ReverseReplicate: 'ReverseReplication',
};

/** Whether a group action runs for this operation and direction (its failoverTypes and failoverDirections). */
function actionApplies(a: RecoveryPlanActionRec, op: PlanOp, direction: string): boolean {
  const types = new Set(a.failoverTypes);
  const typeOk =
    types.has(op) || (op === 'PlannedFailover' && direction === 'RecoveryToPrimary' && types.has('Failback'));
  return typeOk && (a.failoverDirections.length === 0 || a.failoverDirections.includes(direction));
}

function groupLabel(g: RecoveryPlanGroupRec, bootIndex: number): string {
  if (g.groupType === 'Shutdown') return 'All groups shutdown';
  if (g.groupType === 'Failover') return 'All groups failover';
  return `Group ${bootIndex}`;
}

function actionTask(
  a: RecoveryPlanActionRec,
  label: string,
  when: 'Pre-steps' | 'Post-steps',
  group: Record<string, unknown>,
): TaskSpec {
  const d = a.customDetails;
  const primarySide = d['fabricLocation'] === 'Primary';
  const base = { name: a.actionName, friendlyName: `${label}: ${when} - ${a.actionName}`, groupDetails: group };
  if (d['instanceType'] === 'ManualActionDetails')
    return {
      ...base,
      seconds: 0,
      waitForUser: true,
      taskType: 'ManualActionTaskDetails',
      customDetails: {
        instanceType: 'ManualActionTaskDetails',
        name: a.actionName,
        ...(d['description'] !== undefined ? { instructions: d['description'] } : {}),
      },
      data: { kind: 'action' },
    };
  if (d['instanceType'] === 'ScriptActionDetails')
    return {
      ...base,
      seconds: 0,
      taskType: 'ScriptActionTaskDetails',
      customDetails: {
        instanceType: 'ScriptActionTaskDetails',
        name: a.actionName,
        path: d['path'] ?? '',
        output: 'Recorded, not run by the emulator.',
        isPrimarySideScript: primarySide,
      },
      data: { kind: 'action' },
    };
  return {
    ...base,
    seconds: 0,
    taskType: 'AutomationRunbookTaskDetails',
    customDetails: {
      instanceType: 'AutomationRunbookTaskDetails',
      name: a.actionName,
      ...(d['runbookId'] ? { runbookId: d['runbookId'], runbookName: d['runbookId'].split('/').pop() ?? '' } : {}),
      jobOutput: 'Recorded, not run by the emulator.',
      isPrimarySideScript: primarySide,
    },
    data: { kind: 'action' },
  };
}

/**
 * The tasks of a plan job, in order: per group (Shutdown, Failover, Boot 1…n) the start
 * actions that apply, one task per item, then the end actions that apply. Item tasks get their
 * duration when they start (the item's own job's task durations, summed).
 */
export function planTasks(s: AsrScope, plan: RecoveryPlanRec, op: PlanOp, direction: string): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  let boot = 0;
  plan.groups.forEach((g, gi) => {
    if (g.groupType === 'Boot') boot++;
    const label = groupLabel(g, boot);
    const group = {
      instanceType:
        g.groupType === 'Shutdown' ? 'RecoveryPlanShutdownGroupTaskDetails' : 'RecoveryPlanGroupTaskDetails',
      name: label,
      groupId: String(gi),
      rpGroupType: g.groupType,
    };
    for (const a of g.startGroupActions)
      if (actionApplies(a, op, direction)) tasks.push(actionTask(a, label, 'Pre-steps', group));
    for (const r of g.items) {
      const x = resolve(s, r);
      if (!x) continue;
      tasks.push({
        name: x.item.name,
        friendlyName: `${label}: ${VERB[op]} - ${x.item.vmName}`,
        seconds: 0,
        taskType: 'VirtualMachineTaskDetails',
        customDetails: {
          instanceType: 'VirtualMachineTaskDetails',
          jobTask: {
            jobFriendlyName: VERB[op],
            targetObjectId: x.item.vmId,
            targetObjectName: x.item.vmName,
            targetInstanceType: 'ProtectionEntity',
            jobScenarioName: PLAN_SCENARIO[op],
          },
        },
        groupDetails: group,
        data: { kind: 'item', fabric: x.f.name, container: x.c.name, item: x.item.name },
      });
    }
    for (const a of g.endGroupActions)
      if (actionApplies(a, op, direction)) tasks.push(actionTask(a, label, 'Post-steps', group));
  });
  return tasks;
}

/** Why the item's part of a plan operation is already done (its task is skipped), if it is. */
function skipReason(op: PlanOp, direction: string, item: ProtectedItemRec): string | undefined {
  switch (op) {
    case 'TestFailover':
      return item.phase === 'TestFailoverDone' ? 'The item has a test failover waiting for its cleanup.' : undefined;
    case 'TestFailoverCleanup':
      return item.phase !== 'TestFailoverDone' ? 'The item has no test failover to clean up.' : undefined;
    case 'PlannedFailover':
      if (direction === 'RecoveryToPrimary')
        return item.activeLocation === 'Primary' ? 'The item is already active on the primary site.' : undefined;
      return item.activeLocation === 'Recovery' ? 'The item is already failed over to Azure.' : undefined;
    case 'UnplannedFailover':
      return item.activeLocation === 'Recovery' ? 'The item is already failed over to Azure.' : undefined;
    case 'Commit':
      return item.phase !== 'FailedOver' && item.phase !== 'FailedBack'
        ? 'The item has no failover to commit.'
        : undefined;
    case 'ReverseReplicate':
      return item.phase === 'Replicating' ? 'The item already replicates to Azure.' : undefined;
  }
}

function errorSpecOf(e: ArmError): JobErrorSpec {
  const d = e.extra.details?.[0];
  return {
    code: e.code,
    message: e.message,
    possibleCauses: d?.possibleCauses ?? '',
    recommendedAction: d?.recommendedAction ?? '',
  };
}

function jobPlan(core: EmulatorCore, job: JobRec): { s: AsrScope; plan: RecoveryPlanRec } | undefined {
  const vault = core.world.vaults[job.vaultKey];
  if (!vault) return undefined;
  const s = scopeOfVault(vault);
  const plan = plansOf(s)[lower(job.effect.args['plan'] ?? '')];
  return plan ? { s, plan } : undefined;
}

/** The item's effect as its own job would apply it: the same handler, with the item's arguments. */
function itemEffectJob(job: JobRec, data: Record<string, string>): JobRec {
  return {
    ...job,
    effect: {
      kind: data['effect'] ?? 'none',
      args: {
        fabric: data['fabric'] ?? '',
        container: data['container'] ?? '',
        item: data['item'] ?? '',
        prevPhase: data['prevPhase'] ?? 'Replicating',
        ...(JSON.parse(data['args'] ?? '{}') as Record<string, string>),
      },
    },
  };
}

export function registerPlanEffects(core: EmulatorCore): void {
  const applyItem = (job: JobRec, idx: number, at: number, outcome: 'success' | 'failure') => {
    const data = job.tasks[idx]?.data;
    if (!data || data['kind'] !== 'item' || !data['effect'] || data['applied']) return;
    data['applied'] = 'true';
    const h = core.jobs.handler(data['effect']);
    const fake = itemEffectJob(job, data);
    if (outcome === 'success') h?.onSuccess?.(fake, at);
    else h?.onFailure?.(fake, at);
  };

  core.jobs.on('recoveryPlan', {
    onTaskStart: (job, idx, at) => {
      const task = job.tasks[idx];
      const data = task?.data;
      if (!task || data?.['kind'] !== 'item') return;
      for (const k of ['effect', 'args', 'prevPhase', 'applied']) delete data[k];
      delete task.skipped;
      const found = jobPlan(core, job);
      const op = job.effect.args['op'] as PlanOp;
      const direction = job.effect.args['direction'] ?? 'PrimaryToRecovery';
      const x = found
        ? resolve(found.s, {
            fabric: data['fabric'] ?? '',
            container: data['container'] ?? '',
            item: data['item'] ?? '',
          })
        : undefined;
      const skip = (reason: string) => {
        task.skipped = true;
        task.durationMs = 0;
        task.customDetails = {
          ...(task.customDetails ?? {}),
          skippedReason: 'AlreadyDone',
          skippedReasonString: reason,
        };
      };
      if (!x) return skip('The item is no longer protected.');
      const reason = skipReason(op, direction, x.item);
      if (reason) return skip(reason);
      const input = JSON.parse(job.effect.args['input'] ?? '{}') as Record<string, unknown>;
      const recoveryPointType = job.effect.args['recoveryPointType'];
      let spec: PlanItemSpec;
      try {
        spec = actions().specs[op]({ core, now: at }, x, input, {
          planJob: job.name,
          ...(recoveryPointType ? { recoveryPointType } : {}),
        });
      } catch (e) {
        if (!(e instanceof ArmError)) throw e;
        // The item cannot run the operation: the plan's job fails here, after the prerequisites check.
        job.failure = { atTask: idx, error: errorSpecOf(e) };
        task.durationMs = PREREQ_SECONDS * 1000;
        return;
      }
      const until = spec.failure ? spec.failure.atTask + 1 : spec.tasks.length;
      task.durationMs = Math.round(spec.tasks.slice(0, until).reduce((n, t) => n + t.seconds, 0) * 1000);
      if (spec.failure) job.failure = { atTask: idx, error: spec.failure.error };
      data['effect'] = spec.effect;
      data['args'] = JSON.stringify(spec.args ?? {});
      data['prevPhase'] = x.item.phase;
      x.item.phase = spec.phase;
      x.item.currentJob = { scenarioName: spec.scenarioName, jobName: job.name, startTime: at };
    },
    onTaskEnd: (job, idx, at) => {
      const task = job.tasks[idx];
      if (task?.state === 'Succeeded') applyItem(job, idx, at, 'success');
      else if (task?.state === 'Failed') applyItem(job, idx, at, 'failure');
    },
    onSuccess: (job, at) => {
      const found = jobPlan(core, job);
      if (!found) return;
      const op = job.effect.args['op'];
      if (op === 'TestFailover') found.plan.lastTestFailoverTime = at;
      if (op === 'PlannedFailover') found.plan.lastPlannedFailoverTime = at;
      if (op === 'UnplannedFailover') found.plan.lastUnplannedFailoverTime = at;
    },
    onFailure: (job, at) => {
      // A cancelled job puts back the item it was running (a failed item task did at its end).
      job.tasks.forEach((t, i) => {
        if (t.state === 'Cancelled') applyItem(job, i, at, 'failure');
      });
    },
  });

  // Create, update and delete apply at once; a failed job (an injected fault) puts back the plan before.
  core.jobs.on('recoveryPlanEdit', {
    onFailure: (job) => {
      const vault = core.world.vaults[job.vaultKey];
      if (!vault) return;
      const plans = plansOf(scopeOfVault(vault));
      const key = lower(job.effect.args['plan'] ?? '');
      const prev = job.effect.args['prev'];
      if (prev) plans[key] = JSON.parse(prev) as RecoveryPlanRec;
      else delete plans[key];
    },
  });
}

/** A plan action refused: 409 while a job runs on the plan or on one of its items. */
export function requirePlanIdle(s: AsrScope, plan: RecoveryPlanRec): void {
  const job = activePlanJob(s, plan);
  if (job)
    throw new ArmError(
      409,
      'AnotherOperationInProgress',
      `Another operation (${job.scenarioName}, job ${job.name}) is in progress on the recovery plan '${plan.name}'.`,
      {
        details: [
          {
            code: 'AnotherOperationInProgress',
            message: `Job ${ids.job(s, job.name)} is ${job.state}.`,
            possibleCauses: 'Only one operation at a time can run on a recovery plan.',
            recommendedAction:
              'Wait for the running job to finish (GET replicationJobs/{job}); resume it if it waits for a manual action.',
          },
        ],
      },
    );
}

export function requireItemsIdle(s: AsrScope, plan: RecoveryPlanRec): void {
  for (const { item } of planItems(s, plan)) {
    if (!item.currentJob) continue;
    const job = s.vault.asr.jobs[lower(item.currentJob.jobName)];
    if (job && ACTIVE.has(job.state))
      throw new ArmError(
        409,
        'AnotherOperationInProgress',
        `The replicated item '${item.vmName}' of the recovery plan '${plan.name}' has an operation in progress (${job.scenarioName}, job ${job.name}).`,
        {
          details: [
            {
              code: 'AnotherOperationInProgress',
              message: `Job ${ids.job(s, job.name)} is ${job.state}.`,
              possibleCauses: 'A recovery plan operation needs every item of the plan free of other operations.',
              recommendedAction: 'Wait for the item’s job to finish (GET replicationJobs/{job}), then retry.',
            },
          ],
        },
      );
  }
}
