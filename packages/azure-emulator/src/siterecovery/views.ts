import { vmKey, type EmulatorCore } from '../core';
import { recoveryPoints, replicationView } from '../sim/replication';
import { iso } from '../sim/clock';
import type { EstateDisk, EstateVm } from '../estate/types';
import type {
  ContainerRec,
  FabricRec,
  ItemPhase,
  JobRec,
  NetworkRec,
  NicTargetRec,
  PolicyRec,
  ProtectedItemRec,
} from '../state/world';
import { lower, uuidFromName } from '../util/ids';
import { osDiskOf, readinessIssues } from './readiness';
import { ids, type AsrScope } from './scope';
import { targetVmSize } from './target-size';

// JSON bodies exactly as the 2023-06-01 specification names them.

const T = {
  fabric: 'Microsoft.RecoveryServices/vaults/replicationFabrics',
  provider: 'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationRecoveryServicesProviders',
  container: 'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers',
  protectable:
    'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectableItems',
  item: 'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems',
  mapping:
    'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectionContainerMappings',
  network: 'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationNetworks',
  networkMapping: 'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationNetworks/replicationNetworkMappings',
  policy: 'Microsoft.RecoveryServices/vaults/replicationPolicies',
  job: 'Microsoft.RecoveryServices/vaults/replicationJobs',
  recoveryPoint:
    'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems/recoveryPoints',
};

export const AZURE = 'Microsoft Azure';
const MIN_PROVIDER_LATEST = '5.1.2250.0';

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function fabricView(s: AsrScope, f: FabricRec): Record<string, unknown> {
  return {
    id: ids.fabric(s, f),
    name: f.name,
    type: T.fabric,
    location: s.vault.location,
    properties: {
      friendlyName: f.friendlyName,
      encryptionDetails: { kekState: 'None' },
      rolloverEncryptionDetails: { kekState: 'None' },
      internalIdentifier: f.internalIdentifier,
      bcdrState: 'Valid',
      customDetails: { instanceType: 'VMM' },
      healthErrorDetails: [],
      health: 'Normal',
    },
  };
}

export function providerView(core: EmulatorCore, s: AsrScope, f: FabricRec, now: number): Record<string, unknown> {
  const version = f.provider.providerVersion;
  const items = Object.values(f.containers).reduce((n, c) => n + Object.keys(c.items).length, 0);
  const tenant = core.directory.tenantOfSubscription(s.vault.subscriptionId) ?? '';
  const identity = {
    tenantId: tenant,
    applicationId: uuidFromName('provider-app', f.provider.name),
    objectId: uuidFromName('provider-object', f.provider.name),
    audience: `api://${tenant}/RecoveryServiceVault/${s.vault.location}/${s.vault.name}/${s.vault.resourceId}`,
    aadAuthority: core.origin,
  };
  return {
    id: ids.provider(s, f),
    name: f.provider.name,
    type: T.provider,
    location: s.vault.location,
    properties: {
      fabricType: 'VMM',
      friendlyName: f.provider.friendlyName,
      providerVersion: version,
      serverVersion: '3.2.8169.0',
      providerVersionState: compareVersions(version, MIN_PROVIDER_LATEST) >= 0 ? 'Latest' : 'Supported',
      providerVersionExpiryDate: iso(f.registeredAt + 365 * 24 * 3600 * 1000),
      fabricFriendlyName: f.friendlyName,
      lastHeartBeat: iso(now - 60_000 + (now % 60_000) / 2),
      connectionStatus: 'Connected',
      protectedItemCount: items,
      allowedScenarios: ['Refresh'],
      healthErrorDetails: [],
      draIdentifier: f.provider.name,
      machineId: f.provider.machineId,
      machineName: f.provider.machineName,
      biosId: f.provider.biosId,
      authenticationIdentityDetails: identity,
      resourceAccessIdentityDetails: identity,
      providerVersionDetails: {
        version,
        expiryDate: iso(f.registeredAt + 365 * 24 * 3600 * 1000),
        status: 'Supported',
      },
    },
  };
}

export function isPaired(c: ContainerRec): boolean {
  return Object.values(c.mappings).some((m) => m.state === 'Paired');
}

