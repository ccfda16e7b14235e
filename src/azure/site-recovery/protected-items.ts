import type { ReplicationProtectedItem } from '@azure/arm-recoveryservices-siterecovery';
import { runCheckpointedLro, type LroOptions } from '../checkpoint';
import { azureCall } from '../failures';
import { collect, iso, lastSegment, orAbsent } from '../reads';
import { defined } from '../../domain/defined';
import type { ItemAction } from '../../domain/item-actions';
import { containerId, type AsrVault } from './vault';

// Protected (replicated) items: reading them, enabling protection of a VM, and the failover
// actions on one. Only Hyper-V to Azure (HyperVReplicaAzure) is spoken here.

/** Where a protected item is: its fabric, its protection container (VMM cloud), its name. */
export interface ItemRef {
  fabricName: string;
  containerName: string;
  itemName: string;
}

/** A protected item as asrflow reads it. */
export interface ProtectedItemView {
  id: string;
  name: string;
  friendlyName?: string;
  protectionState?: string;
  activeLocation?: string;
  replicationHealth?: string;
  testFailoverState?: string;
  allowedOperations: string[];
  /** What runs on the item now; `jobName` is the job's name (the last segment of its id). */
  currentScenario?: { scenarioName?: string; jobId?: string; jobName?: string };
  failoverRecoveryPointId?: string;
  hyperV: HyperVItemView;
}

/** The Hyper-V to Azure details of an item that asrflow uses. */
export interface HyperVItemView {
  /** The VM's Hyper-V id (jobs on the item may name it as their target). */
  vmId?: string;
  osType?: string;
  /** The OS disk's VHD id (LUN -1, else the first disk). */
  osVhdId?: string;
  recoveryStorageAccountId?: string;
  recoveryLogStorageAccountId?: string;
  recoveryNetworkId?: string;
  recoveryResourceGroupId?: string;
  /** When Site Recovery last measured the RPO: its clock, which recovery points use too. */
  lastRpoCalculatedTime?: string;
  rpoInSeconds?: number;
  /** Initial replication's progress, 0–100, while it runs. */
  initialReplicationPercent?: number;
}

interface HyperVReplicaAzureDetails {
  vmId?: string;
  recoveryAzureStorageAccount?: string;
  recoveryAzureLogStorageAccountId?: string;
  oSDetails?: { osType?: string };
  azureVmDiskDetails?: Array<{ vhdId?: string; lunId?: string }>;
  lastRpoCalculatedTime?: string | Date;
  rpoInSeconds?: number;
  selectedRecoveryAzureNetworkId?: string;
  recoveryAzureResourceGroupId?: string;
  initialReplicationDetails?: { initialReplicationProgressPercentage?: string };
}

export function protectedItemView(item: ReplicationProtectedItem): ProtectedItemView {
  const p = item.properties ?? {};
  const d = (p.providerSpecificDetails ?? {}) as HyperVReplicaAzureDetails;
  const osDisk = d.azureVmDiskDetails?.find((disk) => disk.lunId === '-1') ?? d.azureVmDiskDetails?.[0];
  const rawPercent = d.initialReplicationDetails?.initialReplicationProgressPercentage;
  const percent = rawPercent === undefined ? undefined : Number.parseFloat(rawPercent);
  const scenario = p.currentScenario;
  return defined({
    id: item.id ?? '',
    name: item.name ?? '',
    friendlyName: p.friendlyName,
    protectionState: p.protectionState,
    activeLocation: p.activeLocation,
    replicationHealth: p.replicationHealth,
    testFailoverState: p.testFailoverState,
    allowedOperations: p.allowedOperations ?? [],
    currentScenario: scenario
      ? defined({ scenarioName: scenario.scenarioName, jobId: scenario.jobId, jobName: lastSegment(scenario.jobId) })
      : undefined,
    failoverRecoveryPointId: p.failoverRecoveryPointId,
    hyperV: defined({
      vmId: d.vmId,
      osType: d.oSDetails?.osType,
      osVhdId: osDisk?.vhdId,
      recoveryStorageAccountId: d.recoveryAzureStorageAccount,
      recoveryLogStorageAccountId: d.recoveryAzureLogStorageAccountId,
      recoveryNetworkId: d.selectedRecoveryAzureNetworkId,
      recoveryResourceGroupId: d.recoveryAzureResourceGroupId,
      lastRpoCalculatedTime: iso(d.lastRpoCalculatedTime),
      rpoInSeconds: d.rpoInSeconds,
      initialReplicationPercent: percent !== undefined && Number.isFinite(percent) ? percent : undefined,
    }),
  });
}

/** The item, or undefined when it does not exist. */
export async function readProtectedItem(
  v: AsrVault,
  ref: ItemRef,
  label = ref.itemName,
): Promise<ProtectedItemView | undefined> {
  const item = await azureCall(`read protected item ${label}`, () =>
    orAbsent(() => v.client.replicationProtectedItems.get(...v.at, ref.fabricName, ref.containerName, ref.itemName)),
  );
  return item ? protectedItemView(item) : undefined;
}

