import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  foreignNetworkProblem,
  PLAN_KIND_TITLES,
  type FailoverOptions,
  type PlanDrillRecord,
  type PlanFailoverInput,
  type PlanFailoverKind,
  type TenantScope,
} from '../contract';
import type { Plan, TenantPlan } from '../../domain/plan/types';
import { testNetworkIdOf, vaultTargetOf } from '../../domain/targets';
import { recoveryPlanName } from '../../domain/vault-names';
import { AsrKind, AsrPlan, AsrScenario, AsrTenant } from '../../temporal/workflow/search-attributes';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import { planFailoverWorkflow } from '../workflows/plan-failover';
import { FailoverConflictError, FailoverInputError } from './index';

// Starting an action on a tenant's recovery plan: the input from the plan file (the plan's
// groups, the tenant's scope and principal), the guards against a VM of the plan failing over
// alone, and the drill records of finished plan failovers for the report.

function tenantOf(plan: Plan, name: string): TenantPlan {
  const tenant = plan.tenants.find((t) => t.name === name);
  if (!tenant)
    throw new FailoverInputError(
      `tenant '${name}' is not in the plan; tenants: ${plan.tenants.map((t) => t.name).join(', ')}`,
    );
  return tenant;
}

/** Builds the secret-free input of a recovery plan's failover from the plan file. */
export function planFailoverInputFromPlan(
  plan: Plan,
  tenantName: string,
  planName: string,
  kind: PlanFailoverKind,
  options: FailoverOptions,
): PlanFailoverInput {
  const tenant = tenantOf(plan, tenantName);
  const recoveryPlan = tenant.recoveryPlans?.find((p) => p.name === planName);
  if (!recoveryPlan) {
    const known = (tenant.recoveryPlans ?? []).map((p) => p.name);
    throw new FailoverInputError(
      known.length > 0
        ? `--recovery-plan: tenant ${tenant.name} has no recovery plan '${planName}'; its recovery plans: ${known.join(', ')}`
        : `--recovery-plan: tenant ${tenant.name} has no recoveryPlans in the plan; add one under the tenant (docs/PLAN.md, "Recovery plans") and run asrflow onboard with the plan`,
    );
  }
  const scope: TenantScope = {
    subscriptionId: tenant.subscriptionId,
    vmmServer: tenant.vmm.server,
    cloud: tenant.vmm.cloud,
    ...(tenant.vmm.clouds ? { clouds: [...tenant.vmm.clouds] } : {}),
    principal: { tenantId: tenant.tenantId, credential: tenant.credential },
  };
  // A recovery plan's test failover takes one network: the tenant's (first) test VNet.
  const testNetworkId = options.testNetworkId ?? testNetworkIdOf(tenant);
  const foreign = kind === 'test' ? foreignNetworkProblem('--test-network:', testNetworkId, scope) : undefined;
  if (foreign)
    throw new FailoverInputError(
      `${foreign}. A test failover of tenant ${tenant.name} may only use a VNet of its own subscription.`,
    );
  return {
    tenant: tenant.name,
    scenario: plan.scenario,
    plan: {
      name: recoveryPlan.name,
      azureName: recoveryPlanName(tenant.name, recoveryPlan.name),
      ...(recoveryPlan.rtoSeconds !== undefined ? { rtoSeconds: recoveryPlan.rtoSeconds } : {}),
      ...(recoveryPlan.rpoSeconds !== undefined ? { rpoSeconds: recoveryPlan.rpoSeconds } : {}),
      groups: recoveryPlan.groups.map((g) => ({
        vms: [...g.vms],
        ...(g.before !== undefined ? { before: g.before } : {}),
        ...(g.after !== undefined ? { after: g.after } : {}),
      })),
    },
    kind,
    vault: vaultTargetOf(tenant.vault),
    scope,
    options: { ...options, ...(kind === 'test' ? { testNetworkId } : {}) },
  };
}

async function isRunning(client: Client, workflowId: string): Promise<{ kind?: string } | undefined> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.status.name !== 'RUNNING') return undefined;
    const kind = d.memo?.['failoverKind'] ?? d.memo?.['planKind'];
    return typeof kind === 'string' ? { kind } : {};
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/**
 * Why a plan's failover may not start now: a VM of it fails over alone, or the plan already
 * runs an action (thrown as a FailoverConflictError naming the workflow).
 */
export async function planFailoverGuard(client: Client, input: PlanFailoverInput): Promise<void> {
  for (const vm of input.plan.groups.flatMap((g) => g.vms)) {
    const id = workflowIds.failover(input.tenant, vm);
    const running = await isRunning(client, id);
    if (running)
      throw new FailoverConflictError(
        `refused: VM ${vm} of recovery plan ${input.plan.name} fails over alone (${running.kind ?? 'failover'}, workflow ${id}); a VM fails over alone or with its plan, not both. ` +
          (running.kind === 'test'
            ? `Finish it with 'asrflow failover cleanup --tenant ${input.tenant} --vm ${vm}'.`
            : 'Wait for it to finish.'),
        id,
        running.kind,
      );
  }
  const workflowId = workflowIds.planFailover(input.tenant, input.plan.name);
  const running = await isRunning(client, workflowId);
  if (running) throw planConflict(input, workflowId, running.kind);
}

