// The plan's JSON Schema (draft-07: the draft editors' YAML support handles best), built from the
// same constants as the rules. `schemas/plan.schema.json` is this object, written by
// `npx tsx src/domain/plan/write-schema.ts`; a test fails when the file is stale. The schema carries
// structure and every single-field constraint (so editors flag them as you type); cross-field
// rules (regions, duplicates, address spaces) exist only in rules.ts. Pure: no I/O.

import {
  APP_CONSISTENT_FREQUENCY_MAX_HOURS,
  AVAILABILITY_ZONES,
  AZURE_REGIONS,
  DEFAULT_POLICY,
  DEFAULT_PROVIDER_NAME,
  DEFAULT_STORAGE_SKU,
  DEFAULT_TARGET,
  DERIVED_VAULT_SUFFIX,
  GEO_REDUNDANT_SKUS,
  LICENSE_TYPES,
  PATTERNS,
  PLAN_VERSION,
  RECOVERY_PLAN_LIMITS,
  RECOVERY_POINT_HISTORY_MAX_HOURS,
  REPLICATION_INTERVALS,
  SCENARIOS,
  SQL_LICENSE_TYPES,
  TAG_LIMITS,
} from './constants';

export const PLAN_SCHEMA_ID = 'urn:asrflow:schema:plan:v1';

/** Ajv annotation keyword: what to say when a oneOf/anyOf matches no branch ({message, fix}). */
export const HELP_KEYWORD = 'x-help';

const keys = <const T extends readonly string[]>(...k: T): T => k;

const guid = (title: string, description: string, example: string) => ({
  type: 'string',
  title,
  description,
  pattern: PATTERNS.guid,
  examples: [example],
});

const defaultCredential = {
  title: 'DefaultAzureCredential',
  description: 'Environment, workload identity, managed identity or Azure CLI login, asked for a token of this tenant.',
  properties: {
    type: { const: 'default', description: 'DefaultAzureCredential for this tenant id.' },
  },
  additionalProperties: false,
};

const clientSecretCredential = {
  title: 'Client secret',
  description: 'A service principal (app registration) and its client secret, from an environment variable or a file.',
  properties: {
    type: { const: 'clientSecret', description: 'A client secret of the app registration.' },
    clientId: guid(
      'Client id',
      'Application (client) id of the app registration in this tenant.',
      'c2000000-0000-4000-8000-000000000001',
    ),
    secretEnv: {
      type: 'string',
      title: 'Secret environment variable',
      description: 'Name of the environment variable (in the worker) that holds the client secret.',
      pattern: PATTERNS.envVar,
      examples: ['ASRFLOW_SECRET_CONTOSO'],
    },
    secretFile: {
      type: 'string',
      title: 'Secret file',
      description: 'Path of a file holding the client secret; relative paths are relative to the plan file.',
      minLength: 1,
      examples: ['/run/secrets/asrflow-contoso'],
    },
  },
  required: keys('type', 'clientId'),
  additionalProperties: false,
  oneOf: [{ required: keys('secretEnv') }, { required: keys('secretFile') }],
  [HELP_KEYWORD]: {
    message: 'a clientSecret credential needs exactly one of secretEnv or secretFile',
    fix: 'keep either secretEnv: NAME_OF_VARIABLE or secretFile: PATH',
  },
};

const clientCertificateCredential = {
  title: 'Client certificate',
  description: 'A service principal and a PEM file holding its certificate and private key.',
  properties: {
    type: { const: 'clientCertificate', description: 'A certificate of the app registration.' },
    clientId: guid(
      'Client id',
      'Application (client) id of the app registration in this tenant.',
      'c2000000-0000-4000-8000-000000000001',
    ),
    certificateFile: {
      type: 'string',
      title: 'Certificate file',
      description: 'PEM file with the certificate and its private key; relative paths are relative to the plan file.',
      minLength: 1,
      examples: ['/run/secrets/asrflow-contoso.pem'],
    },
    certificatePasswordEnv: {
      type: 'string',
      title: 'Certificate password variable',
      description: 'Environment variable holding the password of an encrypted private key.',
      pattern: PATTERNS.envVar,
      examples: ['ASRFLOW_CERT_PASSWORD_CONTOSO'],
    },
  },
  required: keys('type', 'clientId', 'certificateFile'),
  additionalProperties: false,
};

