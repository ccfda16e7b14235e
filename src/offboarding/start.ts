import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  OFFBOARDING_CONTRACT_VERSION,
  type OffboardRecord,
  type OffboardTenantInput,
  type OffboardTenantRecord,
  type OffboardVmInput,
} from './contract';
import type { Plan } from '../domain/plan/types';
import { allVmNetworksOf, networksOf } from '../domain/tenant-networks';
import { cloudsLabel } from '../domain/vmm-placement';
import { vaultTargetOf } from '../domain/targets';
import { containerMappingName, networkMappingName, policyName } from '../domain/vault-names';
import { AsrKind, AsrScenario, AsrTenant, AsrVm } from '../temporal/workflow/search-attributes';
import { workflowIds } from '../temporal/workflow/workflow-ids';
// Started by reference: the arguments and the result are typed end to end.
import { offboardTenantWorkflow } from './workflows/offboard-tenant';
import { offboardVmWorkflow } from './workflows/offboard-vm';

/** The plan does not know the tenant: exit code 2. */
export class OffboardInputError extends Error {
  override name = 'OffboardInputError';
}

/** Something else runs on the VM (its failover, its protection, another offboarding): refused, exit 1. */
export class OffboardBlockedError extends Error {
  override name = 'OffboardBlockedError';
  constructor(
    message: string,
    readonly workflowId: string,
  ) {
    super(message);
  }
}

function tenantOf(plan: Plan, tenantName: string) {
  const tenant = plan.tenants.find((t) => t.name === tenantName);
  if (!tenant)
    throw new OffboardInputError(
      `tenant '${tenantName}' is not in the plan; tenants: ${plan.tenants.map((t) => t.name).join(', ')}`,
    );
  return tenant;
}

/** Builds the secret-free workflow input from the plan: tenant, vault, principal reference, cloud. */
export function offboardInputFromPlan(plan: Plan, tenantName: string, vm: string): OffboardVmInput {
  const tenant = tenantOf(plan, tenantName);
  return {
    version: OFFBOARDING_CONTRACT_VERSION,
    tenant: tenant.name,
    scenario: plan.scenario,
    vm,
    vault: vaultTargetOf(tenant.vault),
    scope: {
      subscriptionId: tenant.subscriptionId,
      vmmServer: tenant.vmm.server,
      cloud: tenant.vmm.cloud,
      ...(tenant.vmm.clouds ? { clouds: [...tenant.vmm.clouds] } : {}),
    },
  };
}

/**
 * The input of a whole tenant's offboarding: the names onboarding gave its objects in the vault,
 * whether the vault is its own (scenario 2), and with `deleteResources` the resources asrflow
 * created for it.
 */
