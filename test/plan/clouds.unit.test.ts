// A tenant with several VMM clouds and VM networks: written as lists, validated entry by entry
// (each once, none shared with another tenant of a shared VMM server), normalized so that a
// one-cloud tenant keeps its shape.
import { describe, expect, it } from 'vitest';
import { MULTI, edit, lineOf, onlyError, read, validate } from './helpers';

const multi = read(MULTI);
const contosoClouds = (clouds: string, networks = 'Contoso-VMNet') =>
  edit(multi, ['cloud: Contoso-Cloud', `cloud: ${clouds}`], ['vmNetwork: Contoso-VMNet', `vmNetwork: ${networks}`]);

describe('tenants with several clouds and VM networks', () => {
  it('normalizes a list to the first plus the whole list, and one name to the shape it always had', () => {
    const { plan, errors } = validate(contosoClouds('[Contoso-Gold, Contoso-Silver]', '[Contoso-Front, Contoso-Back]'));
    expect(errors).toEqual([]);
    expect(plan?.tenants[0]?.vmm).toEqual({
      server: 'vmm01.fabrikam.local',
      cloud: 'Contoso-Gold',
      vmNetwork: 'Contoso-Front',
      clouds: ['Contoso-Gold', 'Contoso-Silver'],
      vmNetworks: ['Contoso-Front', 'Contoso-Back'],
    });
    expect(validate(multi).plan?.tenants[1]?.vmm).toEqual({
      server: 'vmm01.fabrikam.local',
      cloud: 'Northwind-Cloud',
      vmNetwork: 'Northwind-VMNet',
    });
  });

  it('refuses a cloud listed twice, at the repetition', () => {
    const text = contosoClouds('[Contoso-Gold, contoso-gold]');
    const error = onlyError(validate(text));
    expect([error.field, error.message, error.fix]).toEqual([
      'tenants[0].vmm.cloud[1]',
      "VMM cloud 'contoso-gold' is listed twice",
      'list each cloud once',
    ]);
    expect(error.line).toBe(lineOf(text, 'cloud: [Contoso-Gold'));
  });

  it("refuses another tenant's cloud or VM network in a list, on a shared VMM server", () => {
    const { errors } = validate(contosoClouds('[Contoso-Gold, Northwind-Cloud]', '[Contoso-VMNet, Northwind-VMNet]'));
    expect(errors.map((e) => [e.field, e.message])).toEqual([
      [
        'tenants[1].vmm.cloud',
        "VMM cloud 'Northwind-Cloud' is already used by tenants[0] (contoso): on a shared VMM server each tenant needs its own cloud",
      ],
      [
        'tenants[1].vmm.vmNetwork',
        "VMM VM network 'Northwind-VMNet' is already used by tenants[0] (contoso): a VM network maps to one tenant's Azure VNet",
      ],
    ]);
  });
});
