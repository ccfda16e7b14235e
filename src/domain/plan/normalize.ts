// From the document as written to the plan workflows receive: defaults applied, overrides merged,
// vaults resolved, so that no consumer re-derives them (and none can derive them differently).
// Call only on a document that passed validation. Pure.

import {
  DEFAULT_POLICY,
  DEFAULT_PROVIDER_NAME,
  DEFAULT_STORAGE_SKU,
  DEFAULT_TARGET,
  DERIVED_VAULT_SUFFIX,
} from './constants';
import { durationSeconds } from './recovery-plan-rules';
import type {
  NetworkDocument,
  NetworkPlan,
  NicDocument,
  Plan,
  PlanDocument,
  PolicyDocument,
  ProviderPlan,
  ReplicationPolicy,
  TargetDocument,
  TargetOptions,
  TenantDocument,
  TenantPlan,
  VaultRef,
  VmDocument,
  VmmPlacement,
  VmSelection,
  VmTarget,
} from './types';

export function mergePolicy(base: ReplicationPolicy, override: PolicyDocument | undefined): ReplicationPolicy {
  return {
    replicationInterval: override?.replicationInterval ?? base.replicationInterval,
    recoveryPointHistoryHours: override?.recoveryPointHistoryHours ?? base.recoveryPointHistoryHours,
    appConsistentFrequencyHours: override?.appConsistentFrequencyHours ?? base.appConsistentFrequencyHours,
    initialReplicationStart: override?.initialReplicationStart ?? base.initialReplicationStart,
  };
}

function mergeTarget(base: TargetOptions, override: TargetDocument | undefined): TargetOptions {
  const vmSize = override?.vmSize ?? base.vmSize;
  const licenseType = override?.licenseType ?? base.licenseType;
  const sqlServerLicenseType = override?.sqlServerLicenseType ?? base.sqlServerLicenseType;
  const tags = mergeTags(base.tags, override?.tags);
  return {
    managedDisks: override?.managedDisks ?? base.managedDisks,
    ...(vmSize !== undefined ? { vmSize } : {}),
    ...(licenseType !== undefined ? { licenseType } : {}),
    ...(sqlServerLicenseType !== undefined ? { sqlServerLicenseType } : {}),
    ...(tags ? { tags } : {}),
  };
}

function mergeTags(
  base: Record<string, string> | undefined,
  own: Record<string, string> | undefined,
): Record<string, string> | undefined {
  return base || own ? { ...base, ...own } : undefined;
}

/**
 * One listed VM as it comes up in Azure: its own settings over the tenant's defaults. Settings
 * the plan does not mention stay absent, so a plan without them yields today's shape.
 */
/**
 * One listed VM with the tenant's defaults merged in. `primaryVnet` is `network.vnet`: a VM in
 * it carries no `vnet`, as before the tenant could have several; `defaultSubnetOf` gives the
 * first subnet of a VNet by name.
 */
export function vmTarget(
  vm: VmDocument,
  target: TargetOptions,
  primaryVnet: string,
  defaultSubnetOf: (vnet: string) => string,
): VmTarget {
  const vmSize = vm.vmSize ?? target.vmSize;
  const vnet = vm.vnet !== undefined && vm.vnet.toLowerCase() !== primaryVnet.toLowerCase() ? vm.vnet : undefined;
  const subnet = vm.subnet ?? vm.nics?.[0]?.subnet ?? defaultSubnetOf(vnet ?? primaryVnet);
  const licenseType = vm.licenseType ?? target.licenseType;
  const sqlServerLicenseType = vm.sqlServerLicenseType ?? target.sqlServerLicenseType;
  const tags = mergeTags(target.tags, vm.tags);
  const testIp = (n: NicDocument) => n.testIp ?? n.ip;
  return {
    name: vm.name,
    subnet,
    ...(vmSize !== undefined ? { vmSize } : {}),
    ...(vm.azureName !== undefined ? { azureName: vm.azureName } : {}),
    ...(vnet !== undefined ? { vnet } : {}),
    ...(vm.nics
      ? {
          nics: vm.nics.map((n) => ({
            subnet: n.subnet ?? subnet,
            ...(n.ip !== undefined ? { ip: n.ip } : {}),
            ...(testIp(n) !== undefined ? { testIp: testIp(n) } : {}),
          })),
        }
      : {}),
    ...(licenseType !== undefined ? { licenseType } : {}),
    ...(sqlServerLicenseType !== undefined ? { sqlServerLicenseType } : {}),
    ...(vm.disks
      ? { disks: { exclude: vm.disks.exclude ?? [], ...(vm.disks.os !== undefined ? { os: vm.disks.os } : {}) } }
      : {}),
    ...(vm.zone !== undefined ? { zone: vm.zone } : {}),
    ...(vm.availabilitySet !== undefined ? { availabilitySet: vm.availabilitySet } : {}),
    ...(tags ? { tags } : {}),
  };
}

function vmmPlacement(server: string, cloud: string | string[], vmNetwork: string | string[]): VmmPlacement {
  const clouds = typeof cloud === 'string' ? [cloud] : cloud;
  const vmNetworks = typeof vmNetwork === 'string' ? [vmNetwork] : vmNetwork;
  return {
    server,
    cloud: clouds[0] ?? '',
    vmNetwork: vmNetworks[0] ?? '',
    ...(clouds.length > 1 ? { clouds: [...clouds] } : {}),
    ...(vmNetworks.length > 1 ? { vmNetworks: [...vmNetworks] } : {}),
  };
}

