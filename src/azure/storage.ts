import { restorePoller } from '@azure/arm-storage';
import { runCheckpointedLro } from './checkpoint';
import type { AzureClientFactory } from './clients';
import { azureCall } from './failures';
import { orAbsent } from './reads';
import { MANAGED_BY_TAG, type ResourceScope } from './scope';

/** A storage account as asrflow reads it. */
export interface StorageAccountView {
  id: string;
  location?: string;
  sku: string;
  provisioningState?: string;
  tags: Record<string, string>;
}

/** The account, or undefined when it does not exist. */
export async function readStorageAccount(
  azure: AzureClientFactory,
  scope: ResourceScope,
  name: string,
): Promise<StorageAccountView | undefined> {
  const client = azure.storage(scope.principal, scope.subscriptionId);
  const account = await azureCall(`read storage account ${name}`, () =>
    orAbsent(() => client.storageAccounts.getProperties(scope.resourceGroup, name)),
  );
  if (!account) return undefined;
  return {
    id: account.id ?? '',
    ...(account.location ? { location: account.location } : {}),
    sku: account.sku?.name ?? '',
    ...(account.provisioningState ? { provisioningState: account.provisioningState } : {}),
    tags: account.tags ?? {},
  };
}

/** Creates the account (StorageV2), resuming a checkpointed creation rather than sending it twice. */
export async function createStorageAccount(
  azure: AzureClientFactory,
  scope: ResourceScope,
  name: string,
  sku: string,
): Promise<{ id: string }> {
  const client = azure.storage(scope.principal, scope.subscriptionId);
  const parameters = { location: scope.region, kind: 'StorageV2', sku: { name: sku }, tags: { ...MANAGED_BY_TAG } };
  const { result } = await runCheckpointedLro(
    `create storage account ${name}`,
    ({ resumeFrom, abortSignal, updateIntervalInMs }) =>
      // The modular storage SDK resumes through restorePoller rather than a resumeFrom option.
      resumeFrom
        ? restorePoller(client, resumeFrom, client.storageAccounts.create, { abortSignal, updateIntervalInMs })
        : client.storageAccounts.create(scope.resourceGroup, name, parameters, { abortSignal, updateIntervalInMs }),
  );
  return { id: result.id ?? '' };
}

/** Deletes the account (and its data); a missing one is done. */
export async function deleteStorageAccount(
  azure: AzureClientFactory,
  scope: Omit<ResourceScope, 'region'>,
  name: string,
): Promise<void> {
  const client = azure.storage(scope.principal, scope.subscriptionId);
  await azureCall(`delete storage account ${name}`, () =>
    orAbsent(() => client.storageAccounts.delete(scope.resourceGroup, name)),
  );
}
