import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  AvailabilityZone,
  CredentialRef,
  LicenseType,
  ReplicationInterval,
  Scenario,
  SqlLicenseType,
  StorageSku,
} from '../domain/plan/types';
import type { Principal, VaultTarget } from '../domain/targets';

export type { Principal, VaultTarget } from '../domain/targets';
import type { StepError, StepProgress, VmProgress } from '../temporal/workflow/progress';

// The onboarding capability's contract: the inputs and results of its workflows and activities,
// and the queries, updates and signals its workflows answer. These types are the durable format
// in every history, so they are this slice's own, not the plan document's: `start.ts` maps a
// parsed plan onto them field by field, and a plan change reaches a history only when a field
// is added here on purpose. Pure data: credentials travel as references, never as secrets.

/**
 * The version of the onboarding inputs. Bump it on an incompatible change to a workflow input
 * and keep reading the previous one (running histories carry it) until none is left.
 */
export const ONBOARDING_CONTRACT_VERSION = 1;

export interface ReplicationPolicySpec {
  replicationInterval: ReplicationInterval;
  recoveryPointHistoryHours: number;
  appConsistentFrequencyHours: number;
  initialReplicationStart: string;
}

export interface SubnetSpec {
  name: string;
  prefix: string;
}

export interface NetworkSpec {
  vnet: string;
  /** The VNet's resource group when it is not the tenant's. */
  resourceGroup?: string;
  /** A customer's VNet: never created or changed, only checked. */
  existing?: boolean;
  addressSpace: string[];
  subnets: SubnetSpec[];
  testFailoverVnet: { name: string; addressSpace: string[]; subnets: SubnetSpec[] };
}

/** Another VNet of the tenant and the VM networks mapped to it. */
export interface MoreNetworkSpec extends NetworkSpec {
  vmNetworks: string[];
}

export interface NicSpec {
  subnet: string;
  ip?: string;
  testIp?: string;
}

/**
 * One VM the tenant asked for, and how it comes up after failover. Only `name`, `subnet` and
 * `vmSize` are always there; the rest only when the plan sets it (see VmTarget in the plan).
 */
export interface VmSpec {
  name: string;
  subnet: string;
  vmSize?: string;
  azureName?: string;
  /** Only for a VM in one of the tenant's `networks`: that VNet's name. */
  vnet?: string;
  nics?: NicSpec[];
  licenseType?: LicenseType;
  sqlServerLicenseType?: SqlLicenseType;
  disks?: { exclude: string[]; os?: string };
  zone?: AvailabilityZone;
  availabilitySet?: string;
  tags?: Record<string, string>;
}

/** A recovery plan: ordered groups of the tenant's VMs, with manual actions and targets. */
export interface RecoveryPlanSpec {
  name: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  groups: Array<{ vms: string[]; before?: string; after?: string }>;
}

export type VmSelectionSpec =
  | { include: 'all'; exclude: string[]; /** subnet for every VM */ subnet: string; vmSize?: string }
  | { include: VmSpec[] };

/** Where the tenant's vault lives and which identity signs in to it. */
export interface VaultSpec {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  region: string;
  tenantId: string;
  credential: CredentialRef;
  /** True for the provider's shared vault (multitenant-vmm). */
  shared: boolean;
}

/** Everything a tenant's onboarding works with, as its workflow receives it. */
export interface TenantSpec {
  name: string;
  tenantId: string;
  subscriptionId: string;
  credential: CredentialRef;
  region: string;
  resourceGroup: string;
  vault: VaultSpec;
  storageAccount: { name: string; sku: StorageSku };
  network: NetworkSpec;
  /** Only when the plan lists more VNets; `vmm` keeps the VM networks mapped to `network`. */
  networks?: MoreNetworkSpec[];
  /** `clouds`/`vmNetworks` only when the tenant has several (the first is `cloud`/`vmNetwork`). */
  vmm: { server: string; cloud: string; vmNetwork: string; clouds?: string[]; vmNetworks?: string[] };
  vms: VmSelectionSpec;
  /** Only when the plan lists recovery plans. */
  recoveryPlans?: RecoveryPlanSpec[];
  policy: ReplicationPolicySpec;
  target: {
    managedDisks: boolean;
    vmSize?: string;
    licenseType?: LicenseType;
    sqlServerLicenseType?: SqlLicenseType;
    tags?: Record<string, string>;
  };
}