export function derivedVaultName(tenantKey: string): string {
  return `${tenantKey}${DERIVED_VAULT_SUFFIX}`;
}

export function normalizePlan(doc: PlanDocument): Plan {
  const policy = mergePolicy({ ...DEFAULT_POLICY }, doc.policy);
  const target = mergeTarget({ ...DEFAULT_TARGET }, doc.target);

  if (doc.scenario === 'multitenant-vmm') {
    if (!doc.provider) throw new Error('normalizePlan: multitenant-vmm plan without provider (validate first)');
    const provider: ProviderPlan = { ...doc.provider, name: doc.provider.name ?? DEFAULT_PROVIDER_NAME };
    const vault: VaultRef = {
      name: provider.vault,
      subscriptionId: provider.subscriptionId,
      resourceGroup: provider.resourceGroup,
      region: provider.region,
      tenantId: provider.tenantId,
      credential: provider.credential,
      shared: true,
    };
    const tenants = doc.tenants.map((t) => normalizeTenant(t, policy, target, vault, provider.vmmServer));
    return { version: 1, scenario: 'multitenant-vmm', provider, policy, target, tenants };
  }

  const tenants = doc.tenants.map((t) =>
    normalizeTenant(
      t,
      policy,
      target,
      {
        name: t.vault ?? derivedVaultName(t.name),
        subscriptionId: t.subscriptionId,
        resourceGroup: t.resourceGroup,
        region: t.region,
        tenantId: t.tenantId,
        credential: t.credential,
        shared: false,
      },
      requireServer(t),
    ),
  );
  return { version: 1, scenario: 'dedicated-vmm', policy, target, tenants };
}

function requireServer(t: TenantDocument): string {
  if (t.vmm.server === undefined)
    throw new Error(`normalizePlan: dedicated-vmm tenant ${t.name} without vmm.server (validate first)`);
  return t.vmm.server;
}

function normalizeTenant(
  t: TenantDocument,
  planPolicy: ReplicationPolicy,
  planTarget: TargetOptions,
  vault: VaultRef,
  vmmServer: string,
): TenantPlan {
  const target = mergeTarget(planTarget, t.target);
  const defaultSubnet = t.network.subnets[0]?.name ?? '';
  const defaultSubnetOf = (vnet: string): string =>
    [t.network, ...(t.networks ?? [])].find((n) => n.vnet.toLowerCase() === vnet.toLowerCase())?.subnets[0]?.name ??
    defaultSubnet;
  let vms: VmSelection;
  if (t.vms.include === 'all') {
    vms = {
      include: 'all',
      exclude: t.vms.exclude ?? [],
      subnet: defaultSubnet,
      ...(target.vmSize !== undefined ? { vmSize: target.vmSize } : {}),
    };
  } else {
    vms = {
      include: t.vms.include.map((item) =>
        vmTarget(typeof item === 'string' ? { name: item } : item, target, t.network.vnet, defaultSubnetOf),
      ),
    };
  }
  return {
    name: t.name,
    tenantId: t.tenantId,
    subscriptionId: t.subscriptionId,
    credential: t.credential,
    region: t.region,
    resourceGroup: t.resourceGroup,
    vault,
    storageAccount: { name: t.storageAccount.name, sku: t.storageAccount.sku ?? DEFAULT_STORAGE_SKU },
    network: networkPlan(t.network),
    ...(t.networks && t.networks.length > 0
      ? {
          networks: t.networks.map((n) => ({
            ...networkPlan(n),
            vmNetworks: typeof n.vmNetwork === 'string' ? [n.vmNetwork] : [...n.vmNetwork],
          })),
        }
      : {}),
    vmm: vmmPlacement(vmmServer, t.vmm.cloud, t.vmm.vmNetwork),
    vms,
    ...(t.recoveryPlans
      ? {
          recoveryPlans: t.recoveryPlans.map((p) => ({
            name: p.name,
            ...(p.rto !== undefined ? { rtoSeconds: durationSeconds(p.rto) } : {}),
            ...(p.rpo !== undefined ? { rpoSeconds: durationSeconds(p.rpo) } : {}),
            groups: p.groups.map((g) => ({
              vms: [...g.vms],
              ...(g.before !== undefined ? { before: g.before } : {}),
              ...(g.after !== undefined ? { after: g.after } : {}),
            })),
          })),
        }
      : {}),
    policy: mergePolicy(planPolicy, t.policy),
    target,
  };
}

function networkPlan(n: NetworkDocument): NetworkPlan {
  return {
    vnet: n.vnet,
    ...(n.resourceGroup !== undefined ? { resourceGroup: n.resourceGroup } : {}),
    ...(n.existing ? { existing: true } : {}),
    addressSpace: n.addressSpace,
    subnets: n.subnets,
    testFailoverVnet: {
      name: n.testFailoverVnet.name,
      addressSpace: n.testFailoverVnet.addressSpace ?? n.addressSpace,
      subnets: n.testFailoverVnet.subnets ?? n.subnets,
    },
  };
}

/** Counts for summaries: explicit VMs, and tenants that protect all VMs of their cloud. */
export function countVms(plan: Plan): { vms: number; allVmTenants: number } {
  let vms = 0;
  let allVmTenants = 0;
  for (const t of plan.tenants) {
    if (t.vms.include === 'all') allVmTenants++;
    else vms += t.vms.include.length;
  }
  return { vms, allVmTenants };
}
