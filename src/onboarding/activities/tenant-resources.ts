import type { VirtualNetwork } from '../../azure/sdk';
import { restorePoller, type StorageAccount } from '../../azure/sdk';
import type { AzureClientFactory } from '../../azure/clients';
import { runCheckpointedLro } from '../../azure/checkpoint';
import { azureCall, needsOperator } from '../../azure/failures';
import {
  DEFAULT_PROVISIONING_WAIT,
  waitUntilProvisioned,
  type ProvisioningLook,
  type ProvisioningWait,
} from '../../azure/provisioning';
import type { Principal } from '../contract';
import type { SubnetSpec } from '../../domain/plan/types';

// The tenant's own Azure resources (resource group, GRS storage account, virtual networks), in
// the tenant's CSP subscription and with the tenant's credential. ARM PUTs are idempotent;
// existing resources are read first so a rerun neither rewrites them nor hides a mismatch.

export interface ResourceScope {
  principal: Principal;
  subscriptionId: string;
  resourceGroup: string;
  region: string;
}

const GEO_REDUNDANT = new Set(['Standard_GRS', 'Standard_RAGRS', 'Standard_GZRS', 'Standard_RAGZRS']);
const sameRegion = (a?: string, b?: string) =>
  (a ?? '').replace(/\s/g, '').toLowerCase() === (b ?? '').replace(/\s/g, '').toLowerCase();

/** An ARM resource by its provisioningState: Succeeded (or none) → ready, Failed → operator, else wait. */
function provisioningLook(state: string | undefined): ProvisioningLook {
  if (!state || state === 'Succeeded') return { state: 'ready' };
  if (state === 'Failed' || state === 'Canceled')
    return { state: 'failed', detail: `is in provisioning state ${state}` };
  return { state: 'pending', detail: `in provisioning state ${state}` };
}