const credential = {
  title: 'Credential reference',
  description:
    "Where the worker gets a credential for this tenant (or the provider). A reference only: the secret itself never goes into the plan. The Entra tenant id is always the owning entry's `tenantId`.",
  type: 'object',
  required: keys('type'),
  discriminator: { propertyName: 'type' },
  oneOf: [defaultCredential, clientSecretCredential, clientCertificateCredential],
  examples: [
    { type: 'clientSecret', clientId: 'c2000000-0000-4000-8000-000000000001', secretEnv: 'ASRFLOW_SECRET_CONTOSO' },
  ],
};

const region = {
  type: 'string',
  title: 'Azure region',
  description:
    'ARM name of the Azure region (e.g. westeurope, not "West Europe"). Every resource of one recovery path (vault, storage account, VNet, resource group) must be in the same region.',
  enum: [...AZURE_REGIONS],
  examples: ['westeurope'],
};

const resourceGroup = {
  type: 'string',
  title: 'Resource group',
  description: '1–90 letters, digits and _ ( ) - . ; must not end with a period. Created if missing.',
  pattern: PATTERNS.resourceGroup,
  examples: ['contoso-dr-rg'],
};

const vaultName = {
  type: 'string',
  title: 'Recovery Services vault',
  description: '2–50 letters, digits and hyphens, starting with a letter. Created if missing.',
  pattern: PATTERNS.vault,
  examples: ['fabrikam-asr-westeurope'],
};

const hostname = {
  type: 'string',
  title: 'VMM server',
  description: 'Name (FQDN) of the System Center VMM server, as the ASR Provider registers it.',
  pattern: PATTERNS.hostname,
  examples: ['vmm01.fabrikam.local'],
};

const slug = (title: string, description: string, example: string) => ({
  type: 'string',
  title,
  description,
  pattern: PATTERNS.slug,
  examples: [example],
});

const vmSize = {
  type: 'string',
  title: 'Azure VM size',
  description: 'Size of the VM created at failover; when absent, Site Recovery picks one matching the source VM.',
  pattern: PATTERNS.vmSize,
  examples: ['Standard_D2s_v3'],
};

const licenseType = {
  type: 'string',
  title: 'Windows Server license',
  description:
    '`WindowsServer` applies Azure Hybrid Benefit (your own Windows Server licences) to the failed-over VM; `NoLicenseType` pays for Windows in Azure.',
  enum: [...LICENSE_TYPES],
  examples: ['WindowsServer'],
};

const sqlServerLicenseType = {
  type: 'string',
  title: 'SQL Server license',
  description: '`AHUB` (Azure Hybrid Benefit), `PAYG` (pay as you go) or `NoLicenseType` (no SQL Server).',
  enum: [...SQL_LICENSE_TYPES],
  examples: ['AHUB'],
};

const tags = {
  type: 'object',
  title: 'Tags',
  description: `Azure tags of the failed-over VM: at most ${TAG_LIMITS.count}, names up to ${TAG_LIMITS.nameLength} characters, values up to ${TAG_LIMITS.valueLength}.`,
  additionalProperties: { type: 'string', maxLength: TAG_LIMITS.valueLength },
  maxProperties: TAG_LIMITS.count,
  examples: [{ costCenter: 'dr', owner: 'contoso' }],
};

