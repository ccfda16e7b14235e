import { createVirtualNetwork, readVirtualNetwork, type VirtualNetworkView } from '../../azure/network';
import type { AzureClientFactory } from '../../azure/clients';
import { needsOperator } from '../../azure/failures';
import {
  DEFAULT_PROVISIONING_WAIT,
  waitUntilProvisioned,
  type ProvisioningLook,
  type ProvisioningWait,
} from '../../azure/provisioning';
import { sameRegion } from '../../azure/reads';
import { putResourceGroup } from '../../azure/resource-groups';
import type { ResourceScope } from '../../azure/scope';
import { createStorageAccount, readStorageAccount } from '../../azure/storage';
import type { SubnetSpec } from '../../domain/plan/types';

export type { ResourceScope } from '../../azure/scope';

// The tenant's own Azure resources (resource group, GRS storage account, virtual networks), in
// the tenant's CSP subscription and with the tenant's credential. ARM PUTs are idempotent;
// existing resources are read first so a rerun neither rewrites them nor hides a mismatch.

const GEO_REDUNDANT = new Set(['Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS']);

/** An ARM resource by its provisioningState: Succeeded (or none) → ready, Failed → operator, else wait. */
function provisioningLook(state: string | undefined): ProvisioningLook {
  if (!state || state === 'Succeeded') return { state: 'ready' };
  if (state === 'Failed' || state === 'Canceled')
    return { state: 'failed', detail: `is in provisioning state ${state}` };
  return { state: 'pending', detail: `in provisioning state ${state}` };
}

/** Waits for a resource found while still being created (one that vanishes meanwhile failed). */
async function untilProvisioned(
  what: string,
  state: string | undefined,
  read: () => Promise<{ provisioningState?: string } | undefined>,
  wait: ProvisioningWait,
): Promise<void> {
  if (provisioningLook(state).state === 'ready') return;
  await waitUntilProvisioned(
    what,
    async () => {
      const now = await read();
      return now
        ? provisioningLook(now.provisioningState)
        : { state: 'failed', detail: 'vanished while being created' };
    },
    wait,
  );
}

export function createTenantResourceActivities(
  azure: AzureClientFactory,
  wait: ProvisioningWait = DEFAULT_PROVISIONING_WAIT,
) {
  return {
    async ensureResourceGroup(scope: ResourceScope): Promise<{ id: string }> {
      const group = await putResourceGroup(azure, scope);
      if (!sameRegion(group.location, scope.region)) {
        throw needsOperator(`resource group ${scope.resourceGroup} exists in ${group.location}, not ${scope.region}`, {
          fix: 'all resources of one recovery path must be in the same region: use another resource group name or region in the plan',
        });
      }
      return { id: group.id };
    },

    async ensureStorageAccount(input: ResourceScope & { name: string; sku: string }): Promise<{ id: string }> {
      const existing = await readStorageAccount(azure, input, input.name);
      if (!existing) return createStorageAccount(azure, input, input.name, input.sku);
      // Found while still being created (an earlier attempt, another tool): wait for it.
      await untilProvisioned(
        `storage account ${input.name}`,
        existing.provisioningState,
        () => readStorageAccount(azure, input, input.name),
        wait,
      );
      if (!GEO_REDUNDANT.has(existing.sku)) {
        throw needsOperator(
          `storage account ${input.name} exists with SKU ${existing.sku}, which is not geo-redundant`,
          {
            fix: 'change its redundancy to GRS in the portal, or name another account in the plan',
          },
        );
      }
      if (!sameRegion(existing.location, input.region)) {
        throw needsOperator(`storage account ${input.name} is in ${existing.location}, not ${input.region}`, {
          fix: "the storage account must be in the vault's region: name another account in the plan",
        });
      }
      return { id: existing.id };
    },

    /**
     * Creates the VNet only if it is missing. An existing one is left exactly as it is: the
     * customer may have added subnets or peerings since, and a PUT replaces the whole network
     * (its subnets list included). Differences from the plan come back as warnings.
     */
    async ensureVirtualNetwork(
      input: ResourceScope & {
        name: string;
        addressSpace: string[];
        subnets: SubnetSpec[];
        /** The customer's own VNet: never created or changed; what it lacks stops onboarding. */
        mustExist?: boolean;
      },
    ): Promise<{ id: string; existed?: boolean; warnings?: string[] }> {
      const existing = await readVirtualNetwork(azure, input, input.name);
      if (!existing && input.mustExist) {
        throw needsOperator(
          `virtual network ${input.name} does not exist in resource group ${input.resourceGroup} of subscription ${input.subscriptionId}`,
          {
            code: 'VirtualNetworkNotFound',
            fix: 'check network.vnet and network.resourceGroup in the plan (or let asrflow create the VNet: remove existing: true), then retry',
          },
        );
      }
      if (!existing) {
        const { id } = await createVirtualNetwork(azure, input, input);
        return { id, existed: false };
      }
      if (!sameRegion(existing.location, input.region)) {
        throw needsOperator(`virtual network ${input.name} is in ${existing.location}, not ${input.region}`, {
          fix: "the VNet must be in the vault's region: name another VNet in the plan",
        });
      }
      await untilProvisioned(
        `virtual network ${input.name}`,
        existing.provisioningState,
        () => readVirtualNetwork(azure, input, input.name),
        wait,
      );
      const differences = vnetDifferences(input, existing);
      // The plan's subnets of a customer's VNet are what its VMs' subnets and static addresses
      // were checked against: a VNet without them cannot take the VMs as planned.
      if (input.mustExist && differences.length > 0)
        throw needsOperator(
          `virtual network ${input.name} is not as the plan describes it: ${differences.join('; ')}`,
          {
            code: 'VirtualNetworkDiffers',
            fix: 'make network.addressSpace and network.subnets in the plan match the VNet (or add the subnets to it), then retry',
          },
        );
      return { id: existing.id, existed: true, warnings: differences };
    },
  };
}

/** What the plan asks of a VNet that the existing one does not have (extra subnets are fine). */
export function vnetDifferences(
  plan: { name: string; addressSpace: string[]; subnets: SubnetSpec[] },
  existing: VirtualNetworkView,
): string[] {
  const warnings: string[] = [];
  const prefixes = existing.addressPrefixes;
  for (const p of plan.addressSpace) {
    if (!prefixes.includes(p))
      warnings.push(
        `virtual network ${plan.name} exists without address range ${p} (it has ${prefixes.join(', ') || 'none'}); left unchanged`,
      );
  }
  const subnets = new Map(existing.subnets.map((s) => [s.name.toLowerCase(), s.prefix]));
  for (const s of plan.subnets) {
    const found = subnets.get(s.name.toLowerCase());
    if (found === undefined)
      warnings.push(`virtual network ${plan.name} has no subnet ${s.name} (${s.prefix}); left unchanged`);
    else if (found !== s.prefix)
      warnings.push(`subnet ${s.name} of ${plan.name} is ${found}, the plan says ${s.prefix}; left unchanged`);
  }
  return warnings;
}
