import type { CredentialRef, VaultRef } from './plan/types';

// Who calls Azure and which vault: what every capability hands the Azure gateway. Pure data:
// credentials travel as references (an environment variable's name, a file's path), never as
// secrets; the worker resolves them.

/** Who calls Azure: a tenant (or the provider) and the plan's credential reference. */
export interface Principal {
  tenantId: string;
  credential: CredentialRef;
}

/** A Recovery Services vault and the principal that signs in to its subscription. */
export interface VaultTarget {
  principal: Principal;
  subscriptionId: string;
  resourceGroup: string;
  vault: string;
  region: string;
}

/**
 * The ARM id of a tenant's test failover VNet: asrflow's own, always in the tenant's resource
 * group and subscription (a customer's existing production VNet may live elsewhere).
 */
export function testNetworkIdOf(tenant: {
  subscriptionId: string;
  resourceGroup: string;
  network: { testFailoverVnet: { name: string } };
}): string {
  return `/subscriptions/${tenant.subscriptionId}/resourceGroups/${tenant.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${tenant.network.testFailoverVnet.name}`;
}

/** The vault a tenant's plan names, with the principal that signs in to its subscription. */
export function vaultTargetOf(v: VaultRef): VaultTarget {
  return {
    principal: { tenantId: v.tenantId, credential: v.credential },
    subscriptionId: v.subscriptionId,
    resourceGroup: v.resourceGroup,
    vault: v.name,
    region: v.region,
  };
}
