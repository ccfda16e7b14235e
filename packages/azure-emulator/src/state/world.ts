// Everything the emulator knows, as plain data (maps of records), so it can be dumped by the
// admin API and saved to the data directory. Keys of the maps are lowercase: ARM names and
// ids compare case-insensitively, while records keep the casing the client first used.

export interface ResourceGroupRec {
  subscriptionId: string;
  name: string;
  location: string;
  tags?: Record<string, string>;
}

export interface StorageAccountRec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  sku: string;
  kind: string;
  tags?: Record<string, string>;
  createdAt: number;
  readyAt: number;
}

export interface SubnetRec {
  name: string;
  addressPrefix: string;
}

export interface VnetRec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  addressPrefixes: string[];
  subnets: SubnetRec[];
  tags?: Record<string, string>;
  readyAt: number;
  etag: string;
}

/** A Microsoft.Compute availability set: failovers place VMs in it (target availabilitySetId). */
export interface AvailabilitySetRec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  platformFaultDomainCount: number;
  platformUpdateDomainCount: number;
  /** Aligned (managed disks) or Classic. */
  skuName: string;
  tags?: Record<string, string>;
}

export interface VaultCertRec {
  name: string;
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: number;
  validTo: number;
  certificateBase64: string;
}

export interface VaultRec {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  skuName: string;
  tags?: Record<string, string>;
  etag: string;
  resourceId: number;
  createdAt: number;
  readyAt: number;
  publicNetworkAccess: string;
  identity?: { type: string };
  extendedInfo?: { integrityKey: string; algorithm: string; etag: string };
  certificates: Record<string, VaultCertRec>;
  asr: AsrVaultState;
}

export interface AsrVaultState {
  fabrics: Record<string, FabricRec>;
  policies: Record<string, PolicyRec>;
  jobs: Record<string, JobRec>;
  jobOrder: string[];
  /** Key: lowercase plan name. Files written before recovery plans existed have none. */
  recoveryPlans: Record<string, RecoveryPlanRec>;
}

/** A protected item of a recovery plan, by the names that find it in the vault. */
export interface RecoveryPlanItemRef {
  fabric: string;
  container: string;
  item: string;
}

/** A start or end action of a recovery plan group, as given (scripts and runbooks are recorded, not run). */
export interface RecoveryPlanActionRec {
  actionName: string;
  failoverTypes: string[];
  failoverDirections: string[];
  /** RecoveryPlanActionDetails: ManualActionDetails {description}, ScriptActionDetails, AutomationRunbookActionDetails. */
  customDetails: Record<string, string>;
}

export interface RecoveryPlanGroupRec {
  groupType: 'Shutdown' | 'Failover' | 'Boot';
  items: RecoveryPlanItemRef[];
  startGroupActions: RecoveryPlanActionRec[];
  endGroupActions: RecoveryPlanActionRec[];
}

export interface RecoveryPlanRec {
  name: string;
  /** The plan's own id (a job's targetObjectId). */
  internalId: string;
  primaryFabric: string;
  failoverDeploymentModel: string;
  /** Shutdown, Failover, then the Boot groups in order. */
  groups: RecoveryPlanGroupRec[];
  /** The plan's last failover-type job (currentScenario), kept after it ends. */
  currentJob?: { scenarioName: string; jobName: string; startTime: number };
  lastTestFailoverTime?: number;
  lastPlannedFailoverTime?: number;
  lastUnplannedFailoverTime?: number;
  createdAt: number;
}

export interface FabricRec {
  name: string;
  friendlyName: string;
  vmmServer: string;
  internalIdentifier: string;
  registeredAt: number;
  provider: ProviderRec;
  containers: Record<string, ContainerRec>;
  networks: Record<string, NetworkRec>;
}

export interface ProviderRec {
  name: string;
  friendlyName: string;
  providerVersion: string;
  machineName: string;
  biosId: string;
  machineId: string;
}

export interface ContainerRec {
  name: string;
  friendlyName: string;
  cloudName: string;
  mappings: Record<string, ContainerMappingRec>;
  items: Record<string, ProtectedItemRec>;
}

export interface ContainerMappingRec {
  name: string;
  policyName: string;
  state: 'Pairing' | 'Paired' | 'Unpairing' | 'PairingFailed';
}

