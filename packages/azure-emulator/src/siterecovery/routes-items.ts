import { ArmError, asrError } from '../arm/errors';
import { asrAccepted } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import { bodyObject, obj, page, str } from '../resources/common';
import { recoveryPoints, replicationView } from '../sim/replication';
import type { TaskSpec } from '../sim/jobs';
import type { EmulatorCore } from '../core';
import type { ContainerRec, FabricRec, ItemPhase, JobErrorSpec, ProtectedItemRec } from '../state/world';
import { lower } from '../util/ids';
import { instanceTypeOf, requireResourceGroupId, requireStorage, requireVnet } from './checks';
import { operationForJob, startJob } from './jobs';
import { readinessIssues, osDiskOf } from './readiness';
import { policyByIdOrName } from './routes-config';
import { V, allFabrics } from './routes-infra';
import { asrScope, containerOf, fabricOf, ids, lastSegmentIfUnder, leafNotFound, type AsrScope } from './scope';
import { isPaired, itemView, phaseInfo, recoveryPointName, recoveryPointViews, vhdIdOf, vmIdOf } from './views';
import { failoverPrerequisiteFailure } from './failover-prereqs';
import { targetComputeSizeViews, vmShape } from './target-size';
import { enableSettings, requireTargetVmName, updatedTarget } from './vm-settings';
import { activePlanJobOn } from './plans';

const C = `${V}/replicationFabrics/:fabricName/replicationProtectionContainers/:protectionContainerName`;
const P = `${C}/replicationProtectedItems/:replicatedProtectedItemName`;

export interface ItemCtx {
  s: AsrScope;
  f: FabricRec;
  c: ContainerRec;
  item: ProtectedItemRec;
}

/** What checking an item action needs: the world and the simulated time (an ArmContext has both). */
export interface ItemEnv {
  core: EmulatorCore;
  now: number;
}

/**
 * How a recovery plan's job runs a per-item action: the plan's recovery point type stands in
 * for a recovery point id, and the plan's own job does not count as another operation.
 */
export interface PlanItemOptions {
  recoveryPointType?: string;
  planJob?: string;
}

/** What an accepted per-item action starts: the item's phase while it runs, and its job. */
export interface ItemActionSpec {
  phase: ItemPhase;
  scenarioName: string;
  friendlyName: string;
  tasks: TaskSpec[];
  effect: string;
  args?: Record<string, string>;
  /** A failure known when the job starts (a failover's prerequisites). */
  failure?: { atTask: number; error: JobErrorSpec };
}

function itemCtx(ctx: ArmContext): ItemCtx {
  const s = asrScope(ctx);
  const f = fabricOf(s, ctx.params['fabricName'] ?? '');
  const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
  const item = c.items[lower(ctx.params['replicatedProtectedItemName'] ?? '')];
  if (!item) throw leafNotFound('Replication protected item', ctx.params['replicatedProtectedItemName'] ?? '');
  return { s, f, c, item };
}

function faultOpt(ctx: ArmContext) {
  return ctx.jobFault ? { fault: ctx.jobFault } : {};
}

/**
 * Refuses any operation while a job runs on the item, as Site Recovery does: its own job, or
 * the job of a recovery plan that holds it (`exemptJob`: the plan job running the action).
 */
function requireIdle(ic: ItemCtx, exemptJob?: string): void {
  const { s, item } = ic;
  const plan = activePlanJobOn(s, ic.f, ic.c, item);
  if (plan && lower(plan.job.name) !== lower(exemptJob ?? '')) {
    throw new ArmError(
      409,
      'AnotherOperationInProgress',
      `The replicated item '${item.vmName}' is part of the recovery plan '${plan.plan.name}', whose ${plan.job.scenarioName} job ${plan.job.name} is ${plan.job.state}.`,
      {
        details: [
          {
            code: 'AnotherOperationInProgress',
            message: `Job ${ids.job(s, plan.job.name)} of recovery plan '${plan.plan.name}' is ${plan.job.state}.`,
            possibleCauses: 'A recovery plan operation runs on every item of the plan until its job ends.',
            recommendedAction: 'Wait for the recovery plan job to finish (GET replicationJobs/{job}), then retry.',
          },
        ],
      },
    );
  }
  if (item.currentJob && lower(item.currentJob.jobName) !== lower(exemptJob ?? '')) {
    const job = s.vault.asr.jobs[lower(item.currentJob.jobName)];
    if (job && (job.state === 'InProgress' || job.state === 'Suspended' || job.state === 'NotStarted')) {
      throw new ArmError(
        409,
        'AnotherOperationInProgress',
        `Another operation (${job.scenarioName}, job ${job.name}) is in progress on the replicated item '${item.vmName}'.`,
        {
          details: [
            {
              code: 'AnotherOperationInProgress',
              message: `Job ${ids.job(s, job.name)} is ${job.state}.`,
              possibleCauses: 'Only one operation at a time can run on a replicated item.',
              recommendedAction: 'Wait for the running job to finish (GET replicationJobs/{job}), then retry.',
            },
          ],
        },
      );
    }
  }
}

