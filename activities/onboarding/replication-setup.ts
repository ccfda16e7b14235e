import type { ReplicationProviderSpecificContainerMappingInputUnion } from '@azure/arm-recoveryservices-siterecovery';
import type { AzureClientFactory } from '../azure/clients';
import { runCheckpointedLro } from '../azure/checkpoint';
import { azureCall, needsOperator } from '../azure/failures';
import type { ProtectableVm, ReplicationPolicy, VaultTarget } from '../../domain/onboarding';

// Policy, cloud-to-policy pairing and network mapping inside the vault — ASR resources whose
// PUTs are long-running. Each is read first: an existing one is not re-issued.

// Hyper-V to Azure pairs with the base discriminator value, which the SDK's union (A2A and
// VMwareCbt only) does not list; the REST API and PowerShell send exactly this.
const HYPERV_CONTAINER_MAPPING_INPUT = { instanceType: 'ReplicationProviderSpecificContainerMappingInput' } as unknown as ReplicationProviderSpecificContainerMappingInputUnion;

async function getOrUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    // Site Recovery answers 400 (not 404) for some unknown children.
    if (status === 404) return undefined;
    throw error;
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

export function createReplicationSetupActivities(azure: AzureClientFactory) {
  const asr = (t: VaultTarget) => azure.siteRecovery(t.principal, t.subscriptionId);

  return {
    async findProtectionContainer(input: { target: VaultTarget; fabricName: string; cloud: string }): Promise<{ containerName: string }> {
      const { target } = input;
      const containers = await azureCall(`list clouds of ${input.fabricName}`, () =>
        collect(asr(target).replicationProtectionContainers.listByReplicationFabrics(target.vault, target.resourceGroup, input.fabricName)),
      );
      const container = containers.find((c) => (c.properties?.friendlyName ?? '').toLowerCase() === input.cloud.toLowerCase());
      if (!container?.name) {
        throw needsOperator(`VMM cloud '${input.cloud}' is not visible in vault ${target.vault}`, {
          fix: `check the cloud's name in the plan (clouds seen: ${containers.map((c) => c.properties?.friendlyName).join(', ') || 'none'}) and that the VMM server is registered`,
        });
      }
      return { containerName: container.name };
    },

    async ensurePolicy(input: { target: VaultTarget; policyName: string; policy: ReplicationPolicy; storageAccountId: string }): Promise<{ policyId: string }> {
      const { target } = input;
      const client = asr(target);
      const existing = await azureCall(`read policy ${input.policyName}`, () => getOrUndefined(() => client.replicationPolicies.get(target.vault, target.resourceGroup, input.policyName)));
      if (existing?.id) return { policyId: existing.id };
      const p = input.policy;
      const { result } = await runCheckpointedLro(`create policy ${input.policyName}`, (options) =>
        client.replicationPolicies.beginCreate(
          target.vault,
          target.resourceGroup,
          input.policyName,
          {
            properties: {
              providerSpecificInput: {
                instanceType: 'HyperVReplicaAzure',
                recoveryPointHistoryDuration: p.recoveryPointHistoryHours,
                applicationConsistentSnapshotFrequencyInHours: p.appConsistentFrequencyHours,
                replicationInterval: p.replicationInterval,
                ...(p.initialReplicationStart === 'now' ? {} : { onlineReplicationStartTime: p.initialReplicationStart }),
                storageAccounts: [input.storageAccountId],
              },
            },
          },
          options,
        ),
      );
      return { policyId: result.id ?? '' };
    },

    async ensureContainerMapping(input: { target: VaultTarget; fabricName: string; containerName: string; mappingName: string; policyId: string }): Promise<{ state?: string }> {
      const { target } = input;
      const client = asr(target);
      const existing = await azureCall(`read container mapping ${input.mappingName}`, () =>
        getOrUndefined(() => client.replicationProtectionContainerMappings.get(target.vault, target.resourceGroup, input.fabricName, input.containerName, input.mappingName)),
      );
      if (existing) return { state: existing.properties?.state };
      const { result } = await runCheckpointedLro(`pair cloud ${input.containerName} with policy`, (options) =>
        client.replicationProtectionContainerMappings.beginCreate(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          input.containerName,
          input.mappingName,
          { properties: { targetProtectionContainerId: 'Microsoft Azure', policyId: input.policyId, providerSpecificInput: HYPERV_CONTAINER_MAPPING_INPUT } },
          options,
        ),
      );
      return { state: result.properties?.state };
    },

    async ensureNetworkMapping(input: { target: VaultTarget; fabricName: string; vmNetwork: string; mappingName: string; recoveryNetworkId: string }): Promise<{ networkName: string }> {
      const { target } = input;
      const client = asr(target);
      const networks = await azureCall(`list VM networks of ${input.fabricName}`, () => collect(client.replicationNetworks.listByReplicationFabrics(target.vault, target.resourceGroup, input.fabricName)));
      const network = networks.find((n) => (n.properties?.friendlyName ?? n.name ?? '').toLowerCase() === input.vmNetwork.toLowerCase());
      if (!network?.name) {
        throw needsOperator(`VM network '${input.vmNetwork}' is not visible on ${input.fabricName}`, { fix: `check vmm.vmNetwork in the plan (seen: ${networks.map((n) => n.properties?.friendlyName).join(', ') || 'none'})` });
      }
      const networkName = network.name;
      const existing = await azureCall(`read network mapping ${input.mappingName}`, () =>
        getOrUndefined(() => client.replicationNetworkMappings.get(target.vault, target.resourceGroup, input.fabricName, networkName, input.mappingName)),
      );
      if (existing) return { networkName };
      await runCheckpointedLro(`map VM network ${input.vmNetwork}`, (options) =>
        client.replicationNetworkMappings.beginCreate(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          networkName,
          input.mappingName,
          { properties: { recoveryFabricName: 'Microsoft Azure', recoveryNetworkId: input.recoveryNetworkId, fabricSpecificDetails: { instanceType: 'VmmToAzure' } } },
          options,
        ),
      );
      return { networkName };
    },

    /** The cloud's VMs as ASR sees them, with the reasons a VM cannot be protected. */
    async listProtectableVms(input: { target: VaultTarget; fabricName: string; containerName: string }): Promise<ProtectableVm[]> {
      const { target } = input;
      const items = await azureCall(`list VMs of ${input.containerName}`, () =>
        collect(asr(target).replicationProtectableItems.listByReplicationProtectionContainers(target.vault, target.resourceGroup, input.fabricName, input.containerName)),
      );
      return items.map((item) => {
        const details = (item.properties?.customDetails ?? {}) as { instanceType?: string; sourceItemId?: string; osDetails?: { osType?: string }; diskDetails?: Array<{ vhdId?: string }> };
        return {
          itemName: item.name ?? '',
          friendlyName: item.properties?.friendlyName ?? item.name ?? '',
          protectionStatus: item.properties?.protectionStatus,
          readinessErrors: item.properties?.protectionReadinessErrors ?? [],
          osType: details.osDetails?.osType,
          osDiskId: details.diskDetails?.[0]?.vhdId,
          hvHostVmId: details.sourceItemId,
        };
      });
    },
  };
}