/** The item, which must exist (a missing one is a failure like any other). */
export async function getProtectedItem(v: AsrVault, ref: ItemRef): Promise<ProtectedItemView> {
  return protectedItemView(
    await azureCall(`read protected item ${ref.itemName}`, () =>
      v.client.replicationProtectedItems.get(...v.at, ref.fabricName, ref.containerName, ref.itemName),
    ),
  );
}

/** Every protected item of the vault: one paged list, shared by all the VMs a tenant replicates. */
export async function listVaultProtectedItems(v: AsrVault): Promise<ProtectedItemView[]> {
  const items = await azureCall(`list replicated items of ${v.target.vault}`, () =>
    collect(v.client.replicationProtectedItems.list(...v.at)),
  );
  return items.map(protectedItemView);
}

/** The protected items of one protection container (a tenant's own cloud) only. */
export async function listContainerProtectedItems(
  v: AsrVault,
  fabricName: string,
  containerName: string,
  cloud = containerName,
): Promise<ProtectedItemView[]> {
  const items = await azureCall(`list protected items of cloud ${cloud}`, () =>
    collect(
      v.client.replicationProtectedItems.listByReplicationProtectionContainers(...v.at, fabricName, containerName),
    ),
  );
  return items.map(protectedItemView);
}

/** Where a VM replicates to in Azure, and how. */
export interface HyperVProtectionSettings {
  policyId: string;
  hvHostVmId?: string;
  vmName: string;
  osType?: string;
  osVhdId?: string;
  targetStorageAccountId: string;
  targetResourceGroupId: string;
  targetNetworkId: string;
  targetSubnetName: string;
  useManagedDisks: boolean;
  targetVmSize?: string;
  /** The Azure VM's name when it is not the VMM name. */
  targetVmName?: string;
  licenseType?: string;
  sqlServerLicenseType?: string;
  zone?: string;
  availabilitySetId?: string;
  tags?: Record<string, string>;
  /** VHD ids of the disks to replicate; all of them when absent. */
  diskIds?: string[];
}

function enableProtectionInput(v: AsrVault, ref: ItemRef, settings: HyperVProtectionSettings) {
  return {
    properties: {
      policyId: settings.policyId,
      protectableItemId: `${containerId(v, ref.fabricName, ref.containerName)}/replicationProtectableItems/${ref.itemName}`,
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure' as const,
        hvHostVmId: settings.hvHostVmId,
        vmName: settings.vmName,
        osType: settings.osType,
        vhdId: settings.osVhdId,
        targetStorageAccountId: settings.targetStorageAccountId,
        targetAzureV2ResourceGroupId: settings.targetResourceGroupId,
        targetAzureNetworkId: settings.targetNetworkId,
        targetAzureSubnetId: `${settings.targetNetworkId}/subnets/${settings.targetSubnetName}`,
        targetAzureVmName: settings.targetVmName ?? settings.vmName,
        enableRdpOnTargetOption: 'Never',
        useManagedDisks: String(settings.useManagedDisks),
        ...(settings.targetVmSize ? { targetVmSize: settings.targetVmSize } : {}),
        ...(settings.licenseType ? { licenseType: settings.licenseType } : {}),
        ...(settings.sqlServerLicenseType ? { sqlServerLicenseType: settings.sqlServerLicenseType } : {}),
        ...(settings.zone ? { targetAvailabilityZone: settings.zone } : {}),
        ...(settings.availabilitySetId ? { targetAvailabilitySetId: settings.availabilitySetId } : {}),
        ...(settings.tags ? { targetVmTags: settings.tags } : {}),
        ...(settings.diskIds
          ? settings.useManagedDisks
            ? { disksToIncludeForManagedDisks: settings.diskIds.map((diskId) => ({ diskId })) }
            : { disksToInclude: settings.diskIds }
          : {}),
      },
    },
  };
}

/**
 * Enables protection of a protectable item (a PUT whose job runs for minutes), resuming a
 * checkpointed request rather than sending it twice. `operation` names it in the checkpoint.
 */
export async function enableHyperVProtection(
  v: AsrVault,
  ref: ItemRef,
  settings: HyperVProtectionSettings,
  operation: string,
  options: Pick<LroOptions, 'explainFailure'> = {},
): Promise<{ protectionState?: string }> {
  const { result } = await runCheckpointedLro(
    operation,
    (lro) =>
      v.client.replicationProtectedItems.beginCreate(
        ...v.at,
        ref.fabricName,
        ref.containerName,
        ref.itemName,
        enableProtectionInput(v, ref, settings),
        lro,
      ),
    options,
  );
  return result.properties?.protectionState ? { protectionState: result.properties.protectionState } : {};
}

/**
 * Sends the enable-protection PUT and resolves once Site Recovery has taken it (202, its
 * EnableDr job started), without following the job: the vault's watcher sees the item's state
 * for every VM at once. The SDK's poller would read the operation's status once right after
 * the request; that read is stopped before it is sent. Azure's error is thrown as it came
 * (classified).
 */
