// The facts the plan is checked against, in one place so that the JSON Schema (for editors)
// and the TypeScript rules (for `asrflow plan validate`) are built from the same values and
// cannot drift apart. Pure: imported by workflows too.

export const PLAN_VERSION = 1 as const;

export const SCENARIOS = ['multitenant-vmm', 'dedicated-vmm'] as const;

/**
 * Hyper-V Replica to Azure copy frequencies, in seconds (HyperVReplicaAzurePolicyInput.replicationInterval).
 * The service offers exactly these three; anything else is refused when the policy is created.
 */
export const REPLICATION_INTERVALS = [30, 300, 900] as const;

/**
 * Recovery point retention, in whole hours: 0 to 24. The 2023-06-01 specification types
 * recoveryPointHistoryDuration as a bare int32 (no bounds), so the bound comes from the
 * product: the Hyper-V-to-Azure policy offers up to 24 h, and Terraform's azurerm provider
 * (azurerm_site_recovery_hyperv_replication_policy) enforces IntBetween(0, 24). Site Recovery
 * (and the emulator, emulator/siterecovery/routes-config.ts) refuses more; so does the plan.
 */
export const RECOVERY_POINT_HISTORY_MAX_HOURS = 24;

/** App-consistent snapshots: 0 (off) to 12 hours, and never rarer than the retention window. */
export const APP_CONSISTENT_FREQUENCY_MAX_HOURS = 12;

/**
 * Geo-redundant SKUs that Hyper-V-to-Azure replication can write to. The seed requires geo-replication;
 * the Hyper-V support matrix lists GRS and RA-GRS. The zone-redundant geo SKUs (GZRS, RA-GZRS) are
 * left out on purpose: replication writes page blobs, which standard zone-redundant accounts do not
 * hold, and the support matrix does not list them.
 */
export const GEO_REDUNDANT_SKUS = ['Standard_GRS', 'Standard_RAGRS'] as const;

/** Every storage SKU name ARM knows, to tell a typo from a valid but non-geo-redundant choice. */
export const KNOWN_STORAGE_SKUS = [
  'Standard_LRS',
  'Standard_GRS',
  'Standard_RAGRS',
  'Standard_ZRS',
  'Standard_GZRS',
  'Standard_RAGZRS',
  'Premium_LRS',
  'Premium_ZRS',
] as const;

export const CREDENTIAL_TYPES = ['default', 'clientSecret', 'clientCertificate'] as const;

export const DEFAULT_POLICY = {
  replicationInterval: 300,
  recoveryPointHistoryHours: 24,
  appConsistentFrequencyHours: 4,
  initialReplicationStart: 'now',
} as const;

export const DEFAULT_TARGET = { managedDisks: true } as const;
export const DEFAULT_STORAGE_SKU = 'Standard_GRS' as const;
export const DEFAULT_PROVIDER_NAME = 'provider';
export const DERIVED_VAULT_SUFFIX = '-asr-vault';

/**
 * Public Azure regions by their ARM name (`az account list-locations --query "[].name"`), as of 2025.
 * Sovereign clouds and the EUAP canary regions are not in the list; a region Azure adds later
 * belongs here, in one line.
 */
export const AZURE_REGIONS = [
  'australiacentral',
  'australiacentral2',
  'australiaeast',
  'australiasoutheast',
  'brazilsouth',
  'brazilsoutheast',
  'canadacentral',
  'canadaeast',
  'centralindia',
  'centralus',
  'chilecentral',
  'eastasia',
  'eastus',
  'eastus2',
  'francecentral',
  'francesouth',
  'germanynorth',
  'germanywestcentral',
  'indonesiacentral',
  'israelcentral',
  'italynorth',
  'japaneast',
  'japanwest',
  'jioindiacentral',
  'jioindiawest',
  'koreacentral',
  'koreasouth',
  'malaysiawest',
  'mexicocentral',
  'newzealandnorth',
  'northcentralus',
  'northeurope',
  'norwayeast',
  'norwaywest',
  'polandcentral',
  'qatarcentral',
  'southafricanorth',
  'southafricawest',
  'southcentralus',
  'southeastasia',
  'southindia',
  'spaincentral',
  'swedencentral',
  'swedensouth',
  'switzerlandnorth',
  'switzerlandwest',
  'uaecentral',
  'uaenorth',
  'uksouth',
  'ukwest',
  'westcentralus',
  'westeurope',
  'westindia',
  'westus',
  'westus2',
  'westus3',
] as const;

/**
 * Naming rules. Each pattern is used verbatim by the JSON Schema and by the rules; patterns are
 * ASCII-only so that editors that evaluate them without the `u` flag agree with ajv.
 */
