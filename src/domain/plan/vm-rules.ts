// Rules for one listed VM's settings: its names on both sides, its NICs' subnets and static IPs,
// disks, placement and tags. Rules that need the VM's real disks and NICs run at onboarding,
// once Site Recovery has discovered the VM. Pure.

import { AZURE_VM_NAME, azureNameFor, vmmNameProblem } from '../vm-names';
import { contains, parseCidr, type Cidr } from './cidr';
import { matches, TAG_LIMITS } from './constants';
import { type Findings, formatPath, q, type Check } from './findings';
import type { Loose, NetworkDocument, PathSegment, VmDocument } from './types';

type LooseVm = Loose<VmDocument>;
type LooseNetwork = Loose<NetworkDocument>;

export const checkVmmVmName: Check = (name) => {
  const problem = vmmNameProblem(name);
  return problem ? { message: problem, fix: "give the VM's name exactly as VMM shows it" } : undefined;
};

/** A VM's name in Azure, as given by `azureName`. */
export const checkAzureVmName: Check = (name) => {
  if (AZURE_VM_NAME.test(name)) return undefined;
  const suggestion = azureNameFor(name);
  return {
    message: `name in Azure must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit: got ${q(name)}`,
    fix: suggestion ? `use e.g. ${q(suggestion)}` : "use e.g. 'vm01'",
  };
};

/** A VMM name that cannot be the Azure VM's name needs `azureName`; the fix names one. */
function needsAzureName(name: string, written: 'string' | 'mapping'): { message: string; fix: string } {
  const suggestion = azureNameFor(name) || 'vm01';
  return {
    message: `VM ${q(name)} cannot keep its name in Azure (1–63 letters, digits and hyphens, starting and ending with a letter or digit)`,
    fix:
      written === 'mapping'
        ? `add azureName: ${suggestion}`
        : `write it as { name: ${JSON.stringify(name)}, azureName: ${suggestion} }`,
  };
}

export function checkTags(
  f: Findings,
  path: PathSegment[],
  tags: Record<string, string | undefined> | undefined,
): void {
  if (!tags) return;
  const names = Object.keys(tags);
  if (names.length > TAG_LIMITS.count)
    f.add(path, {
      message: `${names.length} tags: Azure allows at most ${TAG_LIMITS.count} on a resource`,
      fix: `keep at most ${TAG_LIMITS.count}`,
    });
  for (const name of names) {
    if (name.length === 0 || name.length > TAG_LIMITS.nameLength || TAG_LIMITS.nameForbidden.test(name))
      f.add([...path, name], {
        message: `tag name ${q(name)} is not allowed in Azure: 1–${TAG_LIMITS.nameLength} characters, none of < > % & \\ ? /`,
        fix: 'rename the tag',
      });
  }
}

