// Per-VM target settings in the plan: each rule's one failing case (exact field, line, message
// and fix), and what a valid plan normalizes to.
import { describe, expect, it } from 'vitest';
import { MULTI, edit, lineOf, onlyError, read, validate } from './helpers';

const multi = read(MULTI);
/** northwind's two VMs, as mappings with settings. Its subnet is 10.20.0.0/24. */
const withVms = (vms: string) => edit(multi, ['include: [app01, app02]', `include:\n${vms}`]);

interface Case {
  rule: string;
  vms: string;
  field: string;
  at: string;
  message: string;
  fix: string;
}

const cases: Case[] = [
  {
    rule: 'name in Azure: Azure VM naming',
    vms: '        - { name: app01, azureName: app_01 }',
    field: 'tenants[1].vms.include[0].azureName',
    at: 'azureName: app_01',
    message:
      "name in Azure must be 1–63 letters, digits and hyphens, starting and ending with a letter or digit: got 'app_01'",
    fix: "use e.g. 'app-01'",
  },
  {
    rule: 'a VMM name Azure refuses needs a name in Azure (mapping)',
    vms: "        - { name: 'app.01 (legacy)', vmSize: Standard_D2s_v3 }",
    field: 'tenants[1].vms.include[0].name',
    at: 'app.01 (legacy)',
    message:
      "VM 'app.01 (legacy)' cannot keep its name in Azure (1–63 letters, digits and hyphens, starting and ending with a letter or digit)",
    fix: 'add azureName: app-01-legacy',
  },
  {
    rule: 'names in Azure are unique in the tenant',
    vms: '        - { name: app01 }\n        - { name: app.02, azureName: app01 }',
    field: 'tenants[1].vms.include[1].azureName',
    at: 'azureName: app01',
    message:
      "name in Azure 'app01' is also the name of tenants[1].vms.include[0]: Azure VM names are unique in the resource group",
    fix: 'give each VM its own name in Azure',
  },
  {
    rule: 'a static IP inside its subnet',
    vms: '        - { name: app01, nics: [{ ip: 10.21.0.10 }] }',
    field: 'tenants[1].vms.include[0].nics[0].ip',
    at: 'ip: 10.21.0.10',
    message: "10.21.0.10 is outside subnet 'Northwind-Subnet' (10.20.0.0/24)",
    fix: 'use an address from 10.20.0.4 up in 10.20.0.0/24',
  },
  {
    rule: "a static IP is not one of Azure's reserved addresses",
    vms: '        - { name: app01, nics: [{ ip: 10.20.0.3 }] }',
    field: 'tenants[1].vms.include[0].nics[0].ip',
    at: 'ip: 10.20.0.3',
    message:
      "10.20.0.3 is one of the five addresses Azure reserves in subnet 'Northwind-Subnet' (10.20.0.0/24): the first four and the last",
    fix: 'use an address from 10.20.0.4 up in 10.20.0.0/24',
  },
  {
    rule: 'the last address is reserved too',
    vms: '        - { name: app01, nics: [{ testIp: 10.20.0.255 }] }',
    field: 'tenants[1].vms.include[0].nics[0].testIp',
    at: 'testIp: 10.20.0.255',
    message:
      "10.20.0.255 is one of the five addresses Azure reserves in subnet 'Northwind-Subnet' (10.20.0.0/24): the first four and the last",
    fix: 'use an address from 10.20.0.4 up in 10.20.0.0/24',
  },
  {
    rule: 'an IP is an IPv4 address',
    vms: '        - { name: app01, nics: [{ ip: 10.20.0.300 }] }',
    field: 'tenants[1].vms.include[0].nics[0].ip',
    at: 'ip: 10.20.0.300',
    message: "'10.20.0.300' is not an IPv4 address",
    fix: 'write it as four numbers 0–255, e.g. 10.10.1.10',
  },
  {
    rule: 'no IP used twice',
    vms: '        - { name: app01, nics: [{ ip: 10.20.0.10 }] }\n        - { name: app02, nics: [{ ip: 10.20.0.10 }] }',
    field: 'tenants[1].vms.include[1].nics[0].ip',
    at: 'name: app02',
    message: '10.20.0.10 is also the failover address of tenants[1].vms.include[0].nics[0].ip',
    fix: 'give each NIC its own address',
  },
  {
    rule: "a NIC's subnet is the tenant's",
    vms: '        - { name: app01, nics: [{ subnet: Other }] }',
    field: 'tenants[1].vms.include[0].nics[0].subnet',
    at: 'subnet: Other',
    message: "subnet 'Other' is not one of the tenant's subnets (Northwind-Subnet)",
    fix: "use 'Northwind-Subnet', or add the subnet to network.subnets",
  },
  {
    rule: 'zone or availability set, not both',
    vms: "        - { name: app01, zone: '1', availabilitySet: app-avset }",
    field: 'tenants[1].vms.include[0].availabilitySet',
    at: 'availabilitySet: app-avset',
    message: 'a VM is placed in an availability zone or in an availability set, not both',
    fix: 'remove zone: or availabilitySet:',
  },
  {
    rule: 'the OS disk is never excluded',
    vms: '        - { name: app01, disks: { exclude: [app01-os.vhdx], os: app01-os.vhdx } }',
    field: 'tenants[1].vms.include[0].disks.os',
    at: 'os: app01-os.vhdx',
    message: "the OS disk 'app01-os.vhdx' is excluded: a VM cannot fail over without the disk it boots from",
    fix: "remove 'app01-os.vhdx' from disks.exclude",
  },
  {
    rule: 'tag names Azure allows',
    vms: "        - { name: app01, tags: { 'a/b': x } }",
    field: 'tenants[1].vms.include[0].tags.a/b',
    at: 'a/b',
    message: "tag name 'a/b' is not allowed in Azure: 1–512 characters, none of < > % & \\ ? /",
    fix: 'rename the tag',
  },
];

