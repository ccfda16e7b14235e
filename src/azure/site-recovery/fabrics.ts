import { runCheckpointedLro } from '../checkpoint';
import { azureCall } from '../failures';
import { collect, orAbsent, sameName } from '../reads';
import type { AsrVault } from './vault';

// A vault's fabrics (a registered VMM server is one), their Providers, their protection
// containers (the VMM clouds) and their VM networks.

/** The name of the fabric of a registered VMM server, or undefined while it is not registered. */
export async function findVmmFabric(v: AsrVault, vmmServer: string): Promise<string | undefined> {
  const fabrics = await azureCall(`list fabrics of ${v.target.vault}`, () =>
    collect(v.client.replicationFabrics.list(...v.at)),
  );
  const fabric = fabrics.find(
    (f) => f.properties?.customDetails?.instanceType === 'VMM' && sameName(f.properties.friendlyName ?? '', vmmServer),
  );
  return fabric?.name;
}

/** A Recovery Services Provider installed on a fabric's server. */
export interface ProviderView {
  name: string;
  machine: string;
  version: string;
  connectionStatus?: string;
}

export async function listProviders(v: AsrVault, fabricName: string): Promise<ProviderView[]> {
  const providers = await azureCall(`list providers of ${fabricName}`, () =>
    collect(v.client.replicationRecoveryServicesProviders.listByReplicationFabrics(...v.at, fabricName)),
  );
  return providers
    .filter((p) => p.name)
    .map((p) => ({
      name: p.name ?? '',
      machine: p.properties?.fabricFriendlyName ?? p.properties?.machineName ?? '',
      version: p.properties?.providerVersion ?? '0',
      ...(p.properties?.connectionStatus ? { connectionStatus: p.properties.connectionStatus } : {}),
    }));
}

/** A protection container (a VMM cloud) of a fabric. */
export interface ContainerView {
  name: string;
  friendlyName: string;
}

export async function listProtectionContainers(v: AsrVault, fabricName: string): Promise<ContainerView[]> {
  const containers = await azureCall(`list clouds of ${fabricName}`, () =>
    collect(v.client.replicationProtectionContainers.listByReplicationFabrics(...v.at, fabricName)),
  );
  return containers
    .filter((c) => c.name)
    .map((c) => ({ name: c.name ?? '', friendlyName: c.properties?.friendlyName ?? '' }));
}

/** A VMM VM network of a fabric, as Site Recovery names it. */
export interface VmNetworkView {
  name: string;
  friendlyName: string;
}

export async function listVmNetworks(v: AsrVault, fabricName: string): Promise<VmNetworkView[]> {
  const networks = await azureCall(`list VM networks of ${fabricName}`, () =>
    collect(v.client.replicationNetworks.listByReplicationFabrics(...v.at, fabricName)),
  );
  return networks
    .filter((n) => n.name)
    .map((n) => ({ name: n.name ?? '', friendlyName: n.properties?.friendlyName ?? n.name ?? '' }));
}

/**
 * A tenant's own protection container: its cloud on its VMM server's fabric, or undefined. Every
 * lookup of a tenant's VM starts here, never across the vault: in a shared vault another tenant's
 * VM of the same name is not this tenant's.
 */
export async function findTenantContainer(
  v: AsrVault,
  vmmServer: string,
  cloud: string,
): Promise<{ fabricName: string; containerName: string } | undefined> {
  const fabricName = await findVmmFabric(v, vmmServer);
  if (!fabricName) return undefined;
  const container = (await listProtectionContainers(v, fabricName)).find((c) => sameName(c.friendlyName, cloud));
  return container ? { fabricName, containerName: container.name } : undefined;
}

/**
 * Unregisters a server (removes its fabric; Site Recovery refuses while it has protected items,
 * cloud associations or network mappings); a missing one is done.
 */
export async function removeFabric(v: AsrVault, fabricName: string, server: string): Promise<void> {
  await orAbsent(() =>
    runCheckpointedLro(`unregister ${server}`, (options) =>
      v.client.replicationFabrics.beginDelete(...v.at, fabricName, options),
    ),
  );
}