const policy = {
  type: 'object',
  title: 'Replication policy',
  description:
    'Hyper-V Replica to Azure replication settings. Plan-wide defaults; a tenant may override single fields.',
  properties: {
    replicationInterval: {
      type: 'integer',
      title: 'Copy frequency (seconds)',
      description: 'How often delta changes are sent after the initial replication: 30, 300 or 900 seconds.',
      enum: [...REPLICATION_INTERVALS],
      default: DEFAULT_POLICY.replicationInterval,
      examples: [300],
    },
    recoveryPointHistoryHours: {
      type: 'integer',
      title: 'Recovery point retention (hours)',
      description: `How far back a failover can go: 0–${RECOVERY_POINT_HISTORY_MAX_HOURS} hours (Site Recovery refuses more). 0 keeps only the latest point.`,
      minimum: 0,
      maximum: RECOVERY_POINT_HISTORY_MAX_HOURS,
      default: DEFAULT_POLICY.recoveryPointHistoryHours,
      examples: [24],
    },
    appConsistentFrequencyHours: {
      type: 'integer',
      title: 'App-consistent snapshot frequency (hours)',
      description: `Hours between application-consistent (VSS) snapshots: 0 (off) to ${APP_CONSISTENT_FREQUENCY_MAX_HOURS}, and not more than the retention.`,
      minimum: 0,
      maximum: APP_CONSISTENT_FREQUENCY_MAX_HOURS,
      default: DEFAULT_POLICY.appConsistentFrequencyHours,
      examples: [4],
    },
    initialReplicationStart: {
      type: 'string',
      title: 'Initial replication start',
      description:
        '`now`, or a time of day HH:MM (24-hour) at which the initial replication starts, e.g. out of business hours.',
      pattern: PATTERNS.startTime,
      default: DEFAULT_POLICY.initialReplicationStart,
      examples: ['now', '22:00'],
    },
  },
  additionalProperties: false,
};

const target = {
  type: 'object',
  title: 'Failover target options',
  description: 'How failed-over VMs are created in Azure. Plan-wide defaults; a tenant may override.',
  properties: {
    managedDisks: {
      type: 'boolean',
      title: 'Managed disks',
      description: 'Create managed disks for the failed-over VM (recommended).',
      default: DEFAULT_TARGET.managedDisks,
      examples: [true],
    },
    vmSize,
    licenseType,
    sqlServerLicenseType,
    tags,
  },
  additionalProperties: false,
};

const cidr = (example: string) => ({
  type: 'string',
  title: 'IPv4 address range (CIDR)',
  pattern: PATTERNS.ipv4Cidr,
  examples: [example],
});

const addressSpace = {
  type: 'array',
  title: 'Address space',
  description: 'IPv4 ranges of the VNet, as a list.',
  items: cidr('10.10.0.0/16'),
  minItems: 1,
  examples: [['10.10.0.0/16']],
};

const subnet = {
  type: 'object',
  title: 'Subnet',
  properties: {
    name: {
      type: 'string',
      title: 'Subnet name',
      description: '1–80 letters, digits and _ . - ; starts with a letter or digit, ends with a letter, digit or _.',
      pattern: PATTERNS.subnet,
      examples: ['servers'],
    },
    prefix: { ...cidr('10.10.0.0/24'), description: 'IPv4 range inside the VNet address space, /29 or larger.' },
  },
  required: keys('name', 'prefix'),
  additionalProperties: false,
};

const subnets = {
  type: 'array',
  title: 'Subnets',
  description: 'Subnets of the VNet. The first is where VMs land unless a VM names another.',
  items: subnet,
  minItems: 1,
};

const vnetName = (example: string) => ({
  type: 'string',
  title: 'VNet name',
  description: '2–64 letters, digits and _ . - ; starts with a letter or digit, ends with a letter, digit or _.',
  pattern: PATTERNS.vnet,
  examples: [example],
});

const testFailoverVnet = {
  type: 'object',
  title: 'Test failover VNet',
  description:
    'An isolated VNet for test failovers (drills), never the production VNet. Address space and subnets default to the production ones, so drill VMs keep their IP addresses without clashing with anything.',
  properties: {
    name: vnetName('contoso-dr-test-vnet'),
    addressSpace: { ...addressSpace, description: 'Defaults to the production VNet address space.' },
    subnets: { ...subnets, description: 'Defaults to the production VNet subnets.' },
  },
  required: keys('name'),
  additionalProperties: false,
};