/** The operations the item's state allows now (allowedOperations). */
export function itemAllowedOperations(env: ItemEnv, s: AsrScope, item: ProtectedItemRec): string[] {
  const policy = s.vault.asr.policies[lower(item.policyName)];
  return phaseInfo(item, replicationView(item, policy, env.now).initialDone).allowed;
}

/** Refuses an operation the item's state does not allow, as Site Recovery does. */
function requireAllowed(env: ItemEnv, ic: ItemCtx, operation: string, exemptJob?: string): void {
  const { s, item } = ic;
  requireIdle(ic, exemptJob);
  const policy = s.vault.asr.policies[lower(item.policyName)];
  const rep = replicationView(item, policy, env.now);
  const allowed = phaseInfo(item, rep.initialDone).allowed;
  if (!allowed.includes(operation)) {
    throw asrError(
      400,
      'OperationNotAllowed',
      `The operation '${operation}' is not allowed on the replicated item '${item.vmName}' in its current state (${phaseInfo(item, rep.initialDone).description}). Allowed operations: ${allowed.join(', ') || 'none'}.`,
      rep.initialDone
        ? 'The replicated item is not in a state that allows this operation.'
        : 'Initial replication has not completed yet, so no recovery point is available.',
      'Check allowedOperations of the replicated item and perform the operations in order.',
    );
  }
}

/**
 * Site Recovery takes target settings while the VM replicates to Azure and no job runs on it:
 * during initial replication, resynchronization and once Protected. Not while a test
 * failover VM exists (only its cleanup is allowed then), and not once the item failed over
 * or back: the Azure VM exists or is gone, and settings for its creation mean nothing.
 */
function requireUpdatable(ctx: ArmContext, ic: ItemCtx): void {
  requireIdle(ic);
  if (ic.item.phase === 'Replicating') return;
  const policy = ic.s.vault.asr.policies[lower(ic.item.policyName)];
  const state = phaseInfo(ic.item, replicationView(ic.item, policy, ctx.now).initialDone).description;
  throw asrError(
    400,
    'OperationNotAllowed',
    `The properties of the replicated item '${ic.item.vmName}' cannot be updated in its current state (${state}).`,
    'Target settings can change only while the virtual machine replicates to Azure.',
    'Update the item while it is protected (after a test failover, clean it up first).',
  );
}

