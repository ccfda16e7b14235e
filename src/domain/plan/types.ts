// The plan, in two shapes:
// - `PlanDocument`: what the user writes (optional fields optional). The JSON Schema describes
//   exactly this shape; test/plan/schema.unit.test.ts holds the two together key by key.
// - `Plan`: what parsing returns and workflows receive as input: defaults applied, per-tenant
//   policy/target merged, each tenant's vault resolved. Plain JSON, no secrets: credentials are
//   references (an environment variable's name, a file's path), resolved inside the worker.
// Pure: imported by workflows.

import type {
  AVAILABILITY_ZONES,
  CREDENTIAL_TYPES,
  GEO_REDUNDANT_SKUS,
  LICENSE_TYPES,
  REPLICATION_INTERVALS,
  SCENARIOS,
  SQL_LICENSE_TYPES,
} from './constants';

export type Scenario = (typeof SCENARIOS)[number];
export type ReplicationInterval = (typeof REPLICATION_INTERVALS)[number];
export type StorageSku = (typeof GEO_REDUNDANT_SKUS)[number];
export type CredentialType = (typeof CREDENTIAL_TYPES)[number];
export type LicenseType = (typeof LICENSE_TYPES)[number];
export type SqlLicenseType = (typeof SQL_LICENSE_TYPES)[number];
export type AvailabilityZone = (typeof AVAILABILITY_ZONES)[number];

// ---- Credential references (the same in the document and in the plan) ----------------------

/** DefaultAzureCredential, asked for a token of the tenant (or provider) that holds the reference. */
export interface DefaultCredentialRef {
  type: 'default';
}

/** A service principal's client secret, read by the worker from an environment variable or a file. */
export type ClientSecretCredentialRef =
  | { type: 'clientSecret'; clientId: string; secretEnv: string; secretFile?: undefined }
  | { type: 'clientSecret'; clientId: string; secretFile: string; secretEnv?: undefined };

/** A service principal's certificate: a PEM file holding the certificate and its private key. */
export interface ClientCertificateCredentialRef {
  type: 'clientCertificate';
  clientId: string;
  certificateFile: string;
  /** Environment variable holding the PEM's password, when the key is encrypted. */
  certificatePasswordEnv?: string;
}

/** Where a credential comes from. `tenantId` is never here: it is the owning tenant's (or provider's). */
export type CredentialRef = DefaultCredentialRef | ClientSecretCredentialRef | ClientCertificateCredentialRef;

// ---- The document, as written ---------------------------------------------------------------

export interface PolicyDocument {
  /** Seconds between delta copies: 30, 300 or 900. */
  replicationInterval?: ReplicationInterval;
  recoveryPointHistoryHours?: number;
  /** 0 turns app-consistent snapshots off. */
  appConsistentFrequencyHours?: number;
  /** `now`, or a time of day `HH:MM` (24-hour). */
  initialReplicationStart?: string;
}

export interface TargetDocument {
  managedDisks?: boolean;
  vmSize?: string;
  /** Azure Hybrid Benefit for Windows Server: `WindowsServer`, or `NoLicenseType` (pay as you go). */
  licenseType?: LicenseType;
  /** SQL Server licensing of the failed-over VM. */
  sqlServerLicenseType?: SqlLicenseType;
  /** Tags of the failed-over VMs; a VM's own tags are added to (and override) these. */
  tags?: Record<string, string>;
}

export interface SubnetSpec {
  name: string;
  /** IPv4 CIDR, inside the VNet's address space. */
  prefix: string;
}

export interface TestFailoverVnetDocument {
  name: string;
  /** Defaults to the production VNet's address space: drill VMs keep their IP addresses. */
  addressSpace?: string[];
  /** Defaults to the production VNet's subnets. */
  subnets?: SubnetSpec[];
}

export interface NetworkDocument {
  vnet: string;
  /** The VNet's resource group, when it is not the tenant's (a customer's own VNet). */
  resourceGroup?: string;
  /** The customer's VNet, used as it is: never created or changed; onboarding checks it has the subnets. */
  existing?: boolean;
  addressSpace: string[];
  subnets: SubnetSpec[];
  testFailoverVnet: TestFailoverVnetDocument;
}

/** Another VNet of the tenant, for the VM networks it names (the others map to `network`). */
export interface MoreNetworkDocument extends NetworkDocument {
  /** The VMM VM network mapped to this VNet, or a list of them; none of them in `vmm.vmNetwork`. */
  vmNetwork: string | string[];
}

export interface StorageAccountDocument {
  name: string;
  sku?: StorageSku;
}

export interface VmmDocument {
  /** Required in dedicated-vmm; in multitenant-vmm the provider's server (may be repeated). */
  server?: string;
  /** The tenant's VMM cloud, or its clouds (a list). */
  cloud: string | string[];
  /** The VM network mapped to the tenant's VNet, or its VM networks (a list), all mapped to it. */
  vmNetwork: string | string[];
}