const network = {
  type: 'object',
  title: 'Azure network',
  description:
    "The VNet failed-over VMs connect to, in the tenant subscription and region. Created if missing, unless `existing` says it is the customer's own.",
  properties: {
    vnet: vnetName('contoso-dr-vnet'),
    resourceGroup: {
      ...resourceGroup,
      title: "The VNet's resource group",
      description:
        "Resource group of the VNet when it is not the tenant's (`resourceGroup` of the tenant), e.g. the customer's own network group.",
      examples: ['contoso-network-rg'],
    },
    existing: {
      type: 'boolean',
      title: "The customer's own VNet",
      description:
        'true: the VNet exists and is used as it is — asrflow never creates or changes it, and onboarding stops for the operator if it lacks the address space or subnets listed here.',
      default: false,
      examples: [true],
    },
    addressSpace,
    subnets,
    testFailoverVnet,
  },
  required: keys('vnet', 'addressSpace', 'subnets', 'testFailoverVnet'),
  additionalProperties: false,
};

const vmNetworks = {
  title: 'VMM VM network(s)',
  oneOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
  ],
  [HELP_KEYWORD]: {
    message: 'vmNetwork is a VMM VM network name, or a list of them',
    fix: 'write e.g. vmNetwork: Contoso-VMNet, or vmNetwork: [Contoso-FrontEnd, Contoso-BackEnd]',
  },
  examples: ['Contoso-VMNet', ['Contoso-FrontEnd', 'Contoso-BackEnd']],
};

const moreNetwork = {
  ...network,
  title: 'Another Azure network',
  description:
    'Another VNet of the tenant, for the VMM VM networks it names: a VM fails over into it when its `vnet` says so. Same fields as `network`.',
  properties: {
    ...network.properties,
    vmNetwork: {
      ...vmNetworks,
      description: 'The VMM VM network mapped to this VNet, or a list of them; none of them also in `vmm.vmNetwork`.',
      examples: ['Contoso-DMZ'],
    },
  },
  required: keys('vnet', 'addressSpace', 'subnets', 'testFailoverVnet', 'vmNetwork'),
};

const networks = {
  type: 'array',
  title: 'More Azure networks',
  description:
    'VNets besides `network`, each mapped from its own VMM VM networks (Azure puts all NICs of a VM in one VNet, chosen per VM with `vnet`).',
  items: moreNetwork,
  minItems: 1,
};

const storageAccount = {
  type: 'object',
  title: 'Replica storage account',
  description: 'The tenant storage account that receives the replicated data. Created if missing.',
  properties: {
    name: {
      type: 'string',
      title: 'Storage account name',
      description: '3–24 lowercase letters and digits, globally unique in Azure.',
      pattern: PATTERNS.storageAccount,
      examples: ['contosodr'],
    },
    sku: {
      type: 'string',
      title: 'Storage SKU',
      description: 'Must be geo-redundant: Standard_GRS or Standard_RAGRS.',
      enum: [...GEO_REDUNDANT_SKUS],
      default: DEFAULT_STORAGE_SKU,
      examples: [DEFAULT_STORAGE_SKU],
    },
  },
  required: keys('name'),
  additionalProperties: false,
};

const vmm = {
  type: 'object',
  title: 'VMM placement',
  description: 'Where the tenant VMs live on premises.',
  properties: {
    server: {
      ...hostname,
      description:
        "dedicated-vmm: the tenant's own VMM server (required). multitenant-vmm: leave out (it is the provider's vmmServer).",
    },
    cloud: {
      title: 'VMM cloud(s)',
      description:
        'The VMM cloud holding the tenant VMs, or a list of its clouds; each is associated with the replication policy.',
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
      ],
      [HELP_KEYWORD]: {
        message: 'cloud is a VMM cloud name, or a list of them',
        fix: 'write e.g. cloud: Contoso-Cloud, or cloud: [Contoso-Gold, Contoso-Silver]',
      },
      examples: ['Contoso-Cloud', ['Contoso-Gold', 'Contoso-Silver']],
    },
    vmNetwork: {
      ...vmNetworks,
      description:
        'The VMM VM network mapped to the tenant VNet (`network.vnet`), or a list of them (all mapped to it). VM networks mapped to another VNet are listed under that VNet in `networks`.',
    },
  },
  required: keys('cloud', 'vmNetwork'),
  additionalProperties: false,
};

const vmName = {
  type: 'string',
  title: 'VM name',
  description:
    "The VM's name in VMM, which the Azure VM gets too: 1–63 letters, digits and hyphens. Another VMM name needs the mapping form with `azureName`.",
  pattern: PATTERNS.vm,
  examples: ['web01'],
};