/** Scenario 1 (multitenant VMM): the provider's vault and the shared VMM server it registers. */
export interface SharedVaultInput {
  target: VaultTarget;
  vmmServer: string;
}

export interface TenantOnboardingInput {
  /** Absent in histories recorded before the field existed: read as 1. */
  version?: typeof ONBOARDING_CONTRACT_VERSION;
  scenario: Scenario;
  tenant: TenantSpec;
  /** Scenario 1: the provider's shared vault and VMM server. */
  sharedVault?: VaultTarget & { vmmServer: string };
  /** How many VMs are protected at once, and per run; DEFAULT_BATCHING when absent. */
  batching?: ProtectBatching;
  /** Set when a run continued as new in the protect step: what the runs before it did. */
  continued?: ProtectCarry;
  /**
   * The VMs whose settings this plan changes, as the tenant's last onboarding had them: a
   * setting Azure still shows as it was is updated; one changed in Azure since is reported.
   */
  previousVms?: VmSpec[];
}

/**
 * VM protection in bounded batches: at most `window` VM workflows in flight, and at most
 * `perRun` VMs started by one run of the tenant's workflow, which then continues as new with
 * the rest — so no history grows with the tenant's size.
 */
export interface ProtectBatching {
  window: number;
  perRun: number;
}

/**
 * About 6 events per VM in the tenant's history (child start, completion, one state signal):
 * 1,000 VMs a run stay well under Temporal's 10,240-event warning and its 2,000 pending
 * children; 500 in flight keep ARM's write budget, not Temporal, the pace-setter.
 */
export const DEFAULT_BATCHING: ProtectBatching = { window: 500, perRun: 1_000 };

/** What the tenant's setup produced: everything protecting a VM needs. */
export interface ProtectSetup {
  resourceGroupId: string;
  storageAccountId: string;
  /** The id of `network.vnet`. */
  networkId: string;
  /** Every VNet's id by its name (lowercase), when the tenant has `networks`. */
  networkIds?: Record<string, string>;
  fabricName: string;
  /** The protection container of the tenant's (first) cloud. */
  containerName: string;
  /** Every cloud's container, when the tenant has several. */
  containers?: Array<{ cloud: string; containerName: string }>;
  policyId: string;
}

/** A selected VM, with where it lands after failover. */
export interface SelectedVm {
  vm: ProtectableVm;
  subnet: string;
  vmSize?: string;
  /** Set when the plan gives the VM settings beyond its subnet and size. */
  settings?: VmSpec;
}

export interface ProtectCarry {
  setup: ProtectSetup;
  /** The steps' progress so far (setup done, protect running). */
  steps: StepProgress[];
  /** Every VM's state so far, protected and not eligible ones included. */
  vms: VmProgress[];
  /** Selected VMs no run has started yet, as runs recorded before `remainingNames` carried them. */
  remaining?: SelectedVm[];
  /**
   * The names of the selected VMs no run has started yet: the next run lists the cloud's VMs
   * again for their details, so what a run carries stays small at any tenant size.
   */
  remainingNames?: string[];
}

export interface RegistrationResult {
  fabricName: string;
  providerName: string;
  providerVersion: string;
  connectionStatus?: string;
}

