import { ArmError, asrError } from '../arm/errors';
import { asrAccepted, newOperation } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import { bodyObject, obj, page, str } from '../resources/common';
import type { RecoveryPlanRec } from '../state/world';
import { lower, uuidFromName } from '../util/ids';
import { instanceTypeOf, requireVnet } from './checks';
import { startJob } from './jobs';
import {
  PLAN_SCENARIO,
  activePlanJob,
  itemsAllow,
  parseGroups,
  planAllowedOperations,
  planId,
  planTasks,
  planView,
  plansOf,
  requireItemsIdle,
  requirePlanIdle,
  setItemActions,
  type PlanOp,
} from './plans';
import { V } from './routes-infra';
import {
  failoverCommitSpec,
  itemAllowedOperations,
  plannedFailoverSpec,
  reprotectSpec,
  testFailoverCleanupSpec,
  testFailoverSpec,
  unplannedFailoverSpec,
} from './routes-items';
import { asrScope, leafNotFound, type AsrScope } from './scope';
import { AZURE } from './views';

// ReplicationRecoveryPlans_*: CRUD and the plan's failover actions (plans.ts runs their jobs).

const R = `${V}/replicationRecoveryPlans/:recoveryPlanName`;
const RECOVERY_POINT_TYPES = ['Latest', 'LatestApplicationConsistent', 'LatestProcessed'];

function planOf(ctx: ArmContext): { s: AsrScope; plan: RecoveryPlanRec } {
  const s = asrScope(ctx);
  const name = ctx.params['recoveryPlanName'] ?? '';
  const plan = plansOf(s)[lower(name)];
  if (!plan) throw leafNotFound('Recovery plan', name);
  return { s, plan };
}

function props(ctx: ArmContext, required: boolean): Record<string, unknown> {
  if (!required && (ctx.body === undefined || ctx.body === null)) return {};
  const p = obj(bodyObject(ctx)['properties']);
  if (!p && required)
    throw asrError(
      400,
      'InvalidInput',
      'The request body has no properties.',
      'The input of this operation is {properties: {…}}.',
      'Pass the properties the operation takes.',
    );
  return p ?? {};
}

function faultOpt(ctx: ArmContext) {
  return ctx.jobFault ? { fault: ctx.jobFault } : {};
}

