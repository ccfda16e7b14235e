import type {
  ReplicationProtectedItem,
  UpdateReplicationProtectedItemInput,
} from '@azure/arm-recoveryservices-siterecovery';
import { defined } from '../../domain/defined';
import type { NicAddressing, VmPlacement } from '../../domain/vm-settings';
import { runCheckpointedLro } from '../checkpoint';
import { azureCall } from '../failures';
import { protectedItemView, type ItemRef, type ProtectedItemView } from './protected-items';
import type { AsrVault } from './vault';

// How a protected item's VM comes up in Azure, as the item says and as an update changes it:
// name, size, licences, placement, tags and each NIC's subnet and static IP for failover and
// test failover. Hyper-V to Azure (HyperVReplicaAzure) only.

export interface NicSettings extends NicAddressing {
  nicId: string;
}

/** The settings asrflow manages after protection is enabled, as read from the item. */
export interface ItemSettings extends VmPlacement {
  nics: NicSettings[];
}

interface Details {
  recoveryAzureVmName?: string;
  recoveryAzureVMSize?: string;
  licenseType?: string;
  sqlServerLicenseType?: string;
  targetAvailabilityZone?: string;
  recoveryAvailabilitySetId?: string;
  targetVmTags?: Record<string, string>;
  vmNics?: Array<{
    nicId?: string;
    ipConfigs?: Array<{
      isPrimary?: boolean;
      recoverySubnetName?: string;
      recoveryStaticIPAddress?: string;
      tfoSubnetName?: string;
      tfoStaticIPAddress?: string;
    }>;
  }>;
}

const text = (v: string | undefined) => (v ? v : undefined);

export function itemSettings(item: ReplicationProtectedItem): ItemSettings {
  const d = (item.properties?.providerSpecificDetails ?? {}) as Details;
  const entries = {
    azureName: text(d.recoveryAzureVmName),
    vmSize: text(d.recoveryAzureVMSize),
    licenseType: text(d.licenseType),
    sqlServerLicenseType: text(d.sqlServerLicenseType),
    zone: text(d.targetAvailabilityZone),
    availabilitySetId: text(d.recoveryAvailabilitySetId),
    tags: d.targetVmTags,
  };
  return {
    ...defined(entries),
    nics: (d.vmNics ?? []).flatMap((nic) => {
      if (!nic.nicId) return [];
      const ip = nic.ipConfigs?.find((c) => c.isPrimary) ?? nic.ipConfigs?.[0];
      const nicSettings: NicSettings = { nicId: nic.nicId };
      if (ip?.recoverySubnetName) nicSettings.subnet = ip.recoverySubnetName;
      if (ip?.recoveryStaticIPAddress) nicSettings.ip = ip.recoveryStaticIPAddress;
      if (ip?.tfoSubnetName) nicSettings.testSubnet = ip.tfoSubnetName;
      if (ip?.tfoStaticIPAddress) nicSettings.testIp = ip.tfoStaticIPAddress;
      return [nicSettings];
    }),
  };
}

export async function readItemSettings(v: AsrVault, ref: ItemRef): Promise<ItemSettings> {
  return (await readItemWithSettings(v, ref)).settings;
}

/** The item as asrflow reads it and its settings, from one read. */
export async function readItemWithSettings(
  v: AsrVault,
  ref: ItemRef,
): Promise<{ item: ProtectedItemView; settings: ItemSettings }> {
  const item = await azureCall(`read protected item ${ref.itemName}`, () =>
    v.client.replicationProtectedItems.get(...v.at, ref.fabricName, ref.containerName, ref.itemName),
  );
  return { item: protectedItemView(item), settings: itemSettings(item) };
}

/** What one update changes; absent fields are left as they are. */
export interface SettingsUpdate extends VmPlacement {
  /** Every NIC of the VM, when any NIC changes: Site Recovery takes the NICs as one list. */
  nics?: NicSettings[];
  recoveryNetworkId: string;
  testNetworkId?: string;
}

function updateInput(u: SettingsUpdate): UpdateReplicationProtectedItemInput {
  const provider = {
    ...(u.zone !== undefined ? { targetAvailabilityZone: u.zone } : {}),
    ...(u.tags !== undefined ? { targetVmTags: u.tags } : {}),
    ...(u.sqlServerLicenseType !== undefined ? { sqlServerLicenseType: u.sqlServerLicenseType } : {}),
  };
  return {
    properties: {
      ...(u.azureName !== undefined ? { recoveryAzureVMName: u.azureName } : {}),
      ...(u.vmSize !== undefined ? { recoveryAzureVMSize: u.vmSize } : {}),
      ...(u.licenseType !== undefined ? { licenseType: u.licenseType } : {}),
      ...(u.availabilitySetId !== undefined ? { recoveryAvailabilitySetId: u.availabilitySetId } : {}),
      ...(u.nics
        ? {
            selectedRecoveryAzureNetworkId: u.recoveryNetworkId,
            ...(u.testNetworkId ? { selectedTfoAzureNetworkId: u.testNetworkId } : {}),
            vmNics: u.nics.map((n) => ({
              nicId: n.nicId,
              selectionType: 'SelectedByUser',
              ipConfigs: [
                {
                  ipConfigName: 'ipconfig1',
                  isPrimary: true,
                  ...(n.subnet ? { recoverySubnetName: n.subnet } : {}),
                  ...(n.ip ? { recoveryStaticIPAddress: n.ip } : {}),
                  ...(n.testSubnet ? { tfoSubnetName: n.testSubnet } : {}),
                  ...(n.testIp ? { tfoStaticIPAddress: n.testIp } : {}),
                },
              ],
            })),
          }
        : {}),
      ...(Object.keys(provider).length > 0
        ? { providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' as const, ...provider } }
        : {}),
    },
  };
}

/**
 * Updates the item's settings (a PATCH whose job runs a minute), resuming a checkpointed
 * request rather than sending it twice. `operation` names it in the checkpoint.
 */
export async function updateItemSettings(
  v: AsrVault,
  ref: ItemRef,
  update: SettingsUpdate,
  operation: string,
): Promise<void> {
  await runCheckpointedLro(operation, (lro) =>
    v.client.replicationProtectedItems.beginUpdate(
      ...v.at,
      ref.fabricName,
      ref.containerName,
      ref.itemName,
      updateInput(update),
      lro,
    ),
  );
}