const vmmVmName = {
  type: 'string',
  title: 'VM name',
  description:
    "The VM's name in VMM. The Azure VM gets the same name unless `azureName` gives another, which a name that is not a valid Azure name (1–63 letters, digits and hyphens) needs.",
  pattern: PATTERNS.vmmVm,
  examples: ['web01'],
};

const subnetRef = {
  type: 'string',
  title: 'Target subnet',
  description: "One of the subnets of the VM's VNet; defaults to its first.",
  pattern: PATTERNS.subnet,
  examples: ['servers'],
};

const ipv4 = (title: string, description: string) => ({
  type: 'string',
  title,
  description,
  pattern: PATTERNS.ipv4,
  examples: ['10.10.1.10'],
});

const nic = {
  type: 'object',
  title: 'Network adapter',
  description: "One of the VM's network adapters, in the order VMM lists them.",
  properties: {
    subnet: subnetRef,
    ip: ipv4(
      'Static IP after failover',
      'Private IP address the adapter keeps after failover: inside its subnet, not one of the five addresses Azure reserves in it.',
    ),
    testIp: ipv4(
      'Static IP in test failovers',
      'Private IP address in the (isolated) test failover network; defaults to `ip`.',
    ),
  },
  additionalProperties: false,
};

const vm = {
  type: 'object',
  title: 'VM with options',
  properties: {
    name: vmmVmName,
    azureName: {
      type: 'string',
      title: 'Name in Azure',
      description:
        'Name of the Azure VM created at failover: 1–63 letters, digits and hyphens, starting and ending with a letter or digit; unique in the tenant.',
      pattern: PATTERNS.vm,
      examples: ['app-01'],
    },
    vnet: {
      ...vnetName('contoso-dmz-vnet'),
      title: "The VM's VNet",
      description:
        'The VNet the VM fails over into: `network.vnet` (the default) or one of `networks[].vnet`. All its NICs are in this VNet.',
    },
    subnet: subnetRef,
    vmSize,
    nics: {
      type: 'array',
      title: 'Network adapters',
      description: "Per adapter, in VMM's order: subnet and static IPs after failover and in test failovers.",
      items: nic,
      minItems: 1,
    },
    licenseType,
    sqlServerLicenseType,
    disks: {
      type: 'object',
      title: 'Disks',
      description:
        'Which disks replicate: all unless excluded here (excluded disks cannot be added back without protecting the VM again).',
      properties: {
        exclude: {
          type: 'array',
          title: 'Disks not replicated',
          description: 'Disk names as VMM lists them, e.g. a page file disk. Never the OS disk.',
          items: { type: 'string', minLength: 1 },
          examples: [['pagefile.vhdx']],
        },
        os: {
          type: 'string',
          title: 'OS disk',
          description: 'Name of the disk the VM boots from, when it is not the first one.',
          minLength: 1,
          examples: ['app01-os.vhdx'],
        },
      },
      additionalProperties: false,
    },
    zone: {
      type: 'string',
      title: 'Availability zone',
      description: 'Zone of the failed-over VM; not with `availabilitySet`.',
      enum: [...AVAILABILITY_ZONES],
      examples: ['1'],
    },
    availabilitySet: {
      type: 'string',
      title: 'Availability set',
      description: "Name of an availability set in the tenant's resource group; not with `zone`.",
      pattern: PATTERNS.availabilitySet,
      examples: ['app-avset'],
    },
    tags,
  },
  required: keys('name'),
  // Without a name in Azure, the VMM name must be one.
  if: { not: { required: ['azureName'] } },
  then: { properties: { name: vmName } },
  additionalProperties: false,
};

