import type { Principal } from '../domain/targets';
import type { AzureClientFactory } from './clients';
import { azureCall } from './failures';
import { orAbsent } from './reads';

// The few Microsoft.Compute facts asrflow reads — it never creates compute resources itself;
// Site Recovery creates the failed-over VMs. Read through the generic resources API, so no
// Compute SDK is needed for one GET.

/** The Microsoft.Compute API version of availability set reads. */
const COMPUTE_API_VERSION = '2024-07-01';

const SUBSCRIPTION = /^\/subscriptions\/([^/]+)\//i;

/**
 * Whether the availability set (by ARM id) exists, read with the tenant's principal in its own
 * subscription — the id's subscription must be the one given, or it is not looked up at all.
 */
export async function availabilitySetExists(
  azure: AzureClientFactory,
  principal: Principal,
  subscriptionId: string,
  id: string,
): Promise<boolean> {
  if (SUBSCRIPTION.exec(id)?.[1]?.toLowerCase() !== subscriptionId.toLowerCase()) return false;
  const client = azure.resources(principal, subscriptionId);
  const found = await azureCall(`read availability set ${id.split('/').pop() ?? id}`, () =>
    orAbsent(() => client.resources.getById(id, COMPUTE_API_VERSION)),
  );
  return found !== undefined;
}