export async function requestHyperVProtection(
  v: AsrVault,
  ref: ItemRef,
  settings: HyperVProtectionSettings,
  operation: string,
  options: { abortSignal?: AbortSignal } = {},
): Promise<void> {
  const stop = new AbortController();
  const cancelled = () => stop.abort();
  options.abortSignal?.addEventListener('abort', cancelled, { once: true });
  let accepted = false;
  try {
    await azureCall(operation, async () => {
      try {
        await v.client.replicationProtectedItems.beginCreate(
          ...v.at,
          ref.fabricName,
          ref.containerName,
          ref.itemName,
          enableProtectionInput(v, ref, settings),
          {
            abortSignal: stop.signal,
            onResponse: (response) => {
              if (response.request.method !== 'PUT' || response.status >= 300) return;
              accepted = true;
              stop.abort();
            },
          },
        );
      } catch (error) {
        // The status read after an accepted request was stopped on purpose.
        if (!(accepted && isAbort(error))) throw error;
      }
    });
  } finally {
    options.abortSignal?.removeEventListener('abort', cancelled);
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}

export type { ItemAction } from '../../domain/item-actions';

export interface ItemActionParams {
  testNetworkId?: string;
  recoveryPointId?: string;
  sourceSiteOperations?: boolean;
  dataSyncOption?: 'ForDownTime' | 'ForSynchronization';
  comments?: string;
}

/**
 * Sends one action's POST and resolves when Site Recovery has accepted it (202), not when its job
 * ends, with the serialized poller (a checkpoint). Azure's error is thrown as it came: the caller
 * first looks whether the action took effect anyway, then classifies it.
 */
export async function issueItemAction(
  v: AsrVault,
  ref: ItemRef,
  item: ProtectedItemView,
  action: ItemAction,
  params: ItemActionParams,
  options: { abortSignal: AbortSignal },
): Promise<{ checkpoint: string }> {
  const c = v.client.replicationProtectedItems;
  const at = [...v.at, ref.fabricName, ref.containerName, ref.itemName] as const;
  const point = params.recoveryPointId ? { recoveryPointId: params.recoveryPointId } : {};
  const begin = () => {
    switch (action) {
      case 'testFailover':
        return c.beginTestFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              ...(params.testNetworkId
                ? { networkType: 'VmNetworkAsInput', networkId: params.testNetworkId }
                : { networkType: 'NoNetworkAttachAsInput' }),
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', ...point },
            },
          },
          options,
        );
      case 'testFailoverCleanup':
        return c.beginTestFailoverCleanup(
          ...at,
          { properties: { comments: params.comments ?? 'asrflow test failover cleanup' } },
          options,
        );
      case 'plannedFailover':
        return c.beginPlannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
            },
          },
          options,
        );
      case 'unplannedFailover':
        return c.beginUnplannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              sourceSiteOperations: params.sourceSiteOperations ? 'Required' : 'NotRequired',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', ...point },
            },
          },
          options,
        );
      case 'failoverCommit':
        return c.beginFailoverCommit(...at, options);
      case 'applyRecoveryPoint':
        return c.beginApplyRecoveryPoint(
          ...at,
          {
            properties: {
              recoveryPointId: params.recoveryPointId ?? '',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
            },
          },
          options,
        );
      case 'failback':
        return c.beginPlannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'RecoveryToPrimary',
              providerSpecificDetails: {
                instanceType: 'HyperVReplicaAzureFailback',
                dataSyncOption: params.dataSyncOption ?? 'ForDownTime',
                recoveryVmCreationOption: 'NoAction',
              },
            },
          },
          options,
        );
      case 'reprotect': {
        const d = item.hyperV;
        return c.beginReprotect(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              providerSpecificDetails: {
                instanceType: 'HyperVReplicaAzure',
                ...(d.vmId ? { hvHostVmId: d.vmId } : {}),
                vmName: item.friendlyName,
                ...(d.osType ? { osType: d.osType } : {}),
                ...(d.osVhdId ? { vHDId: d.osVhdId } : {}),
                ...(d.recoveryStorageAccountId ? { storageAccountId: d.recoveryStorageAccountId } : {}),
                ...(d.recoveryLogStorageAccountId ? { logStorageAccountId: d.recoveryLogStorageAccountId } : {}),
              },
            },
          },
          options,
        );
      }
    }
  };
  const poller = await begin();
  return { checkpoint: poller.toString() };
}

/**
 * Disables protection of an item (Site Recovery's "remove": replication stops, the replica disks in
 * Azure are deleted, the VM on premises is untouched), resuming a checkpointed request rather than
 * sending it twice. Resolves when the item is gone.
 */
export async function disableProtection(
  v: AsrVault,
  ref: ItemRef,
  operation: string,
  options: Pick<LroOptions, 'explainFailure'> = {},
): Promise<void> {
  await runCheckpointedLro(
    operation,
    (lro) =>
      v.client.replicationProtectedItems.beginDelete(
        ...v.at,
        ref.fabricName,
        ref.containerName,
        ref.itemName,
        { properties: { disableProtectionReason: 'NotSpecified' } },
        lro,
      ),
    options,
  );
}