const vms = {
  type: 'object',
  title: 'VM selection',
  description: 'Which VMs of the tenant cloud to protect.',
  properties: {
    include: {
      title: 'Included VMs',
      description:
        "`all` VMs of the cloud, or a list of VMs (each a name, or a mapping with name and the VM's settings).",
      oneOf: [
        { const: 'all' },
        {
          type: 'array',
          items: {
            anyOf: [vmName, vm],
            [HELP_KEYWORD]: {
              message: 'a VM is a name, or a mapping with name and its settings (azureName, subnet, vmSize, nics, …)',
              fix: 'write e.g. web01, or { name: sql01, vmSize: Standard_D4s_v3 }',
            },
          },
          minItems: 1,
        },
      ],
      [HELP_KEYWORD]: {
        message: 'include must be all, or a list of VM names',
        fix: 'write include: all, or include: [web01, web02]',
      },
      examples: ['all', ['web01', 'web02']],
    },
    exclude: {
      type: 'array',
      title: 'Excluded VMs',
      description: 'VM names to leave out; only with `include: all`.',
      items: vmmVmName,
      examples: [['legacy01']],
    },
  },
  required: keys('include'),
  additionalProperties: false,
};

const manualAction = (when: string) => ({
  type: 'string',
  title: `Manual action ${when} the group`,
  description: `Shown to the operator ${when} the group fails over; the failover waits for \`asrflow failover continue\`.`,
  minLength: 1,
  maxLength: RECOVERY_PLAN_LIMITS.actionText,
  examples: ['Check that SQL Server accepts connections, then continue'],
});

const recoveryPlanGroup = {
  type: 'object',
  title: 'Recovery plan group',
  description: 'VMs that fail over together, after every group before this one.',
  properties: {
    vms: {
      type: 'array',
      title: 'VMs',
      description: "VMs of the tenant's selection (their VMM names).",
      items: vmmVmName,
      minItems: 1,
      examples: [['sql01']],
    },
    before: manualAction('before'),
    after: manualAction('after'),
  },
  required: keys('vms'),
  additionalProperties: false,
};

const duration = (title: string, description: string, example: string) => ({
  type: 'string',
  title,
  description,
  pattern: PATTERNS.duration,
  examples: [example],
});

const recoveryPlan = {
  type: 'object',
  title: 'Recovery plan',
  description:
    "Ordered groups of the tenant's VMs, failed over group by group. Onboarding creates it in the vault as Site Recovery's recovery plan `asrflow-<tenant>-<name>`.",
  properties: {
    name: {
      ...slug(
        'Recovery plan key',
        'Used with --recovery-plan: 1–40 lowercase letters, digits and hyphens, starting with a letter; unique in the tenant.',
        'crm',
      ),
      pattern: PATTERNS.recoveryPlan,
    },
    rto: duration('Target RTO', 'Time from the failover to the last VM running, e.g. 30m or 2h.', '30m'),
    rpo: duration('Target RPO', 'Age of the recovery point each VM fails over to, e.g. 15m.', '15m'),
    groups: {
      type: 'array',
      title: 'Groups',
      description: `In failover order, at most ${RECOVERY_PLAN_LIMITS.groups}.`,
      items: recoveryPlanGroup,
      minItems: 1,
    },
  },
  required: keys('name', 'groups'),
  additionalProperties: false,
};

const tenant = {
  type: 'object',
  title: 'Tenant',
  description: 'One CSP customer: its Entra tenant, CSP subscription and everything replicated for it.',
  properties: {
    name: slug(
      'Tenant key',
      'Short key used in workflow IDs, search attributes and the CLI (--tenant): 1–40 lowercase letters, digits and hyphens, starting with a letter.',
      'contoso',
    ),
    tenantId: guid(
      'Entra tenant id',
      "The customer's Microsoft Entra tenant (directory) id.",
      'c0000000-0000-4000-8000-000000000001',
    ),
    subscriptionId: guid(
      'CSP subscription id',
      "The customer's CSP subscription holding storage, network (and, in dedicated-vmm, the vault).",
      'c1000000-0000-4000-8000-000000000001',
    ),
    credential,
    region,
    resourceGroup,
    vault: {
      ...vaultName,
      description: `dedicated-vmm only: the tenant vault, defaults to <name>${DERIVED_VAULT_SUFFIX}.`,
      examples: ['litware-asr-vault'],
    },
    storageAccount,
    network,
    networks,
    vmm,
    vms,
    recoveryPlans: {
      type: 'array',
      title: 'Recovery plans',
      description: "Named, ordered failovers of the tenant's VMs (an application, or the whole tenant).",
      items: recoveryPlan,
      minItems: 1,
    },
    policy: { ...policy, description: 'Overrides of the plan-wide policy for this tenant (any subset of fields).' },
    target: { ...target, description: 'Overrides of the plan-wide target options for this tenant.' },
  },
  required: keys(
    'name',
    'tenantId',
    'subscriptionId',
    'credential',
    'region',
    'resourceGroup',
    'storageAccount',
    'network',
    'vmm',
    'vms',
  ),
  additionalProperties: false,
};

