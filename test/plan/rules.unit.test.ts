// One failing case per rule: each edits a valid example plan and asserts the exact field, line
// (and column where it matters) and message of the one error it causes, so that a rule that
// stops firing, fires twice or points at the wrong place is caught.
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { DEDICATED, MULTI, columnOf, edit, lineOf, onlyError, read, validate } from './helpers';

const multi = read(MULTI);
/** VM names prefix00001, prefix00002, … */
const vmNames = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(5, '0')}`);
const dedicated = read(DEDICATED);

interface Case {
  rule: string;
  base: string;
  edits: Array<[string, string]>;
  field: string;
  /** The line holding this text is where the error must point; 'unused' when the text repeats: the field's key is found instead. */
  at: string;
  message: string;
  fix?: string;
}

const cases: Case[] = [
  {
    rule: 'storage account name: 3–24 lowercase letters and digits',
    base: multi,
    edits: [['name: contosodr', 'name: Contoso-DR']],
    field: 'tenants[0].storageAccount.name',
    at: 'name: Contoso-DR',
    message: "storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'",
    fix: "use e.g. 'contosodr'",
  },
  {
    rule: 'vault name: 2–50 letters, digits, hyphens, starting with a letter',
    base: multi,
    edits: [['vault: fabrikam-asr-westeurope', 'vault: 1fabrikam_asr']],
    field: 'provider.vault',
    at: 'vault: 1fabrikam_asr',
    message: "vault name must be 2–50 letters, digits and hyphens, starting with a letter: got '1fabrikam_asr'",
    fix: "use e.g. 'fabrikam-asr'",
  },
  {
    rule: 'vault name in dedicated-vmm',
    base: dedicated,
    edits: [['vault: litware-asr-vault', 'vault: litware.vault']],
    field: 'tenants[0].vault',
    at: 'vault: litware.vault',
    message: "vault name must be 2–50 letters, digits and hyphens, starting with a letter: got 'litware.vault'",
  },
  {
    rule: "the existing VNet's resource group: resource group naming",
    base: multi,
    edits: [
      ['vnet: contoso-dr-vnet', 'vnet: contoso-dr-vnet\n      resourceGroup: contoso net rg\n      existing: true'],
    ],
    field: 'tenants[0].network.resourceGroup',
    at: 'resourceGroup: contoso net rg',
    message:
      "resource group name must be 1–90 letters, digits and _ ( ) - . and must not end with a period: got 'contoso net rg'",
    fix: "use e.g. 'contoso-net-rg'",
  },
  {
    rule: 'resource group name: not ending in a period',
    base: multi,
    edits: [['resourceGroup: contoso-dr-rg', 'resourceGroup: contoso-dr-rg.']],
    field: 'tenants[0].resourceGroup',
    at: 'resourceGroup: contoso-dr-rg.',
    message:
      "resource group name must be 1–90 letters, digits and _ ( ) - . and must not end with a period: got 'contoso-dr-rg.'",
    fix: "use e.g. 'contoso-dr-rg'",
  },
  {
    rule: 'VNet name',
    base: multi,
    edits: [['vnet: contoso-dr-vnet', "vnet: 'contoso dr vnet'"]],
    field: 'tenants[0].network.vnet',
    at: "vnet: 'contoso dr vnet'",
    message:
      "VNet name must be 2–64 letters, digits and _ . - , starting with a letter or digit and ending with a letter, digit or _: got 'contoso dr vnet'",
    fix: "use e.g. 'contoso-dr-vnet'",
  },
  {
    rule: 'VM name: a valid Azure name, or a name in Azure',
    base: multi,
    edits: [['include: [app01, app02]', 'include: [app01, app_02]']],
    field: 'tenants[1].vms.include[1]',
    at: 'include: [app01, app_02]',
    message:
      "VM 'app_02' cannot keep its name in Azure (1–63 letters, digits and hyphens, starting and ending with a letter or digit)",
    fix: 'write it as { name: "app_02", azureName: app-02 }',
  },
  {
    rule: 'tenant key: lowercase slug',
    base: multi,
    edits: [['  - name: northwind\n', '  - name: North_Wind\n']],
    field: 'tenants[1].name',
    at: 'name: North_Wind',
    message:
      "tenant key must be 1–40 lowercase letters, digits and hyphens, starting with a letter (it is used in workflow IDs): got 'North_Wind'",
    fix: "use e.g. 'north-wind'",
  },
  {
    rule: 'tenant id: a GUID',
    base: multi,
    edits: [['tenantId: d0000000-0000-4000-8000-000000000001', 'tenantId: northwind.onmicrosoft.com']],
    field: 'tenants[1].tenantId',
    at: 'tenantId: northwind.onmicrosoft.com',
    message: "tenantId must be a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47: got 'northwind.onmicrosoft.com'",
  },
  {
    rule: 'client id: a GUID, not echoed (a secret may have been pasted there)',
    base: multi,
    edits: [['clientId: d2000000-0000-4000-8000-000000000001', 'clientId: Zx8Q~not-a-guid']],
    field: 'tenants[1].credential.clientId',
    at: 'clientId: Zx8Q~not-a-guid',
    message: 'clientId must be a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47',
  },
  {
    rule: 'secretEnv: a variable name, not echoed',
    base: multi,
    edits: [['secretEnv: ASRFLOW_SECRET_NORTHWIND', "secretEnv: 'Zx8Q~s3cret!'"]],
    field: 'tenants[1].credential.secretEnv',
    at: "secretEnv: 'Zx8Q~s3cret!'",
    message:
      'secretEnv must be the name of an environment variable (letters, digits and _, not starting with a digit), not a secret',
  },
  {
    rule: 'region: a known Azure region',
    base: multi,
    edits: [
      [
        'region: westeurope\n    resourceGroup: northwind-dr-rg',
        'region: West Europe\n    resourceGroup: northwind-dr-rg',
      ],
    ],
    field: 'tenants[1].region',
    at: 'region: West Europe',
    message: "unknown Azure region 'West Europe'",
    fix: "use the region's ARM name 'westeurope'",
  },
  {
    rule: 'region: every tenant in the shared vault region (multitenant-vmm)',
    base: multi,
    edits: [
      [
        'region: westeurope\n    resourceGroup: northwind-dr-rg',
        'region: northeurope\n    resourceGroup: northwind-dr-rg',
      ],
    ],
    field: 'tenants[1].region',
    at: 'region: northeurope',
    message:
      "tenant region 'northeurope' differs from the shared vault's region 'westeurope': all resources of one recovery path must be in the same region",
  },
  {
    rule: 'storage SKU: geo-redundant',
    base: multi,
    edits: [['sku: Standard_GRS', 'sku: Standard_LRS']],
    field: 'tenants[0].storageAccount.sku',
    at: 'sku: Standard_LRS',
    message: "storage account SKU must be geo-redundant (Standard_GRS or Standard_RAGRS): got 'Standard_LRS'",
    fix: "use 'Standard_GRS' (the replica must survive the loss of the region)",
  },
  {
    rule: 'storage SKU: zone-redundant geo SKUs are refused',
    base: multi,
    edits: [['sku: Standard_GRS', 'sku: Standard_GZRS']],
    field: 'tenants[0].storageAccount.sku',
    at: 'sku: Standard_GZRS',
    message: "storage account SKU must be geo-redundant (Standard_GRS or Standard_RAGRS): got 'Standard_GZRS'",
    fix: "use 'Standard_GRS' (zone-redundant SKUs cannot hold the page blobs Hyper-V replication writes)",
  },
  {
    rule: 'replication interval: 30, 300 or 900',
    base: multi,
    edits: [['replicationInterval: 300', 'replicationInterval: 60']],
    field: 'policy.replicationInterval',
    at: 'replicationInterval: 60',
    message: 'replication interval must be 30, 300 or 900 seconds: got 60',
  },
  {
    rule: 'recovery point history: 0–24 h',
    base: multi,
    edits: [['recoveryPointHistoryHours: 24', 'recoveryPointHistoryHours: 100']],
    field: 'policy.recoveryPointHistoryHours',
    at: 'recoveryPointHistoryHours: 100',
    message: 'recovery point history must be a whole number of hours from 0 to 24: got 100',
  },
  {
    rule: 'app-consistent frequency: 0–12 h',
    base: multi,
    edits: [['appConsistentFrequencyHours: 4', 'appConsistentFrequencyHours: 13']],
    field: 'policy.appConsistentFrequencyHours',
    at: 'appConsistentFrequencyHours: 13',
    message: 'app-consistent snapshot frequency must be a whole number of hours from 0 (off) to 12: got 13',
  },
  {
    rule: 'app-consistent frequency ≤ history (plan-wide)',
    base: multi,
    edits: [['recoveryPointHistoryHours: 24', 'recoveryPointHistoryHours: 2']],
    field: 'policy.appConsistentFrequencyHours',
    at: 'appConsistentFrequencyHours: 4',
    message: 'app-consistent snapshot frequency (4 h) must not exceed the recovery point history (2 h)',
    fix: 'set appConsistentFrequencyHours to 2 or less, or raise recoveryPointHistoryHours',
  },
  {
    rule: 'app-consistent frequency ≤ history (tenant override, merged with the plan-wide policy)',
    base: multi,
    edits: [['appConsistentFrequencyHours: 1', 'appConsistentFrequencyHours: 1\n      recoveryPointHistoryHours: 0']],
    field: 'tenants[0].policy.appConsistentFrequencyHours',
    at: 'appConsistentFrequencyHours: 1',
    message: 'app-consistent snapshot frequency (1 h) must not exceed the recovery point history (0 h)',
  },
  {
    rule: 'initial replication start: now or HH:MM',
    base: multi,
    edits: [['initialReplicationStart: now', "initialReplicationStart: '25:00'"]],
    field: 'policy.initialReplicationStart',
    at: "initialReplicationStart: '25:00'",
    message: "initial replication start must be 'now' or a time of day HH:MM (24-hour): got '25:00'",
  },
  {
    rule: 'subnet inside the VNet address space',
    base: multi,
    edits: [['prefix: 10.10.0.0/24', 'prefix: 10.11.0.0/24']],
    field: 'tenants[0].network.subnets[0].prefix',
    at: 'prefix: 10.11.0.0/24',
    message: "subnet 'Contoso-Subnet' 10.11.0.0/24 is outside the VNet address space (10.10.0.0/16)",
  },
  {
    rule: 'subnets do not overlap',
    base: multi,
    edits: [
      ['prefix: 10.20.0.0/24', 'prefix: 10.20.0.0/24\n        - name: Northwind-Two\n          prefix: 10.20.0.128/25'],
    ],
    field: 'tenants[1].network.subnets[1].prefix',
    at: 'prefix: 10.20.0.128/25',
    message: "subnet 'Northwind-Two' 10.20.0.128/25 overlaps subnet 'Northwind-Subnet' (10.20.0.0/24)",
  },
  {
    rule: 'subnets are /29 or larger',
    base: multi,
    edits: [['prefix: 10.20.0.0/24', 'prefix: 10.20.0.0/30']],
    field: 'tenants[1].network.subnets[0].prefix',
    at: 'prefix: 10.20.0.0/30',
    message: "subnet 'Northwind-Subnet' 10.20.0.0/30 is too small: Azure subnets are /29 or larger",
  },
  {
    rule: 'address ranges are network addresses',
    base: multi,
    edits: [['addressSpace: [10.20.0.0/16]', 'addressSpace: [10.20.0.1/16]']],
    field: 'tenants[1].network.addressSpace[0]',
    at: 'addressSpace: [10.20.0.1/16]',
    message: "address range '10.20.0.1/16' has host bits set",
    fix: "use '10.20.0.0/16'",
  },
  {
    rule: 'test failover VNet differs from the production VNet',
    base: multi,
    edits: [['name: northwind-dr-test-vnet', 'name: northwind-dr-vnet']],
    field: 'tenants[1].network.testFailoverVnet.name',
    at: 'name: northwind-dr-vnet',
    message:
      "the test failover VNet must not be the production VNet 'northwind-dr-vnet': drill VMs would join production",
  },
  {
    rule: 'duplicate tenant keys',
    base: multi,
    edits: [['  - name: northwind\n', '  - name: contoso\n']],
    field: 'tenants[1].name',
    at: 'unused',
    message: "tenant key 'contoso' is already used by tenants[0] (contoso)",
  },
  {
    rule: 'duplicate tenant ids',
    base: multi,
    edits: [['tenantId: d0000000-0000-4000-8000-000000000001', 'tenantId: c0000000-0000-4000-8000-000000000001']],
    field: 'tenants[1].tenantId',
    at: 'unused',
    message:
      'tenant id c0000000-0000-4000-8000-000000000001 is already used by tenants[0] (contoso): each CSP customer is its own Entra tenant',
  },
  {
    rule: 'duplicate storage account names (globally unique)',
    base: multi,
    edits: [['name: northwinddr', 'name: contosodr']],
    field: 'tenants[1].storageAccount.name',
    at: 'unused',
    message:
      "storage account name 'contosodr' is already used by tenants[0] (contoso): storage account names are globally unique",
  },
  {
    rule: 'at most 5,000 VMs per tenant',
    base: dedicated,
    edits: [['include: [erp01, files01]', `include: [${vmNames('vm', 5001).join(', ')}]`]],
    field: 'tenants[0].vms.include',
    at: 'include: [vm00001',
    message: '5001 VMs are selected: asrflow protects at most 5000 VMs per tenant',
    fix: 'split the VMs over tenant entries of at most 5000 VMs each (each with its own VMM cloud)',
  },
  {
    rule: 'at most 5,000 VMs on one shared vault',
    base: multi,
    edits: [['include: [app01, app02]', `include: [${vmNames('nw', 4999).join(', ')}]`]],
    field: 'tenants[1].vms.include',
    at: 'include: [nw00001',
    message:
      'the tenants up to tenants[1] (northwind) select 5002 VMs on the shared vault: asrflow protects at most 5000 VMs per shared vault',
    fix: 'move tenants to another plan with their own shared vault (provider.vault), or use scenario dedicated-vmm',
  },
  {
    rule: 'the same VM selected twice',
    base: multi,
    edits: [['include: [app01, app02]', 'include: [app01, app02, app01]']],
    field: 'tenants[1].vms.include[2]',
    at: 'include: [app01, app02, app01]',
    message: "VM 'app01' is selected twice (also tenants[1].vms.include[0])",
  },
  {
    rule: 'the same VMM cloud for two tenants (multitenant-vmm)',
    base: multi,
    edits: [['cloud: Northwind-Cloud', 'cloud: Contoso-Cloud']],
    field: 'tenants[1].vmm.cloud',
    at: 'unused',
    message:
      "VMM cloud 'Contoso-Cloud' is already used by tenants[0] (contoso): on a shared VMM server each tenant needs its own cloud",
  },
  {
    rule: 'the same VM network for two tenants (multitenant-vmm)',
    base: multi,
    edits: [['vmNetwork: Northwind-VMNet', 'vmNetwork: Contoso-VMNet']],
    field: 'tenants[1].vmm.vmNetwork',
    at: 'unused',
    message:
      "VMM VM network 'Contoso-VMNet' is already used by tenants[0] (contoso): a VM network maps to one tenant's Azure VNet",
  },
  {
    rule: "a tenant's subscription is not the provider's",
    base: multi,
    edits: [
      ['subscriptionId: d1000000-0000-4000-8000-000000000001', 'subscriptionId: a1000000-0000-4000-8000-000000000001'],
    ],
    field: 'tenants[1].subscriptionId',
    at: 'unused',
    message:
      "tenant subscription is the provider's own subscription: a tenant's storage and network belong in its CSP subscription",
  },
  {
    rule: "multitenant-vmm: a tenant's VMM server is the shared one",
    base: multi,
    edits: [
      ['vmm:\n      cloud: Contoso-Cloud', 'vmm:\n      server: vmm02.fabrikam.local\n      cloud: Contoso-Cloud'],
    ],
    field: 'tenants[0].vmm.server',
    at: 'server: vmm02.fabrikam.local',
    message:
      "in multitenant-vmm every tenant's cloud is on the shared VMM server 'vmm01.fabrikam.local': got 'vmm02.fabrikam.local'",
  },
  {
    rule: 'VMM server: a host name',
    base: multi,
    edits: [['vmmServer: vmm01.fabrikam.local', 'vmmServer: vmm01_fabrikam']],
    field: 'provider.vmmServer',
    at: 'vmmServer: vmm01_fabrikam',
    message: "VMM server must be a host name (FQDN): got 'vmm01_fabrikam'",
  },
  {
    rule: 'VM size: an Azure size name',
    base: multi,
    edits: [['vmSize: Standard_D4s_v3', 'vmSize: D4s']],
    field: 'tenants[0].vms.include[2].vmSize',
    at: 'vmSize: D4s',
    message: "VM size must be an Azure size name like Standard_D2s_v3: got 'D4s'",
  },
  {
    rule: "a VM's subnet is one of the tenant's",
    base: multi,
    edits: [['name: sql01', 'name: sql01\n          subnet: data']],
    field: 'tenants[0].vms.include[2].subnet',
    at: 'subnet: data',
    message: "subnet 'data' is not one of the tenant's subnets (Contoso-Subnet)",
  },
  {
    rule: 'exclude only with include: all',
    base: multi,
    edits: [['include: [app01, app02]', 'include: [app01, app02]\n      exclude: [app03]']],
    field: 'tenants[1].vms.exclude',
    at: 'exclude: [app03]',
    message: 'exclude only applies with include: all',
  },
  {
    rule: 'tenant id: not the nil GUID',
    base: multi,
    edits: [['tenantId: d0000000-0000-4000-8000-000000000001', 'tenantId: 00000000-0000-0000-0000-000000000000']],
    field: 'tenants[1].tenantId',
    at: 'tenantId: 00000000-0000-0000-0000-000000000000',
    message: 'tenantId is the nil GUID (all zeros): a placeholder, not the id of a real tenant',
    fix: 'copy the Tenant ID on Microsoft Entra ID > Overview',
  },
  {
    rule: 'subscription id: not the nil GUID',
    base: multi,
    edits: [
      ['subscriptionId: d1000000-0000-4000-8000-000000000001', 'subscriptionId: 00000000-0000-0000-0000-000000000000'],
    ],
    field: 'tenants[1].subscriptionId',
    at: 'subscriptionId: 00000000-0000-0000-0000-000000000000',
    message: 'subscriptionId is the nil GUID (all zeros): a placeholder, not the id of a real subscription',
  },
  {
    rule: "a customer's tenant is not the provider's own tenant (CSP)",
    base: multi,
    edits: [['tenantId: d0000000-0000-4000-8000-000000000001', 'tenantId: A0000000-0000-4000-8000-000000000001']],
    field: 'tenants[1].tenantId',
    at: 'tenantId: A0000000-0000-4000-8000-000000000001',
    message:
      "tenant id is the provider's own tenant: in the CSP model each customer is an Entra tenant of its own, apart from the provider's",
  },
  {
    rule: 'VNet address space: not a range Azure reserves (link-local)',
    base: multi,
    edits: [
      ['addressSpace: [10.20.0.0/16]', 'addressSpace: [169.254.0.0/16]'],
      ['prefix: 10.20.0.0/24', 'prefix: 169.254.0.0/24'],
    ],
    field: 'tenants[1].network.addressSpace[0]',
    at: 'addressSpace: [169.254.0.0/16]',
    message: "address range '169.254.0.0/16' is reserved (link-local): Azure refuses it in a VNet",
    fix: 'use a private range (RFC 1918: 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16) that avoids it',
  },
  {
    rule: "VNet address space: not one that includes Azure's platform address 168.63.129.16",
    base: multi,
    edits: [['addressSpace: [10.20.0.0/16]', 'addressSpace: [10.20.0.0/16, 168.63.0.0/16]']],
    field: 'tenants[1].network.addressSpace[1]',
    at: 'addressSpace: [10.20.0.0/16, 168.63.0.0/16]',
    message:
      "address range '168.63.0.0/16' includes 168.63.129.16/32 (Azure's platform address for DNS, DHCP and health probes), which Azure refuses in a VNet",
  },
  {
    rule: 'VNet address space: a range with host bits set is one error, not also "subnet outside"',
    base: multi,
    edits: [['addressSpace: [10.20.0.0/16]', 'addressSpace: [10.99.0.0/16, 10.20.0.1/16]']],
    field: 'tenants[1].network.addressSpace[1]',
    at: 'addressSpace: [10.99.0.0/16, 10.20.0.1/16]',
    message: "address range '10.20.0.1/16' has host bits set",
    fix: "use '10.20.0.0/16'",
  },
  {
    rule: 'test failover VNet: its own address space contains the production subnets it takes',
    base: multi,
    edits: [['name: northwind-dr-test-vnet', 'name: northwind-dr-test-vnet\n        addressSpace: [10.99.0.0/16]']],
    field: 'tenants[1].network.testFailoverVnet.addressSpace',
    at: 'addressSpace: [10.99.0.0/16]',
    message:
      "the test failover VNet's address space (10.99.0.0/16) does not contain subnet 'Northwind-Subnet' (10.20.0.0/24), which it takes from network.subnets",
    fix: 'add subnets: under testFailoverVnet with ranges inside 10.99.0.0/16, or leave out its addressSpace to reuse the production one',
  },
  {
    rule: 'wrong type: a number written as text is one message, with the fix',
    base: multi,
    edits: [['replicationInterval: 300', "replicationInterval: '300'"]],
    field: 'policy.replicationInterval',
    at: "replicationInterval: '300'",
    message: "'replicationInterval' must be a whole number: got '300'",
    fix: 'write replicationInterval: 300 without quotes',
  },
  {
    rule: 'credential without a type: one message, not also "missing field type"',
    base: multi,
    edits: [['type: clientSecret\n      clientId: d2000000', 'clientId: d2000000']],
    field: 'tenants[1].credential',
    at: 'unused',
    message: "credential needs a 'type': default, clientSecret, clientCertificate",
  },
  {
    rule: 'both secretEnv and secretFile: one message, the file is not checked besides',
    base: multi,
    edits: [
      [
        'secretEnv: ASRFLOW_SECRET_NORTHWIND',
        'secretEnv: ASRFLOW_SECRET_NORTHWIND\n      secretFile: /nonexistent/northwind.secret',
      ],
    ],
    field: 'tenants[1].credential',
    at: 'unused',
    message: 'a clientSecret credential needs exactly one of secretEnv or secretFile',
  },
  {
    rule: 'plan version: the number, not the text',
    base: multi,
    edits: [['version: 1', "version: '1'"]],
    field: 'version',
    at: "version: '1'",
    message: "version must be the number 1, not the text '1'",
    fix: 'write version: 1 without quotes',
  },
  {
    rule: 'wrong type: one message, not also "not one of the allowed values"',
    base: multi,
    edits: [
      [
        'region: westeurope\n    resourceGroup: northwind-dr-rg',
        'region: [westeurope]\n    resourceGroup: northwind-dr-rg',
      ],
    ],
    field: 'tenants[1].region',
    at: 'region: [westeurope]',
    message: "'region' must be a string: got a list",
  },
  {
    rule: 'plan version 1',
    base: multi,
    edits: [['version: 1', 'version: 2']],
    field: 'version',
    at: 'version: 2',
    message: 'unsupported plan version 2: this asrflow reads version 1',
  },
  {
    rule: 'scenario name',
    base: multi,
    edits: [['scenario: multitenant-vmm', 'scenario: multitenant']],
    field: 'scenario',
    at: 'scenario: multitenant',
    message: "unknown scenario 'multitenant': it is multitenant-vmm or dedicated-vmm",
    fix: "use 'multitenant-vmm'",
  },
  {
    rule: 'missing required field',
    base: multi,
    edits: [['    resourceGroup: northwind-dr-rg\n', '']],
    field: 'tenants[1].resourceGroup',
    at: '  - name: northwind',
    message: "missing required field 'resourceGroup' (Resource group)",
    fix: 'add resourceGroup: contoso-dr-rg',
  },
  {
    rule: 'unknown key: a typo gets a "did you mean" (and no "missing field" besides)',
    base: multi,
    edits: [['storageAccount:\n      name: northwinddr', 'storageAcount:\n      name: northwinddr']],
    field: 'tenants[1].storageAcount',
    at: 'storageAcount:',
    message: "unknown field 'storageAcount'",
    fix: "did you mean 'storageAccount'?",
  },
  {
    rule: 'wrong type: a list written as a scalar',
    base: multi,
    edits: [['addressSpace: [10.20.0.0/16]', 'addressSpace: 10.20.0.0/16']],
    field: 'tenants[1].network.addressSpace',
    at: 'addressSpace: 10.20.0.0/16',
    message: "'addressSpace' must be a list: got '10.20.0.0/16'",
    fix: 'write it as a list: [10.20.0.0/16]',
  },
  {
    rule: 'credential: exactly one of secretEnv and secretFile',
    base: multi,
    edits: [
      [
        'secretEnv: ASRFLOW_SECRET_NORTHWIND',
        'secretEnv: ASRFLOW_SECRET_NORTHWIND\n      secretFile: northwind.secret',
      ],
    ],
    field: 'tenants[1].credential',
    at: 'unused',
    message: 'a clientSecret credential needs exactly one of secretEnv or secretFile',
  },
  {
    rule: 'credential: known type, with a suggestion',
    base: multi,
    edits: [['type: clientSecret\n      clientId: d2000000', 'type: clientsecret\n      clientId: d2000000']],
    field: 'tenants[1].credential.type',
    at: 'type: clientsecret',
    message: 'credential type must be default, clientSecret, clientCertificate',
    fix: "use 'clientSecret'",
  },
];

describe('plan rules: one failing case per rule', () => {
  it.each(cases)('$rule', ({ base, edits, field, at, message, fix }) => {
    const text = edit(base, ...edits);
    const error = onlyError(validate(text));
    expect(error.field).toBe(field);
    expect(error.message).toBe(message);
    if (fix !== undefined) expect(error.fix).toBe(fix);
    const where = at === 'unused' ? lineOfField(text, field) : lineOf(text, at);
    expect(error.line).toBe(where);
  });

  it('points at the key of the offending entry (line and column)', () => {
    const text = edit(multi, ['name: contosodr', 'name: Contoso-DR']);
    const error = onlyError(validate(text));
    expect([error.line, error.column]).toEqual([lineOf(text, 'name: Contoso-DR'), columnOf(text, 'name: Contoso-DR')]);
  });
});

describe('plan rules across the scenarios', () => {
  it('an invalid VM name listed twice: invalid where it first appears, a repetition where it repeats', () => {
    const text = edit(multi, ['include: [app01, app02]', 'include: [app_01, app_01]']);
    expect(validate(text).errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      "tenants[1].vms.include[0]: VM 'app_01' cannot keep its name in Azure (1–63 letters, digits and hyphens, starting and ending with a letter or digit)",
      "tenants[1].vms.include[1]: VM 'app_01' is selected twice (also tenants[1].vms.include[0])",
    ]);
  });

  it('the nil GUID in two tenants is one message for each, not also a duplicate', () => {
    const nil = '00000000-0000-0000-0000-000000000000';
    const text = edit(
      multi,
      ['tenantId: c0000000-0000-4000-8000-000000000001', `tenantId: ${nil}`],
      ['tenantId: d0000000-0000-4000-8000-000000000001', `tenantId: ${nil}`],
    );
    expect(validate(text).errors.map((e) => `${e.line} ${e.field}: ${e.message}`)).toEqual(
      [0, 1].map(
        (i) =>
          `${lineOfField(text, `tenants[${i}].tenantId`)} tenants[${i}].tenantId: tenantId is the nil GUID (all zeros): a placeholder, not the id of a real tenant`,
      ),
    );
  });

  it('multitenant-vmm needs a provider; its tenants use the shared vault', () => {
    const text = edit(dedicated, ['scenario: dedicated-vmm', 'scenario: multitenant-vmm']);
    const { errors } = validate(text);
    expect(errors.map((e) => [e.field, e.line, e.message])).toEqual([
      [
        'provider',
        lineOf(text, 'version: 1'),
        'scenario multitenant-vmm needs a provider section: the shared vault and VMM server in your own (non-CSP) subscription',
      ],
      [
        'tenants[0].vault',
        lineOf(text, 'vault: litware-asr-vault'),
        "in multitenant-vmm every tenant replicates to the provider's shared vault",
      ],
    ]);
  });

  it("dedicated-vmm forbids a provider and needs each tenant's VMM server", () => {
    const text = edit(multi, ['scenario: multitenant-vmm', 'scenario: dedicated-vmm']);
    const { errors, warnings } = validate(text);
    const vmmLines = text.split('\n').flatMap((l, i) => (l === '    vmm:' ? [i + 1] : []));
    expect(errors.map((e) => [e.field, e.line, e.message])).toEqual([
      [
        'provider',
        lineOf(text, 'provider:'),
        'a provider section is only for scenario multitenant-vmm: in dedicated-vmm each tenant has its own vault',
      ],
      ['tenants[0].vmm.server', vmmLines[0], "scenario dedicated-vmm needs each tenant's own VMM server"],
      ['tenants[1].vmm.server', vmmLines[1], "scenario dedicated-vmm needs each tenant's own VMM server"],
    ]);
    expect(warnings).toEqual([]);
  });

  it('dedicated-vmm: two tenants cannot share a VMM server', () => {
    const block = dedicated.slice(dedicated.indexOf('  - name: litware'));
    const second = block
      .replace('name: litware', 'name: litware-eu')
      .replace(/e0000000/g, 'f0000000')
      .replace(/e1000000/g, 'f1000000')
      .replace('name: litwaredr', 'name: litwareeudr')
      .replace('vault: litware-asr-vault', 'vault: litware-eu-asr-vault');
    const text = `${dedicated.trimEnd()}\n${second}`;
    const error = onlyError(validate(text));
    expect(error.field).toBe('tenants[1].vmm.server');
    expect(error.message).toBe(
      "VMM server 'vmm-litware.litware.local' is already used by tenants[0] (litware): a VMM server registers with one vault",
    );
    expect(error.line).toBe(text.split('\n').lastIndexOf('      server: vmm-litware.litware.local') + 1);
  });

  it('warns (without failing) that one VMM environment replicates to one Entra tenant', () => {
    const { errors, warnings } = validate(multi);
    expect(errors).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      severity: 'warning',
      field: 'provider.vmmServer',
      line: lineOf(multi, 'vmmServer:'),
    });
    expect(warnings[0]?.message).toContain('one VMM environment replicates to one Microsoft Entra tenant');
  });

  it('refuses 25 h of history or more (Site Recovery keeps at most 24 h): an error, not a warning', () => {
    const result = validate(edit(multi, ['recoveryPointHistoryHours: 24', 'recoveryPointHistoryHours: 48']));
    expect(result.warnings.map((w) => w.field)).toEqual(['provider.vmmServer']);
    expect(onlyError(result)).toMatchObject({
      field: 'policy.recoveryPointHistoryHours',
      line: lineOf(multi, 'recoveryPointHistoryHours: 24'),
      message: 'recovery point history must be a whole number of hours from 0 to 24: got 48',
    });
  });
});

/** Line of the last segment's key, for fields whose text occurs more than once in the file. */
function lineOfField(text: string, field: string): number {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const segments = field.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== '');
  let node: unknown = doc.contents;
  let offset = 0;
  for (const seg of segments) {
    if (isSeq(node)) {
      node = node.items[Number(seg)];
    } else if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && p.key.value === seg);
      offset = (pair?.key as { range: [number] }).range[0];
      node = pair?.value;
    }
  }
  return lc.linePos(offset).line;
}
