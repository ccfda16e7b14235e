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
 * The ARM id of the test failover VNet of a tenant's VNet (`network`, or the one of `networks`
 * named `vnet`): asrflow's own, always in the tenant's resource group and subscription (a
 * customer's existing production VNet may live elsewhere).
 */
export function testNetworkIdOf(
  tenant: {
    subscriptionId: string;
    resourceGroup: string;
    network: { vnet: string; testFailoverVnet: { name: string } };
    networks?: Array<{ vnet: string; testFailoverVnet: { name: string } }>;
  },
  vnet?: string,
): string {
  const test = (
    tenant.networks?.find((n) => vnet !== undefined && n.vnet.toLowerCase() === vnet.toLowerCase()) ?? tenant.network
  ).testFailoverVnet;
  return `/subscriptions/${tenant.subscriptionId}/resourceGroups/${tenant.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${test.name}`;
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