export function containerView(s: AsrScope, f: FabricRec, c: ContainerRec): Record<string, unknown> {
  const paired = isPaired(c);
  return {
    id: ids.container(s, f, c),
    name: c.name,
    type: T.container,
    location: s.vault.location,
    properties: {
      fabricFriendlyName: f.friendlyName,
      friendlyName: c.friendlyName,
      fabricType: 'VMM',
      protectedItemCount: Object.keys(c.items).length,
      pairingStatus: paired ? 'Paired' : 'NotPaired',
      role: paired ? 'Primary' : '',
    },
  };
}

// VMM ids of a VM and its disks and NICs derive from the VM's identity (VMM server, cloud,
// name), always with the cloud: one rule for every VM, so two clouds may share a VM name.
export function vmIdOf(vmm: string, cloud: string, vm: string): string {
  return uuidFromName('vmm-vm', vmm, cloud, vm);
}

export function vhdIdOf(vmm: string, cloud: string, vm: string, disk: string): string {
  return uuidFromName('vmm-vhd', vmm, cloud, vm, disk);
}

export function nicIdOf(vmm: string, cloud: string, vm: string, index: number): string {
  return uuidFromName('nic', vmm, cloud, vm, String(index));
}

/** How Site Recovery tells the OS disk from data disks in diskDetails and azureVmDiskDetails (vhdType). */
export function vhdRole(os: boolean): string {
  return os ? 'OperatingSystem' : 'DataDisk';
}

export interface ItemNic {
  /** Position of the NIC on the VM (one per VM network of the estate): part of its stable id. */
  index: number;
  nicId: string;
  vmNetworkName: string;
  selectionType: string;
  settings: NicTargetRec;
}

/**
 * The NICs of a protected VM with what updates set for them. Without a choice, the first NIC
 * is selected for failover and the others are not, so a VM fails over with one NIC unless
 * an update selects more.
 */
export function itemNics(vmmName: string, item: ProtectedItemRec, vm: EstateVm | undefined): ItemNic[] {
  return (vm?.networks ?? []).map((network, index) => {
    const nicId = nicIdOf(vmmName, item.cloud, item.vmName, index);
    const settings = item.target.nics?.find((n) => lower(n.nicId) === lower(nicId)) ?? { nicId };
    return {
      index,
      nicId,
      vmNetworkName: network,
      selectionType: settings.selectionType ?? (index === 0 ? 'SelectedByUser' : 'NotSelected'),
      settings,
    };
  });
}

export interface ItemDisk {
  /** Position of the disk on the VM: target disk names use it, so they do not shift when a disk is left out. */
  index: number;
  disk: EstateDisk;
  vhdId: string;
  os: boolean;
  /** '-1' for the OS disk; data disks take LUNs 0, 1, … in order. */
  lunId: string;
}

/** The disks of a protected VM that replicate: those of disksToInclude, else all. */
export function itemDisks(vmmName: string, item: ProtectedItemRec, vm: EstateVm | undefined): ItemDisk[] {
  if (!vm) return [];
  const osDisk = osDiskOf(vm);
  const wanted = item.target.disksToInclude?.map(lower);
  let lun = 0;
  return vm.disks.flatMap((disk, index) => {
    const vhdId = vhdIdOf(vmmName, item.cloud, item.vmName, disk.name);
    if (wanted && !wanted.includes(lower(vhdId))) return [];
    const os = disk === osDisk;
    return [{ index, disk, vhdId, os, lunId: os ? '-1' : String(lun++) }];
  });
}

