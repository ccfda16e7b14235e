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
