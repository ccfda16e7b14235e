// A tenant with more than one VNet: `networks` lists the VNets besides `network`, each with the
// VMM VM networks mapped to it; a VM names its VNet with `vnet`. Validated like `network`, and
// across the tenant's VNets (names once, production ranges apart, each VM network mapped once).
import { describe, expect, it } from 'vitest';
import { tenantChanges } from '../../src/onboarding/contract';
import { tenantSpec } from '../../src/onboarding/start';
import { MULTI, edit, lineOf, onlyError, read, validate } from './helpers';

const multi = read(MULTI);

const DMZ = `
    networks:
      - vnet: contoso-dmz-vnet
        vmNetwork: Contoso-DMZ
        addressSpace: [10.11.0.0/16]
        subnets:
          - { name: Dmz, prefix: 10.11.0.0/24 }
        testFailoverVnet:
          name: contoso-dmz-test-vnet`;

/** Contoso with a DMZ VNet, and web01 in it with a static address. */
const withDmz = (network = DMZ, web01 = '{ name: web01, vnet: contoso-dmz-vnet, nics: [{ ip: 10.11.0.10 }] }') =>
  edit(
    multi,
    ['      vmNetwork: Contoso-VMNet\n', `      vmNetwork: Contoso-VMNet\n${network.slice(1)}\n`],
    ['        - web01\n', `        - ${web01}\n`],
  );

describe('a tenant with several VNets', () => {
  it('normalizes each VNet with its VM networks, and a VM in one with its first subnet', () => {
    const { plan, errors } = validate(withDmz());
    expect(errors).toEqual([]);
    const contoso = plan?.tenants[0];
    expect(contoso?.networks).toEqual([
      {
        vnet: 'contoso-dmz-vnet',
        addressSpace: ['10.11.0.0/16'],
        subnets: [{ name: 'Dmz', prefix: '10.11.0.0/24' }],
        testFailoverVnet: {
          name: 'contoso-dmz-test-vnet',
          addressSpace: ['10.11.0.0/16'],
          subnets: [{ name: 'Dmz', prefix: '10.11.0.0/24' }],
        },
        vmNetworks: ['Contoso-DMZ'],
      },
    ]);
    expect(contoso?.vmm.vmNetwork).toBe('Contoso-VMNet');
    const include = contoso?.vms.include === 'all' ? [] : (contoso?.vms.include ?? []);
    expect(include[0]).toMatchObject({ name: 'web01', vnet: 'contoso-dmz-vnet', subnet: 'Dmz' });
    // A VM in `network` keeps the shape it always had: no vnet.
    expect(include[1]).toEqual({ name: 'web02', subnet: 'Contoso-Subnet' });
    expect(validate(multi).plan?.tenants[0]?.networks).toBeUndefined();
  });

  it("checks a VM's subnets and addresses against its own VNet", () => {
    const text = withDmz(
      DMZ,
      '{ name: web01, vnet: contoso-dmz-vnet, nics: [{ subnet: Contoso-Subnet, ip: 10.10.0.10 }] }',
    );
    const error = onlyError(validate(text));
    expect([error.field, error.message, error.fix]).toEqual([
      'tenants[0].vms.include[0].nics[0].subnet',
      "subnet 'Contoso-Subnet' is not one of the VNet's (networks[0]) subnets (Dmz)",
      "use 'Dmz', or add the subnet to networks[0].subnets",
    ]);
    expect(error.line).toBe(lineOf(text, 'name: web01, vnet'));
  });

  it('refuses a VNet the tenant does not have, naming those it has', () => {
    const error = onlyError(validate(withDmz(DMZ, '{ name: web01, vnet: contoso-other }')));
    expect([error.field, error.message]).toEqual([
      'tenants[0].vms.include[0].vnet',
      "VNet 'contoso-other' is not one of the tenant's (contoso-dr-vnet, contoso-dmz-vnet)",
    ]);
  });

  it("refuses a VNet range overlapping another of the tenant's, and a VNet name used twice", () => {
    const overlapping = edit(
      DMZ,
      ['[10.11.0.0/16]', '[10.10.128.0/17]'],
      ['prefix: 10.11.0.0/24', 'prefix: 10.10.128.0/24'],
    );
    const overlap = onlyError(validate(withDmz(overlapping, 'web01')));
    expect([overlap.field, overlap.fix]).toEqual([
      'tenants[0].networks[0].addressSpace[0]',
      "use a range the tenant's other VNets do not cover",
    ]);
    expect(overlap.message).toContain("overlaps '10.10.0.0/16' of tenants[0].network");

    const twice = onlyError(
      validate(withDmz(edit(DMZ, ['name: contoso-dmz-test-vnet', 'name: contoso-dr-test-vnet']), 'web01')),
    );
    expect([twice.field, twice.message]).toEqual([
      'tenants[0].networks[0].testFailoverVnet.name',
      "VNet 'contoso-dr-test-vnet' is also tenants[0].network.testFailoverVnet.name: each of the tenant's VNets needs its own name",
    ]);
  });

  it('maps each VM network once: not in vmm.vmNetwork too, nor in another tenant', () => {
    const again = onlyError(
      validate(withDmz(edit(DMZ, ['vmNetwork: Contoso-DMZ', 'vmNetwork: Contoso-VMNet']), 'web01')),
    );
    expect([again.field, again.message]).toEqual([
      'tenants[0].networks[0].vmNetwork',
      "VMM VM network 'Contoso-VMNet' is listed twice",
    ]);
    const foreign = onlyError(
      validate(withDmz(edit(DMZ, ['vmNetwork: Contoso-DMZ', 'vmNetwork: [Contoso-DMZ, Northwind-VMNet]']), 'web01')),
    );
    expect([foreign.field, foreign.message]).toEqual([
      'tenants[1].vmm.vmNetwork',
      "VMM VM network 'Northwind-VMNet' is already used by tenants[0] (contoso): a VM network maps to one tenant's Azure VNet",
    ]);
  });

  it('plan diff: a new VNet is applied, a dropped one and a VM moved between VNets are refused', () => {
    const spec = (text: string) => {
      const tenant = validate(text).plan?.tenants[0];
      if (!tenant) throw new Error('plan did not validate');
      return tenantSpec(tenant);
    };
    const before = spec(withDmz(DMZ, 'web01'));
    const added = tenantChanges(spec(multi), before);
    expect(added.map((c) => [c.field, c.action])).toEqual([['networks.contoso-dmz-vnet', 'applied']]);
    expect(added[0]?.change).toBe(
      'added: created, with its test failover VNet, and VM networks Contoso-DMZ mapped to it',
    );
    expect(tenantChanges(before, spec(multi)).map((c) => [c.field, c.action])).toEqual([
      ['networks.contoso-dmz-vnet', 'refused'],
    ]);
    const moved = tenantChanges(before, spec(withDmz(DMZ, '{ name: web01, vnet: contoso-dmz-vnet }')));
    expect(moved.map((c) => [c.field, c.action])).toEqual([
      ['vms.web01.subnet', 'applied'],
      ['vms.web01.vnet', 'refused'],
    ]);
  });
});