export function protectableViews(
  core: EmulatorCore,
  s: AsrScope,
  f: FabricRec,
  c: ContainerRec,
): Array<Record<string, unknown>> {
  const vmm = core.vmmServer(f.vmmServer);
  if (!vmm) return [];
  // A container is one cloud, and a name is unique within a cloud: the name finds the item.
  const byVm = new Map(Object.values(c.items).map((i) => [lower(i.vmName), i]));
  return vmm.vms
    .filter((vm) => lower(vm.cloud) === lower(c.cloudName))
    .map((vm) => {
      const vmId = vmIdOf(vmm.name, vm.cloud, vm.name);
      const item = byVm.get(lower(vm.name));
      const osDisk = osDiskOf(vm);
      const flag = (b: boolean | undefined) => (b === true ? 'Present' : 'NotPresent');
      return {
        id: ids.protectable(s, f, c, vmId),
        name: vmId,
        type: T.protectable,
        location: s.vault.location,
        properties: {
          friendlyName: vm.name,
          protectionStatus: item ? (item.phase === 'Enabling' ? 'ProtectionInProgress' : 'Protected') : 'Unprotected',
          ...(item ? { replicationProtectedItemId: ids.item(s, f, c, item) } : {}),
          recoveryServicesProviderId: ids.provider(s, f),
          // A VMM name Azure refuses does not block protection: enable names the Azure VM
          // (targetAzureVmName), and refuses an invalid one then.
          protectionReadinessErrors: readinessIssues(vm, { targetVmName: 'valid' }).map((r) => r.message),
          supportedReplicationProviders: ['HyperVReplicaAzure'],
          customDetails: {
            instanceType: 'VmmVirtualMachine',
            sourceItemId: vmId,
            generation: String(vm.generation),
            osDetails: osDetails(vm.osType, vm.osName),
            diskDetails: vm.disks.map((d) => ({
              maxSizeMB: Math.round(d.sizeGB * 1024),
              vhdType: vhdRole(d === osDisk),
              vhdId: vhdIdOf(vmm.name, vm.cloud, vm.name, d.name),
              vhdName: d.name,
            })),
            hasPhysicalDisk: flag(vm.physicalDisk),
            hasFibreChannelAdapter: flag(vm.fibreChannel),
            hasSharedVhd: flag(vm.disks.some((d) => d.shared === true)),
            hyperVHostId: uuidFromName('hyperv-host', vmm.name, vm.host ?? ''),
          },
        },
      };
    });
}

export function osDetails(osType: string, osName?: string): Record<string, string> {
  const m = /(\d+)(?:\.(\d+))?/.exec(osName ?? '');
  return {
    osType,
    productType: osType === 'Windows' ? 'Server' : 'Linux',
    osEdition: osName ?? osType,
    oSVersion: osType === 'Windows' ? '6.3.9600' : (m?.[0] ?? ''),
    oSMajorVersion: osType === 'Windows' ? '6' : (m?.[1] ?? ''),
    oSMinorVersion: osType === 'Windows' ? '3' : (m?.[2] ?? '0'),
  };
}

export function networkView(s: AsrScope, f: FabricRec, n: NetworkRec): Record<string, unknown> {
  return {
    id: ids.network(s, f, n),
    name: n.name,
    type: T.network,
    location: s.vault.location,
    properties: {
      fabricType: 'VMM',
      subnets: n.subnets.map((x) => ({ name: x.name, friendlyName: x.name, addressList: [x.addressPrefix] })),
      friendlyName: n.friendlyName,
      networkType: 'NoIsolation',
    },
  };
}

export function networkMappingView(s: AsrScope, f: FabricRec, n: NetworkRec, name: string): Record<string, unknown> {
  const m = n.mappings[lower(name)];
  const vnetName = m?.recoveryNetworkId.split('/').pop() ?? '';
  return {
    id: ids.networkMapping(s, f, n, m?.name ?? name),
    name: m?.name ?? name,
    type: T.networkMapping,
    location: s.vault.location,
    properties: {
      state: m?.state ?? 'Paired',
      primaryNetworkFriendlyName: n.friendlyName,
      primaryNetworkId: ids.network(s, f, n),
      primaryFabricFriendlyName: f.friendlyName,
      recoveryNetworkFriendlyName: vnetName,
      recoveryNetworkId: m?.recoveryNetworkId,
      recoveryFabricFriendlyName: AZURE,
      fabricSpecificSettings: { instanceType: 'VmmToAzure' },
    },
  };
}

export function policyView(s: AsrScope, p: PolicyRec): Record<string, unknown> {
  return {
    id: ids.policy(s, p),
    name: p.name,
    type: T.policy,
    location: s.vault.location,
    properties: {
      friendlyName: p.name,
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure',
        recoveryPointHistoryDurationInHours: p.recoveryPointHistoryDurationInHours,
        applicationConsistentSnapshotFrequencyInHours: p.applicationConsistentSnapshotFrequencyInHours,
        replicationInterval: p.replicationIntervalSeconds,
        ...(p.onlineReplicationStartTime ? { onlineReplicationStartTime: p.onlineReplicationStartTime } : {}),
        encryption: 'Disabled',
        ...(p.storageAccounts[0] ? { activeStorageAccountId: p.storageAccounts[0] } : {}),
      },
    },
  };
}