export const PATTERNS = {
  guid: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  /** asrflow's own key for a tenant: it ends up in workflow IDs and search attributes. */
  slug: '^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$',
  storageAccount: '^[a-z0-9]{3,24}$',
  vault: '^[A-Za-z][A-Za-z0-9-]{1,49}$',
  resourceGroup: '^[A-Za-z0-9_().-]{0,89}[A-Za-z0-9_()-]$',
  vnet: '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])$',
  subnet: '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$',
  vm: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$',
  /** A name VMM could have given (src/domain/vm-names.ts says why one is not). */
  vmmVm:
    '^[^\\s*?:<>/|\\\\"\\x00-\\x1f\\x7f](?:[^*?:<>/|\\\\"\\x00-\\x1f\\x7f]{0,98}[^\\s*?:<>/|\\\\"\\x00-\\x1f\\x7f])?$',
  ipv4: '^(?:\\d{1,3}\\.){3}\\d{1,3}$',
  availabilitySet: '^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$',
  hostname:
    '^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$',
  ipv4Cidr: '^(?:\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}$',
  vmSize: '^(?:Standard|Basic)_[A-Za-z0-9_]+$',
  envVar: '^[A-Za-z_][A-Za-z0-9_]*$',
  startTime: '^(?:now|(?:[01]\\d|2[0-3]):[0-5]\\d)$',
  /** A recovery plan's key in the plan; Site Recovery's name is `asrflow-<tenant>-<key>`. */
  recoveryPlan: '^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$',
  /** A target RTO or RPO: a whole number of seconds, minutes or hours. */
  duration: '^[1-9]\\d{0,5}[smh]$',
} as const;

export type PatternName = keyof typeof PATTERNS;

const compiled = new Map<PatternName, RegExp>();
export function matches(pattern: PatternName, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp(PATTERNS[pattern], 'u');
    compiled.set(pattern, re);
  }
  return re.test(value);
}

/** Azure refuses subnets smaller than /29 (it reserves five addresses in each). */
export const SMALLEST_SUBNET_PREFIX = 29;

/**
 * IPv4 ranges a VNet's address space must not include. The first five are the ones the Azure
 * virtual network FAQ lists ("Are there any restrictions on using IP addresses within these
 * address spaces?"); 0.0.0.0/8 ("this network", RFC 1122) is not routable either, and ARM
 * refuses it too.
 */
export const AZURE_RESERVED_RANGES = [
  { cidr: '224.0.0.0/4', what: 'multicast' },
  { cidr: '255.255.255.255/32', what: 'broadcast' },
  { cidr: '127.0.0.0/8', what: 'loopback' },
  { cidr: '169.254.0.0/16', what: 'link-local' },
  { cidr: '168.63.129.16/32', what: "Azure's platform address for DNS, DHCP and health probes" },
  { cidr: '0.0.0.0/8', what: '"this network", not routable' },
] as const;

/** The nil GUID: a placeholder, never the id of a tenant, subscription or app. */
export const NIL_GUID = '00000000-0000-0000-0000-000000000000';

/**
 * What asrflow reads of a plan file at most (docs/PLAN.md, "Limits"). A plan for thousands of VMs
 * is a few hundred kilobytes and nests seven levels deep; these bounds are far above that and far
 * below what would let a file exhaust memory, the stack or the CPU before it is checked.
 */
export const PLAN_LIMITS = {
  /** Size of the file, in bytes (1 MiB). */
  bytes: 1024 * 1024,
  /** Mappings and lists nested in one another, aliases expanded (the plan itself needs 7). */
  depth: 32,
  /** Aliases (`*name`) in the file. */
  aliases: 1000,
  /** Values (mappings, lists, scalars) that expanding all aliases adds to what the file spells out. */
  aliasExpansion: 10_000,
} as const;

/**
 * The most VMs asrflow protects for one tenant, and on one shared vault (all its tenants
 * together): what it is measured to onboard (docs/PERFORMANCE.md, "Scale"). A shared vault's
 * watcher keeps every VM being protected in its state, which must stay well inside one of
 * Temporal's 2 MB payloads.
 */
/** Azure Hybrid Benefit for Windows Server (the values Site Recovery takes). */
export const LICENSE_TYPES = ['NoLicenseType', 'WindowsServer'] as const;
/** SQL Server licensing of a failed-over VM: none, pay as you go, or Azure Hybrid Benefit. */
export const SQL_LICENSE_TYPES = ['NoLicenseType', 'PAYG', 'AHUB'] as const;
export const AVAILABILITY_ZONES = ['1', '2', '3'] as const;

/**
 * Azure's rules for tags (Azure Resource Manager tag limits): at most 50 per resource, names up
 * to 512 characters without `< > % & \\ ? /`, values up to 256 characters.
 */
export const TAG_LIMITS = { count: 50, nameLength: 512, valueLength: 256, nameForbidden: /[<>%&\\?/]/u } as const;

export const VM_LIMITS = { perTenant: 5_000, perSharedVault: 5_000 } as const;

/** Site Recovery's limits for one recovery plan (the portal shows up to 7 boot groups). */
export const RECOVERY_PLAN_LIMITS = { groups: 7, vms: 100, actionText: 1_000 } as const;