/** Create, update and delete run a short job, as Site Recovery's CreateRecoveryPlan / UpdateRecoveryPlan / DeleteRecoveryPlan. */
function editJob(
  ctx: ArmContext,
  s: AsrScope,
  plan: RecoveryPlanRec,
  kind: 'Create' | 'Update' | 'Delete',
  prev: RecoveryPlanRec | undefined,
) {
  const friendly = {
    Create: 'Create a recovery plan',
    Update: 'Update a recovery plan',
    Delete: 'Delete a recovery plan',
  }[kind];
  const started = startJob(
    ctx.core,
    s,
    {
      scenarioName: `${kind}RecoveryPlan`,
      friendlyName: friendly,
      targetObjectId: plan.internalId,
      targetObjectName: plan.name,
      targetInstanceType: 'RecoveryPlan',
      tasks: [{ name: `${kind}RecoveryPlanTask`, friendlyName: `${friendly} task`, seconds: 5 }],
      effect: { kind: 'recoveryPlanEdit', args: { plan: plan.name, ...(prev ? { prev: JSON.stringify(prev) } : {}) } },
      affectedObjectDetails: affected(s, plan),
    },
    { now: ctx.now, resultPath: planId(s, plan), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
  );
  ctx.count(planId(s, plan), plan.name);
  return started.result;
}

function affected(s: AsrScope, plan: RecoveryPlanRec): Record<string, string> {
  const f = s.vault.asr.fabrics[lower(plan.primaryFabric)];
  return {
    RecoveryPlanName: plan.name,
    PrimaryVmmName: f?.friendlyName ?? plan.primaryFabric,
    PrimaryFabricProviderId: 'HyperVSite',
    RecoveryFabricProviderId: 'Azure',
  };
}

function directionOf(p: Record<string, unknown>, fallback?: string): string {
  const d = str(p['failoverDirection']) ?? fallback;
  if (!d || !['PrimaryToRecovery', 'RecoveryToPrimary'].includes(d))
    throw asrError(
      400,
      'InvalidFailoverDirection',
      `failoverDirection '${d ?? ''}' is not valid.`,
      'The direction is PrimaryToRecovery or RecoveryToPrimary.',
      'Pass a valid failoverDirection.',
    );
  return d;
}

/** The one element of providerSpecificDetails (an array for plans) of the instance type the direction takes. */
function providerInput(p: Record<string, unknown>, direction: string): Record<string, unknown> | undefined {
  const raw = p['providerSpecificDetails'];
  if (raw === undefined) return undefined;
  const want = direction === 'RecoveryToPrimary' ? 'HyperVReplicaAzureFailback' : 'HyperVReplicaAzure';
  const list = Array.isArray(raw) ? raw : [raw];
  const found = list.map(obj).find((x) => x && instanceTypeOf(x) === want);
  if (list.length > 0 && !found)
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails has no '${want}' input (got ${list.map((x) => `'${instanceTypeOf(x) ?? ''}'`).join(', ')}).`,
      'The provider specific input does not match the plan (Hyper-V to Azure) and the direction.',
      `Pass providerSpecificDetails: [{instanceType: '${want}'}].`,
    );
  return found;
}

export function registerPlanRoutes(router: ArmRouter): void {
  setItemActions({
    specs: {
      TestFailover: testFailoverSpec,
      TestFailoverCleanup: testFailoverCleanupSpec,
      PlannedFailover: plannedFailoverSpec,
      UnplannedFailover: unplannedFailoverSpec,
      Commit: failoverCommitSpec,
      ReverseReplicate: reprotectSpec,
    },
    allowed: itemAllowedOperations,
  });

  const r = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH',
    path: string,
    operationId: string,
    handler: (ctx: ArmContext) => ReturnType<Parameters<ArmRouter['add']>[0]['handler']>,
  ) => router.add({ method, path, operationId, apiVersions: API.asr, handler });

  r('GET', `${V}/replicationRecoveryPlans`, 'ReplicationRecoveryPlans_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      Object.values(plansOf(s)).map((p) => planView(ctx, s, p)),
    );
  });
  r('GET', R, 'ReplicationRecoveryPlans_Get', (ctx) => {
    const { s, plan } = planOf(ctx);
    return { status: 200, body: planView(ctx, s, plan) };
  });

  r('PUT', R, 'ReplicationRecoveryPlans_Create', (ctx) => {
    const s = asrScope(ctx);
    const name = ctx.params['recoveryPlanName'] ?? '';
    const p = props(ctx, true);
    const existing = plansOf(s)[lower(name)];
    if (existing) requirePlanIdle(s, existing);
    const primaryId = str(p['primaryFabricId']) ?? '';
    const m = /^(.+)\/replicationFabrics\/([^/]+)$/i.exec(primaryId);
    const fabric = m && lower(m[1] ?? '') === lower(s.v) ? s.vault.asr.fabrics[lower(m[2] ?? '')] : undefined;
    if (!fabric)
      throw asrError(
        400,
        'FabricNotFound',
        `The primary fabric '${primaryId}' could not be found in the vault '${s.vault.name}'.`,
        'primaryFabricId must be the ARM id of a fabric (a registered VMM server) of this vault.',
        'List the fabrics of the vault (GET replicationFabrics) and pass the id of one.',
      );
    const recovery = str(p['recoveryFabricId']) ?? '';
    if (lower(recovery) !== lower(AZURE))
      throw asrError(
        400,
        'InvalidRecoveryFabricId',
        `recoveryFabricId '${recovery}' is not valid: Hyper-V (VMM) recovery plans fail over to '${AZURE}'.`,
        'The recovery side of a VMM to Azure plan is Azure.',
        `Pass recoveryFabricId '${AZURE}'.`,
      );
    const model = str(p['failoverDeploymentModel']) ?? 'ResourceManager';
    if (model !== 'ResourceManager')
      throw asrError(
        400,
        'InvalidFailoverDeploymentModel',
        `failoverDeploymentModel '${model}' is not valid.`,
        'Failover to Azure creates Resource Manager virtual machines.',
        "Pass failoverDeploymentModel 'ResourceManager'.",
      );
    const groups = parseGroups(s, fabric, p['groups']);
    const plan: RecoveryPlanRec = existing
      ? { ...structuredClone(existing), primaryFabric: fabric.name, failoverDeploymentModel: model, groups }
      : {
          name,
          internalId: uuidFromName('recovery-plan', s.vaultKey, lower(name), String(ctx.now)),
          primaryFabric: fabric.name,
          failoverDeploymentModel: model,
          groups,
          createdAt: ctx.now,
        };
    plansOf(s)[lower(name)] = plan;
    return editJob(ctx, s, plan, existing ? 'Update' : 'Create', existing);
  });

  r('PATCH', R, 'ReplicationRecoveryPlans_Update', (ctx) => {
    const { s, plan } = planOf(ctx);
    const p = props(ctx, false);
    requirePlanIdle(s, plan);
    const prev = structuredClone(plan);
    if (p['groups'] !== undefined) {
      const fabric = s.vault.asr.fabrics[lower(plan.primaryFabric)];
      if (!fabric)
        throw asrError(
          400,
          'FabricNotFound',
          `The primary fabric '${plan.primaryFabric}' of the recovery plan no longer exists.`,
          'The fabric was removed from the vault.',
          'Delete the recovery plan.',
        );
      plan.groups = parseGroups(s, fabric, p['groups']);
    }
    return editJob(ctx, s, plan, 'Update', prev);
  });

  r('DELETE', R, 'ReplicationRecoveryPlans_Delete', (ctx) => {
    const s = asrScope(ctx);
    const plan = plansOf(s)[lower(ctx.params['recoveryPlanName'] ?? '')];
    if (!plan) return { status: 204 };
    requirePlanIdle(s, plan);
    delete plansOf(s)[lower(plan.name)];
    return editJob(ctx, s, plan, 'Delete', plan);
  });

  /** Starts the plan's job for `op`, after the checks every plan action makes. */
  const runPlan = (
    ctx: ArmContext,
    op: PlanOp,
    input: { direction: string; itemInput: Record<string, unknown>; recoveryPointType?: string },
  ) => {
    const { s, plan } = planOf(ctx);
    requirePlanIdle(s, plan);
    requireItemsIdle(s, plan);
    if (!itemsAllow(ctx, s, plan, op, input.direction)) {
      const allowed = planAllowedOperations(ctx, s, plan);
      const named =
        op === 'PlannedFailover' && input.direction === 'RecoveryToPrimary' ? 'PlannedFailover (failback)' : op;
      throw asrError(
        400,
        'OperationNotAllowed',
        `The operation '${named}' is not allowed on the recovery plan '${plan.name}' in its current state. Allowed operations: ${allowed.join(', ') || 'none'}.`,
        'No item of the recovery plan is in a state that allows this operation.',
        'Check allowedOperations of the recovery plan and perform the operations in order.',
      );
    }
    const tasks = planTasks(s, plan, op, input.direction);
    const started = startJob(
      ctx.core,
      s,
      {
        scenarioName: PLAN_SCENARIO[op],
        friendlyName: {
          TestFailover: 'Test failover',
          TestFailoverCleanup: 'Test failover cleanup',
          PlannedFailover: input.direction === 'RecoveryToPrimary' ? 'Planned failover (failback)' : 'Planned failover',
          UnplannedFailover: 'Failover',
          Commit: 'Commit',
          ReverseReplicate: 'Reverse replicate',
        }[op],
        targetObjectId: plan.internalId,
        targetObjectName: plan.name,
        targetInstanceType: 'RecoveryPlan',
        tasks,
        effect: {
          kind: 'recoveryPlan',
          args: {
            plan: plan.name,
            op,
            direction: input.direction,
            input: JSON.stringify(input.itemInput),
            ...(input.recoveryPointType ? { recoveryPointType: input.recoveryPointType } : {}),
          },
        },
        affectedObjectDetails: affected(s, plan),
      },
      { now: ctx.now, resultPath: planId(s, plan), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    );
    plan.currentJob = { scenarioName: PLAN_SCENARIO[op], jobName: started.job.name, startTime: ctx.now };
    ctx.count(planId(s, plan), plan.name);
    return started.result;
  };

  const recoveryPointTypeOf = (psd: Record<string, unknown> | undefined): string | undefined => {
    const t = str(psd?.['recoveryPointType']);
    if (t !== undefined && !RECOVERY_POINT_TYPES.includes(t))
      throw asrError(
        400,
        'InvalidInput',
        `recoveryPointType '${t}' is not valid.`,
        'Hyper-V to Azure plans fail over to the latest, the latest processed or the latest application-consistent point.',
        `Use one of: ${RECOVERY_POINT_TYPES.join(', ')}.`,
      );
    return t;
  };

  r('POST', `${R}/testFailover`, 'ReplicationRecoveryPlans_TestFailover', (ctx) => {
    const p = props(ctx, true);
    const direction = directionOf(p);
    if (direction !== 'PrimaryToRecovery')
      throw asrError(
        400,
        'InvalidFailoverDirection',
        `Test failover direction '${direction}' is not valid.`,
        'Test failover of Hyper-V to Azure runs from the primary site to Azure.',
        "Use failoverDirection 'PrimaryToRecovery'.",
      );
    const networkType = str(p['networkType']) ?? '';
    if (networkType !== 'VmNetworkAsInput' && networkType !== 'NoNetworkAttachAsInput')
      throw asrError(
        400,
        'InvalidInput',
        `networkType '${networkType}' is not valid.`,
        'A test failover attaches the test VMs to the network given, or to none.',
        "Use networkType 'VmNetworkAsInput' (with networkId) or 'NoNetworkAttachAsInput'.",
      );
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
      requireVnet(ctx.core, asrScope(ctx).vault, networkId, 'networkId');
    }
    const psd = providerInput(p, direction);
    const recoveryPointType = recoveryPointTypeOf(psd);
    return runPlan(ctx, 'TestFailover', {
      direction,
      itemInput: { failoverDirection: direction, networkType, ...(networkId ? { networkId } : {}) },
      ...(recoveryPointType ? { recoveryPointType } : {}),
    });
  });

  r('POST', `${R}/testFailoverCleanup`, 'ReplicationRecoveryPlans_TestFailoverCleanup', (ctx) => {
    const p = props(ctx, true);
    const comments = str(p['comments']);
    if (comments !== undefined && comments.length > 1024)
      throw asrError(
        400,
        'InvalidInput',
        'comments is longer than 1024 characters.',
        'The cleanup comments are limited to 1024 characters.',
        'Shorten the comments.',
      );
    return runPlan(ctx, 'TestFailoverCleanup', { direction: 'PrimaryToRecovery', itemInput: {} });
  });

  r('POST', `${R}/plannedFailover`, 'ReplicationRecoveryPlans_PlannedFailover', (ctx) => {
    const p = props(ctx, true);
    const direction = directionOf(p);
    const psd = providerInput(p, direction);
    const recoveryPointType = direction === 'PrimaryToRecovery' ? recoveryPointTypeOf(psd) : undefined;
    const itemInput: Record<string, unknown> = { failoverDirection: direction };
    if (direction === 'RecoveryToPrimary' && psd)
      itemInput['providerSpecificDetails'] = {
        instanceType: 'HyperVReplicaAzureFailback',
        // A plan's failback does not wait between synchronization and shutdown.
        dataSyncOption: 'ForDownTime',
        ...(str(psd['recoveryVmCreationOption'])
          ? { recoveryVmCreationOption: str(psd['recoveryVmCreationOption']) }
          : {}),
      };
    return runPlan(ctx, 'PlannedFailover', {
      direction,
      itemInput,
      ...(recoveryPointType ? { recoveryPointType } : {}),
    });
  });

  r('POST', `${R}/unplannedFailover`, 'ReplicationRecoveryPlans_UnplannedFailover', (ctx) => {
    const p = props(ctx, true);
    const direction = directionOf(p);
    if (direction !== 'PrimaryToRecovery')
      throw asrError(
        400,
        'InvalidFailoverDirection',
        `An unplanned failover '${direction}' is not possible for a Hyper-V to Azure plan.`,
        'Unplanned failover of Hyper-V to Azure goes from the primary site to Azure.',
        "Use failoverDirection 'PrimaryToRecovery'.",
      );
    const sourceSiteOperations = str(p['sourceSiteOperations']) ?? '';
    if (sourceSiteOperations !== 'Required' && sourceSiteOperations !== 'NotRequired')
      throw asrError(
        400,
        'InvalidInput',
        `sourceSiteOperations '${sourceSiteOperations}' is not valid.`,
        'An unplanned failover shuts the source VMs down (Required) or not (NotRequired).',
        "Pass sourceSiteOperations 'Required' or 'NotRequired'.",
      );
    const recoveryPointType = recoveryPointTypeOf(providerInput(p, direction));
    return runPlan(ctx, 'UnplannedFailover', {
      direction,
      itemInput: { failoverDirection: direction, sourceSiteOperations },
      ...(recoveryPointType ? { recoveryPointType } : {}),
    });
  });

  r('POST', `${R}/failoverCommit`, 'ReplicationRecoveryPlans_FailoverCommit', (ctx) => {
    const { s, plan } = planOf(ctx);
    // A commit after a failback commits the failback (RecoveryToPrimary actions run).
    const back = Object.values(s.vault.asr.fabrics).some((f) =>
      Object.values(f.containers).some((c) =>
        Object.values(c.items).some(
          (i) =>
            i.phase === 'FailedBack' &&
            plan.groups.some((g) =>
              g.items.some(
                (r) =>
                  lower(r.fabric) === lower(f.name) &&
                  lower(r.container) === lower(c.name) &&
                  lower(r.item) === lower(i.name),
              ),
            ),
        ),
      ),
    );
    return runPlan(ctx, 'Commit', { direction: back ? 'RecoveryToPrimary' : 'PrimaryToRecovery', itemInput: {} });
  });

  r('POST', `${R}/reProtect`, 'ReplicationRecoveryPlans_Reprotect', (ctx) =>
    runPlan(ctx, 'ReverseReplicate', {
      direction: 'PrimaryToRecovery',
      itemInput: { failoverDirection: 'PrimaryToRecovery' },
    }),
  );

  // Cancels the plan's running failover (test, planned or unplanned) job: items already done stay done.
  r('POST', `${R}/failoverCancel`, 'ReplicationRecoveryPlans_FailoverCancel', (ctx) => {
    const { s, plan } = planOf(ctx);
    const job = activePlanJob(s, plan);
    if (!job || !['TestFailover', 'PlannedFailover', 'UnplannedFailover'].includes(job.scenarioName))
      throw asrError(
        400,
        'OperationNotAllowed',
        `The operation 'CancelFailover' is not allowed on the recovery plan '${plan.name}': no failover of the plan is running.`,
        'Only a running (or suspended) failover job of the plan can be cancelled.',
        'Check allowedOperations of the recovery plan.',
      );
    if (!ctx.core.jobs.cancel(job, ctx.now))
      throw new ArmError(409, 'Conflict', `The job '${job.name}' cannot be cancelled.`);
    ctx.count(planId(s, plan), plan.name);
    const op = newOperation(ctx.core, { kind: 'done', resultPath: planId(s, plan), apiVersion: ctx.apiVersion });
    return asrAccepted(ctx.core, s.v, op, planId(s, plan));
  });
}