function begin(ctx: ArmContext, ic: ItemCtx, job: ItemActionSpec) {
  const { s, f, c, item } = ic;
  const prevPhase = item.phase;
  const resultPath = ids.item(s, f, c, item);
  const started = startJob(
    ctx.core,
    s,
    {
      scenarioName: job.scenarioName,
      friendlyName: job.friendlyName,
      targetObjectId: item.vmId,
      targetObjectName: item.vmName,
      targetInstanceType: 'ProtectionEntity',
      tasks: job.tasks,
      effect: {
        kind: job.effect,
        args: { fabric: f.name, container: c.name, item: item.name, prevPhase, ...(job.args ?? {}) },
      },
      affectedObjectDetails: {
        PrimaryVmName: item.vmName,
        PrimaryCloudName: c.friendlyName,
        PrimaryVmmName: f.friendlyName,
        RecoveryFabricProviderId: 'Azure',
      },
      ...(job.failure ? { failure: job.failure } : {}),
    },
    { now: ctx.now, resultPath, apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
  );
  item.phase = job.phase;
  item.currentJob = { scenarioName: job.scenarioName, jobName: started.job.name, startTime: ctx.now };
  ctx.count(resultPath, item.vmName);
  return started.result;
}

function props(ctx: ArmContext): Record<string, unknown> {
  return obj(bodyObject(ctx)['properties']) ?? {};
}

/**
 * The recovery point a failover uses: the one named, else the latest. A recovery plan passes
 * a type instead: LatestApplicationConsistent takes the latest app-consistent point, Latest and
 * LatestProcessed the latest point.
 */
function pointByIdOrLatest(env: ItemEnv, ic: ItemCtx, id: string | undefined, type?: string): string {
  const policy = ic.s.vault.asr.policies[lower(ic.item.policyName)];
  const points = recoveryPoints(ic.item, policy, env.now);
  if (!id && type === 'LatestApplicationConsistent') {
    const app = points.find((p) => p.type === 'AppConsistent');
    if (!app)
      throw asrError(
        400,
        'RecoveryPointNotFound',
        `No application-consistent recovery point is available for '${ic.item.vmName}'.`,
        'The replication policy takes no application-consistent snapshots, or none was taken yet.',
        "Use recoveryPointType 'Latest' or 'LatestProcessed', or wait for an application-consistent point.",
      );
    return recoveryPointName(ic.item, app.time);
  }
  if (!id) return points[0] ? recoveryPointName(ic.item, points[0].time) : '';
  const name =
    lastSegmentIfUnder(id, `${ids.item(ic.s, ic.f, ic.c, ic.item)}/recoveryPoints`) ??
    (id.includes('/') ? undefined : id);
  const found = points.find((p) => lower(recoveryPointName(ic.item, p.time)) === lower(name ?? ''));
  if (!found)
    throw asrError(
      400,
      'RecoveryPointNotFound',
      `The recovery point '${id}' was not found for '${ic.item.vmName}'.`,
      'The recovery point does not exist or is older than the retention window.',
      'List the recovery points of the replicated item and pass the id of one.',
    );
  return recoveryPointName(ic.item, found.time);
}

function usedBytes(env: ItemEnv, item: ProtectedItemRec): number {
  const vm = env.core.vm(item.vmmServer, item.cloud, item.vmName);
  return (vm?.disks ?? []).reduce((n, d) => n + (d.usedGB ?? d.sizeGB) * 1024 ** 3, 0);
}

// The failover actions, as checks that throw Site Recovery's errors and the job they start.
// A per-item request and a recovery plan's job (at the item's task) run the same code.

export function testFailoverSpec(
  env: ItemEnv,
  ic: ItemCtx,
  p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  const direction = str(p['failoverDirection']) ?? 'PrimaryToRecovery';
  if (direction !== 'PrimaryToRecovery')
    throw asrError(
      400,
      'InvalidFailoverDirection',
      `Test failover direction '${direction}' is not valid while the item is active on ${ic.item.activeLocation}.`,
      'Test failover of Hyper-V to Azure runs from the primary site to Azure.',
      "Use failoverDirection 'PrimaryToRecovery'.",
    );
  requireAllowed(env, ic, 'TestFailover', opts.planJob);
  const networkType = str(p['networkType']) ?? 'VmNetworkAsInput';
  const networkId = str(p['networkId']);
  if (networkType === 'VmNetworkAsInput') {
    if (!networkId)
      throw asrError(
        400,
        'InvalidInput',
        'networkId is required when networkType is VmNetworkAsInput.',
        'No test network was given.',
        'Pass the ARM id of an Azure virtual network, or use networkType NoNetworkAttachAsInput.',
      );
    requireVnet(env.core, ic.s.vault, networkId, 'networkId');
  }
  const psd = obj(p['providerSpecificDetails']);
  if (psd && instanceTypeOf(psd) !== 'HyperVReplicaAzure')
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid.`,
      'The provider specific input does not match the item.',
      "Use 'HyperVReplicaAzure'.",
    );
  const point = pointByIdOrLatest(env, ic, str(psd?.['recoveryPointId']), opts.recoveryPointType);
  return {
    phase: 'TestFailoverRunning',
    scenarioName: 'TestFailover',
    friendlyName: 'Test failover',
    tasks: [
      { name: 'TestFailoverPrerequisitesCheck', friendlyName: 'Prerequisites check for test failover', seconds: 20 },
      { name: 'CreateTestVm', friendlyName: 'Create the test virtual machine', seconds: 180 },
      { name: 'StartTestVm', friendlyName: 'Start the virtual machine', seconds: 60 },
    ],
    effect: 'testFailover',
    args: { recoveryPoint: point, ...(networkId && networkType === 'VmNetworkAsInput' ? { networkId } : {}) },
    failure: failoverPrerequisiteFailure(env.core, ic.item),
  };
}

export function testFailoverCleanupSpec(
  env: ItemEnv,
  ic: ItemCtx,
  _p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  requireAllowed(env, ic, 'TestFailoverCleanup', opts.planJob);
  return {
    phase: 'TestFailoverCleaning',
    scenarioName: 'TestFailoverCleanup',
    friendlyName: 'Test failover cleanup',
    tasks: [{ name: 'CleanupTestVm', friendlyName: 'Cleaning up the test virtual machine', seconds: 90 }],
    effect: 'testFailoverCleanup',
  };
}

export function plannedFailoverSpec(
  env: ItemEnv,
  ic: ItemCtx,
  p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  const direction =
    str(p['failoverDirection']) ?? (ic.item.activeLocation === 'Primary' ? 'PrimaryToRecovery' : 'RecoveryToPrimary');
  const psd = obj(p['providerSpecificDetails']);
  if (direction === 'PrimaryToRecovery') {
    if (ic.item.activeLocation !== 'Primary')
      throw asrError(
        400,
        'InvalidFailoverDirection',
        `The item '${ic.item.vmName}' is already active in Azure.`,
        'A planned failover to Azure needs the item active on the primary site.',
        "Use failoverDirection 'RecoveryToPrimary' to fail back.",
      );
    if (psd && instanceTypeOf(psd) !== 'HyperVReplicaAzure')
      throw asrError(
        400,
        'InvalidInstanceType',
        `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid for a failover to Azure.`,
        'The provider specific input does not match the direction.',
        "Use 'HyperVReplicaAzure'.",
      );
    requireAllowed(env, ic, 'PlannedFailover', opts.planJob);
    const point = pointByIdOrLatest(env, ic, str(psd?.['recoveryPointId']), opts.recoveryPointType);
    return {
      phase: 'PlannedFailoverRunning',
      scenarioName: 'PlannedFailover',
      friendlyName: 'Planned failover',
      tasks: [
        {
          name: 'PlannedFailoverPrerequisitesCheck',
          friendlyName: 'Prerequisites check for planned failover',
          seconds: 20,
        },
        { name: 'ShutdownVm', friendlyName: 'Shut down the virtual machine', seconds: 60 },
        { name: 'SyncLatestData', friendlyName: 'Synchronize the latest data', seconds: 60 },
        { name: 'StartReplicaVm', friendlyName: 'Start the replica virtual machine', seconds: 180 },
      ],
      effect: 'plannedFailover',
      args: { recoveryPoint: point },
      failure: failoverPrerequisiteFailure(env.core, ic.item),
    };
  }
  if (direction !== 'RecoveryToPrimary')
    throw asrError(
      400,
      'InvalidFailoverDirection',
      `failoverDirection '${direction}' is not valid.`,
      'The direction is PrimaryToRecovery or RecoveryToPrimary.',
      'Pass a valid failoverDirection.',
    );
  if (psd && instanceTypeOf(psd) !== 'HyperVReplicaAzureFailback')
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid for a failback.`,
      'Failback from Azure takes HyperVReplicaAzureFailback input.',
      "Use 'HyperVReplicaAzureFailback' with dataSyncOption and recoveryVmCreationOption.",
    );
  requireAllowed(env, ic, 'Failback', opts.planJob);
  const sync = str(psd?.['dataSyncOption']) ?? 'ForDownTime';
  const syncSeconds = Math.max(
    30,
    Math.round(
      (usedBytes(env, ic.item) * 0.1) / (((env.core.vmmServer(ic.item.vmmServer)?.uploadMbps ?? 100) * 1e6) / 8),
    ),
  );
  return {
    phase: 'FailbackRunning',
    scenarioName: 'PlannedFailover',
    friendlyName: 'Planned failover (failback)',
    tasks: [
      { name: 'FailbackPrerequisitesCheck', friendlyName: 'Prerequisites check for failback', seconds: 20 },
      {
        name: 'SynchronizeData',
        friendlyName: 'Synchronize data to the on-premises site',
        seconds: syncSeconds,
        ...(sync === 'ForSynchronization' ? { pauseAfter: true } : {}),
      },
      { name: 'ShutdownAzureVm', friendlyName: 'Shut down the Azure virtual machine', seconds: 60 },
      { name: 'FinalSync', friendlyName: 'Final data synchronization', seconds: 60 },
      { name: 'StartOnPremVm', friendlyName: 'Start the on-premises virtual machine', seconds: 60 },
    ],
    effect: 'failback',
  };
}