export interface ProtectableVm {
  /** The protectable item's name (ARM resource name). */
  itemName: string;
  friendlyName: string;
  protectionStatus?: string;
  readinessErrors: string[];
  osType?: string;
  osDiskId?: string;
  hvHostVmId?: string;
  /** The VM's cloud and its protection container, when it is not the tenant's first cloud. */
  cloud?: string;
  containerName?: string;
  /** The VM's disks, read only for VMs whose plan names disks (the list is carried in histories). */
  disks?: Array<{ name: string; vhdId: string }>;
}

export interface VmProtectionInput {
  tenant: string;
  scenario: Scenario;
  vault: VaultTarget;
  fabricName: string;
  containerName: string;
  policyId: string;
  vm: ProtectableVm;
  targets: {
    subscriptionId: string;
    resourceGroupId: string;
    storageAccountId: string;
    networkId: string;
    subnetName: string;
    vmSize?: string;
    managedDisks: boolean;
    /** The tenant's test failover network: where NICs' test addresses live. */
    testNetworkId?: string;
    /** The tenant's own identity, for reads in its subscription (the vault may be the provider's). */
    principal?: Principal;
  };
  /** The VM's settings from the plan, when it sets any beyond subnet and size. */
  settings?: VmSpec;
  /** The same settings as the tenant's last onboarding had them, when this plan changed them. */
  previousSettings?: VmSpec;
}

export const MIN_PROVIDER_VERSION = '5.1.1256.0';

/** Dotted numeric comparison of Provider versions ("5.1.2250.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export { containerMappingName, networkMappingName, policyName, recoveryPlanName } from '../domain/vault-names';

/**
 * The plan fields a running tenant onboarding can take over, each with the step that first uses
 * it: a new value is taken while that step has not run yet, or waits for an operator (it is then
 * retried with the new value). Everything else (tenant, subscription, credential, region,
 * resource group, vault, VMM) names a different onboarding, or resources already created.
 */
export const REPLANNABLE_FIELDS = {
  storageAccount: 'storage-account',
  network: 'virtual-network',
  networks: 'virtual-network',
  policy: 'policy',
  vms: 'preflight',
  target: 'protect',
  recoveryPlans: 'recovery-plans',
} as const satisfies Partial<Record<keyof TenantSpec, string>>;

export type ReplannableField = keyof typeof REPLANNABLE_FIELDS;

/** JSON with sorted keys: two plans are equal when their canonical texts are. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The top-level fields of a tenant's plan that differ, replannable or not. */
export function changedTenantFields(current: TenantSpec, next: TenantSpec): Array<keyof TenantSpec> {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)] as Array<keyof TenantSpec>);
  return [...keys].filter((k) => canonicalJson(current[k]) !== canonicalJson(next[k])).sort();
}

/** What `replan` answers: the fields taken over and the waiting steps retried with them. */
export interface ReplanResult {
  changed: string[];
  retried: string[];
}

/**
 * A corrected plan for a running tenant onboarding (`asrflow onboard` again): validated, so a
 * change that cannot apply (another tenant, subscription, a step already done) is refused.
 */
export const replanUpdate = defineUpdate<ReplanResult, [TenantSpec]>('replan');
/** The tenant plan a tenant onboarding works with now (its input, or the last replan). */
export const tenantPlanQuery = defineQuery<TenantSpec>('tenantPlan');

/** Replication state pushed by the vault watcher to a VM protection workflow. */
export interface ReplicationObservation {
  itemName: string;
  protectionState?: string;
  replicationHealth?: string;
  percent?: number;
  /** The enable-protection job's terminal state, when it failed. */
  failed?: StepError;
  protectedNow: boolean;
}
export const replicationObservedSignal = defineSignal<[ReplicationObservation]>('replicationObserved');

/** A protection state that is a failure ("…Failed"), not a VM's failover or failback. */
export function failedProtectionState(state: string | undefined): boolean {
  return /fail(?!over|back)/i.test(state ?? '');
}

/**
 * An item whose VM was failed over (or is being failed over, back, or unprotected): its
 * protection was established before, and onboarding has nothing to wait for — initial
 * replication will not come while the VM runs in Azure.
 */