function planConflict(input: PlanFailoverInput, workflowId: string, kind: string | undefined): FailoverConflictError {
  const what = kind && kind in PLAN_KIND_TITLES ? PLAN_KIND_TITLES[kind as PlanFailoverKind] : 'An action';
  return new FailoverConflictError(
    `refused: ${what.toLowerCase()} of recovery plan ${input.plan.name} (${input.tenant}) is already running as workflow ${workflowId}; one action per plan at a time. ` +
      (kind === 'test'
        ? `Finish it with 'asrflow failover cleanup --tenant ${input.tenant} --recovery-plan ${input.plan.name}'.`
        : 'Wait for it to finish.'),
    workflowId,
    kind,
  );
}

/**
 * Starts a recovery plan's failover: refused while any VM of the plan fails over alone, and
 * while another action on the plan runs (the workflow id is the plan's).
 */
export async function startPlanFailover(
  client: Client,
  input: PlanFailoverInput,
  taskQueue: string,
): Promise<WorkflowHandle<typeof planFailoverWorkflow>> {
  await planFailoverGuard(client, input);
  const workflowId = workflowIds.planFailover(input.tenant, input.plan.name);
  try {
    return await client.workflow.start(planFailoverWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `${PLAN_KIND_TITLES[input.kind]} of recovery plan ${input.plan.name} (${input.tenant})`,
      staticDetails: planFailoverDetails(input),
      memo: { planKind: input.kind },
      typedSearchAttributes: [
        { key: AsrKind, value: 'plan-failover' },
        { key: AsrTenant, value: input.tenant },
        { key: AsrPlan, value: input.plan.name },
        { key: AsrScenario, value: input.scenario },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw planConflict(input, workflowId, (await isRunning(client, workflowId))?.kind);
  }
}

/** The running failover of a recovery plan that holds this VM, if any (a VM fails over alone or with its plan). */
export async function runningPlanFailoverOf(
  client: Client,
  plan: Plan,
  tenantName: string,
  vm: string,
): Promise<{ plan: string; workflowId: string } | undefined> {
  const tenant = plan.tenants.find((t) => t.name === tenantName);
  for (const p of tenant?.recoveryPlans ?? []) {
    if (!p.groups.some((g) => g.vms.some((v) => v.toLowerCase() === vm.toLowerCase()))) continue;
    const workflowId = workflowIds.planFailover(tenantName, p.name);
    if (await isRunning(client, workflowId)) return { plan: p.name, workflowId };
  }
  return undefined;
}

/** The running test failover of a recovery plan, if there is one (for `cleanup`). */
export async function runningPlanTestFailover(
  client: Client,
  tenant: string,
  plan: string,
): Promise<WorkflowHandle<typeof planFailoverWorkflow> | undefined> {
  const workflowId = workflowIds.planFailover(tenant, plan);
  const running = await isRunning(client, workflowId);
  return running?.kind === 'test' ? client.workflow.getHandle<typeof planFailoverWorkflow>(workflowId) : undefined;
}

/** Every finished recovery plan failover through visibility, oldest first. */
export async function collectPlanDrills(client: Client, tenant?: string): Promise<PlanDrillRecord[]> {
  const filters = [`AsrKind = 'plan-failover'`, `ExecutionStatus = 'Completed'`];
  if (tenant) filters.push(`AsrTenant = '${tenant.replace(/'/g, "''")}'`);
  const records: PlanDrillRecord[] = [];
  for await (const execution of client.workflow.list({ query: filters.join(' AND ') }))
    records.push(
      await client.workflow.getHandle<typeof planFailoverWorkflow>(execution.workflowId, execution.runId).result(),
    );
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** What a plan's failover was asked to do, as the Temporal UI shows it under "Details". */
export function planFailoverDetails(input: PlanFailoverInput): string {
  const o = input.options;
  return [
    `- **Tenant** ${input.tenant}: subscription ${input.scope.subscriptionId}`,
    `- **Recovery plan** ${input.plan.azureName} in vault ${input.vault.vault}`,
    ...input.plan.groups.map(
      (g, i) =>
        `- **Group ${i + 1}** ${g.vms.join(', ')}${g.before ? ` — before: ${g.before}` : ''}${g.after ? ` — after: ${g.after}` : ''}`,
    ),
    ...(input.plan.rtoSeconds !== undefined ? [`- **Target RTO** ${input.plan.rtoSeconds} s`] : []),
    ...(input.plan.rpoSeconds !== undefined ? [`- **Target RPO** ${input.plan.rpoSeconds} s`] : []),
    ...(o.testNetworkId ? [`- **Test network** ${o.testNetworkId}`] : []),
    ...(o.cleanupAfter ? [`- **Cleanup** by itself after ${o.cleanupAfter}`] : []),
    ...(o.confirmed ? ['- **Confirmed** by the operator (--yes)'] : []),
  ].join('\n');
}