export function unplannedFailoverSpec(
  env: ItemEnv,
  ic: ItemCtx,
  p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  const direction = str(p['failoverDirection']) ?? 'PrimaryToRecovery';
  if (direction !== 'PrimaryToRecovery' || ic.item.activeLocation !== 'Primary')
    throw asrError(
      400,
      'InvalidFailoverDirection',
      `An unplanned failover '${direction}' is not possible while '${ic.item.vmName}' is active on ${ic.item.activeLocation}.`,
      'Unplanned failover of Hyper-V to Azure goes from the primary site to Azure.',
      "Use failoverDirection 'PrimaryToRecovery' on an item active on the primary site.",
    );
  const psd = obj(p['providerSpecificDetails']);
  if (psd && instanceTypeOf(psd) !== 'HyperVReplicaAzure')
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid.`,
      'The provider specific input does not match the item.',
      "Use 'HyperVReplicaAzure'.",
    );
  requireAllowed(env, ic, 'UnplannedFailover', opts.planJob);
  const shutdown = (str(p['sourceSiteOperations']) ?? 'NotRequired') === 'Required';
  const point = pointByIdOrLatest(env, ic, str(psd?.['recoveryPointId']), opts.recoveryPointType);
  return {
    phase: 'UnplannedFailoverRunning',
    scenarioName: 'UnplannedFailover',
    friendlyName: 'Failover',
    tasks: [
      { name: 'UnplannedFailoverPrerequisitesCheck', friendlyName: 'Prerequisites check for failover', seconds: 20 },
      ...(shutdown ? [{ name: 'ShutdownVm', friendlyName: 'Shut down the virtual machine', seconds: 60 }] : []),
      { name: 'StartReplicaVm', friendlyName: 'Start the replica virtual machine', seconds: 180 },
    ],
    effect: 'unplannedFailover',
    args: { recoveryPoint: point, shutdownSource: String(shutdown) },
    failure: failoverPrerequisiteFailure(env.core, ic.item),
  };
}

export function failoverCommitSpec(
  env: ItemEnv,
  ic: ItemCtx,
  _p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  requireAllowed(env, ic, 'Commit', opts.planJob);
  const back = ic.item.phase === 'FailedBack';
  return {
    phase: back ? 'FailbackCommitRunning' : 'CommitRunning',
    scenarioName: 'CommitFailover',
    friendlyName: 'Commit',
    tasks: back
      ? [
          { name: 'CommitTask', friendlyName: 'Commit the failover', seconds: 40 },
          { name: 'DeleteAzureVm', friendlyName: 'Delete the Azure virtual machine', seconds: 40 },
        ]
      : [{ name: 'CommitTask', friendlyName: 'Commit the failover', seconds: 60 }],
    effect: back ? 'failbackCommit' : 'commit',
  };
}

export function reprotectSpec(
  env: ItemEnv,
  ic: ItemCtx,
  p: Record<string, unknown>,
  opts: PlanItemOptions = {},
): ItemActionSpec {
  requireAllowed(env, ic, 'ReverseReplicate', opts.planJob);
  const direction = str(p['failoverDirection']) ?? 'PrimaryToRecovery';
  if (direction !== 'PrimaryToRecovery')
    throw asrError(
      400,
      'InvalidFailoverDirection',
      `Reprotect direction '${direction}' is not valid: after failback, '${ic.item.vmName}' replicates from the primary site to Azure again.`,
      'The direction does not match where the item is active.',
      "Use failoverDirection 'PrimaryToRecovery'.",
    );
  const psd = obj(p['providerSpecificDetails']);
  if (psd && instanceTypeOf(psd) !== 'HyperVReplicaAzure')
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid.`,
      'The provider specific input does not match the item.',
      "Use 'HyperVReplicaAzure'.",
    );
  const storage = str(psd?.['storageAccountId']);
  if (storage) {
    requireStorage(env.core, ic.s.vault, storage, 'storageAccountId', true);
    ic.item.target.storageAccountId = storage;
  }
  return {
    phase: 'ReprotectRunning',
    scenarioName: 'ReverseReplication',
    friendlyName: 'Reverse replicate',
    tasks: [
      {
        name: 'ReprotectPrerequisitesCheck',
        friendlyName: 'Prerequisites check for reverse replication',
        seconds: 20,
      },
      { name: 'EnableReplication', friendlyName: 'Enable replication to Azure', seconds: 60 },
      { name: 'StartResync', friendlyName: 'Start resynchronization', seconds: 30 },
    ],
    effect: 'reprotect',
  };
}