export function mappingView(s: AsrScope, f: FabricRec, c: ContainerRec, name: string): Record<string, unknown> {
  const m = c.mappings[lower(name)];
  return {
    id: ids.mapping(s, f, c, m?.name ?? name),
    name: m?.name ?? name,
    type: T.mapping,
    location: s.vault.location,
    properties: {
      targetProtectionContainerId: AZURE,
      targetProtectionContainerFriendlyName: AZURE,
      health: 'Normal',
      healthErrorDetails: [],
      policyId: ids.policy(s, m?.policyName ?? ''),
      state: m?.state ?? 'Paired',
      sourceProtectionContainerFriendlyName: c.friendlyName,
      sourceFabricFriendlyName: f.friendlyName,
      targetFabricFriendlyName: AZURE,
      policyFriendlyName: m?.policyName ?? '',
    },
  };
}

interface PhaseInfo {
  protectionState: string;
  description: string;
  allowed: string[];
  testFailoverState: string;
  testFailoverDescription: string;
}

const FORWARD_OPS = ['PlannedFailover', 'UnplannedFailover', 'DisableProtection', 'TestFailover'];
const FAILED_OVER_OPS = ['CompleteMigration', 'Commit', 'DisableProtection', 'ChangePit'];

export function phaseInfo(item: ProtectedItemRec, initialDone: boolean): PhaseInfo {
  const none = { testFailoverState: 'None', testFailoverDescription: 'None' };
  const planned = item.failoverKind !== 'Unplanned';
  const table: Record<ItemPhase, () => PhaseInfo> = {
    Enabling: () => ({
      protectionState: 'EnablingProtection',
      description: 'Enabling protection',
      allowed: [],
      ...none,
    }),
    Replicating: () =>
      initialDone
        ? { protectionState: 'Protected', description: 'Protected', allowed: FORWARD_OPS, ...none }
        : item.replication?.type === 'Resynchronization'
          ? {
              protectionState: 'ResynchronizationInProgress',
              description: 'Resynchronization in progress',
              allowed: ['DisableProtection'],
              ...none,
            }
          : {
              protectionState: 'InitialReplicationInProgress',
              description: 'Initial replication in progress',
              allowed: ['DisableProtection'],
              ...none,
            },
    TestFailoverRunning: () => ({
      protectionState: 'Protected',
      description: 'Test failover in progress',
      allowed: [],
      ...none,
    }),
    TestFailoverDone: () => ({
      protectionState: 'Protected',
      description: 'Cleanup test failover pending',
      allowed: ['TestFailoverCleanup'],
      testFailoverState: 'WaitingForCompletion',
      testFailoverDescription: 'Waiting for user input',
    }),
    TestFailoverCleaning: () => ({
      protectionState: 'Protected',
      description: 'Cleaning up test failover',
      allowed: [],
      testFailoverState: 'MarkedForDeletion',
      testFailoverDescription: 'Cleaning up test environment',
    }),
    PlannedFailoverRunning: () => ({
      protectionState: 'PlannedFailoverInProgress',
      description: 'Planned failover in progress',
      allowed: [],
      ...none,
    }),
    UnplannedFailoverRunning: () => ({
      protectionState: 'UnplannedFailoverInProgress',
      description: 'Failover in progress',
      allowed: [],
      ...none,
    }),
    FailedOver: () =>
      planned
        ? {
            protectionState: 'PlannedFailoverCommitRequired',
            description: 'Planned failover finished',
            allowed: FAILED_OVER_OPS,
            ...none,
          }
        : {
            protectionState: 'UnplannedFailoverCommitPendingStatesBegin',
            description: 'Failover completed',
            allowed: FAILED_OVER_OPS,
            ...none,
          },
    ChangingPit: () => ({
      protectionState: planned ? 'PlannedFailoverCommitRequired' : 'UnplannedFailoverCommitPendingStatesBegin',
      description: 'Changing recovery point',
      allowed: [],
      ...none,
    }),
    CommitRunning: () => ({
      protectionState: planned ? 'PlannedFailoverCommitRequired' : 'UnplannedFailoverCommitPendingStatesBegin',
      description: 'Commit in progress',
      allowed: [],
      ...none,
    }),
    Committed: () =>
      planned
        ? {
            protectionState: 'PlannedFailoverStatesBegin',
            description: 'Planned failover committed',
            allowed: ['CompleteMigration', 'DisableProtection', 'Failback'],
            ...none,
          }
        : {
            protectionState: 'UnplannedFailoverStatesBegin',
            description: 'Failover committed',
            allowed: ['CompleteMigration', 'DisableProtection', 'Failback'],
            ...none,
          },
    FailbackRunning: () => ({
      protectionState: 'PlannedFailoverInProgress',
      description: 'Failback in progress',
      allowed: [],
      ...none,
    }),
    FailedBack: () => ({
      protectionState: 'PlannedFailoverCommitRequired',
      description: 'Failback finished',
      allowed: ['Commit', 'DisableProtection'],
      ...none,
    }),
    FailbackCommitRunning: () => ({
      protectionState: 'PlannedFailoverCommitRequired',
      description: 'Commit in progress',
      allowed: [],
      ...none,
    }),
    FailbackCommitted: () => ({
      protectionState: 'PlannedFailoverStatesBegin',
      description: 'Failback committed',
      allowed: ['ReverseReplicate', 'DisableProtection'],
      ...none,
    }),
    ReprotectRunning: () => ({
      protectionState: 'ReprotectInProgress',
      description: 'Reverse replication in progress',
      allowed: [],
      ...none,
    }),
    Disabling: () => ({
      protectionState: 'DisablingProtection',
      description: 'Disabling protection',
      allowed: [],
      ...none,
    }),
  };
  return table[item.phase]();
}

