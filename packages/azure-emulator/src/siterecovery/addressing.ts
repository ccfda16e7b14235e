import type { EmulatorCore } from '../core';
import type { EstateVm } from '../estate/types';
import type { AzureVmNicRec, ProtectedItemRec, SubnetRec, VaultRec, VnetRec } from '../state/world';
import { lower } from '../util/ids';
import { azureReserved, firstFree, formatIpv4, inPrefix, parseIpv4, parsePrefix } from '../util/ipv4';
import { findVnet } from './checks';
import { itemNics, type ItemNic } from './views';

// Who holds which private address of an Azure network: the NICs of the Azure VMs failovers
// created, and the static addresses protected items of a vault keep for the VMs their
// failover and test failover will create. A static address must be free of both; a dynamic
// one is the lowest address free of both, so a later failover still finds its static address.

export interface AddressClaim {
  /** Lowercase ARM id of the virtual network. */
  network: string;
  ip: number;
  /** Who holds it, for error messages. */
  holder: string;
  /** For claims of a protected item: which of its NICs and settings. */
  nicId?: string;
  kind?: 'recovery' | 'tfo';
}

export function itemsOfVault(vault: VaultRec): ProtectedItemRec[] {
  return Object.values(vault.asr.fabrics).flatMap((f) =>
    Object.values(f.containers).flatMap((c) => Object.values(c.items)),
  );
}

/** The static addresses one item keeps, given its target settings. */
export function itemClaims(item: ProtectedItemRec, target = item.target): AddressClaim[] {
  const holder = `the replicated item '${item.vmName}'`;
  const out: AddressClaim[] = [];
  const add = (networkId: string | undefined, ip: string | undefined, nicId: string, kind: 'recovery' | 'tfo') => {
    const n = ip === undefined ? undefined : parseIpv4(ip);
    if (networkId && n !== undefined) out.push({ network: lower(networkId), ip: n, holder, nicId, kind });
  };
  for (const nic of target.nics ?? []) {
    add(target.networkId, nic.recoveryStaticIp, nic.nicId, 'recovery');
    add(target.tfoNetworkId, nic.tfoStaticIp, nic.nicId, 'tfo');
  }
  return out;
}

/** Static addresses the other items of the vault keep. */
export function otherItemsClaims(vault: VaultRec, except: ProtectedItemRec): AddressClaim[] {
  return itemsOfVault(vault)
    .filter((i) => i !== except)
    .flatMap((i) => itemClaims(i));
}

/** Addresses held by the NICs of the emulated Azure VMs. */
export function azureVmClaims(core: EmulatorCore): AddressClaim[] {
  return Object.values(core.world.azureVms).flatMap((vm) =>
    vm.nics.flatMap((nic) => {
      const ip = parseIpv4(nic.privateIp);
      return ip === undefined ? [] : [{ network: lower(nic.networkId), ip, holder: `the Azure VM '${vm.name}'` }];
    }),
  );
}

export function subnetOf(vnet: VnetRec, name: string | undefined): SubnetRec | undefined {
  return name === undefined ? undefined : vnet.subnets.find((x) => lower(x.name) === lower(name));
}

function addressesIn(claims: AddressClaim[], networkId: string): Set<number> {
  return new Set(claims.filter((c) => c.network === lower(networkId)).map((c) => c.ip));
}

/** What a NIC of the failed-over VM asks for: a subnet and maybe a static address. */
interface NicWish {
  nic: ItemNic;
  subnet: string | undefined;
  staticIp: string | undefined;
}

function wishOf(item: ProtectedItemRec, nic: ItemNic, useTfoSettings: boolean, test: boolean): NicWish {
  const recoverySubnet = nic.settings.recoverySubnetName ?? item.target.subnetName;
  if (!test) return { nic, subnet: recoverySubnet, staticIp: nic.settings.recoveryStaticIp };
  // The test failover settings are for the test network chosen by update; another network
  // gets the recovery subnet's name when it has one, and addresses from its DHCP.
  return useTfoSettings
    ? { nic, subnet: nic.settings.tfoSubnetName ?? recoverySubnet, staticIp: nic.settings.tfoStaticIp }
    : { nic, subnet: recoverySubnet, staticIp: undefined };
}

/**
 * The NICs of the VM a (test) failover creates in `networkId`: one per NIC selected for
 * failover, in its chosen subnet (the network's first one if that does not exist), with its
 * static address when that is still free — Azure then keeps it — else the next free one.
 */
export function failoverNics(
  core: EmulatorCore,
  vault: VaultRec,
  item: ProtectedItemRec,
  vm: EstateVm | undefined,
  target: { vmName: string; networkId: string; test: boolean },
): AzureVmNicRec[] {
  const vnet = findVnet(core, target.networkId);
  if (!vnet) return [];
  const vmmName = core.vmmServer(item.vmmServer)?.name ?? item.vmmServer;
  const useTfo = target.test && lower(item.target.tfoNetworkId ?? '') === lower(target.networkId);
  const held = addressesIn(azureVmClaims(core), target.networkId);
  const kept = addressesIn([...otherItemsClaims(vault, item), ...itemClaims(item)], target.networkId);
  const out: AzureVmNicRec[] = [];
  for (const nic of itemNics(vmmName, item, vm).filter((n) => n.selectionType !== 'NotSelected')) {
    const wish = wishOf(item, nic, useTfo, target.test);
    const subnet = subnetOf(vnet, wish.subnet) ?? vnet.subnets[0];
    const prefix = subnet ? parsePrefix(subnet.addressPrefix) : undefined;
    if (!subnet || !prefix) continue;
    const wanted = wish.staticIp === undefined ? undefined : parseIpv4(wish.staticIp);
    const keepStatic =
      wanted !== undefined && inPrefix(wanted, prefix) && !azureReserved(wanted, prefix) && !held.has(wanted);
    const ip = keepStatic ? wanted : firstFree(prefix, new Set([...held, ...kept]));
    if (ip === undefined) continue;
    held.add(ip);
    out.push({
      name: `${target.vmName}-nic-${nic.index}`,
      networkId: target.networkId,
      subnet: subnet.name,
      privateIp: formatIpv4(ip),
      allocation: keepStatic ? 'Static' : 'Dynamic',
    });
  }
  return out;
}