export interface NetworkRec {
  name: string;
  friendlyName: string;
  vmNetworkName: string;
  subnets: Array<{ name: string; addressPrefix: string }>;
  mappings: Record<string, NetworkMappingRec>;
}

export interface NetworkMappingRec {
  name: string;
  recoveryNetworkId: string;
  recoveryFabricName: string;
  state: 'Pairing' | 'Paired' | 'Unpairing';
}

export interface PolicyRec {
  name: string;
  recoveryPointHistoryDurationInHours: number;
  applicationConsistentSnapshotFrequencyInHours: number;
  replicationIntervalSeconds: number;
  onlineReplicationStartTime?: string;
  storageAccounts: string[];
  state: 'Creating' | 'Created';
}

/** Where a protected item is in Site Recovery's state machine (see siterecovery/items.ts). */
export type ItemPhase =
  | 'Enabling'
  | 'Replicating'
  | 'TestFailoverRunning'
  | 'TestFailoverDone'
  | 'TestFailoverCleaning'
  | 'PlannedFailoverRunning'
  | 'UnplannedFailoverRunning'
  | 'FailedOver'
  | 'CommitRunning'
  | 'Committed'
  | 'ChangingPit'
  | 'FailbackRunning'
  | 'FailedBack'
  | 'FailbackCommitRunning'
  | 'FailbackCommitted'
  | 'ReprotectRunning'
  | 'Disabling';

export interface ProtectedItemRec {
  name: string;
  vmmServer: string;
  /** The VM's cloud (its container's): with vmmServer and vmName, the VM's identity. */
  cloud: string;
  vmName: string;
  vmId: string;
  protectableItemName: string;
  policyName: string;
  phase: ItemPhase;
  failoverKind?: 'Planned' | 'Unplanned';
  activeLocation: 'Primary' | 'Recovery';
  currentJob?: { scenarioName: string; jobName: string; startTime: number };
  lastSuccessfulFailoverTime?: number;
  lastSuccessfulTestFailoverTime?: number;
  failoverRecoveryPointName?: string;
  /** Replication from primary to Azure: initial copy then deltas every policy interval. */
  replication?: {
    startedAt: number;
    bytes: number;
    bytesPerSecond: number;
    type: 'InitialReplication' | 'Resynchronization';
    stoppedAt?: number;
  };
  target: {
    storageAccountId?: string;
    logStorageAccountId?: string;
    resourceGroupId?: string;
    networkId?: string;
    subnetName?: string;
    vmName: string;
    vmSize?: string;
    useManagedDisks?: string;
    diskType?: string;
    enableRdpOnTargetOption?: string;
    licenseType?: string;
    sqlServerLicenseType?: string;
    availabilityZone?: string;
    availabilitySetId?: string;
    vmTags?: Record<string, string>;
    /** VHD ids of the replicated disks (the OS disk always among them); absent: every disk of the VM. */
    disksToInclude?: string[];
    /** The Azure network a test failover is meant for (selectedTfoAzureNetworkId). */
    tfoNetworkId?: string;
    /** Per-NIC settings given by an update; a NIC of the VM without an entry has the defaults. */
    nics?: NicTargetRec[];
  };
  osDiskId: string;
  testVmId?: string;
  createdAt: number;
}

/** What an update set for one NIC of a protected VM (its one IP configuration). */
export interface NicTargetRec {
  /** The NIC's id as the item's vmNics show it (nicIdOf). */
  nicId: string;
  /** NotSelected: the failed-over VM gets no NIC for it. */
  selectionType?: string;
  recoverySubnetName?: string;
  recoveryStaticIp?: string;
  tfoSubnetName?: string;
  tfoStaticIp?: string;
}

export type JobState = 'NotStarted' | 'InProgress' | 'Succeeded' | 'Failed' | 'Cancelled' | 'Suspended';

export interface JobErrorSpec {
  code: string;
  message: string;
  possibleCauses: string;
  recommendedAction: string;
  providerErrorCode?: number;
  providerErrorMessage?: string;
}

