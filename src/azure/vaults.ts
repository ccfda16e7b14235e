import { randomBytes } from 'node:crypto';
import type { VaultTarget } from '../domain/targets';
import { runCheckpointedLro } from './checkpoint';
import type { AzureClientFactory } from './clients';
import { azureCall } from './failures';
import { orAbsent } from './reads';
import { MANAGED_BY_TAG } from './scope';

/** A Recovery Services vault as asrflow reads it. */
export interface VaultView {
  id: string;
  location?: string;
  provisioningState?: string;
}

/** What the vault answers when a certificate is uploaded: what the vault credentials file needs. */
export interface UploadedCertificate {
  aadAuthority?: string;
  aadTenantId?: string;
  servicePrincipalClientId?: string;
  resourceId?: number;
  azureManagementEndpointAudience?: string;
  thumbprint?: string;
}

/** The vault, or undefined when it does not exist. */
export async function readVault(azure: AzureClientFactory, target: VaultTarget): Promise<VaultView | undefined> {
  const client = azure.recoveryServices(target.principal, target.subscriptionId);
  const vault = await azureCall(`read vault ${target.vault}`, () =>
    orAbsent(() => client.vaults.get(target.resourceGroup, target.vault)),
  );
  if (!vault) return undefined;
  return {
    id: vault.id ?? '',
    ...(vault.location ? { location: vault.location } : {}),
    ...(vault.properties?.provisioningState ? { provisioningState: vault.properties.provisioningState } : {}),
  };
}

/** Creates (or completes) the vault, resuming a checkpointed creation rather than sending it twice. */
export async function createVault(azure: AzureClientFactory, target: VaultTarget): Promise<{ id: string }> {
  const client = azure.recoveryServices(target.principal, target.subscriptionId);
  const { result } = await runCheckpointedLro(`create vault ${target.vault}`, (options) =>
    client.vaults.beginCreateOrUpdate(
      target.resourceGroup,
      target.vault,
      {
        location: target.region,
        sku: { name: 'Standard' },
        properties: { publicNetworkAccess: 'Enabled' },
        tags: { ...MANAGED_BY_TAG },
      },
      options,
    ),
  );
  return { id: result.id ?? '' };
}

/** The vault's integrity key (its extended info), made once when the vault has none yet. */
export async function vaultIntegrityKey(azure: AzureClientFactory, target: VaultTarget): Promise<string> {
  const client = azure.recoveryServices(target.principal, target.subscriptionId);
  const info = await azureCall(`read extended info of vault ${target.vault}`, async () => {
    const existing = await orAbsent(() => client.vaultExtendedInfo.get(target.resourceGroup, target.vault));
    return (
      existing ??
      client.vaultExtendedInfo.createOrUpdate(target.resourceGroup, target.vault, {
        integrityKey: randomBytes(16).toString('base64'),
        algorithm: 'None',
      })
    );
  });
  return info.integrityKey ?? '';
}

/** Uploads a management certificate (base64 DER) under `name`; the vault answers with its identity. */
export async function uploadVaultCertificate(
  azure: AzureClientFactory,
  target: VaultTarget,
  name: string,
  certificateBase64: string,
): Promise<UploadedCertificate> {
  const client = azure.recoveryServices(target.principal, target.subscriptionId);
  const uploaded = await azureCall(`upload vault certificate to ${target.vault}`, () =>
    client.vaultCertificates.create(target.resourceGroup, target.vault, name, {
      properties: { authType: 'AAD', certificate: Buffer.from(certificateBase64, 'base64') },
    }),
  );
  // The AAD variant of the answer (ResourceCertificateAndAadDetails) carries the vault's identity.
  const p: UploadedCertificate & { authType?: string } = uploaded.properties ?? {};
  return {
    ...(p.aadAuthority ? { aadAuthority: p.aadAuthority } : {}),
    ...(p.aadTenantId ? { aadTenantId: p.aadTenantId } : {}),
    ...(p.servicePrincipalClientId ? { servicePrincipalClientId: p.servicePrincipalClientId } : {}),
    ...(p.resourceId !== undefined ? { resourceId: p.resourceId } : {}),
    ...(p.azureManagementEndpointAudience
      ? { azureManagementEndpointAudience: p.azureManagementEndpointAudience }
      : {}),
    ...(p.thumbprint ? { thumbprint: p.thumbprint } : {}),
  };
}

/** Deletes the vault (Azure refuses while it holds registered servers or policies); a missing one is done. */
export async function deleteVault(azure: AzureClientFactory, target: VaultTarget): Promise<void> {
  const client = azure.recoveryServices(target.principal, target.subscriptionId);
  await orAbsent(() =>
    runCheckpointedLro(`delete vault ${target.vault}`, (options) =>
      client.vaults.beginDelete(target.resourceGroup, target.vault, options),
    ),
  );
}