/** An IPv4 address as a number, or undefined when the text is not one. */
function parseIp(text: string): number | undefined {
  if (!matches('ipv4', text)) return undefined;
  const octets = text.split('.').map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function formatIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Why a static IP cannot be used in a subnet, or undefined. Azure keeps five addresses of every
 * subnet: the network address, .1 (gateway), .2 and .3 (DNS), and the last (broadcast).
 */
function ipProblem(ip: number, subnet: { name: string; cidr: Cidr; text: string }): string | undefined {
  if (!contains(subnet.cidr, { base: ip, bits: 32, size: 1 }))
    return `${formatIp(ip)} is outside subnet ${q(subnet.name)} (${subnet.text})`;
  const offset = ip - subnet.cidr.base;
  if (offset < 4 || offset === subnet.cidr.size - 1)
    return `${formatIp(ip)} is one of the five addresses Azure reserves in subnet ${q(subnet.name)} (${subnet.text}): the first four and the last`;
  return undefined;
}

interface SubnetInfo {
  name: string;
  cidr: Cidr;
  text: string;
}

function subnetsOf(list: Array<Loose<{ name: string; prefix: string }> | undefined> | undefined): SubnetInfo[] {
  const out: SubnetInfo[] = [];
  for (const s of list ?? []) {
    const cidr = s?.prefix !== undefined ? parseCidr(s.prefix) : undefined;
    if (s?.name !== undefined && s.prefix !== undefined && cidr) out.push({ name: s.name, cidr, text: s.prefix });
  }
  return out;
}

/** One VNet's production and test failover subnets, by name, and where the plan writes it. */
export interface TenantSubnets {
  names: string[] | undefined;
  production: Map<string, SubnetInfo>;
  test: Map<string, SubnetInfo>;
  /** `network` or `networks[i]`, for fixes. */
  where: string;
}

export function tenantSubnets(
  network: LooseNetwork | undefined,
  names: string[] | undefined,
  where: string,
): TenantSubnets {
  const production = subnetsOf(network?.subnets);
  const test = network?.testFailoverVnet?.subnets ? subnetsOf(network.testFailoverVnet.subnets) : production;
  return {
    names,
    production: new Map(production.map((s) => [s.name, s])),
    test: new Map(test.map((s) => [s.name, s])),
    where,
  };
}

/** One entry of `vms.include`: its names, and the settings of a mapping. */
export function checkVmEntry(
  f: Findings,
  at: PathSegment[],
  item: string | LooseVm,
  subnets: TenantSubnets,
  reportName: boolean,
): void {
  const vm: LooseVm = typeof item === 'string' ? { name: item } : item;
  const namePath = typeof item === 'string' ? at : [...at, 'name'];
  const name = vm.name;
  if (name !== undefined && reportName) {
    const problem = checkVmmVmName(name);
    if (problem) f.add(namePath, problem);
    else if (vm.azureName === undefined && !AZURE_VM_NAME.test(name))
      f.add(namePath, needsAzureName(name, typeof item === 'string' ? 'string' : 'mapping'));
  }
  if (typeof item === 'string') return;
  f.check([...at, 'azureName'], vm.azureName, checkAzureVmName);
  const vnetLabel = subnets.where === 'network' ? "tenant's" : `VNet's (${subnets.where})`;
  const subnetProblem = (subnet: string) =>
    subnets.names !== undefined && !subnets.names.includes(subnet)
      ? {
          message: `subnet ${q(subnet)} is not one of the ${vnetLabel} subnets (${[...new Set(subnets.names)].join(', ')})`,
          fix:
            subnets.names.length > 0
              ? `use ${[...new Set(subnets.names)].map(q).join(' or ')}, or add the subnet to ${subnets.where}.subnets`
              : `add the subnet to ${subnets.where}.subnets`,
        }
      : undefined;
  f.check([...at, 'subnet'], vm.subnet, subnetProblem);
  const firstNicSubnet = vm.nics?.[0]?.subnet;
  if (vm.subnet !== undefined && firstNicSubnet !== undefined && firstNicSubnet !== vm.subnet)
    f.add([...at, 'nics', 0, 'subnet'], {
      message: `the first NIC's subnet ${q(firstNicSubnet)} differs from the VM's subnet ${q(vm.subnet)}`,
      fix: 'give the subnet once: in subnet: or in the first NIC',
    });
  const vmSubnet = vm.subnet ?? firstNicSubnet ?? [...subnets.production.keys()][0];
  vm.nics?.forEach((nic, i) => {
    if (!nic) return;
    const nicAt = [...at, 'nics', i];
    f.check([...nicAt, 'subnet'], nic.subnet, subnetProblem);
    const subnet = nic.subnet ?? vmSubnet;
    for (const [key, where] of [
      ['ip', subnets.production],
      ['testIp', subnets.test],
    ] as const) {
      const text = nic[key];
      if (text === undefined) continue;
      const ip = parseIp(text);
      if (ip === undefined) {
        f.add([...nicAt, key], {
          message: `${q(text)} is not an IPv4 address`,
          fix: 'write it as four numbers 0–255, e.g. 10.10.1.10',
        });
        continue;
      }
      const info = subnet !== undefined ? where.get(subnet) : undefined;
      if (!info) {
        if (key === 'testIp' && subnet !== undefined && subnets.production.has(subnet))
          f.add([...nicAt, key], {
            message: `the test failover network has no subnet ${q(subnet)} for this address`,
            fix: `add a subnet ${q(subnet)} to ${subnets.where}.testFailoverVnet.subnets`,
          });
        continue;
      }
      const problem = ipProblem(ip, info);
      if (problem) {
        const first = formatIp(info.cidr.base + 4);
        f.add([...nicAt, key], { message: problem, fix: `use an address from ${first} up in ${info.text}` });
      }
    }
  });
  if (vm.zone !== undefined && vm.availabilitySet !== undefined)
    f.add([...at, 'availabilitySet'], {
      message: 'a VM is placed in an availability zone or in an availability set, not both',
      fix: 'remove zone: or availabilitySet:',
    });
  const excluded = vm.disks?.exclude ?? [];
  const seen = new Set<string>();
  excluded.forEach((disk, i) => {
    if (disk === undefined) return;
    if (seen.has(disk.toLowerCase()))
      f.add([...at, 'disks', 'exclude', i], {
        message: `disk ${q(disk)} is excluded twice`,
        fix: 'list each disk once',
      });
    seen.add(disk.toLowerCase());
  });
  const os = vm.disks?.os;
  if (os !== undefined && seen.has(os.toLowerCase()))
    f.add([...at, 'disks', 'os'], {
      message: `the OS disk ${q(os)} is excluded: a VM cannot fail over without the disk it boots from`,
      fix: `remove ${q(os)} from disks.exclude`,
    });
  checkTags(f, [...at, 'tags'], vm.tags);
}

/** Across a tenant's listed VMs: names in Azure and static IPs, each used once. */
export function checkVmAddresses(f: Findings, path: PathSegment[], include: Array<string | LooseVm | undefined>): void {
  const names = new Map<string, number>();
  const ips = { ip: new Map<string, string>(), testIp: new Map<string, string>() };
  include.forEach((item, i) => {
    if (item === undefined) return;
    const vm: LooseVm = typeof item === 'string' ? { name: item } : item;
    const azureName = vm.azureName ?? vm.name;
    if (azureName !== undefined && AZURE_VM_NAME.test(azureName)) {
      const first = names.get(azureName.toLowerCase());
      if (first !== undefined && vm.azureName !== undefined)
        f.add([...path, i, 'azureName'], {
          message: `name in Azure ${q(azureName)} is also the name of ${formatPath([...path, first])}: Azure VM names are unique in the resource group`,
          fix: 'give each VM its own name in Azure',
        });
      if (first === undefined) names.set(azureName.toLowerCase(), i);
    }
    vm.nics?.forEach((nic, n) => {
      for (const key of ['ip', 'testIp'] as const) {
        // A NIC's test address defaults to its production address: both networks hold it once.
        const text = nic?.[key] ?? (key === 'testIp' ? nic?.ip : undefined);
        if (text === undefined || parseIp(text) === undefined) continue;
        const where = formatPath([...path, i, 'nics', n, key]);
        const first = ips[key].get(text);
        if (first !== undefined && nic?.[key] !== undefined)
          f.add([...path, i, 'nics', n, key], {
            message: `${text} is also the ${key === 'ip' ? 'failover' : 'test failover'} address of ${first}`,
            fix: 'give each NIC its own address',
          });
        if (first === undefined) ips[key].set(text, where);
      }
    });
  });
}
