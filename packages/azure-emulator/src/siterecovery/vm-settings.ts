import { asrError } from '../arm/errors';
import type { EmulatorCore } from '../core';
import type { EstateVm } from '../estate/types';
import { obj, str } from '../resources/common';
import type { NicTargetRec, ProtectedItemRec, VaultRec } from '../state/world';
import { lower, parseArmId } from '../util/ids';
import { azureReserved, formatIpv4, inPrefix, parseIpv4, parsePrefix } from '../util/ipv4';
import { azureVmClaims, itemClaims, itemsOfVault, otherItemsClaims, subnetOf, type AddressClaim } from './addressing';
import { instanceTypeOf, requireResourceGroupId, requireVnet } from './checks';
import { osDiskOf } from './readiness';
import { requireTargetSize, vmShape } from './target-size';
import { nicIdOf, vhdIdOf } from './views';

// The target settings of a protected VM — what its failover creates in Azure — as the
// enable-protection input and updates give them, checked by the rules Site Recovery and
// Azure apply before accepting them.

type Target = ProtectedItemRec['target'];

export const VM_TARGET_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// The values of the specification's LicenseType and SqlServerLicenseType enums.
const LICENSE_TYPES = ['NotSpecified', 'NoLicenseType', 'WindowsServer'];
const SQL_LICENSE_TYPES = ['NotSpecified', 'NoLicenseType', 'PAYG', 'AHUB'];
const NIC_SELECTION = ['NotSelected', 'SelectedByUser', 'SelectedByDefault', 'SelectedByUserOverride'];
// The emulated region (westeurope) has three availability zones; Azure allows 50 tags per resource.
const ZONES = ['1', '2', '3'];
const MAX_TAGS = 50;

export function requireTargetVmName(name: string, field: string): void {
  if (!VM_TARGET_NAME.test(name))
    throw asrError(
      400,
      'InvalidTargetVmName',
      `The target VM name '${name}' is not valid in Azure.`,
      'The name must be 1 to 63 letters, digits and hyphens, starting and ending with a letter or digit.',
      `Pass a valid ${field}.`,
    );
}

/** Azure needs a VM name unique in its resource group: two items may not fail over to the same VM. */
export function requireUniqueTargetName(
  vault: VaultRec,
  name: string,
  resourceGroupId: string | undefined,
  except?: ProtectedItemRec,
): void {
  const other = itemsOfVault(vault).find(
    (i) =>
      i !== except &&
      lower(i.target.vmName) === lower(name) &&
      lower(i.target.resourceGroupId ?? '') === lower(resourceGroupId ?? ''),
  );
  if (other)
    throw asrError(
      400,
      'TargetVmNameInUse',
      `The target VM name '${name}' is already used by the replicated item '${other.vmName}' in the target resource group '${resourceGroupId ?? ''}'.`,
      'A virtual machine name must be unique within its resource group, and another replicated item fails over under this name.',
      'Choose another target VM name, or another target resource group.',
    );
}

function requireOneOf(value: string, allowed: string[], field: string, code: string): void {
  if (!allowed.includes(value))
    throw asrError(
      400,
      code,
      `'${value}' is not a valid ${field}.`,
      `${field} is one of: ${allowed.join(', ')}.`,
      `Pass one of: ${allowed.join(', ')}.`,
    );
}

function requireZone(zone: string, field: string): void {
  if (!ZONES.includes(zone))
    throw asrError(
      400,
      'InvalidAvailabilityZone',
      `The availability zone '${zone}' given in ${field} does not exist in the target region.`,
      `The region has the availability zones ${ZONES.join(', ')}.`,
      `Pass one of: ${ZONES.join(', ')}.`,
    );
}

function requireAvailabilitySetId(id: string, field: string): void {
  const p = parseArmId(id);
  const last = p?.segments[p.segments.length - 1];
  if (
    !p?.resourceGroup ||
    lower(p.provider ?? '') !== 'microsoft.compute' ||
    lower(last?.type ?? '') !== 'availabilitysets'
  )
    throw asrError(
      400,
      'InvalidAvailabilitySetId',
      `'${id}' given in ${field} is not the ARM id of an availability set.`,
      'The id does not name a Microsoft.Compute/availabilitySets resource.',
      'Pass /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/availabilitySets/{name}.',
    );
}

