import { describe, expect, it } from 'vitest';
import { defaultEstatePath, loadEstateFile } from '@asrflow/azure-emulator';
import { TENANTS } from './helpers';

describe("the shared demo world (the emulator package's examples/estate.yaml)", () => {
  const estate = loadEstateFile(defaultEstatePath());

  it('has the four tenants with their subscriptions and apps', () => {
    for (const [name, t] of Object.entries({
      'fabrikam-hosting': TENANTS.fabrikam,
      contoso: TENANTS.contoso,
      northwind: TENANTS.northwind,
      litware: TENANTS.litware,
    })) {
      const tenant = estate.tenants.find((x) => x.name === name);
      expect(tenant?.tenantId).toBe(t.tenantId);
      expect(tenant?.subscriptions.map((s) => s.id)).toEqual([t.subscriptionId]);
      expect(tenant?.apps.map((a) => a.clientId)).toEqual([t.clientId]);
    }
    expect(estate.region).toBe('westeurope');
  });

  it("has both scenarios: the shared VMM and Litware's dedicated one with a too-old Provider", () => {
    const shared = estate.vmmServers.find((v) => v.name === 'vmm01.fabrikam.local');
    expect(shared?.providerVersion).toBe('5.1.2250.0');
    expect(shared?.clouds.map((c) => c.name)).toEqual(['Contoso-Cloud', 'Northwind-Cloud']);
    expect(shared?.vmNetworks.map((n) => n.name)).toEqual(['Contoso-VMNet', 'Northwind-VMNet']);
    expect(shared?.vms.filter((v) => v.cloud === 'Contoso-Cloud').map((v) => v.name)).toEqual([
      'web01',
      'web02',
      'sql01',
      'legacy01',
    ]);
    expect(
      shared?.vms.filter((v) => v.cloud === 'Northwind-Cloud').map((v) => [v.name, v.osType, v.generation]),
    ).toEqual([
      ['app01', 'Linux', 1],
      ['app02', 'Linux', 1],
    ]);
    expect(shared?.vms.find((v) => v.name === 'legacy01')?.disks.some((d) => d.shared)).toBe(true);
    const litware = estate.vmmServers.find((v) => v.name === 'vmm-litware.litware.local');
    expect(litware?.providerVersion).toBe('5.1.1200.0');
    expect(litware?.vms.map((v) => v.name)).toEqual(['erp01', 'files01']);
  });
});