export function createTenantResourceActivities(
  azure: AzureClientFactory,
  wait: ProvisioningWait = DEFAULT_PROVISIONING_WAIT,
) {
  return {
    async ensureResourceGroup(scope: ResourceScope): Promise<{ id: string }> {
      const client = azure.resources(scope.principal, scope.subscriptionId);
      const group = await azureCall(`create resource group ${scope.resourceGroup}`, () =>
        client.resourceGroups.createOrUpdate(scope.resourceGroup, {
          location: scope.region,
          tags: { 'managed-by': 'asrflow' },
        }),
      );
      if (!sameRegion(group.location, scope.region)) {
        throw needsOperator(`resource group ${scope.resourceGroup} exists in ${group.location}, not ${scope.region}`, {
          fix: 'all resources of one recovery path must be in the same region: use another resource group name or region in the plan',
        });
      }
      return { id: group.id ?? '' };
    },

    async ensureStorageAccount(input: ResourceScope & { name: string; sku: string }): Promise<{ id: string }> {
      const client = azure.storage(input.principal, input.subscriptionId);
      const existing = await azureCall(`read storage account ${input.name}`, async () => {
        try {
          return await client.storageAccounts.getProperties(input.resourceGroup, input.name);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        }
      });
      if (existing) {
        // Found while still being created (an earlier attempt, another tool): wait for it.
        if (provisioningLook(existing.provisioningState).state !== 'ready')
          await waitUntilProvisioned(
            `storage account ${input.name}`,
            async () =>
              provisioningLook(
                (
                  await azureCall(`read storage account ${input.name}`, () =>
                    client.storageAccounts.getProperties(input.resourceGroup, input.name),
                  )
                ).provisioningState,
              ),
            wait,
          );
        const sku = existing.sku?.name ?? '';
        if (!GEO_REDUNDANT.has(sku)) {
          throw needsOperator(`storage account ${input.name} exists with SKU ${sku}, which is not geo-redundant`, {
            fix: 'change its redundancy to GRS in the portal, or name another account in the plan',
          });
        }
        if (!sameRegion(existing.location, input.region)) {
          throw needsOperator(`storage account ${input.name} is in ${existing.location}, not ${input.region}`, {
            fix: "the storage account must be in the vault's region: name another account in the plan",
          });
        }
        return { id: existing.id ?? '' };
      }
      const parameters = {
        location: input.region,
        kind: 'StorageV2',
        sku: { name: input.sku },
        tags: { 'managed-by': 'asrflow' },
      };
      const { result } = await runCheckpointedLro<StorageAccount>(
        `create storage account ${input.name}`,
        ({ resumeFrom, abortSignal, updateIntervalInMs }) =>
          // The modular storage SDK resumes through restorePoller rather than a resumeFrom option.
          resumeFrom
            ? restorePoller(client, resumeFrom, client.storageAccounts.create, { abortSignal, updateIntervalInMs })
            : client.storageAccounts.create(input.resourceGroup, input.name, parameters, {
                abortSignal,
                updateIntervalInMs,
              }),
      );
      return { id: result.id ?? '' };
    },

    /**
     * Creates the VNet only if it is missing. An existing one is left exactly as it is: the
     * customer may have added subnets or peerings since, and a PUT replaces the whole network
     * (its subnets list included). Differences from the plan come back as warnings.
     */
    async ensureVirtualNetwork(
      input: ResourceScope & { name: string; addressSpace: string[]; subnets: SubnetSpec[] },
    ): Promise<{ id: string; existed?: boolean; warnings?: string[] }> {
      const client = azure.network(input.principal, input.subscriptionId);
      const existing = await azureCall(`read virtual network ${input.name}`, async () => {
        try {
          return await client.virtualNetworks.get(input.resourceGroup, input.name);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        }
      });
      if (existing) {
        if (!sameRegion(existing.location, input.region)) {
          throw needsOperator(`virtual network ${input.name} is in ${existing.location}, not ${input.region}`, {
            fix: "the VNet must be in the vault's region: name another VNet in the plan",
          });
        }
        if (provisioningLook(existing.provisioningState).state !== 'ready')
          await waitUntilProvisioned(
            `virtual network ${input.name}`,
            async () =>
              provisioningLook(
                (
                  await azureCall(`read virtual network ${input.name}`, () =>
                    client.virtualNetworks.get(input.resourceGroup, input.name),
                  )
                ).provisioningState,
              ),
            wait,
          );
        return { id: existing.id ?? '', existed: true, warnings: vnetDifferences(input, existing) };
      }
      const { result } = await runCheckpointedLro(`create virtual network ${input.name}`, (options) =>
        client.virtualNetworks.beginCreateOrUpdate(
          input.resourceGroup,
          input.name,
          {
            location: input.region,
            addressSpace: { addressPrefixes: input.addressSpace },
            subnets: input.subnets.map((s) => ({ name: s.name, addressPrefix: s.prefix })),
            tags: { 'managed-by': 'asrflow' },
          },
          options,
        ),
      );
      return { id: result.id ?? '', existed: false };
    },
  };
}

/** What the plan asks of a VNet that the existing one does not have (extra subnets are fine). */
export function vnetDifferences(
  plan: { name: string; addressSpace: string[]; subnets: SubnetSpec[] },
  existing: VirtualNetwork,
): string[] {
  const warnings: string[] = [];
  const prefixes = existing.addressSpace?.addressPrefixes ?? [];
  for (const p of plan.addressSpace) {
    if (!prefixes.includes(p))
      warnings.push(
        `virtual network ${plan.name} exists without address range ${p} (it has ${prefixes.join(', ') || 'none'}); left unchanged`,
      );
  }
  const subnets = new Map(
    (existing.subnets ?? []).map((s) => [(s.name ?? '').toLowerCase(), s.addressPrefix ?? s.addressPrefixes?.[0]]),
  );
  for (const s of plan.subnets) {
    const found = subnets.get(s.name.toLowerCase());
    if (found === undefined)
      warnings.push(`virtual network ${plan.name} has no subnet ${s.name} (${s.prefix}); left unchanged`);
    else if (found !== s.prefix)
      warnings.push(`subnet ${s.name} of ${plan.name} is ${found}, the plan says ${s.prefix}; left unchanged`);
  }
  return warnings;
}