/** A VM is either in an availability set or in an availability zone: Azure refuses both. */
function requireZoneOrSet(t: Target): void {
  if (t.availabilityZone && t.availabilitySetId)
    throw asrError(
      400,
      'AvailabilityZoneAndSetConflict',
      `The target VM '${t.vmName}' cannot be placed both in availability zone '${t.availabilityZone}' and in the availability set '${t.availabilitySetId}'.`,
      'An Azure virtual machine is placed either in an availability set or in an availability zone.',
      'Give a target availability zone or a target availability set, not both.',
    );
}

function tagsInput(v: unknown, field: string): Record<string, string> {
  const o = obj(v);
  const entries = Object.entries(o ?? {});
  if (!o || entries.length > MAX_TAGS || entries.some(([, x]) => typeof x !== 'string'))
    throw asrError(
      400,
      'InvalidTargetVmTags',
      `${field} must be an object of at most ${MAX_TAGS} tags with string values.`,
      'The tags are not a name-to-text map, or there are too many.',
      `Pass at most ${MAX_TAGS} tags, each a string value.`,
    );
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The VHD ids of disksToInclude and disksToIncludeForManagedDisks; undefined when neither lists any (all disks replicate). */
function requestedDisks(psd: Record<string, unknown>): string[] | undefined {
  const plain = Array.isArray(psd['disksToInclude']) ? psd['disksToInclude'].map((x) => str(x) ?? '') : [];
  const managed = Array.isArray(psd['disksToIncludeForManagedDisks'])
    ? psd['disksToIncludeForManagedDisks'].map((x) => str(obj(x)?.['diskId']) ?? '')
    : [];
  const all = [...plain, ...managed];
  return all.length > 0 ? [...new Set(all)] : undefined;
}

/** The disks to replicate: each must be a disk of the VM, and the OS disk must be among them. */
function includedDisks(vmmName: string, vm: EstateVm, psd: Record<string, unknown>): string[] | undefined {
  const requested = requestedDisks(psd);
  if (!requested) return undefined;
  const idOf = (name: string) => vhdIdOf(vmmName, vm.cloud, vm.name, name);
  const known = new Map(vm.disks.map((d) => [lower(idOf(d.name)), idOf(d.name)]));
  const unknown = requested.find((id) => !known.has(lower(id)));
  if (unknown !== undefined)
    throw asrError(
      400,
      'DiskNotFound',
      `The disk '${unknown}' given to include is not a disk of the virtual machine '${vm.name}'.`,
      "The VHD id does not name one of the VM's disks.",
      'Pass vhdId values from diskDetails of the protectable item.',
    );
  const osDisk = osDiskOf(vm);
  const osId = osDisk ? idOf(osDisk.name) : undefined;
  if (osId && !requested.some((id) => lower(id) === lower(osId)))
    throw asrError(
      400,
      'OsDiskNotIncluded',
      `The operating system disk '${osDisk?.name ?? ''}' of '${vm.name}' is not among the disks to include.`,
      'The OS disk must always be replicated; only data disks can be excluded.',
      `Include the OS disk (vhdId ${osId}).`,
    );
  // Stored as the VM's own ids (in its disk order), whatever casing the request used.
  return vm.disks.map((d) => idOf(d.name)).filter((id) => requested.some((r) => lower(r) === lower(id)));
}

/** The target settings of the enable-protection input beside storage and network: compute, licensing, placement, disks. */
export function enableSettings(
  vault: VaultRec,
  vmmName: string,
  vm: EstateVm,
  psd: Record<string, unknown>,
  target: { vmName: string; resourceGroupId: string | undefined },
): Partial<Target> {
  const license = str(psd['licenseType']);
  if (license) requireOneOf(license, LICENSE_TYPES, 'licenseType', 'InvalidLicenseType');
  const sql = str(psd['sqlServerLicenseType']);
  if (sql) requireOneOf(sql, SQL_LICENSE_TYPES, 'sqlServerLicenseType', 'InvalidLicenseType');
  const zone = str(psd['targetAvailabilityZone']);
  if (zone) requireZone(zone, 'targetAvailabilityZone');
  const set = str(psd['targetAvailabilitySetId']);
  if (set) requireAvailabilitySetId(set, 'targetAvailabilitySetId');
  const tags = psd['targetVmTags'] === undefined ? undefined : tagsInput(psd['targetVmTags'], 'targetVmTags');
  const disks = includedDisks(vmmName, vm, psd);
  const settings: Partial<Target> = {
    ...(license ? { licenseType: license } : {}),
    ...(sql ? { sqlServerLicenseType: sql } : {}),
    ...(zone ? { availabilityZone: zone } : {}),
    ...(set ? { availabilitySetId: set } : {}),
    ...(tags ? { vmTags: tags } : {}),
    ...(disks ? { disksToInclude: disks } : {}),
  };
  requireZoneOrSet({ vmName: target.vmName, ...settings });
  requireUniqueTargetName(vault, target.vmName, target.resourceGroupId);
  return settings;
}

/** Sets `key` from an optional input: absent leaves it, empty text clears it. */
function setOrClear<K extends keyof Target>(t: Target, key: K, value: Target[K] | undefined | ''): void {
  if (value === undefined) return;
  if (value === '') delete t[key];
  else t[key] = value;
}

function applyCompute(t: Target, p: Record<string, unknown>): void {
  const name = str(p['recoveryAzureVMName']);
  if (name !== undefined) {
    requireTargetVmName(name, 'recoveryAzureVMName');
    t.vmName = name;
  }
  setOrClear(t, 'vmSize', str(p['recoveryAzureVMSize']));
  const license = str(p['licenseType']);
  if (license) requireOneOf(license, LICENSE_TYPES, 'licenseType', 'InvalidLicenseType');
  setOrClear(t, 'licenseType', license);
  const set = str(p['recoveryAvailabilitySetId']);
  if (set) requireAvailabilitySetId(set, 'recoveryAvailabilitySetId');
  setOrClear(t, 'availabilitySetId', set);
  setOrClear(t, 'enableRdpOnTargetOption', str(p['enableRdpOnTargetOption']));
}

function applyProviderSpecific(core: EmulatorCore, t: Target, psd: Record<string, unknown> | undefined): void {
  if (!psd) return;
  if (instanceTypeOf(psd) !== 'HyperVReplicaAzure')
    throw asrError(
      400,
      'InvalidInstanceType',
      `providerSpecificDetails.instanceType '${instanceTypeOf(psd) ?? ''}' is not valid for a VM replicating from Hyper-V to Azure.`,
      'The provider specific input does not match the item.',
      "Use providerSpecificDetails.instanceType 'HyperVReplicaAzure'.",
    );
  const zone = str(psd['targetAvailabilityZone']);
  if (zone) requireZone(zone, 'targetAvailabilityZone');
  setOrClear(t, 'availabilityZone', zone);
  const sql = str(psd['sqlServerLicenseType']);
  if (sql) requireOneOf(sql, SQL_LICENSE_TYPES, 'sqlServerLicenseType', 'InvalidLicenseType');
  setOrClear(t, 'sqlServerLicenseType', sql);
  if (psd['targetVmTags'] !== undefined) t.vmTags = tagsInput(psd['targetVmTags'], 'targetVmTags');
  // The target resource group can move, not go: without one a failover has nowhere to create the VM.
  const rg = str(psd['recoveryAzureV2ResourceGroupId']);
  if (rg) {
    requireResourceGroupId(core, rg, 'recoveryAzureV2ResourceGroupId');
    t.resourceGroupId = rg;
  }
}

function applyNetworks(core: EmulatorCore, vault: VaultRec, t: Target, p: Record<string, unknown>): void {
  const recovery = str(p['selectedRecoveryAzureNetworkId']);
  if (recovery) {
    const vnet = requireVnet(core, vault, recovery, 'selectedRecoveryAzureNetworkId');
    // The subnet chosen at enable time belongs to the old network when the network changes.
    if (lower(recovery) !== lower(t.networkId ?? '') && !subnetOf(vnet, t.subnetName)) delete t.subnetName;
    t.networkId = recovery;
  }
  const tfo = str(p['selectedTfoAzureNetworkId']);
  if (tfo) requireVnet(core, vault, tfo, 'selectedTfoAzureNetworkId');
  setOrClear(t, 'tfoNetworkId', tfo);
}

/** One vmNics entry as the settings of its NIC: the entry replaces what an earlier update set for that NIC. */
function nicInput(raw: unknown, nicIds: string[], vmName: string): NicTargetRec {
  const o = obj(raw) ?? {};
  const given = str(o['nicId']) ?? '';
  const nicId = nicIds.find((id) => lower(id) === lower(given));
  if (!nicId)
    throw asrError(
      400,
      'NicNotFound',
      `The NIC '${given}' is not a network adapter of the replicated item '${vmName}'.`,
      'The nicId does not match any of the vmNics of the replicated item.',
      'Pass nicId values from providerSpecificDetails.vmNics of the replicated item.',
    );
  // Naming a NIC in an update selects it for failover unless the update says otherwise.
  const selectionType = str(o['selectionType']) ?? 'SelectedByUser';
  requireOneOf(selectionType, NIC_SELECTION, 'selectionType', 'InvalidInput');
  // A Hyper-V NIC fails over with one IP configuration: the primary one given, else the first.
  const configs = Array.isArray(o['ipConfigs']) ? o['ipConfigs'].map((c) => obj(c) ?? {}) : [];
  const ip = configs.find((c) => c['isPrimary'] === true) ?? configs[0] ?? {};
  const pick = (from: string, to: keyof NicTargetRec) => (str(ip[from]) ? { [to]: str(ip[from]) } : {});
  return {
    nicId,
    selectionType,
    ...pick('recoverySubnetName', 'recoverySubnetName'),
    ...pick('recoveryStaticIPAddress', 'recoveryStaticIp'),
    ...pick('tfoSubnetName', 'tfoSubnetName'),
    ...pick('tfoStaticIPAddress', 'tfoStaticIp'),
  };
}

function applyNics(t: Target, p: Record<string, unknown>, nicIds: string[], vmName: string): void {
  if (!Array.isArray(p['vmNics'])) return;
  const nics = [...(t.nics ?? [])];
  for (const raw of p['vmNics']) {
    const nic = nicInput(raw, nicIds, vmName);
    const at = nics.findIndex((n) => lower(n.nicId) === lower(nic.nicId));
    if (at >= 0) nics[at] = nic;
    else nics.push(nic);
  }
  t.nics = nics;
}

type Side = 'recovery' | 'tfo';

/** The subnet and static address one NIC asks for on one side, and the network they must be in. */
function sideOf(t: Target, nic: NicTargetRec, side: Side) {
  const recoverySubnet = nic.recoverySubnetName ?? t.subnetName;
  return side === 'recovery'
    ? {
        networkId: t.networkId,
        networkField: 'selectedRecoveryAzureNetworkId',
        explicitSubnet: nic.recoverySubnetName,
        subnet: recoverySubnet,
        ip: nic.recoveryStaticIp,
        ipField: 'recoveryStaticIPAddress',
      }
    : {
        networkId: t.tfoNetworkId,
        networkField: 'selectedTfoAzureNetworkId',
        explicitSubnet: nic.tfoSubnetName,
        subnet: nic.tfoSubnetName ?? recoverySubnet,
        ip: nic.tfoStaticIp,
        ipField: 'tfoStaticIPAddress',
      };
}

/**
 * A NIC's subnet must be a subnet of the network chosen for that side (recovery or test
 * failover), and a static address must be one Azure can give a VM in that subnet: inside its
 * prefix, and none of the five addresses Azure keeps.
 */
function requireSubnetAndAddress(core: EmulatorCore, vault: VaultRec, t: Target, nic: NicTargetRec, side: Side): void {
  const s = sideOf(t, nic, side);
  if (!s.explicitSubnet && !s.ip) return;
  if (!s.networkId)
    throw asrError(
      400,
      'NetworkNotSelected',
      `The NIC '${nic.nicId}' has a ${side === 'tfo' ? 'test failover' : 'recovery'} subnet or IP address, but no ${s.networkField} is set.`,
      'Subnets and addresses are chosen within the Azure network selected for the VM.',
      `Pass ${s.networkField} with the NIC settings.`,
    );
  const vnet = requireVnet(core, vault, s.networkId, s.networkField);
  const subnet = subnetOf(vnet, s.subnet);
  if (!subnet)
    throw asrError(
      400,
      'SubnetNotFound',
      `The subnet '${s.subnet ?? ''}' of the NIC '${nic.nicId}' is not a subnet of '${vnet.name}'.`,
      'The subnet does not exist in the selected network.',
      `Use one of: ${vnet.subnets.map((x) => x.name).join(', ')}.`,
    );
  if (!s.ip) return;
  const ip = parseIpv4(s.ip);
  const prefix = parsePrefix(subnet.addressPrefix);
  const problem =
    ip === undefined
      ? 'is not an IPv4 address'
      : !prefix || !inPrefix(ip, prefix)
        ? `is not in the subnet '${subnet.name}' (${subnet.addressPrefix})`
        : azureReserved(ip, prefix)
          ? `is one of the addresses Azure reserves in '${subnet.name}' (${subnet.addressPrefix}): the network address, the first three host addresses and the broadcast address`
          : undefined;
  if (problem)
    throw asrError(
      400,
      'InvalidStaticIPAddress',
      `The address '${s.ip}' given as ${s.ipField} of the NIC '${nic.nicId}' ${problem}.`,
      'A static private IP address must be an address of the chosen subnet that Azure can assign to a VM.',
      `Pass an address of ${subnet.addressPrefix} other than its first four and its last.`,
    );
}

/**
 * Addresses this update newly asks for must be free: not kept by another replicated item of
 * the vault, not held by an Azure VM's NIC, not asked twice by this VM's NICs for the same
 * kind of failover (its failover and test failover VMs never exist together). An address the
 * item already keeps is not checked again: it was free when it was chosen.
 */
function requireFreeAddresses(core: EmulatorCore, vault: VaultRec, item: ProtectedItemRec, t: Target): void {
  const before = itemClaims(item);
  const after = itemClaims(item, t);
  const same = (a: AddressClaim, b: AddressClaim) =>
    a.network === b.network && a.ip === b.ip && a.kind === b.kind && lower(a.nicId ?? '') === lower(b.nicId ?? '');
  const taken = [...otherItemsClaims(vault, item), ...azureVmClaims(core)];
  for (const c of after) {
    if (before.some((b) => same(b, c))) continue;
    const own = after.filter((o) => o.kind === c.kind && lower(o.nicId ?? '') !== lower(c.nicId ?? ''));
    const clash = [...taken, ...own].find((o) => o.network === c.network && o.ip === c.ip);
    if (clash)
      throw asrError(
        400,
        'StaticIPAddressInUse',
        `The address '${formatIpv4(c.ip)}' asked for the NIC '${c.nicId ?? ''}' is already used by ${clash.holder}.`,
        'A private IP address can belong to one network interface of a virtual network only.',
        'Choose a free address of the subnet, or leave the address dynamic.',
      );
  }
}

/**
 * The target after an update (the item itself is left unchanged): the given settings over
 * the current ones, checked as a whole, so an update that would leave the VM with settings
 * Azure refuses is refused.
 */
export function updatedTarget(
  core: EmulatorCore,
  vault: VaultRec,
  item: ProtectedItemRec,
  vm: EstateVm | undefined,
  vmmName: string,
  p: Record<string, unknown>,
): Target {
  const t = structuredClone(item.target);
  applyCompute(t, p);
  // A size chosen now must be one Azure offers that can host the VM; enable protection records any size.
  const size = str(p['recoveryAzureVMSize']);
  if (size) requireTargetSize(size, vmShape(vm, t));
  applyProviderSpecific(core, t, obj(p['providerSpecificDetails']));
  applyNetworks(core, vault, t, p);
  const nicIds = (vm?.networks ?? []).map((_, i) => nicIdOf(vmmName, item.cloud, item.vmName, i));
  applyNics(t, p, nicIds, item.vmName);
  requireZoneOrSet(t);
  const renamed =
    lower(t.vmName) !== lower(item.target.vmName) ||
    lower(t.resourceGroupId ?? '') !== lower(item.target.resourceGroupId ?? '');
  if (renamed) requireUniqueTargetName(vault, t.vmName, t.resourceGroupId, item);
  for (const nic of t.nics ?? []) {
    requireSubnetAndAddress(core, vault, t, nic, 'recovery');
    requireSubnetAndAddress(core, vault, t, nic, 'tfo');
  }
  requireFreeAddresses(core, vault, item, t);
  return t;
}