export function itemView(
  core: EmulatorCore,
  s: AsrScope,
  f: FabricRec,
  c: ContainerRec,
  item: ProtectedItemRec,
  now: number,
): Record<string, unknown> {
  // Health is Normal unless a test set it through the admin API (items/health).
  const health = core.world.itemHealth?.[vmKey(item.vmmServer, item.cloud, item.vmName)] ?? 'Normal';
  const policy = s.vault.asr.policies[lower(item.policyName)];
  const rep = replicationView(item, policy, now);
  const info = phaseInfo(item, rep.initialDone);
  const vm = core.vm(item.vmmServer, item.cloud, item.vmName);
  const vmmName = core.vmmServer(item.vmmServer)?.name ?? item.vmmServer;
  const points = recoveryPoints(item, policy, now);
  const latest = points[0];
  const itemId = ids.item(s, f, c, item);
  const rpId = (t: number) => `${itemId}/recoveryPoints/${recoveryPointName(item, t)}`;
  const t = item.target;
  const details: Record<string, unknown> = {
    instanceType: 'HyperVReplicaAzure',
    azureVmDiskDetails: itemDisks(vmmName, item, vm).map((d) => ({
      vhdType: vhdRole(d.os),
      vhdId: d.vhdId,
      vhdName: d.disk.name,
      maxSizeMB: String(Math.round(d.disk.sizeGB * 1024)),
      targetDiskLocation: t.storageAccountId ?? '',
      targetDiskName: targetDiskName(t.vmName, d.index),
      lunId: d.lunId,
    })),
    recoveryAzureVmName: t.vmName,
    recoveryAzureVMSize: targetVmSize(item, vm),
    ...(t.availabilitySetId ? { recoveryAvailabilitySetId: t.availabilitySetId } : {}),
    ...(t.availabilityZone ? { targetAvailabilityZone: t.availabilityZone } : {}),
    ...(t.vmTags ? { targetVmTags: t.vmTags } : {}),
    ...(item.target.storageAccountId ? { recoveryAzureStorageAccount: item.target.storageAccountId } : {}),
    ...(item.target.logStorageAccountId ? { recoveryAzureLogStorageAccountId: item.target.logStorageAccountId } : {}),
    ...(rep.lastReplicatedTime !== undefined
      ? {
          lastReplicatedTime: iso(rep.lastReplicatedTime),
          rpoInSeconds: rep.rpoSeconds,
          lastRpoCalculatedTime: iso(now),
        }
      : {}),
    vmId: item.vmId,
    vmProtectionState: info.protectionState,
    vmProtectionStateDescription: info.description,
    initialReplicationDetails: {
      initialReplicationType: item.replication?.type ?? 'InitialReplication',
      initialReplicationProgressPercentage: String(rep.progressPercent),
    },
    vmNics: itemNics(vmmName, item, vm).map((n) => nicView(item, n)),
    ...(item.target.networkId ? { selectedRecoveryAzureNetworkId: item.target.networkId } : {}),
    encryption: 'Disabled',
    oSDetails: osDetails(vm?.osType ?? 'Windows', vm?.osName),
    sourceVmRamSizeInMB: vm?.memoryMB ?? 2048,
    sourceVmCpuCount: vm?.cpuCount ?? 1,
    enableRdpOnTargetOption: item.target.enableRdpOnTargetOption ?? 'Never',
    ...(item.target.resourceGroupId ? { recoveryAzureResourceGroupId: item.target.resourceGroupId } : {}),
    useManagedDisks: item.target.useManagedDisks ?? 'false',
    licenseType: item.target.licenseType ?? 'NoLicenseType',
    ...(t.sqlServerLicenseType ? { sqlServerLicenseType: t.sqlServerLicenseType } : {}),
    ...(latest ? { lastRecoveryPointReceived: iso(latest.time) } : {}),
    protectedManagedDisks: [],
  };
  const job = item.currentJob;
  return {
    id: itemId,
    name: item.name,
    type: T.item,
    location: s.vault.location,
    properties: {
      friendlyName: item.vmName,
      protectedItemType: 'HyperVVirtualMachine',
      protectableItemId: ids.protectable(s, f, c, item.protectableItemName),
      recoveryServicesProviderId: ids.provider(s, f),
      primaryFabricFriendlyName: f.friendlyName,
      primaryFabricProvider: 'VMM',
      recoveryFabricFriendlyName: AZURE,
      recoveryFabricId: AZURE,
      primaryProtectionContainerFriendlyName: c.friendlyName,
      recoveryProtectionContainerFriendlyName: AZURE,
      protectionState: info.protectionState,
      protectionStateDescription: info.description,
      activeLocation: item.activeLocation,
      testFailoverState: info.testFailoverState,
      testFailoverStateDescription: info.testFailoverDescription,
      allowedOperations: info.allowed,
      replicationHealth: health,
      failoverHealth: 'Normal',
      healthErrors:
        health === 'Normal'
          ? []
          : [
              {
                errorCode: '78052',
                summaryMessage: 'Replication is in a critical state',
                errorMessage: `Replication for ${item.vmName} has not progressed within the expected time.`,
                possibleCauses: 'The Hyper-V host cannot reach Azure, or the replication is paused.',
                recommendedAction: 'Check the Hyper-V host connectivity and resume replication.',
                errorLevel: health === 'Critical' ? 'Error' : 'Warning',
              },
            ],
      policyId: ids.policy(s, item.policyName),
      policyFriendlyName: item.policyName,
      ...(item.lastSuccessfulFailoverTime !== undefined
        ? { lastSuccessfulFailoverTime: iso(item.lastSuccessfulFailoverTime) }
        : {}),
      ...(item.lastSuccessfulTestFailoverTime !== undefined
        ? { lastSuccessfulTestFailoverTime: iso(item.lastSuccessfulTestFailoverTime) }
        : {}),
      currentScenario: job
        ? { scenarioName: job.scenarioName, jobId: ids.job(s, job.jobName), startTime: iso(job.startTime) }
        : { scenarioName: 'None', jobId: `${s.v}/replicationJobs/None`, startTime: '1753-01-01T01:01:01Z' },
      ...(item.failoverRecoveryPointName
        ? { failoverRecoveryPointId: `${itemId}/recoveryPoints/${item.failoverRecoveryPointName}` }
        : latest
          ? { failoverRecoveryPointId: rpId(latest.time) }
          : {}),
      providerSpecificDetails: details,
      recoveryContainerId: AZURE,
    },
  };
}

