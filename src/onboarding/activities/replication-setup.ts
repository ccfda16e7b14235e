import type { ReplicationProviderSpecificContainerMappingInputUnion } from '../../azure/sdk';
import type { AzureClientFactory } from '../../azure/clients';
import { runCheckpointedLro } from '../../azure/checkpoint';
import { azureCall, needsOperator, policyContentFailure } from '../../azure/failures';
import { jobFailureDetails, newestJob } from '../../azure/jobs';
import {
  DEFAULT_PROVISIONING_WAIT,
  waitUntilProvisioned,
  type ProvisioningLook,
  type ProvisioningWait,
} from '../../azure/provisioning';
import type { ProtectableVm, ReplicationPolicySpec, VaultTarget } from '../contract';

// Policy, cloud-to-policy pairing and network mapping inside the vault — ASR resources whose
// PUTs are long-running. Each is read first: an existing one is not re-issued.

// Hyper-V to Azure pairs with the base discriminator value, which the SDK's union (A2A and
// VMwareCbt only) does not list; the REST API and PowerShell send exactly this.
const HYPERV_CONTAINER_MAPPING_INPUT = {
  instanceType: 'ReplicationProviderSpecificContainerMappingInput',
} as unknown as ReplicationProviderSpecificContainerMappingInputUnion;

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

/** A pairing (container or network mapping) by its `state`: Pairing → wait, *Failed → operator. */
function pairingLook(state: string | undefined): ProvisioningLook {
  if (!state || state === 'Paired') return { state: 'ready' };
  if (/fail/i.test(state)) return { state: 'failed', detail: `ended in state ${state}` };
  return { state: 'pending', detail: `in state ${state}` };
}

