import { Context } from '@temporalio/activity';
import { sleepWithHeartbeats } from '../../temporal/heartbeat';
import type { AzureClientFactory } from '../../azure/clients';
import { needsOperator } from '../../azure/failures';
import { sameRegion } from '../../azure/reads';
import { findVmmFabric, listProviders } from '../../azure/site-recovery/fabrics';
import { jobFailureDetails, listJobs } from '../../azure/site-recovery/jobs';
import { asrVault } from '../../azure/site-recovery/vault';
import { createVault, readVault, uploadVaultCertificate, vaultIntegrityKey } from '../../azure/vaults';
import type { RegistrationResult, VaultTarget } from '../contract';
import {
  makeVaultCertificate,
  renderVaultCredentials,
  vaultCredentialsFileName,
  writeSecretFile,
} from './vault-credentials-file';

export interface VaultActivityDeps {
  azure: AzureClientFactory;
  /** Where vault credentials files are written (0600). */
  credentialsDir: string;
  /** How often a registration wait looks at the vault. */
  registrationPollMs: number;
  now?: () => Date;
  /** Validity of issued vault credentials files (default ASR's 120 h). */
  vaultCredentialsHours?: number;
}

export interface IssuedCredentials {
  file: string;
  validFrom?: string;
  validTo: string;
  thumbprint?: string;
}

export function createVaultActivities(deps: VaultActivityDeps) {
  const now = deps.now ?? (() => new Date());

  return {
    async ensureVault(target: VaultTarget): Promise<{ id: string }> {
      const existing = await readVault(deps.azure, target);
      if (existing?.id && existing.provisioningState === 'Succeeded') {
        if (existing.location && !sameRegion(existing.location, target.region)) {
          throw needsOperator(`vault ${target.vault} exists in ${existing.location}, not ${target.region}`, {
            fix: 'all resources of one recovery path must be in one region: name another vault in the plan',
          });
        }
        return { id: existing.id };
      }
      return createVault(deps.azure, target);
    },

    /**
     * What Get-AzRecoveryServicesVaultSettingsFile -SiteRecovery does: make sure the vault has
     * an integrity key, upload a fresh self-signed certificate, and write the file the Provider
     * installer reads. Returns where the file is, never its content.
     */
    async issueVaultCredentials(target: VaultTarget): Promise<IssuedCredentials> {
      const integrityKey = await vaultIntegrityKey(deps.azure, target);
      const at = now();
      const certName = `${target.vault}${target.subscriptionId}-${at.getUTCMonth() + 1}-${at.getUTCDate()}-${at.getUTCFullYear()}-vaultcredentials`;
      const cert = makeVaultCertificate(certName, at, deps.vaultCredentialsHours);
      const props = await uploadVaultCertificate(deps.azure, target, certName, cert.certificateBase64);
      const content = renderVaultCredentials({
        subscriptionId: target.subscriptionId,
        resourceGroup: target.resourceGroup,
        vaultName: target.vault,
        location: target.region,
        resourceId: props.resourceId ?? 0,
        aadAuthority: props.aadAuthority ?? '',
        aadTenantId: props.aadTenantId ?? target.principal.tenantId,
        servicePrincipalClientId: props.servicePrincipalClientId ?? '',
        aadVaultAudience:
          props.azureManagementEndpointAudience ??
          `https://RecoveryServiceVault/${target.region}/${target.vault}/${props.resourceId ?? 0}`,
        armManagementEndpoint: deps.azure.target.armEndpoint,
        integrityKey,
        pfxBase64: cert.pfxBase64,
      });
      const file = writeSecretFile(deps.credentialsDir, vaultCredentialsFileName(target.vault, at), content);
      return {
        file,
        validFrom: cert.validFrom.toISOString(),
        validTo: cert.validTo.toISOString(),
        ...(props.thumbprint ? { thumbprint: props.thumbprint } : {}),
      };
    },

    /**
     * Waits, polling cheaply, until the VMM server shows up as a registered fabric with a
     * Provider — or until `until` (the credentials' expiry), when it returns `undefined` so the
     * workflow can issue fresh credentials. A failed RegisterDra job newer than `since` means
     * the person's installation failed: that needs them, so it surfaces as NeedsOperator.
     */
    async awaitVmmRegistration(input: {
      target: VaultTarget;
      vmmServer: string;
      since: string;
      until: string;
    }): Promise<RegistrationResult | undefined> {
      const { target } = input;
      const vault = asrVault(deps.azure, target);
      const server = input.vmmServer.toLowerCase();
      for (let polls = 1; ; polls++) {
        const fabricName = await findVmmFabric(vault, input.vmmServer);
        if (fabricName) {
          const providers = await listProviders(vault, fabricName);
          const provider = providers.find((p) => p.machine.toLowerCase() === server) ?? providers[0];
          if (provider) {
            return {
              fabricName,
              providerName: provider.name,
              providerVersion: provider.version,
              connectionStatus: provider.connectionStatus,
            };
          }
        }
        // Only the registrations since these credentials were issued: an older failure was
        // someone else's attempt (or this one's, already reported and fixed).
        const failed = (
          await listJobs(vault, {
            since: input.since,
            scenario: 'RegisterDra',
            doing: `list registration jobs of ${target.vault}`,
          })
        ).find((j) => j.state === 'Failed');
        if (failed) {
          const details = jobFailureDetails(failed);
          throw needsOperator(
            `registering ${input.vmmServer} with vault ${target.vault} failed: ${failed.errors[0]?.message ?? 'RegisterDra job failed'}`,
            {
              ...details,
              fix: 'fix the Provider installation on the VMM server (the seed: Provider 5.1.1256.0 or later), register it again with the vault credentials file',
            },
          );
        }
        const status = { kind: 'waiting-for-registration', polls, vmmServer: input.vmmServer };
        Context.current().heartbeat(status);
        if (now().getTime() >= Date.parse(input.until)) return undefined;
        await sleepWithHeartbeats(deps.registrationPollMs, status);
      }
    },
  };
}
