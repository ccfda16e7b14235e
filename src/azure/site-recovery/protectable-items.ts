import { azureCall } from '../failures';
import { collect } from '../reads';
import type { AsrVault } from './vault';

/** A VM of a cloud as Site Recovery sees it, with the reasons it cannot be protected. */
export interface ProtectableItemView {
  itemName: string;
  friendlyName: string;
  protectionStatus?: string;
  readinessErrors: string[];
  osType?: string;
  osDiskId?: string;
  hvHostVmId?: string;
  /** Only for the VMs asked for by name (see listProtectableItems). */
  disks?: Array<{ name: string; vhdId: string }>;
}

interface HyperVVirtualMachineDetails {
  sourceItemId?: string;
  osDetails?: { osType?: string };
  diskDetails?: Array<{ vhdId?: string; vhdName?: string }>;
}

export async function listProtectableItems(
  v: AsrVault,
  fabricName: string,
  containerName: string,
  cloud = containerName,
  withDisks: string[] = [],
): Promise<ProtectableItemView[]> {
  const disksOf = new Set(withDisks.map((n) => n.toLowerCase()));
  const items = await azureCall(`list VMs of ${cloud}`, () =>
    collect(
      v.client.replicationProtectableItems.listByReplicationProtectionContainers(...v.at, fabricName, containerName),
    ),
  );
  return items.map((item) => {
    const details = (item.properties?.customDetails ?? {}) as HyperVVirtualMachineDetails;
    return {
      itemName: item.name ?? '',
      friendlyName: item.properties?.friendlyName ?? item.name ?? '',
      ...(item.properties?.protectionStatus ? { protectionStatus: item.properties.protectionStatus } : {}),
      readinessErrors: item.properties?.protectionReadinessErrors ?? [],
      ...(details.osDetails?.osType ? { osType: details.osDetails.osType } : {}),
      ...(details.diskDetails?.[0]?.vhdId ? { osDiskId: details.diskDetails[0].vhdId } : {}),
      ...(details.sourceItemId ? { hvHostVmId: details.sourceItemId } : {}),
      ...(disksOf.has((item.properties?.friendlyName ?? '').toLowerCase())
        ? {
            disks: (details.diskDetails ?? []).flatMap((d) =>
              d.vhdId ? [{ name: d.vhdName ?? d.vhdId, vhdId: d.vhdId }] : [],
            ),
          }
        : {}),
    };
  });
}