describe('per-VM settings: one failing case per rule', () => {
  it.each(cases)('$rule', ({ vms, field, at, message, fix }) => {
    const text = withVms(vms);
    const error = onlyError(validate(text));
    expect([error.field, error.message, error.fix]).toEqual([field, message, fix]);
    expect(error.line).toBe(lineOf(text, at));
  });

  it('a license type Site Recovery does not know is refused by the schema, with the values it takes', () => {
    const error = onlyError(validate(withVms('        - { name: app01, licenseType: BYOL }')));
    expect(error.field).toBe('tenants[1].vms.include[0].licenseType');
    expect(`${error.message} ${error.fix}`).toMatch(/NoLicenseType.*WindowsServer/);
  });
});

describe('per-VM settings: the plan workflows receive', () => {
  it('merges tenant defaults under the VM, fills NIC subnets and test IPs, and leaves unset settings out', () => {
    const text = edit(
      withVms(
        [
          '        - name: app.01 (legacy)',
          '          azureName: app-01',
          '          vmSize: Standard_D4s_v3',
          '          nics: [{ ip: 10.20.0.10 }, { ip: 10.20.0.11, testIp: 10.20.0.21 }]',
          '          disks: { exclude: [pagefile.vhdx] }',
          "          zone: '2'",
          '          tags: { app: erp }',
          '          sqlServerLicenseType: AHUB',
          '        - app02',
        ].join('\n'),
      ),
      [
        'vmNetwork: Northwind-VMNet\n',
        'vmNetwork: Northwind-VMNet\n    target: { licenseType: WindowsServer, tags: { owner: northwind, app: none } }\n',
      ],
    );
    const { plan, errors } = validate(text);
    expect(errors).toEqual([]);
    const vms = plan?.tenants[1]?.vms;
    expect(vms?.include).toEqual([
      {
        name: 'app.01 (legacy)',
        azureName: 'app-01',
        subnet: 'Northwind-Subnet',
        vmSize: 'Standard_D4s_v3',
        nics: [
          { subnet: 'Northwind-Subnet', ip: '10.20.0.10', testIp: '10.20.0.10' },
          { subnet: 'Northwind-Subnet', ip: '10.20.0.11', testIp: '10.20.0.21' },
        ],
        licenseType: 'WindowsServer',
        sqlServerLicenseType: 'AHUB',
        disks: { exclude: ['pagefile.vhdx'] },
        zone: '2',
        tags: { owner: 'northwind', app: 'erp' },
      },
      {
        name: 'app02',
        subnet: 'Northwind-Subnet',
        licenseType: 'WindowsServer',
        tags: { owner: 'northwind', app: 'none' },
      },
    ]);
  });

  it('a plan without settings keeps the shape running workflows were started with', () => {
    const { plan } = validate(multi);
    expect(plan?.tenants[1]?.vms.include).toEqual([
      { name: 'app01', subnet: 'Northwind-Subnet' },
      { name: 'app02', subnet: 'Northwind-Subnet' },
    ]);
  });
});