/** A NIC of the item as VMNicDetails: its one IP configuration carries the recovery and test failover choices. */
function nicView(item: ProtectedItemRec, n: ItemNic): Record<string, unknown> {
  const s = n.settings;
  const recoverySubnet = s.recoverySubnetName ?? item.target.subnetName;
  return {
    nicId: n.nicId,
    vMNetworkName: n.vmNetworkName,
    ...(item.target.networkId ? { recoveryVMNetworkId: item.target.networkId } : {}),
    ...(item.target.tfoNetworkId ? { tfoVMNetworkId: item.target.tfoNetworkId } : {}),
    selectionType: n.selectionType,
    ipConfigs: [
      {
        name: 'ipconfig1',
        isPrimary: true,
        ipAddressType: 'Dynamic',
        ...(recoverySubnet ? { recoverySubnetName: recoverySubnet } : {}),
        ...(s.recoveryStaticIp ? { recoveryStaticIPAddress: s.recoveryStaticIp } : {}),
        recoveryIPAddressType: s.recoveryStaticIp ? 'Static' : 'Dynamic',
        ...(s.tfoSubnetName ? { tfoSubnetName: s.tfoSubnetName } : {}),
        ...(s.tfoStaticIp ? { tfoStaticIPAddress: s.tfoStaticIp } : {}),
        isSeletedForFailover: n.selectionType !== 'NotSelected',
      },
    ],
  };
}