export function registerItemRoutes(router: ArmRouter): void {
  const r = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH',
    path: string,
    operationId: string,
    handler: (ctx: ArmContext) => ReturnType<Parameters<ArmRouter['add']>[0]['handler']>,
  ) => router.add({ method, path, operationId, apiVersions: API.asr, handler });

  r('GET', `${V}/replicationProtectedItems`, 'ReplicationProtectedItems_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).flatMap((f) =>
        Object.values(f.containers).flatMap((c) =>
          Object.values(c.items).map((i) => itemView(ctx.core, s, f, c, i, ctx.now)),
        ),
      ),
    );
  });
  r(
    'GET',
    `${C}/replicationProtectedItems`,
    'ReplicationProtectedItems_ListByReplicationProtectionContainers',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
      return page(
        ctx,
        Object.values(c.items).map((i) => itemView(ctx.core, s, f, c, i, ctx.now)),
      );
    },
  );
  r('GET', P, 'ReplicationProtectedItems_Get', (ctx) => {
    const { s, f, c, item } = itemCtx(ctx);
    return { status: 200, body: itemView(ctx.core, s, f, c, item, ctx.now) };
  });

  // Enable protection.
  r('PUT', P, 'ReplicationProtectedItems_Create', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
    const name = ctx.params['replicatedProtectedItemName'] ?? '';
    const existing = c.items[lower(name)];
    if (existing) {
      const job = existing.currentJob ? s.vault.asr.jobs[lower(existing.currentJob.jobName)] : undefined;
      const op =
        job && job.scenarioName === 'EnableDr' && job.state === 'InProgress'
          ? operationForJob(ctx.core, job.name)
          : undefined;
      if (op) return asrAccepted(ctx.core, s.v, op, ids.item(s, f, c, existing));
      return { status: 200, body: itemView(ctx.core, s, f, c, existing, ctx.now) };
    }
    const p = props(ctx);
    const policy = policyByIdOrName(s, str(p['policyId']));
    if (!policy)
      throw asrError(
        400,
        'PolicyNotFound',
        `The replication policy '${str(p['policyId']) ?? ''}' was not found in vault '${s.vault.name}'.`,
        'The policy id is wrong or the policy was deleted.',
        'Pass the id of a policy of this vault.',
      );
    const paired = Object.values(c.mappings).some(
      (m) => m.state === 'Paired' && lower(m.policyName) === lower(policy.name),
    );
    if (!paired || !isPaired(c)) {
      throw asrError(
        400,
        'ProtectionContainerNotAssociatedWithPolicy',
        `The cloud '${c.friendlyName}' is not associated with the replication policy '${policy.name}'.`,
        'Protection can be enabled only for VMs in a cloud associated with the policy.',
        'Associate the cloud with the policy (protection container mapping) and wait for it to be Paired.',
      );
    }
    const vmm = ctx.core.vmmServer(f.vmmServer);
    const protectableName =
      lastSegmentIfUnder(str(p['protectableItemId']), ids.container(s, f, c) + '/replicationProtectableItems') ?? '';
    // The protectable item id (the VMM VM id) names one VM of this cloud, never a same-named VM of another cloud.
    const vm = vmm?.vms.find(
      (v) =>
        lower(v.cloud) === lower(c.cloudName) && lower(vmIdOf(vmm.name, v.cloud, v.name)) === lower(protectableName),
    );
    if (!vmm || !vm)
      throw asrError(
        400,
        'ProtectableItemNotFound',
        `The protectable item '${str(p['protectableItemId']) ?? ''}' was not found in cloud '${c.friendlyName}'.`,
        'The id does not name a virtual machine of this cloud.',
        'List the protectable items of the protection container and pass the id of one.',
      );
    const already = Object.values(c.items).find(
      (i) => lower(i.cloud) === lower(vm.cloud) && lower(i.vmName) === lower(vm.name),
    );
    if (already)
      throw asrError(
        400,
        'ProtectableItemAlreadyProtected',
        `The virtual machine '${vm.name}' is already protected as '${already.name}'.`,
        'Protection is already enabled for this virtual machine.',
        'Use the existing replicated item.',
      );
    const psd = obj(p['providerSpecificDetails']) ?? {};
    if (instanceTypeOf(psd) !== 'HyperVReplicaAzure') {
      throw asrError(
        400,
        'InvalidInstanceType',
        `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid for a VMM cloud replicating to Azure.`,
        'The replication provider does not match the policy.',
        "Use providerSpecificDetails.instanceType 'HyperVReplicaAzure'.",
      );
    }
    const useManaged = lower(str(psd['useManagedDisks']) ?? 'false') === 'true';
    // Without an explicit target, Hyper-V to Azure replicates to the policy's storage account.
    const storageId = str(psd['targetStorageAccountId']) ?? (useManaged ? undefined : policy.storageAccounts[0]);
    const logStorageId = str(psd['logStorageAccountId']);
    if (storageId) requireStorage(ctx.core, s.vault, storageId, 'targetStorageAccountId', true);
    else if (!useManaged)
      throw asrError(
        400,
        'InvalidInput',
        'targetStorageAccountId is required when useManagedDisks is not true and the policy names no storage account.',
        'No target storage account was given.',
        'Pass the ARM id of a geo-redundant storage account in the vault region.',
      );
    if (logStorageId) requireStorage(ctx.core, s.vault, logStorageId, 'logStorageAccountId', false);
    else if (useManaged && !storageId)
      throw asrError(
        400,
        'InvalidInput',
        'logStorageAccountId is required with managed disks.',
        'No cache storage account was given.',
        'Pass the ARM id of a storage account in the vault region.',
      );
    const networkId = str(psd['targetAzureNetworkId']);
    const subnetName = str(psd['targetAzureSubnetId']);
    if (networkId) {
      const vnet = requireVnet(ctx.core, s.vault, networkId, 'targetAzureNetworkId');
      if (subnetName && !vnet.subnets.some((x) => lower(x.name) === lower(subnetName.split('/').pop() ?? ''))) {
        throw asrError(
          400,
          'SubnetNotFound',
          `The subnet '${subnetName}' is not a subnet of '${vnet.name}'.`,
          'The target subnet does not exist.',
          `Use one of: ${vnet.subnets.map((x) => x.name).join(', ')}.`,
        );
      }
    }
    const rgId = str(psd['targetAzureV2ResourceGroupId']);
    if (rgId) requireResourceGroupId(ctx.core, rgId, 'targetAzureV2ResourceGroupId');
    const targetVmName = str(psd['targetAzureVmName']) ?? vm.name;
    requireTargetVmName(targetVmName, 'targetAzureVmName');
    const osType = str(psd['osType']);
    if (osType && osType !== vm.osType)
      throw asrError(
        400,
        'InvalidOsType',
        `osType '${osType}' does not match the virtual machine '${vm.name}' (${vm.osType}).`,
        "The OS type given is not the VM's.",
        `Use osType '${vm.osType}'.`,
      );
    const settings = enableSettings(s.vault, vmm.name, vm, psd, { vmName: targetVmName, resourceGroupId: rgId });
    const osDisk = osDiskOf(vm);
    const item: ProtectedItemRec = {
      name,
      vmmServer: vmm.name,
      cloud: vm.cloud,
      vmName: vm.name,
      vmId: vmIdOf(vmm.name, vm.cloud, vm.name),
      protectableItemName: vmIdOf(vmm.name, vm.cloud, vm.name),
      policyName: policy.name,
      phase: 'Enabling',
      activeLocation: 'Primary',
      osDiskId: osDisk ? vhdIdOf(vmm.name, vm.cloud, vm.name, osDisk.name) : '',
      createdAt: ctx.now,
      target: {
        vmName: targetVmName,
        ...(storageId ? { storageAccountId: storageId } : {}),
        ...(logStorageId ? { logStorageAccountId: logStorageId } : {}),
        ...(rgId ? { resourceGroupId: rgId } : {}),
        ...(networkId ? { networkId } : {}),
        ...(subnetName ? { subnetName: subnetName.split('/').pop() ?? subnetName } : {}),
        ...(str(psd['targetVmSize']) ? { vmSize: str(psd['targetVmSize']) } : {}),
        useManagedDisks: useManaged ? 'true' : 'false',
        ...(str(psd['diskType']) ? { diskType: str(psd['diskType']) } : {}),
        ...(str(psd['enableRdpOnTargetOption'])
          ? { enableRdpOnTargetOption: str(psd['enableRdpOnTargetOption']) }
          : {}),
        ...settings,
      },
    };
    c.items[lower(name)] = item;
    const readiness = readinessIssues(vm, { targetVmName })[0];
    const resultPath = ids.item(s, f, c, item);
    const started = startJob(
      ctx.core,
      s,
      {
        scenarioName: 'EnableDr',
        friendlyName: 'Enable protection',
        targetObjectId: item.vmId,
        targetObjectName: vm.name,
        targetInstanceType: 'ProtectionEntity',
        tasks: [
          {
            name: 'EnableProtectionPrerequisitesCheck',
            friendlyName: 'Prerequisites check for enabling protection',
            seconds: 30,
          },
          { name: 'CreateProtectionTargetTask', friendlyName: 'Identifying the replication target', seconds: 20 },
          { name: 'EnableProtectionTask', friendlyName: 'Enable replication', seconds: 60 },
          { name: 'StartInitialReplicationTask', friendlyName: 'Starting initial replication', seconds: 30 },
          { name: 'UpdateDraStateTask', friendlyName: 'Updating the provider states', seconds: 10 },
        ],
        effect: {
          kind: 'enableProtection',
          args: { fabric: f.name, container: c.name, item: name, snapshot: JSON.stringify(item) },
        },
        affectedObjectDetails: {
          PrimaryVmName: vm.name,
          PrimaryCloudName: c.friendlyName,
          PrimaryVmmName: f.friendlyName,
          ProtectionProfileName: policy.name,
          RecoveryFabricProviderId: 'Azure',
        },
        ...(readiness ? { failure: { atTask: 0, error: readiness.error } } : {}),
      },
      { now: ctx.now, resultPath, apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    );
    item.currentJob = { scenarioName: 'EnableDr', jobName: started.job.name, startTime: ctx.now };
    ctx.count(resultPath, vm.name);
    return started.result;
  });

  // Update the target settings (Compute and Network). The settings apply at once, so that
  // addresses they reserve are taken from that moment; the job's failure puts the previous
  // ones back (effects.ts).
  r('PATCH', P, 'ReplicationProtectedItems_Update', (ctx) => {
    const ic = itemCtx(ctx);
    requireUpdatable(ctx, ic);
    const { item } = ic;
    const vm = ctx.core.vm(item.vmmServer, item.cloud, item.vmName);
    const vmmName = ctx.core.vmmServer(item.vmmServer)?.name ?? item.vmmServer;
    const next = updatedTarget(ctx.core, ic.s.vault, item, vm, vmmName, props(ctx));
    const prev = item.target;
    item.target = next;
    return begin(ctx, ic, {
      phase: item.phase,
      scenarioName: 'UpdateVmProperties',
      friendlyName: 'Update the virtual machine properties',
      tasks: [{ name: 'UpdateVmProperties', friendlyName: 'Update the virtual machine properties', seconds: 20 }],
      effect: 'updateVmProperties',
      args: { prevTarget: JSON.stringify(prev), target: JSON.stringify(next) },
    });
  });

  r('POST', `${P}/testFailover`, 'ReplicationProtectedItems_TestFailover', (ctx) => {
    const ic = itemCtx(ctx);
    return begin(ctx, ic, testFailoverSpec(ctx, ic, props(ctx)));
  });

  r('POST', `${P}/testFailoverCleanup`, 'ReplicationProtectedItems_TestFailoverCleanup', (ctx) => {
    const ic = itemCtx(ctx);
    bodyObject(ctx);
    return begin(ctx, ic, testFailoverCleanupSpec(ctx, ic, {}));
  });

  r('POST', `${P}/plannedFailover`, 'ReplicationProtectedItems_PlannedFailover', (ctx) => {
    const ic = itemCtx(ctx);
    return begin(ctx, ic, plannedFailoverSpec(ctx, ic, props(ctx)));
  });

  r('POST', `${P}/unplannedFailover`, 'ReplicationProtectedItems_UnplannedFailover', (ctx) => {
    const ic = itemCtx(ctx);
    return begin(ctx, ic, unplannedFailoverSpec(ctx, ic, props(ctx)));
  });

  r('POST', `${P}/failoverCommit`, 'ReplicationProtectedItems_FailoverCommit', (ctx) => {
    const ic = itemCtx(ctx);
    return begin(ctx, ic, failoverCommitSpec(ctx, ic, {}));
  });

  r('POST', `${P}/applyRecoveryPoint`, 'ReplicationProtectedItems_ApplyRecoveryPoint', (ctx) => {
    const ic = itemCtx(ctx);
    const p = props(ctx);
    requireAllowed(ctx, ic, 'ChangePit');
    const id = str(p['recoveryPointId']);
    if (!id)
      throw asrError(
        400,
        'InvalidInput',
        'recoveryPointId is required.',
        'No recovery point was given.',
        'Pass the id of a recovery point of the item.',
      );
    const point = pointByIdOrLatest(ctx, ic, id);
    return begin(ctx, ic, {
      phase: 'ChangingPit',
      scenarioName: 'ChangePit',
      friendlyName: 'Change recovery point',
      tasks: [{ name: 'ApplyRecoveryPoint', friendlyName: 'Apply the recovery point', seconds: 120 }],
      effect: 'changePit',
      args: { recoveryPoint: point },
    });
  });

  r('POST', `${P}/reProtect`, 'ReplicationProtectedItems_Reprotect', (ctx) => {
    const ic = itemCtx(ctx);
    return begin(ctx, ic, reprotectSpec(ctx, ic, props(ctx)));
  });

  r('POST', `${P}/remove`, 'ReplicationProtectedItems_Delete', (ctx) => {
    const ic = itemCtx(ctx);
    requireAllowed(ctx, ic, 'DisableProtection');
    return begin(ctx, ic, {
      phase: 'Disabling',
      scenarioName: 'DisableDr',
      friendlyName: 'Disable protection',
      tasks: [
        { name: 'DisableProtectionTask', friendlyName: 'Disable protection', seconds: 60 },
        { name: 'CleanupReplicaTask', friendlyName: 'Delete the replica disks', seconds: 30 },
      ],
      effect: 'disableProtection',
    });
  });

  r('DELETE', P, 'ReplicationProtectedItems_Purge', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
    const item = c.items[lower(ctx.params['replicatedProtectedItemName'] ?? '')];
    if (!item) return { status: 204 };
    return begin(
      ctx,
      { s, f, c, item },
      {
        phase: 'Disabling',
        scenarioName: 'PurgeProtection',
        friendlyName: 'Remove the replicated item',
        tasks: [{ name: 'PurgeTask', friendlyName: 'Remove the replicated item', seconds: 30 }],
        effect: 'disableProtection',
      },
    );
  });

  // The region's sizes, each with the reasons it cannot host this VM (NICs, data disks, generation).
  r('GET', `${P}/targetComputeSizes`, 'TargetComputeSizes_ListByReplicationProtectedItems', (ctx) => {
    const { s, f, c, item } = itemCtx(ctx);
    const vm = ctx.core.vm(item.vmmServer, item.cloud, item.vmName);
    return page(ctx, targetComputeSizeViews(ids.item(s, f, c, item), vmShape(vm, item.target)));
  });

  r('GET', `${P}/recoveryPoints`, 'RecoveryPoints_ListByReplicationProtectedItems', (ctx) => {
    const { s, f, c, item } = itemCtx(ctx);
    return page(ctx, recoveryPointViews(ctx.core, s, f, c, item, ctx.now));
  });
  r('GET', `${P}/recoveryPoints/:recoveryPointName`, 'RecoveryPoints_Get', (ctx) => {
    const { s, f, c, item } = itemCtx(ctx);
    const rp = recoveryPointViews(ctx.core, s, f, c, item, ctx.now).find(
      (x) => lower(String(x['name'])) === lower(ctx.params['recoveryPointName'] ?? ''),
    );
    if (!rp) throw leafNotFound('Recovery point', ctx.params['recoveryPointName'] ?? '');
    return { status: 200, body: rp };
  });
}
