// Which settings one update of a protected item writes: the plan's values where Azure still shows
// what asrflow set before; what the portal changed since is reported, not overwritten.
import { describe, expect, it } from 'vitest';
import { decideSettings, wantedOf } from '../../src/onboarding/activities/vm-settings';

const RG = '/subscriptions/s/resourceGroups/rg';
const nic = (over: object = {}) => ({ nicId: 'nic-0', subnet: 'App', testSubnet: 'App', ...over });

describe('decideSettings', () => {
  it('after enable: writes the static addresses enable cannot take, nothing else', () => {
    const wanted = wantedOf(
      {
        name: 'app01',
        subnet: 'App',
        vmSize: 'Standard_D2s_v3',
        nics: [{ subnet: 'App', ip: '10.0.1.10', testIp: '10.0.1.10' }],
      },
      RG,
    );
    const d = decideSettings(wanted, undefined, { azureName: 'app01', vmSize: 'Standard_D2s_v3', nics: [nic()] });
    expect(d.changed).toEqual(['nics']);
    expect(d.update.nics).toEqual([nic({ ip: '10.0.1.10', testIp: '10.0.1.10' })]);
    expect(d.conflicts).toEqual([]);
  });

  it('costs nothing when Azure already shows the plan (a retried activity updates once)', () => {
    const wanted = wantedOf({ name: 'app01', subnet: 'App', nics: [{ subnet: 'App', ip: '10.0.1.10' }] }, RG);
    const d = decideSettings(wanted, undefined, { azureName: 'APP01', nics: [nic({ ip: '10.0.1.10' })] });
    expect(d).toEqual({ update: {}, changed: [], conflicts: [] });
  });

  it('a changed plan updates what Azure shows as before, and reports what the portal changed', () => {
    const before = {
      name: 'app01',
      subnet: 'App',
      vmSize: 'Standard_D2s_v3',
      nics: [{ subnet: 'App', ip: '10.0.1.10' }],
    };
    const after = {
      ...before,
      vmSize: 'Standard_D4s_v3',
      nics: [{ subnet: 'App', ip: '10.0.1.20' }],
      licenseType: 'WindowsServer' as const,
    };
    const d = decideSettings(wantedOf(after, RG), wantedOf(before, RG), {
      azureName: 'app01',
      vmSize: 'Standard_D2s_v3',
      licenseType: 'NoLicenseType',
      nics: [nic({ ip: '10.0.1.99' })],
    });
    // The licence was not the plan's before: the plan takes it over.
    expect(d.changed).toEqual(['vmSize', 'licenseType']);
    expect(d.update).toEqual({ vmSize: 'Standard_D4s_v3', licenseType: 'WindowsServer' });
    expect(d.conflicts).toEqual(["NIC 1 ip is '10.0.1.99' in Azure, changed since asrflow set '10.0.1.10'"]);
  });

  it('reports a NIC the VM does not have', () => {
    const wanted = wantedOf(
      { name: 'app01', subnet: 'App', nics: [{ subnet: 'App' }, { subnet: 'App', ip: '10.0.1.11' }] },
      RG,
    );
    const d = decideSettings(wanted, undefined, { azureName: 'app01', nics: [nic()] });
    expect(d.conflicts).toEqual(['the plan sets NIC 2, but the VM has 1 NIC(s)']);
    expect(d.changed).toEqual([]);
  });
});