export function createReplicationSetupActivities(
  azure: AzureClientFactory,
  wait: ProvisioningWait = DEFAULT_PROVISIONING_WAIT,
) {
  const asr = (t: VaultTarget) => azure.siteRecovery(t.principal, t.subscriptionId);

  return {
    async findProtectionContainer(input: {
      target: VaultTarget;
      fabricName: string;
      cloud: string;
    }): Promise<{ containerName: string }> {
      const { target } = input;
      const containers = await azureCall(`list clouds of ${input.fabricName}`, () =>
        collect(
          asr(target).replicationProtectionContainers.listByReplicationFabrics(
            target.vault,
            target.resourceGroup,
            input.fabricName,
          ),
        ),
      );
      const container = containers.find(
        (c) => (c.properties?.friendlyName ?? '').toLowerCase() === input.cloud.toLowerCase(),
      );
      if (!container?.name) {
        throw needsOperator(`VMM cloud '${input.cloud}' is not visible in vault ${target.vault}`, {
          fix: `check the cloud's name in the plan (clouds seen: ${containers.map((c) => c.properties?.friendlyName).join(', ') || 'none'}) and that the VMM server is registered`,
        });
      }
      return { containerName: container.name };
    },

    async ensurePolicy(input: {
      target: VaultTarget;
      policyName: string;
      policy: ReplicationPolicySpec;
      storageAccountId: string;
      tenant?: string;
    }): Promise<{ policyId: string }> {
      const { target } = input;
      const client = asr(target);
      const existing = await azureCall(`read policy ${input.policyName}`, () =>
        getOrUndefined(() => client.replicationPolicies.get(target.vault, target.resourceGroup, input.policyName)),
      );
      if (existing?.id) {
        // A policy shows no provisioning state of its own: its creation job says whether it is
        // usable yet (pairing a cloud with it before is refused with PolicyNotReady).
        await waitUntilProvisioned(
          `replication policy ${input.policyName}`,
          async () => {
            const job = await azureCall(`read the creation job of policy ${input.policyName}`, () =>
              newestJob(
                client.replicationJobs.list(target.vault, target.resourceGroup),
                (j) =>
                  j.properties?.scenarioName === 'AddProtectionProfile' &&
                  (j.properties.targetObjectName ?? '').toLowerCase() === input.policyName.toLowerCase(),
              ),
            );
            const state = job?.properties?.state;
            if (state === 'InProgress' || state === 'NotStarted' || state === 'Suspended')
              return { state: 'pending', detail: `being created (job ${job?.name} ${state})` };
            if (job && (state === 'Failed' || state === 'Cancelled'))
              return {
                state: 'failed',
                detail: `creation ended ${state} (job ${job.name})`,
                failure: jobFailureDetails(job),
              };
            return { state: 'ready' };
          },
          wait,
        );
        return { policyId: existing.id };
      }
      const p = input.policy;
      const create = runCheckpointedLro(`create policy ${input.policyName}`, (options) =>
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
                ...(p.initialReplicationStart === 'now'
                  ? {}
                  : { onlineReplicationStartTime: p.initialReplicationStart }),
                storageAccounts: [input.storageAccountId],
              },
            },
          },
          options,
        ),
      );
      const { result } = await create.catch((error: unknown) => {
        throw policyContentFailure(error, input.tenant ?? input.policyName);
      });
      return { policyId: result.id ?? '' };
    },

    async ensureContainerMapping(input: {
      target: VaultTarget;
      fabricName: string;
      containerName: string;
      mappingName: string;
      policyId: string;
    }): Promise<{ state?: string }> {
      const { target } = input;
      const client = asr(target);
      const read = () =>
        client.replicationProtectionContainerMappings.get(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          input.containerName,
          input.mappingName,
        );
      const existing = await azureCall(`read container mapping ${input.mappingName}`, () => getOrUndefined(read));
      if (existing) {
        await waitUntilProvisioned(
          `pairing of cloud ${input.containerName} with the policy`,
          async () => {
            const now = await azureCall(`read container mapping ${input.mappingName}`, read);
            return pairingLook(now.properties?.state);
          },
          wait,
        );
        return { state: 'Paired' };
      }
      const { result } = await runCheckpointedLro(`pair cloud ${input.containerName} with policy`, (options) =>
        client.replicationProtectionContainerMappings.beginCreate(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          input.containerName,
          input.mappingName,
          {
            properties: {
              targetProtectionContainerId: 'Microsoft Azure',
              policyId: input.policyId,
              providerSpecificInput: HYPERV_CONTAINER_MAPPING_INPUT,
            },
          },
          options,
        ),
      );
      return { state: result.properties?.state };
    },

    async ensureNetworkMapping(input: {
      target: VaultTarget;
      fabricName: string;
      vmNetwork: string;
      mappingName: string;
      recoveryNetworkId: string;
    }): Promise<{ networkName: string }> {
      const { target } = input;
      const client = asr(target);
      const networks = await azureCall(`list VM networks of ${input.fabricName}`, () =>
        collect(
          client.replicationNetworks.listByReplicationFabrics(target.vault, target.resourceGroup, input.fabricName),
        ),
      );
      const network = networks.find(
        (n) => (n.properties?.friendlyName ?? n.name ?? '').toLowerCase() === input.vmNetwork.toLowerCase(),
      );
      if (!network?.name) {
        throw needsOperator(`VM network '${input.vmNetwork}' is not visible on ${input.fabricName}`, {
          fix: `check vmm.vmNetwork in the plan (seen: ${networks.map((n) => n.properties?.friendlyName).join(', ') || 'none'})`,
        });
      }
      const networkName = network.name;
      const existing = await azureCall(`read network mapping ${input.mappingName}`, () =>
        getOrUndefined(() =>
          client.replicationNetworkMappings.get(
            target.vault,
            target.resourceGroup,
            input.fabricName,
            networkName,
            input.mappingName,
          ),
        ),
      );
      if (existing) {
        await waitUntilProvisioned(
          `mapping of VM network ${input.vmNetwork}`,
          async () => {
            const now = await azureCall(`read network mapping ${input.mappingName}`, () =>
              client.replicationNetworkMappings.get(
                target.vault,
                target.resourceGroup,
                input.fabricName,
                networkName,
                input.mappingName,
              ),
            );
            return pairingLook(now.properties?.state);
          },
          wait,
        );
        return { networkName };
      }
      await runCheckpointedLro(`map VM network ${input.vmNetwork}`, (options) =>
        client.replicationNetworkMappings.beginCreate(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          networkName,
          input.mappingName,
          {
            properties: {
              recoveryFabricName: 'Microsoft Azure',
              recoveryNetworkId: input.recoveryNetworkId,
              fabricSpecificDetails: { instanceType: 'VmmToAzure' },
            },
          },
          options,
        ),
      );
      return { networkName };
    },

    /** The cloud's VMs as ASR sees them, with the reasons a VM cannot be protected. */
    async listProtectableVms(input: {
      target: VaultTarget;
      fabricName: string;
      containerName: string;
    }): Promise<ProtectableVm[]> {
      const { target } = input;
      const items = await azureCall(`list VMs of ${input.containerName}`, () =>
        collect(
          asr(target).replicationProtectableItems.listByReplicationProtectionContainers(
            target.vault,
            target.resourceGroup,
            input.fabricName,
            input.containerName,
          ),
        ),
      );
      return items.map((item) => {
        const details = (item.properties?.customDetails ?? {}) as {
          instanceType?: string;
          sourceItemId?: string;
          osDetails?: { osType?: string };
          diskDetails?: Array<{ vhdId?: string }>;
        };
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
