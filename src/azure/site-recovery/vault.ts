import type { SiteRecoveryManagementClient } from '@azure/arm-recoveryservices-siterecovery';
import type { VaultTarget } from '../../domain/targets';
import type { AzureClientFactory } from '../clients';

/**
 * One vault's Site Recovery, with the tenant's own credential: every Site Recovery call of the
 * gateway goes through one of these, so the vault, its resource group and the principal that may
 * see it travel together and cannot be mixed with another tenant's.
 */
export interface AsrVault {
  client: SiteRecoveryManagementClient;
  target: VaultTarget;
  /** The vault name and resource group, in the order every Site Recovery operation takes them. */
  at: readonly [vault: string, resourceGroup: string];
}

export function asrVault(azure: AzureClientFactory, target: VaultTarget): AsrVault {
  return {
    client: azure.siteRecovery(target.principal, target.subscriptionId),
    target,
    at: [target.vault, target.resourceGroup],
  };
}

/** The ARM id of a protection container (a VMM cloud) of this vault. */
export function containerId(v: AsrVault, fabric: string, container: string): string {
  const t = v.target;
  return `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${t.vault}/replicationFabrics/${fabric}/replicationProtectionContainers/${container}`;
}