export function offboardTenantInputFromPlan(
  plan: Plan,
  tenantName: string,
  options: { deleteResources?: boolean } = {},
): OffboardTenantInput {
  const tenant = tenantOf(plan, tenantName);
  return {
    version: OFFBOARDING_CONTRACT_VERSION,
    tenant: tenant.name,
    scenario: plan.scenario,
    vault: vaultTargetOf(tenant.vault),
    scope: {
      subscriptionId: tenant.subscriptionId,
      vmmServer: tenant.vmm.server,
      cloud: tenant.vmm.cloud,
      vmNetwork: tenant.vmm.vmNetwork,
      ...(tenant.vmm.clouds ? { clouds: [...tenant.vmm.clouds] } : {}),
      ...(allVmNetworksOf(tenant).length > 1 ? { vmNetworks: allVmNetworksOf(tenant) } : {}),
    },
    names: {
      policy: policyName(tenant.name),
      containerMapping: containerMappingName(tenant.name),
      networkMapping: networkMappingName(tenant.name),
    },
    dedicatedVault: !tenant.vault.shared,
    ...(options.deleteResources
      ? {
          resources: {
            principal: { tenantId: tenant.tenantId, credential: tenant.credential },
            subscriptionId: tenant.subscriptionId,
            resourceGroup: tenant.resourceGroup,
            storageAccount: tenant.storageAccount.name,
            // asrflow's own VNets only: never a customer's (existing, or in another group).
            virtualNetworks: networksOf(tenant).flatMap(({ network }) => [
              network.testFailoverVnet.name,
              ...(network.existing || network.resourceGroup !== undefined ? [] : [network.vnet]),
            ]),
          },
        }
      : {}),
  };
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/**
 * Starts the offboarding of one VM, unless a workflow still works on it: its failover (a VM
 * being failed over must be finished first) or its protection (the tenant's onboarding would
 * see the item vanish and report a failure). A finished offboarding may run again: it then finds
 * nothing to do and says so.
 */
export async function startVmOffboarding(
  client: Client,
  input: OffboardVmInput,
  taskQueue: string,
): Promise<WorkflowHandle<typeof offboardVmWorkflow>> {
  const blockers: Array<[string, string]> = [
    [workflowIds.failover(input.tenant, input.vm), `a failover of ${input.vm} runs`],
    [workflowIds.vmProtection(input.tenant, input.vm), `the protection of ${input.vm} is still being set up`],
  ];
  for (const [workflowId, what] of blockers) {
    if (await isRunning(client, workflowId))
      throw new OffboardBlockedError(
        `refused: ${what} (workflow ${workflowId}); let it finish first, then offboard ${input.vm}.`,
        workflowId,
      );
  }
  const workflowId = workflowIds.offboardVm(input.tenant, input.vm);
  try {
    return await client.workflow.start(offboardVmWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Offboard ${input.vm} (${input.tenant})`,
      staticDetails: `Disable protection of ${input.vm} of tenant ${input.tenant} in vault ${input.vault.vault} (${cloudsLabel(input.scope)} on ${input.scope.vmmServer}).`,
      typedSearchAttributes: [
        { key: AsrKind, value: 'offboarding' },
        { key: AsrTenant, value: input.tenant },
        { key: AsrVm, value: input.vm },
        { key: AsrScenario, value: input.scenario },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw new OffboardBlockedError(
      `refused: an offboarding of ${input.vm} (${input.tenant}) is already running as workflow ${workflowId}.`,
      workflowId,
    );
  }
}

/**
 * Starts the offboarding of a whole tenant, unless a workflow still works on it: its onboarding,
 * a failover or a VM's offboarding. A finished one may run again: it then finds nothing left.
 */
export async function startTenantOffboarding(
  client: Client,
  input: OffboardTenantInput,
  taskQueue: string,
): Promise<WorkflowHandle<typeof offboardTenantWorkflow>> {
  const onboarding = workflowIds.tenantOnboarding(input.tenant);
  if (await isRunning(client, onboarding))
    throw new OffboardBlockedError(
      `refused: the onboarding of ${input.tenant} still runs (workflow ${onboarding}); let it finish first, then offboard the tenant.`,
      onboarding,
    );
  const tenant = input.tenant.replace(/'/g, "''");
  for await (const busy of client.workflow.list({
    query: `AsrKind IN ('failover', 'offboarding') AND AsrTenant = '${tenant}' AND ExecutionStatus = 'Running'`,
  })) {
    throw new OffboardBlockedError(
      `refused: workflow ${busy.workflowId} still works on a VM of ${input.tenant}; let it finish first, then offboard the tenant.`,
      busy.workflowId,
    );
  }
  const workflowId = workflowIds.offboardTenant(input.tenant);
  try {
    return await client.workflow.start(offboardTenantWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `Offboard tenant ${input.tenant}`,
      staticDetails: `Remove the protection of tenant ${input.tenant} from vault ${input.vault.vault}${input.resources ? `, and the resources asrflow created in ${input.resources.resourceGroup}` : ''}.`,
      typedSearchAttributes: [
        { key: AsrKind, value: 'offboarding' },
        { key: AsrTenant, value: input.tenant },
        { key: AsrScenario, value: input.scenario },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw new OffboardBlockedError(
      `refused: an offboarding of tenant ${input.tenant} is already running as workflow ${workflowId}.`,
      workflowId,
    );
  }
}

export type { OffboardRecord, OffboardTenantRecord };
