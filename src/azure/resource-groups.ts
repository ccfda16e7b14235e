import type { AzureClientFactory } from './clients';
import { azureCall } from './failures';
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
