import type { ReplicationProviderSpecificContainerMappingInputUnion } from '@azure/arm-recoveryservices-siterecovery';
import { runCheckpointedLro } from '../checkpoint';
import { azureCall } from '../failures';
import { orAbsent } from '../reads';
import type { AsrVault } from './vault';

// Pairings inside a vault: a cloud with a policy (container mapping) and a VMM VM network with an
// Azure VNet (network mapping). Both are long-running PUTs with a `state` that says when they are usable.

// Hyper-V to Azure pairs with the base discriminator value, which the SDK's union (A2A and
// VMwareCbt only) does not list; the REST API and PowerShell send exactly this.
const HYPERV_CONTAINER_MAPPING_INPUT = {
  instanceType: 'ReplicationProviderSpecificContainerMappingInput',
} as unknown as ReplicationProviderSpecificContainerMappingInputUnion;

export interface ContainerMappingRef {
  fabricName: string;
  containerName: string;
  mappingName: string;
}

export interface NetworkMappingRef {
  fabricName: string;
  /** Site Recovery's name of the VMM VM network. */
  networkName: string;
  mappingName: string;
}

/** A pairing's state (Paired, Pairing, PairingFailed, …), or undefined when it does not exist. */
export async function readContainerMapping(
  v: AsrVault,
  ref: ContainerMappingRef,
): Promise<{ state: string } | undefined> {
  const mapping = await azureCall(`read container mapping ${ref.mappingName}`, () =>
    orAbsent(() =>
      v.client.replicationProtectionContainerMappings.get(...v.at, ref.fabricName, ref.containerName, ref.mappingName),
    ),
  );
  return mapping ? { state: mapping.properties?.state ?? '' } : undefined;
}

/** Pairs a cloud with a policy, towards Azure (resuming a checkpointed request). */
export async function createContainerMapping(
  v: AsrVault,
  ref: ContainerMappingRef,
  policyId: string,
): Promise<{ state?: string }> {
  const { result } = await runCheckpointedLro(`pair cloud ${ref.containerName} with policy`, (options) =>
    v.client.replicationProtectionContainerMappings.beginCreate(
      ...v.at,
      ref.fabricName,
      ref.containerName,
      ref.mappingName,
      {
        properties: {
          targetProtectionContainerId: 'Microsoft Azure',
          policyId,
          providerSpecificInput: HYPERV_CONTAINER_MAPPING_INPUT,
        },
      },
      options,
    ),
  );
  return result.properties?.state ? { state: result.properties.state } : {};
}

/** A network mapping's state, or undefined when it does not exist. */
export async function readNetworkMapping(v: AsrVault, ref: NetworkMappingRef): Promise<{ state: string } | undefined> {
  const mapping = await azureCall(`read network mapping ${ref.mappingName}`, () =>
    orAbsent(() => v.client.replicationNetworkMappings.get(...v.at, ref.fabricName, ref.networkName, ref.mappingName)),
  );
  return mapping ? { state: mapping.properties?.state ?? '' } : undefined;
}

/** Maps a VMM VM network to an Azure VNet (resuming a checkpointed request). */
export async function createNetworkMapping(
  v: AsrVault,
  ref: NetworkMappingRef,
  recoveryNetworkId: string,
  vmNetwork: string,
): Promise<void> {
  await runCheckpointedLro(`map VM network ${vmNetwork}`, (options) =>
    v.client.replicationNetworkMappings.beginCreate(
      ...v.at,
      ref.fabricName,
      ref.networkName,
      ref.mappingName,
      {
        properties: {
          recoveryFabricName: 'Microsoft Azure',
          recoveryNetworkId,
          fabricSpecificDetails: { instanceType: 'VmmToAzure' },
        },
      },
      options,
    ),
  );
}

/** Dissociates a cloud from its policy (resuming a checkpointed request); a missing pairing is done. */
export async function removeContainerMapping(v: AsrVault, ref: ContainerMappingRef): Promise<void> {
  await orAbsent(() =>
    runCheckpointedLro(`dissociate cloud ${ref.containerName} from its policy`, (options) =>
      v.client.replicationProtectionContainerMappings.beginDelete(
        ...v.at,
        ref.fabricName,
        ref.containerName,
        ref.mappingName,
        { properties: {} },
        options,
      ),
    ),
  );
}

/** Removes a network mapping (resuming a checkpointed request); a missing one is done. */
export async function removeNetworkMapping(v: AsrVault, ref: NetworkMappingRef, vmNetwork: string): Promise<void> {
  await orAbsent(() =>
    runCheckpointedLro(`remove the mapping of VM network ${vmNetwork}`, (options) =>
      v.client.replicationNetworkMappings.beginDelete(
        ...v.at,
        ref.fabricName,
        ref.networkName,
        ref.mappingName,
        options,
      ),
    ),
  );
}