export function pastProtection(o: ReplicationObservation | undefined): boolean {
  return /Failover|Reprotect|Disabling/i.test(o?.protectionState ?? '');
}

/**
 * What counts as a change worth telling a VM workflow about: state, health, or crossing a
 * 10 % step of initial replication — so a VM costs about ten progress signals, not hundreds.
 */
export function fingerprint(o: ReplicationObservation): string {
  const bucket = o.percent === undefined ? '' : String(Math.floor(o.percent / 10) * 10);
  // A failure is appended only when there is one, so fingerprints of healthy items (and the
  // recorded histories built on them) stay as they were.
  return `${o.protectionState ?? ''}|${o.replicationHealth ?? ''}|${bucket}${o.failed ? '|failed' : ''}`;
}

// The vault watcher: one workflow per vault lists its replicated items once per interval for
// every tenant and VM waiting on it, and tells each waiting workflow what changed for its items.

/** The VMs a workflow waits on in one vault: its item names, with the VM names for messages. */
export interface WatchRequest {
  /** The workflow id to signal (`replicationBatch`); a later run of it gets the signals too. */
  subscriber: string;
  /** The vault as the subscriber reaches it: a watcher serves only requests for its own. */
  target: VaultTarget;
  items: Array<{ itemName: string; friendlyName: string }>;
}

/** What a watcher carries into its next run: who waits on which item, and what each last saw. */
export interface VaultWatchState {
  /** itemName → subscriber workflow id and VM name. */
  items: Record<string, { subscriber: string; friendlyName: string }>;
  /** itemName → fingerprint of what its subscriber was last told, and of its state part. */
  known: Record<string, string>;
  states?: Record<string, string>;
}

export interface VaultWatchInput {
  version?: typeof ONBOARDING_CONTRACT_VERSION;
  target: VaultTarget;
  state?: VaultWatchState;
}

export const watchItemsSignal = defineSignal<[WatchRequest]>('watchItems');
/** A watcher's news for one subscriber: the items that changed since it last said. */
export const replicationBatchSignal = defineSignal<[ReplicationObservation[]]>('replicationBatch');

/** The items a watcher serves, and a version that moves whenever they change. */
export interface WatchedItems {
  version: number;
  /** Absent when the asker's version is current: nothing to send again. */
  items?: VaultWatchState['items'];
}
/** Asked by the watcher's own session before each look: cheap (no history), current. */
export const watchedItemsQuery = defineQuery<WatchedItems, [number]>('watchedItems');

/** A VM workflow's part of a fingerprint: what it waits on (protected, failed), not progress. */
export function stateFingerprint(o: ReplicationObservation): string {
  return `${o.protectionState ?? ''}|${o.replicationHealth ?? ''}${o.failed ? '|failed' : ''}`;
}

/** One difference between the plan a tenant was onboarded with and the plan now, and what `onboard` does about it. */
export interface TenantChange {
  field: string;
  change: string;
  /**
   * applied: the next `onboard` changes it in Azure; reported: it is shown and left as it is
   * (unprotecting is `asrflow offboard`, a protected VM keeps its settings); refused: it names
   * something already created, and nothing is started until the plan keeps the old value.
   */
  action: 'applied' | 'reported' | 'refused';
  /** The asrflow command (its arguments) that does what this change leaves to a person. */
  command?: string[];
}

/** Names of what a tenant's onboarding created or joined: they cannot change in place. */
const FIXED: Array<[string, (t: TenantSpec) => unknown, string]> = [
  ['tenantId', (t) => t.tenantId, 'a tenant is onboarded under one Entra tenant'],
  ['subscriptionId', (t) => t.subscriptionId, 'its resources live in this subscription'],
  ['region', (t) => t.region, 'its replicas are in this region'],
  ['resourceGroup', (t) => t.resourceGroup, 'failed-over VMs are created in this resource group'],
  ['vault', (t) => canonicalJson(t.vault), 'its VMs are protected in this vault'],
  ['vmm', (t) => canonicalJson(t.vmm), 'its cloud is paired and its VM network mapped'],
  ['storageAccount.name', (t) => t.storageAccount.name, 'its replicas are written to this storage account'],
  ['network.vnet', (t) => t.network.vnet, 'its VM network is mapped to this virtual network'],
  [
    'network.resourceGroup',
    (t) => t.network.resourceGroup ?? t.resourceGroup,
    'its VM network is mapped to the virtual network in this resource group',
  ],
];