export function targetDiskName(vmName: string, index: number): string {
  return `${vmName}-disk-${index}`;
}

export function recoveryPointName(item: ProtectedItemRec, time: number): string {
  return uuidFromName('recovery-point', item.vmId, String(time));
}

export function recoveryPointViews(
  core: EmulatorCore,
  s: AsrScope,
  f: FabricRec,
  c: ContainerRec,
  item: ProtectedItemRec,
  now: number,
): Array<Record<string, unknown>> {
  const policy = s.vault.asr.policies[lower(item.policyName)];
  let pts = recoveryPoints(item, policy, now);
  // After a commit, Site Recovery discards every point but the one failed over to.
  if ((item.phase === 'Committed' || item.phase.startsWith('Failback')) && item.failoverRecoveryPointName) {
    pts = pts.filter((p) => recoveryPointName(item, p.time) === item.failoverRecoveryPointName);
  }
  const itemId = ids.item(s, f, c, item);
  return pts.map((p) => ({
    id: `${itemId}/recoveryPoints/${recoveryPointName(item, p.time)}`,
    name: recoveryPointName(item, p.time),
    type: T.recoveryPoint,
    location: s.vault.location,
    properties: { recoveryPointTime: iso(p.time), recoveryPointType: p.type },
  }));
}

function stateDescription(state: string): string {
  switch (state) {
    case 'Succeeded':
      return 'Completed';
    case 'InProgress':
      return 'In progress';
    case 'NotStarted':
      return 'Not started';
    case 'Suspended':
      return 'Waiting for user action';
    default:
      return state;
  }
}

export function jobView(s: AsrScope, j: JobRec): Record<string, unknown> {
  const errors = j.errors.map((e) => ({
    serviceErrorDetails: {
      code: e.error.code,
      message: e.error.message,
      possibleCauses: e.error.possibleCauses,
      recommendedAction: e.error.recommendedAction,
      activityId: j.activityId,
    },
    ...(e.error.providerErrorCode !== undefined
      ? {
          providerErrorDetails: {
            errorCode: e.error.providerErrorCode,
            errorMessage: e.error.providerErrorMessage ?? e.error.message,
            errorId: e.taskId,
            possibleCauses: e.error.possibleCauses,
            recommendedAction: e.error.recommendedAction,
          },
        }
      : {}),
    errorLevel: 'Error',
    creationTime: iso(e.at),
    taskId: e.taskId,
  }));
  return {
    id: ids.job(s, j.name),
    name: j.name,
    type: T.job,
    location: s.vault.location,
    properties: {
      activityId: j.activityId,
      scenarioName: j.scenarioName,
      friendlyName: j.friendlyName,
      state: j.state,
      stateDescription: stateDescription(j.state),
      tasks: j.tasks.map((t) => ({
        taskId: t.taskId,
        name: t.name,
        ...(t.startTime !== undefined ? { startTime: iso(t.startTime) } : {}),
        ...(t.endTime !== undefined ? { endTime: iso(t.endTime) } : {}),
        allowedActions: t.state === 'Suspended' ? ['Resume'] : [],
        friendlyName: t.friendlyName,
        state: t.state,
        stateDescription: t.skipped && t.state === 'Succeeded' ? 'Skipped' : stateDescription(t.state),
        taskType: t.taskType ?? 'TaskDetails',
        ...(t.customDetails ? { customDetails: t.customDetails } : {}),
        ...(t.groupDetails ? { groupTaskCustomDetails: t.groupDetails } : {}),
        errors: errors.filter((e) => e.taskId === t.taskId),
      })),
      errors,
      startTime: iso(j.startTime),
      ...(j.endTime !== undefined ? { endTime: iso(j.endTime) } : {}),
      allowedActions: j.allowedActions,
      targetObjectId: j.targetObjectId,
      targetObjectName: j.targetObjectName,
      targetInstanceType: j.targetInstanceType,
      customDetails: { instanceType: 'AsrJobDetails', affectedObjectDetails: j.affectedObjectDetails },
    },
  };
}
