import { randomBytes } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { sleepWithHeartbeats } from '../../temporal/heartbeat';
import type { AzureClientFactory } from '../../azure/clients';
import { runCheckpointedLro } from '../../azure/checkpoint';
import { azureCall, needsOperator } from '../../azure/failures';
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

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

export function createVaultActivities(deps: VaultActivityDeps) {
  const now = deps.now ?? (() => new Date());

  return {
    async ensureVault(target: VaultTarget): Promise<{ id: string }> {
      const client = deps.azure.recoveryServices(target.principal, target.subscriptionId);
      const existing = await azureCall(`read vault ${target.vault}`, async () => {
        try {
          return await client.vaults.get(target.resourceGroup, target.vault);
        } catch (error) {
          if (statusOf(error) === 404) return undefined;
          throw error;
        }
      });
      if (existing?.id && existing.properties?.provisioningState === 'Succeeded') {
        if (existing.location && existing.location.replace(/\s/g, '').toLowerCase() !== target.region.toLowerCase()) {
          throw needsOperator(`vault ${target.vault} exists in ${existing.location}, not ${target.region}`, {
            fix: 'all resources of one recovery path must be in one region: name another vault in the plan',
          });
        }
        return { id: existing.id };
      }
      const { result } = await runCheckpointedLro(`create vault ${target.vault}`, (options) =>
        client.vaults.beginCreateOrUpdate(
          target.resourceGroup,
          target.vault,
          {
            location: target.region,
            sku: { name: 'Standard' },
            properties: { publicNetworkAccess: 'Enabled' },
            tags: { 'managed-by': 'asrflow' },
          },
          options,
        ),
      );
      return { id: result.id ?? '' };
    },

    /**
     * What Get-AzRecoveryServicesVaultSettingsFile -SiteRecovery does: make sure the vault has
     * an integrity key, upload a fresh self-signed certificate, and write the file the Provider
     * installer reads. Returns where the file is, never its content.
     */
    async issueVaultCredentials(target: VaultTarget): Promise<IssuedCredentials> {
      const client = deps.azure.recoveryServices(target.principal, target.subscriptionId);
      const info = await azureCall(`read extended info of vault ${target.vault}`, async () => {
        try {
          return await client.vaultExtendedInfo.get(target.resourceGroup, target.vault);
        } catch (error) {
          if (statusOf(error) !== 404) throw error;
          return client.vaultExtendedInfo.createOrUpdate(target.resourceGroup, target.vault, {
            integrityKey: randomBytes(16).toString('base64'),
            algorithm: 'None',
          });
        }
      });
      const at = now();
      const certName = `${target.vault}${target.subscriptionId}-${at.getUTCMonth() + 1}-${at.getUTCDate()}-${at.getUTCFullYear()}-vaultcredentials`;
      const cert = makeVaultCertificate(certName, at, deps.vaultCredentialsHours);
      const uploaded = await azureCall(`upload vault certificate to ${target.vault}`, () =>
        client.vaultCertificates.create(target.resourceGroup, target.vault, certName, {
          properties: { authType: 'AAD', certificate: Buffer.from(cert.certificateBase64, 'base64') },
        }),
      );
      const props = (uploaded.properties ?? {}) as {
        aadAuthority?: string;
        aadTenantId?: string;
        servicePrincipalClientId?: string;
        resourceId?: number;
        azureManagementEndpointAudience?: string;
        thumbprint?: string;
      };
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
        integrityKey: info.integrityKey ?? '',
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
      const client = deps.azure.siteRecovery(target.principal, target.subscriptionId);
      const since = Date.parse(input.since);
      for (let polls = 1; ; polls++) {
        const fabrics = await azureCall(`list fabrics of ${target.vault}`, async () => {
          const all = [];
          for await (const fabric of client.replicationFabrics.list(target.vault, target.resourceGroup))
            all.push(fabric);
          return all;
        });
        const fabric = fabrics.find(
          (f) =>
            f.properties?.customDetails?.instanceType === 'VMM' &&
            (f.properties.friendlyName ?? '').toLowerCase() === input.vmmServer.toLowerCase(),
        );
        if (fabric?.name) {
          const providers = await azureCall(`list providers of ${fabric.name}`, async () => {
            const all = [];
            for await (const p of client.replicationRecoveryServicesProviders.listByReplicationFabrics(
              target.vault,
              target.resourceGroup,
              fabric.name as string,
            ))
              all.push(p);
            return all;
          });
          const provider =
            providers.find(
              (p) =>
                (p.properties?.fabricFriendlyName ?? p.properties?.machineName ?? '').toLowerCase() ===
                input.vmmServer.toLowerCase(),
            ) ?? providers[0];
          if (provider?.name) {
            return {
              fabricName: fabric.name,
              providerName: provider.name,
              providerVersion: provider.properties?.providerVersion ?? '0',
              connectionStatus: provider.properties?.connectionStatus,
            };
          }
        }
        const failed = await azureCall(`list registration jobs of ${target.vault}`, async () => {
          for await (const job of client.replicationJobs.list(target.vault, target.resourceGroup)) {
            const p = job.properties;
            if (p?.scenarioName !== 'RegisterDra' || p.state !== 'Failed') continue;
            if (p.startTime && new Date(p.startTime).getTime() < since) continue;
            return job;
          }
          return undefined;
        });
        if (failed) {
          const err = failed.properties?.errors?.[0]?.serviceErrorDetails;
          throw needsOperator(
            `registering ${input.vmmServer} with vault ${target.vault} failed: ${err?.message ?? 'RegisterDra job failed'}`,
            {
              code: err?.code,
              possibleCauses: err?.possibleCauses,
              recommendedAction: err?.recommendedAction,
              jobId: failed.name,
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