/** One network adapter of the VM after failover, in the order VMM lists them. */
export interface NicDocument {
  /** Target subnet; defaults to the VM's `subnet`. The test failover uses the subnet of that name too. */
  subnet?: string;
  /** Static private IP after failover; dynamic when absent. */
  ip?: string;
  /** Static private IP in the test failover network; defaults to `ip` (the test network is isolated). */
  testIp?: string;
}

export interface VmDisksDocument {
  /** Disk names (as VMM lists them, e.g. `pagefile.vhdx`) not to replicate. */
  exclude?: string[];
  /** The OS disk's name, when Site Recovery cannot tell (a VM whose OS disk is not its first). */
  os?: string;
}

export interface VmDocument {
  /** The VM's name in VMM. */
  name: string;
  /** The VM's name in Azure; defaults to `name`, which must then be a valid Azure VM name. */
  azureName?: string;
  /** The VNet the VM fails over into: `network.vnet` (the default) or one of `networks[].vnet`. */
  vnet?: string;
  /** Target subnet after failover; defaults to the first subnet of the VM's VNet. */
  subnet?: string;
  /** Azure VM size after failover; defaults to the tenant's target.vmSize. */
  vmSize?: string;
  nics?: NicDocument[];
  licenseType?: LicenseType;
  sqlServerLicenseType?: SqlLicenseType;
  disks?: VmDisksDocument;
  /** Availability zone `1`, `2` or `3`; not with `availabilitySet`. */
  zone?: AvailabilityZone;
  /** Name of an availability set in the tenant's resource group; not with `zone`. */
  availabilitySet?: string;
  tags?: Record<string, string>;
}

/** One group of a recovery plan: its VMs fail over together, after the groups before it. */
export interface RecoveryPlanGroupDocument {
  vms: string[];
  /** A manual action before the group: the text the operator reads; the failover waits for `continue`. */
  before?: string;
  /** A manual action after the group. */
  after?: string;
}

/** A tenant's recovery plan: ordered groups of its VMs, created in the vault as Site Recovery's. */
export interface RecoveryPlanDocument {
  name: string;
  /** Target recovery time, e.g. `30m`: the report passes or fails the plan's failovers against it. */
  rto?: string;
  /** Target recovery point, e.g. `15m`. */
  rpo?: string;
  groups: RecoveryPlanGroupDocument[];
}

export interface VmSelectionDocument {
  /** `all` VMs of the tenant's cloud, or a list of VM names (or `{name, subnet, vmSize}`). */
  include: 'all' | Array<string | VmDocument>;
  /** Only with `include: all`. */
  exclude?: string[];
}

export interface TenantDocument {
  name: string;
  tenantId: string;
  subscriptionId: string;
  credential: CredentialRef;
  region: string;
  resourceGroup: string;
  /** dedicated-vmm only: the tenant's vault name; defaults to `<name>-asr-vault`. */
  vault?: string;
  storageAccount: StorageAccountDocument;
  network: NetworkDocument;
  /** More VNets, each for the VM networks it names. */
  networks?: MoreNetworkDocument[];
  vmm: VmmDocument;
  vms: VmSelectionDocument;
  recoveryPlans?: RecoveryPlanDocument[];
  policy?: PolicyDocument;
  target?: TargetDocument;
}

export interface ProviderDocument {
  name?: string;
  tenantId: string;
  subscriptionId: string;
  credential: CredentialRef;
  region: string;
  resourceGroup: string;
  vault: string;
  vmmServer: string;
}

export interface PlanDocument {
  version: 1;
  scenario: Scenario;
  provider?: ProviderDocument;
  policy?: PolicyDocument;
  target?: TargetDocument;
  tenants: TenantDocument[];
}

/**
 * A document that may be malformed: every field optional and literal types widened, because the
 * rules run on whatever parsed (values of the wrong JSON type already removed) so that every
 * error is reported at once rather than one layer at a time.
 */
export type Loose<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends ReadonlyArray<infer U>
        ? Array<Loose<U> | undefined>
        : T extends object
          ? { [K in keyof T]?: Loose<T[K]> }
          : T;

export type LoosePlanDocument = Loose<PlanDocument>;

// ---- The plan, as workflows receive it --------------------------------------------------------

export interface ReplicationPolicy {
  replicationInterval: ReplicationInterval;
  recoveryPointHistoryHours: number;
  appConsistentFrequencyHours: number;
  initialReplicationStart: string;
}

export interface TargetOptions {
  managedDisks: boolean;
  vmSize?: string;
  licenseType?: LicenseType;
  sqlServerLicenseType?: SqlLicenseType;
  tags?: Record<string, string>;
}

