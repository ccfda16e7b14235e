import { runCheckpointedLro } from './checkpoint';
import type { AzureClientFactory } from './clients';
import { azureCall } from './failures';
import { orAbsent } from './reads';
import { MANAGED_BY_TAG, type ResourceScope } from './scope';

/** A virtual network as asrflow reads it. */
export interface VirtualNetworkView {
  id: string;
  location?: string;
  provisioningState?: string;
  addressPrefixes: string[];
  subnets: Array<{ name: string; prefix?: string }>;
  tags: Record<string, string>;
}

/** The VNet, or undefined when it does not exist. */
export async function readVirtualNetwork(
  azure: AzureClientFactory,
  scope: ResourceScope,
  name: string,
): Promise<VirtualNetworkView | undefined> {
  const client = azure.network(scope.principal, scope.subscriptionId);
  const vnet = await azureCall(`read virtual network ${name}`, () =>
    orAbsent(() => client.virtualNetworks.get(scope.resourceGroup, name)),
  );
  if (!vnet) return undefined;
  return {
    id: vnet.id ?? '',
    ...(vnet.location ? { location: vnet.location } : {}),
    ...(vnet.provisioningState ? { provisioningState: vnet.provisioningState } : {}),
    addressPrefixes: vnet.addressSpace?.addressPrefixes ?? [],
    subnets: (vnet.subnets ?? []).map((s) => {
      const prefix = s.addressPrefix ?? s.addressPrefixes?.[0];
      return { name: s.name ?? '', ...(prefix ? { prefix } : {}) };
    }),
    tags: vnet.tags ?? {},
  };
}

/**
 * Creates the VNet with its subnets. Only for a VNet that does not exist: a PUT replaces the whole
 * network (its subnets list included), so an existing one is never sent again.
 */
export async function createVirtualNetwork(
  azure: AzureClientFactory,
  scope: ResourceScope,
  vnet: { name: string; addressSpace: string[]; subnets: Array<{ name: string; prefix: string }> },
): Promise<{ id: string }> {
  const client = azure.network(scope.principal, scope.subscriptionId);
  const { result } = await runCheckpointedLro(`create virtual network ${vnet.name}`, (options) =>
    client.virtualNetworks.beginCreateOrUpdate(
      scope.resourceGroup,
      vnet.name,
      {
        location: scope.region,
        addressSpace: { addressPrefixes: vnet.addressSpace },
        subnets: vnet.subnets.map((s) => ({ name: s.name, addressPrefix: s.prefix })),
        tags: { ...MANAGED_BY_TAG },
      },
      options,
    ),
  );
  return { id: result.id ?? '' };
}

/** Deletes the VNet (resuming a checkpointed request); a missing one is done. */
export async function deleteVirtualNetwork(
  azure: AzureClientFactory,
  scope: Omit<ResourceScope, 'region'>,
  name: string,
): Promise<void> {
  const client = azure.network(scope.principal, scope.subscriptionId);
  await orAbsent(() =>
    runCheckpointedLro(`delete virtual network ${name}`, (options) =>
      client.virtualNetworks.beginDelete(scope.resourceGroup, name, options),
    ),
  );
}