const provider = {
  type: 'object',
  title: 'Provider (hoster)',
  description:
    "multitenant-vmm only: the hoster's own (non-CSP) subscription with the shared vault, and the shared VMM server.",
  properties: {
    name: {
      ...slug('Provider key', 'Short key for the provider in workflow IDs.', 'fabrikam-hosting'),
      default: DEFAULT_PROVIDER_NAME,
    },
    tenantId: guid(
      'Provider Entra tenant id',
      "The hoster's own Entra tenant.",
      'a0000000-0000-4000-8000-000000000001',
    ),
    subscriptionId: guid(
      'Provider subscription id',
      "The hoster's EA/direct subscription (not a CSP one) that holds the shared vault.",
      'a1000000-0000-4000-8000-000000000001',
    ),
    credential: {
      ...credential,
      examples: [
        {
          type: 'clientSecret',
          clientId: 'a2000000-0000-4000-8000-000000000001',
          secretEnv: 'ASRFLOW_SECRET_FABRIKAM_HOSTING',
        },
      ],
    },
    region,
    resourceGroup: { ...resourceGroup, examples: ['fabrikam-asr-rg'] },
    vault: vaultName,
    vmmServer: { ...hostname, description: 'The shared VMM server, registered once with the shared vault.' },
  },
  required: keys('tenantId', 'subscriptionId', 'credential', 'region', 'resourceGroup', 'vault', 'vmmServer'),
  additionalProperties: false,
};

const scenarioIs = (scenario: string) => ({ properties: { scenario: { const: scenario } }, required: ['scenario'] });

export const planSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: PLAN_SCHEMA_ID,
  title: 'asrflow plan',
  description:
    'What asrflow onboards into Azure Site Recovery (Hyper-V/VMM to Azure) for CSP tenants. Check a plan with `asrflow plan validate FILE`; reference: docs/PLAN.md.',
  type: 'object',
  properties: {
    version: {
      const: PLAN_VERSION,
      title: 'Plan format version',
      description: 'Always 1 for this format.',
      examples: [PLAN_VERSION],
    },
    scenario: {
      type: 'string',
      title: 'Scenario',
      description:
        "`multitenant-vmm`: one shared VMM server and one shared vault in the provider's subscription (hosters). `dedicated-vmm`: each tenant has its own VMM server and a vault in its CSP subscription (outsourcers).",
      enum: [...SCENARIOS],
      examples: ['multitenant-vmm'],
    },
    provider,
    policy,
    target,
    tenants: {
      type: 'array',
      title: 'Tenants',
      description: 'The CSP tenants to onboard, one workflow each.',
      items: tenant,
      minItems: 1,
    },
  },
  required: keys('version', 'scenario', 'tenants'),
  additionalProperties: false,
  allOf: [
    {
      if: scenarioIs('multitenant-vmm'),
      then: { required: ['provider'], properties: { tenants: { items: { not: { required: ['vault'] } } } } },
    },
    {
      if: scenarioIs('dedicated-vmm'),
      then: {
        not: { required: ['provider'] },
        properties: { tenants: { items: { properties: { vmm: { required: ['server'] } } } } },
      },
    },
  ],
};

/** The object definitions, exported for the type-level test that keeps them in step with types.ts. */
export const schemaParts = {
  credential,
  defaultCredential,
  clientSecretCredential,
  clientCertificateCredential,
  policy,
  target,
  subnet,
  testFailoverVnet,
  network,
  moreNetwork,
  storageAccount,
  vmm,
  vm,
  vms,
  recoveryPlan,
  recoveryPlanGroup,
  tenant,
  provider,
};
