// The two example plans load from disk (with fake secrets in the environment), and the Plan they
// become is what workflows need: defaults applied, overrides merged, vaults resolved, plain JSON.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan, PlanError } from '../../src/domain/plan/load';
import { normalizePlan } from '../../src/domain/plan/normalize';
import type { PlanDocument } from '../../src/domain/plan/types';
import { DEDICATED, FAKE_ENV, MANY_ERRORS, MULTI, ROOT, edit, read, validate } from './helpers';

const load = (file: string) => loadPlan(path.join(ROOT, file), { env: FAKE_ENV });

describe('example plans', () => {
  it('multitenant-vmm.yaml is valid and resolves the shared vault for every tenant', () => {
    const { plan, warnings } = load(MULTI);
    expect(warnings.map((w) => w.field)).toEqual(['provider.vmmServer']);
    expect(plan.scenario).toBe('multitenant-vmm');
    if (plan.scenario !== 'multitenant-vmm') return;
    expect(plan.provider).toMatchObject({
      name: 'fabrikam-hosting',
      tenantId: 'a0000000-0000-4000-8000-000000000001',
      subscriptionId: 'a1000000-0000-4000-8000-000000000001',
      vault: 'fabrikam-asr-westeurope',
      vmmServer: 'vmm01.fabrikam.local',
      credential: {
        type: 'clientSecret',
        clientId: 'a2000000-0000-4000-8000-000000000001',
        secretEnv: 'ASRFLOW_SECRET_FABRIKAM_HOSTING',
      },
    });
    const [contoso, northwind] = plan.tenants;
    expect(contoso?.vault).toEqual({
      name: 'fabrikam-asr-westeurope',
      subscriptionId: 'a1000000-0000-4000-8000-000000000001',
      resourceGroup: 'fabrikam-asr-rg',
      region: 'westeurope',
      tenantId: 'a0000000-0000-4000-8000-000000000001',
      credential: {
        type: 'clientSecret',
        clientId: 'a2000000-0000-4000-8000-000000000001',
        secretEnv: 'ASRFLOW_SECRET_FABRIKAM_HOSTING',
      },
      shared: true,
    });
    expect(contoso).toMatchObject({
      name: 'contoso',
      tenantId: 'c0000000-0000-4000-8000-000000000001',
      subscriptionId: 'c1000000-0000-4000-8000-000000000001',
      credential: {
        type: 'clientSecret',
        clientId: 'c2000000-0000-4000-8000-000000000001',
        secretEnv: 'ASRFLOW_SECRET_CONTOSO',
      },
      vmm: { server: 'vmm01.fabrikam.local', cloud: 'Contoso-Cloud', vmNetwork: 'Contoso-VMNet' },
      storageAccount: { name: 'contosodr', sku: 'Standard_GRS' },
      // The tenant override (1 h) merged over the plan-wide policy.
      policy: {
        replicationInterval: 300,
        recoveryPointHistoryHours: 24,
        appConsistentFrequencyHours: 1,
        initialReplicationStart: 'now',
      },
    });
    expect(contoso?.vms).toEqual({
      include: [
        { name: 'web01', subnet: 'Contoso-Subnet' },
        { name: 'web02', subnet: 'Contoso-Subnet' },
        { name: 'sql01', subnet: 'Contoso-Subnet', vmSize: 'Standard_D4s_v3' },
      ],
    });
    expect(contoso?.network.testFailoverVnet).toEqual({
      name: 'contoso-dr-test-vnet',
      addressSpace: ['10.10.0.0/16'],
      subnets: [{ name: 'Contoso-Subnet', prefix: '10.10.0.0/24' }],
    });
    expect(northwind).toMatchObject({
      name: 'northwind',
      vmm: { server: 'vmm01.fabrikam.local', cloud: 'Northwind-Cloud', vmNetwork: 'Northwind-VMNet' },
      storageAccount: { name: 'northwinddr', sku: 'Standard_GRS' },
      policy: { appConsistentFrequencyHours: 4 },
      vms: {
        include: [
          { name: 'app01', subnet: 'Northwind-Subnet' },
          { name: 'app02', subnet: 'Northwind-Subnet' },
        ],
      },
    });
  });

  it("dedicated-vmm.yaml is valid, with the tenant's own vault and asrflow's defaults", () => {
    const { plan, warnings } = load(DEDICATED);
    expect(warnings).toEqual([]);
    expect(plan.scenario).toBe('dedicated-vmm');
    expect(plan.provider).toBeUndefined();
    expect(plan.policy).toEqual({
      replicationInterval: 300,
      recoveryPointHistoryHours: 24,
      appConsistentFrequencyHours: 4,
      initialReplicationStart: 'now',
    });
    expect(plan.target).toEqual({ managedDisks: true });
    const [litware] = plan.tenants;
    expect(litware?.vault).toEqual({
      name: 'litware-asr-vault',
      subscriptionId: 'e1000000-0000-4000-8000-000000000001',
      resourceGroup: 'litware-dr-rg',
      region: 'westeurope',
      tenantId: 'e0000000-0000-4000-8000-000000000001',
      credential: {
        type: 'clientSecret',
        clientId: 'e2000000-0000-4000-8000-000000000001',
        secretEnv: 'ASRFLOW_SECRET_LITWARE',
      },
      shared: false,
    });
    expect(litware?.vmm).toEqual({
      server: 'vmm-litware.litware.local',
      cloud: 'Litware-Cloud',
      vmNetwork: 'Litware-VMNet',
    });
    expect(litware?.vms).toEqual({
      include: [
        { name: 'erp01', subnet: 'Litware-Subnet' },
        { name: 'files01', subnet: 'Litware-Subnet' },
      ],
    });
  });

  it('derives the dedicated vault name from the tenant key when none is given', () => {
    const { plan } = validate(
      edit(read(DEDICATED), [
        '    vault: litware-asr-vault        # the default name (<name>-asr-vault), written out for clarity\n',
        '',
      ]),
    );
    expect(plan?.tenants[0]?.vault.name).toBe('litware-asr-vault');
  });

  it('turns `include: all` into a selection with the default subnet and the excludes', () => {
    const { plan } = validate(edit(read(MULTI), ['include: [app01, app02]', 'include: all\n      exclude: [app03]']));
    expect(plan?.tenants[1]?.vms).toEqual({ include: 'all', exclude: ['app03'], subnet: 'Northwind-Subnet' });
  });

  it('is plain JSON (workflow input): a round trip changes nothing', () => {
    for (const file of [MULTI, DEDICATED]) {
      const { plan } = load(file);
      expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
    }
  });

  it('normalizePlan fills every default', () => {
    const doc: PlanDocument = {
      version: 1,
      scenario: 'dedicated-vmm',
      tenants: [
        {
          name: 't',
          tenantId: 'e0000000-0000-4000-8000-000000000001',
          subscriptionId: 'e1000000-0000-4000-8000-000000000001',
          credential: { type: 'default' },
          region: 'westeurope',
          resourceGroup: 'rg',
          storageAccount: { name: 'tdr' },
          network: {
            vnet: 'vnet',
            addressSpace: ['10.0.0.0/16'],
            subnets: [{ name: 's', prefix: '10.0.0.0/24' }],
            testFailoverVnet: { name: 'test' },
          },
          vmm: { server: 'vmm.t.local', cloud: 'c', vmNetwork: 'n' },
          vms: { include: 'all' },
        },
      ],
    };
    expect(normalizePlan(doc).tenants[0]).toMatchObject({
      vault: { name: 't-asr-vault', shared: false },
      storageAccount: { sku: 'Standard_GRS' },
      vms: { include: 'all', exclude: [], subnet: 's' },
      policy: {
        replicationInterval: 300,
        recoveryPointHistoryHours: 24,
        appConsistentFrequencyHours: 4,
        initialReplicationStart: 'now',
      },
      target: { managedDisks: true },
    });
  });

  it('throws a PlanError carrying every error for an invalid plan', () => {
    let thrown: unknown;
    try {
      load(MANY_ERRORS);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PlanError);
    expect((thrown as PlanError).errors).toHaveLength(6);
    expect((thrown as PlanError).warnings).toHaveLength(1);
  });
});