/**
 * What changed between the plan a tenant was onboarded with and `next`, field by field, and
 * what the next `asrflow onboard` does with each (`asrflow plan diff` prints this).
 */
export function tenantChanges(current: TenantSpec, next: TenantSpec): TenantChange[] {
  const changes: TenantChange[] = [];
  for (const [field, read, why] of FIXED) {
    const [a, b] = [read(current), read(next)];
    if (a !== b)
      changes.push({
        field,
        change: `${String(a)} → ${String(b)}: cannot change in place (${why}); keep the old value, or offboard the tenant and onboard it anew`,
        action: 'refused',
      });
  }
  const policyFields = ['replicationInterval', 'recoveryPointHistoryHours', 'appConsistentFrequencyHours'] as const;
  for (const f of policyFields)
    if (current.policy[f] !== next.policy[f])
      changes.push({
        field: `policy.${f}`,
        change: `${current.policy[f]} → ${next.policy[f]}: the policy is updated in place, for every VM it protects`,
        action: 'applied',
      });
  if (canonicalJson(current.credential) !== canonicalJson(next.credential))
    changes.push({ field: 'credential', change: 'a new credential reference is used from now on', action: 'applied' });
  if (canonicalJson(current.vms) !== canonicalJson(next.vms))
    changes.push(...vmChanges(current.vms, next.vms, next.name));
  changes.push(...networksChanges(current.networks ?? [], next.networks ?? []));
  if (canonicalJson(current.recoveryPlans ?? []) !== canonicalJson(next.recoveryPlans ?? []))
    changes.push({
      field: 'recoveryPlans',
      change: `${(current.recoveryPlans ?? []).map((p) => p.name).join(', ') || 'none'} → ${(next.recoveryPlans ?? []).map((p) => p.name).join(', ') || 'none'}: each recovery plan is created or updated in the vault (one that the plan no longer lists is left there)`,
      action: 'applied',
    });
  for (const [field, a, b] of [
    ['storageAccount.sku', current.storageAccount.sku, next.storageAccount.sku],
    [
      'network',
      canonicalJson({ ...current.network, vnet: '', resourceGroup: undefined }),
      canonicalJson({ ...next.network, vnet: '', resourceGroup: undefined }),
    ],
    ['target', canonicalJson(current.target), canonicalJson(next.target)],
  ] as const)
    if (a !== b)
      changes.push({
        field,
        change:
          'what exists in Azure is left as it is and differences are shown as step warnings; new VMs use the new value',
        action: 'reported',
      });
  return changes;
}

/**
 * The tenant's further VNets, matched by name: a new one is created (or checked, when the
 * customer's) and its VM networks mapped; one dropped, or whose VM networks or resource group
 * changed, is refused like `network.vnet`; other differences are reported like `network`'s.
 */