export interface ProviderPlan {
  name: string;
  tenantId: string;
  subscriptionId: string;
  credential: CredentialRef;
  region: string;
  resourceGroup: string;
  vault: string;
  vmmServer: string;
}

/** Where a tenant's vault lives and which identity signs in to it. */
export interface VaultRef {
  name: string;
  subscriptionId: string;
  resourceGroup: string;
  region: string;
  /** Entra tenant whose token the vault's subscription accepts. */
  tenantId: string;
  credential: CredentialRef;
  /** True for the provider's shared vault (multitenant-vmm). */
  shared: boolean;
}

export interface NetworkPlan {
  vnet: string;
  /** Present only when the plan names one. */
  resourceGroup?: string;
  /** Present (true) only when the plan says so. */
  existing?: boolean;
  addressSpace: string[];
  subnets: SubnetSpec[];
  testFailoverVnet: { name: string; addressSpace: string[]; subnets: SubnetSpec[] };
}

/** Another VNet of the tenant and the VM networks mapped to it. */
export interface MoreNetworkPlan extends NetworkPlan {
  vmNetworks: string[];
}

/**
 * Where a tenant's VMs are on premises. `cloud` and `vmNetwork` are the first (or only) ones;
 * `clouds` and `vmNetworks` list all of them, and are present only when there are several, so a
 * one-cloud tenant keeps the shape its running workflows were started with.
 */
export interface VmmPlacement {
  server: string;
  cloud: string;
  vmNetwork: string;
  clouds?: string[];
  vmNetworks?: string[];
}

export interface NicTarget {
  subnet: string;
  ip?: string;
  testIp?: string;
}

/**
 * How one VM comes up in Azure. `name`, `subnet` and `vmSize` are what the plan always carried;
 * the rest is present only when the plan sets it (tenant defaults merged in), so plans without
 * per-VM settings keep the shape their running workflows were started with.
 */
export interface VmTarget {
  name: string;
  subnet: string;
  vmSize?: string;
  azureName?: string;
  /** Set only for a VM in one of the tenant's `networks` (not `network`): that VNet's name. */
  vnet?: string;
  /** Set only when the plan lists NICs; the first NIC's subnet is then `subnet`. */
  nics?: NicTarget[];
  licenseType?: LicenseType;
  sqlServerLicenseType?: SqlLicenseType;
  disks?: { exclude: string[]; os?: string };
  zone?: AvailabilityZone;
  availabilitySet?: string;
  tags?: Record<string, string>;
}

export interface RecoveryPlanGroup {
  vms: string[];
  before?: string;
  after?: string;
}

export interface RecoveryPlan {
  name: string;
  rtoSeconds?: number;
  rpoSeconds?: number;
  groups: RecoveryPlanGroup[];
}

export type VmSelection =
  | { include: 'all'; exclude: string[]; /** subnet for every VM */ subnet: string; vmSize?: string }
  | { include: VmTarget[] };

export interface TenantPlan {
  name: string;
  tenantId: string;
  subscriptionId: string;
  credential: CredentialRef;
  region: string;
  resourceGroup: string;
  vault: VaultRef;
  storageAccount: { name: string; sku: StorageSku };
  network: NetworkPlan;
  /** Present only when the plan lists more VNets; `vmm` keeps the VM networks mapped to `network`. */
  networks?: MoreNetworkPlan[];
  vmm: VmmPlacement;
  vms: VmSelection;
  /** Present only when the plan lists recovery plans. */
  recoveryPlans?: RecoveryPlan[];
  policy: ReplicationPolicy;
  target: TargetOptions;
}

interface PlanBase {
  version: 1;
  /** Plan-wide defaults, as merged into each tenant. */
  policy: ReplicationPolicy;
  target: TargetOptions;
  tenants: TenantPlan[];
}

export interface MultitenantVmmPlan extends PlanBase {
  scenario: 'multitenant-vmm';
  provider: ProviderPlan;
}

export interface DedicatedVmmPlan extends PlanBase {
  scenario: 'dedicated-vmm';
  provider?: undefined;
}

export type Plan = MultitenantVmmPlan | DedicatedVmmPlan;

// ---- Findings -------------------------------------------------------------------------------

export type Severity = 'error' | 'warning';
export type PathSegment = string | number;

/** A finding of a pure rule: located by its path in the document; parsing adds file and line. */
export interface RuleIssue {
  severity: Severity;
  path: PathSegment[];
  message: string;
  fix: string;
}

/** A finding as the user sees it. `line`/`column` are 1-based; 0 means the file as a whole. */
export interface PlanIssue {
  severity: Severity;
  file: string;
  line: number;
  column: number;
  /** e.g. `tenants[0].storageAccount.name`; `plan` for the document as a whole. */
  field: string;
  message: string;
  fix: string;
}