export interface TaskRec {
  taskId: string;
  name: string;
  friendlyName: string;
  durationMs: number;
  /** The job waits here for POST …/resume (failback with ForSynchronization). */
  pauseAfter?: boolean;
  /** The job waits at this task, Suspended, until POST …/resume completes it (a manual action). */
  waitForUser?: boolean;
  state: JobState;
  startTime?: number;
  endTime?: number;
  /** ASRTask.taskType; TaskDetails when absent. */
  taskType?: string;
  /** ASRTask.customDetails (TaskTypeDetails). */
  customDetails?: Record<string, unknown>;
  /** ASRTask.groupTaskCustomDetails (GroupTaskDetails): the recovery plan group a task belongs to. */
  groupDetails?: Record<string, unknown>;
  /** Succeeded without doing anything (stateDescription Skipped). */
  skipped?: boolean;
  /** What the job's effect handlers need to run this task (plain strings). */
  data?: Record<string, string>;
}

export interface JobRec {
  name: string;
  vaultKey: string;
  scenarioName: string;
  friendlyName: string;
  targetObjectId: string;
  targetObjectName: string;
  targetInstanceType: string;
  activityId: string;
  tasks: TaskRec[];
  state: JobState;
  startTime: number;
  endTime?: number;
  cursor: { task: number; taskStart: number };
  failure?: { atTask: number; error: JobErrorSpec };
  errors: Array<{ taskId: string; error: JobErrorSpec; at: number }>;
  effect: { kind: string; args: Record<string, string> };
  affectedObjectDetails: Record<string, string>;
  allowedActions: string[];
}

export interface OperationRec {
  id: string;
  /** 'job': status follows an ASR job; 'timer': done at doneAt; 'done': finished at once. */
  kind: 'job' | 'timer' | 'done';
  jobVaultKey?: string;
  jobName?: string;
  doneAt?: number;
  createdAt: number;
  /** Path whose GET gives the final result (Location polling), without query. */
  resultPath?: string;
  apiVersion: string;
  error?: { code: string; message: string };
}

export interface AzureVmRec {
  id: string;
  name: string;
  location: string;
  /** The on-premises VM it came from: `vmm/cloud/vm`. */
  sourceVm: string;
  purpose: 'TestFailover' | 'Failover';
  createdAt: number;
  /** The network of its NICs: the one the test failover named, or the recovery network. */
  networkId?: string;
  vmSize: string;
  licenseType?: string;
  sqlServerLicenseType?: string;
  zone?: string;
  availabilitySetId?: string;
  tags?: Record<string, string>;
  nics: AzureVmNicRec[];
  /** Only the disks that were replicated. */
  disks: AzureVmDiskRec[];
}

export interface AzureVmNicRec {
  name: string;
  networkId: string;
  subnet: string;
  privateIp: string;
  allocation: 'Static' | 'Dynamic';
}

export interface AzureVmDiskRec {
  name: string;
  /** The VHD id of the on-premises disk it was replicated from. */
  sourceVhd: string;
  os: boolean;
  sizeGB: number;
}

export interface OnPremVmState {
  powerState: 'Running' | 'Off';
}

export interface WorldState {
  seq: number;
  resourceGroups: Record<string, ResourceGroupRec>;
  storageAccounts: Record<string, StorageAccountRec>;
  virtualNetworks: Record<string, VnetRec>;
  /** Key: resourceKey(subscription, resource group, name). */
  availabilitySets: Record<string, AvailabilitySetRec>;
  vaults: Record<string, VaultRec>;
  operations: Record<string, OperationRec>;
  azureVms: Record<string, AzureVmRec>;
  /** Provider version per VMM server (changes with upgrade-provider); key lowercase VMM name. */
  providerVersions: Record<string, string>;
  /** Vault each VMM server is registered with (lowercase vault id). */
  vmmRegistrations: Record<string, string>;
  /** Key: vmKey(vmm, cloud, vm), all lowercase. */
  onPremVms: Record<string, OnPremVmState>;
  /** Replication health set through the admin API (key vmKey(vmm, cloud, vm)); Normal otherwise. */
  itemHealth?: Record<string, 'Normal' | 'Warning' | 'Critical'>;
}

export function emptyWorld(): WorldState {
  return {
    seq: 0,
    resourceGroups: {},
    storageAccounts: {},
    virtualNetworks: {},
    availabilitySets: {},
    vaults: {},
    operations: {},
    azureVms: {},
    providerVersions: {},
    vmmRegistrations: {},
    onPremVms: {},
  };
}