function networksChanges(current: MoreNetworkSpec[], next: MoreNetworkSpec[]): TenantChange[] {
  const key = (n: MoreNetworkSpec) => n.vnet.toLowerCase();
  const before = new Map(current.map((n) => [key(n), n]));
  const after = new Map(next.map((n) => [key(n), n]));
  const changes: TenantChange[] = [];
  for (const [name, was] of before)
    if (!after.has(name))
      changes.push({
        field: `networks.${was.vnet}`,
        change: `removed: cannot change in place (VM networks ${was.vmNetworks.join(', ')} are mapped to it); keep it, or offboard the tenant and onboard it anew`,
        action: 'refused',
      });
  for (const [name, now] of after) {
    const was = before.get(name);
    if (!was) {
      changes.push({
        field: `networks.${now.vnet}`,
        change: `added: ${now.existing ? 'checked' : 'created'}, with its test failover VNet, and VM networks ${now.vmNetworks.join(', ')} mapped to it`,
        action: 'applied',
      });
      continue;
    }
    const mapped = (n: MoreNetworkSpec) =>
      canonicalJson({ vmNetworks: n.vmNetworks.map((v) => v.toLowerCase()).sort(), resourceGroup: n.resourceGroup });
    if (mapped(was) !== mapped(now))
      changes.push({
        field: `networks.${now.vnet}`,
        change: `its VM networks or resource group changed: cannot change in place (the mappings and VMs point at it); keep the old values, or offboard the tenant and onboard it anew`,
        action: 'refused',
      });
    else if (canonicalJson(was) !== canonicalJson(now))
      changes.push({
        field: `networks.${now.vnet}`,
        change:
          'what exists in Azure is left as it is and differences are shown as step warnings; new VMs use the new value',
        action: 'reported',
      });
  }
  return changes;
}

/** What a VM's changed settings do: Site Recovery updates all in place but the replicated disks. */
function vmSettingChanges(was: VmSpec, now: VmSpec): TenantChange[] {
  const show = (v: unknown) => (v === undefined ? 'default' : typeof v === 'string' ? v : canonicalJson(v));
  const changed = (Object.keys({ ...was, ...now }) as Array<keyof VmSpec>).filter(
    (k) => k !== 'name' && canonicalJson(was[k] ?? null) !== canonicalJson(now[k] ?? null),
  );
  return changed.map((k) =>
    k === 'disks'
      ? {
          field: `vms.${now.name}.disks`,
          change: `${show(was.disks)} → ${show(now.disks)}: Site Recovery replicates the disks chosen when protection was enabled and cannot change them; keep the old disks, or offboard the VM and onboard it again`,
          action: 'refused' as const,
        }
      : k === 'vnet'
        ? {
            field: `vms.${now.name}.vnet`,
            change: `${was.vnet ?? 'network.vnet'} → ${now.vnet ?? 'network.vnet'}: asrflow does not move a protected VM to another VNet (every NIC's subnet and address would change with it); keep the old VNet, or offboard the VM and onboard it again`,
            action: 'refused' as const,
          }
        : {
            field: `vms.${now.name}.${k}`,
            change: `${show(was[k])} → ${show(now[k])}: the protected item is updated in place (a value changed in Azure since is reported, not overwritten)`,
            action: 'applied' as const,
          },
  );
}

function vmChanges(current: VmSelectionSpec, next: VmSelectionSpec, tenant: string): TenantChange[] {
  if (current.include === 'all' || next.include === 'all')
    return [
      {
        field: 'vms',
        change: `the selection changed: VMs it adds are protected; VMs it drops stay protected (asrflow offboard --tenant ${tenant} --vm <VM> --yes unprotects one)`,
        action: 'applied',
      },
    ];
  const before = new Map(current.include.map((v) => [v.name.toLowerCase(), v]));
  const after = new Map(next.include.map((v) => [v.name.toLowerCase(), v]));
  const changes: TenantChange[] = [];
  for (const [key, vm] of after) {
    const was = before.get(key);
    if (!was) changes.push({ field: `vms.${vm.name}`, change: 'added: it is protected', action: 'applied' });
    else if (canonicalJson(was) !== canonicalJson(vm)) changes.push(...vmSettingChanges(was, vm));
  }
  for (const [key, vm] of before)
    if (!after.has(key))
      changes.push({
        field: `vms.${vm.name}`,
        change: 'removed from the selection: it stays protected',
        action: 'reported',
        command: ['offboard', '--tenant', tenant, '--vm', vm.name, '--yes'],
      });
  return changes;
}
