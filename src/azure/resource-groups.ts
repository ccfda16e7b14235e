import type { AzureClientFactory } from './clients';
import { runCheckpointedLro } from './checkpoint';
import { azureCall } from './failures';
import { collect, orAbsent } from './reads';
import { MANAGED_BY_TAG, type ResourceScope } from './scope';

/** A resource group as asrflow reads it. */
export interface ResourceGroupView {
  id: string;
  location?: string;
}

/**
 * Creates the resource group, or returns the existing one as it is: ARM's PUT of a resource group
 * is idempotent and keeps an existing group's location (the caller compares it with the plan's).
 */
export async function putResourceGroup(azure: AzureClientFactory, scope: ResourceScope): Promise<ResourceGroupView> {
  const client = azure.resources(scope.principal, scope.subscriptionId);
  const group = await azureCall(`create resource group ${scope.resourceGroup}`, () =>
    client.resourceGroups.createOrUpdate(scope.resourceGroup, { location: scope.region, tags: { ...MANAGED_BY_TAG } }),
  );
  return { id: group.id ?? '', ...(group.location ? { location: group.location } : {}) };
}

/** The group's tags, or undefined when the group does not exist. */
export async function readResourceGroupTags(
  azure: AzureClientFactory,
  scope: Omit<ResourceScope, 'region'>,
): Promise<Record<string, string> | undefined> {
  const client = azure.resources(scope.principal, scope.subscriptionId);
  const group = await azureCall(`read resource group ${scope.resourceGroup}`, () =>
    orAbsent(() => client.resourceGroups.get(scope.resourceGroup)),
  );
  return group ? (group.tags ?? {}) : undefined;
}

/** What a resource group holds: every resource, of any type, with its tags. */
export async function listResourcesInGroup(
  azure: AzureClientFactory,
  scope: Omit<ResourceScope, 'region'>,
): Promise<Array<{ id: string; type: string; name: string; tags: Record<string, string> }>> {
  const client = azure.resources(scope.principal, scope.subscriptionId);
  const resources = await azureCall(`list the resources of ${scope.resourceGroup}`, () =>
    collect(client.resources.listByResourceGroup(scope.resourceGroup)),
  );
  return resources.map((r) => ({ id: r.id ?? '', type: r.type ?? '', name: r.name ?? '', tags: r.tags ?? {} }));
}

/** Deletes the group and everything in it (resuming a checkpointed request); a missing one is done. */
export async function deleteResourceGroup(
  azure: AzureClientFactory,
  scope: Omit<ResourceScope, 'region'>,
): Promise<void> {
  const client = azure.resources(scope.principal, scope.subscriptionId);
  await orAbsent(() =>
    runCheckpointedLro(`delete resource group ${scope.resourceGroup}`, (options) =>
      client.resourceGroups.beginDelete(scope.resourceGroup, options),
    ),
  );
}
