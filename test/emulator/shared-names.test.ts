import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicationProtectedItem } from '../../src/azure/sdk';
import { defaultEstatePath, EstateError, loadEstateFile, parseEstate } from '@asrflow/azure-emulator';
import type { WorldState } from '@asrflow/azure-emulator';
import {
  clientsFor,
  collect,
  createPolicyAndMapping,
  REGION,
  registerVmm,
  startTestEmulator,
  TENANTS,
  tenantResources,
  waitFor,
  type Clients,
  type TestEmulator,
} from './helpers';

// In VMM a VM is identified by id, not by name: two tenants' clouds on a hoster's shared VMM
// server may each have a VM called app01. The emulator identifies a VM by (VMM server, cloud,
// name); these tests drive two same-named VMs through the real SDK clients and check that
// acting on one never touches the other.

const FIXTURE = path.join(__dirname, 'fixtures', 'estate-shared-names.yaml');
const VMM = 'vmm01.fabrikam.local';
const RG = 'asr-shared-rg';
const VAULT = 'fabrikam-asr-vault';
const POLL = { updateIntervalInMs: 50 };

interface EstateView {
  vmmServers: Array<{ name: string; vms: Array<{ name: string; cloud: string; id: string; powerState?: string }> }>;
  azureVms: Array<{ name: string; sourceVm: string; purpose: string }>;
}

describe('estate: a VM name is unique per cloud, not per VMM server', () => {
  it('loads the shared-names fixture: app01 in Contoso-Cloud and Northwind-Cloud, nw-only01 in Northwind-Cloud, the rest as the demo estate', () => {
    const fixture = loadEstateFile(FIXTURE);
    const demo = loadEstateFile(defaultEstatePath());
    const shared = fixture.vmmServers.find((v) => v.name === VMM);
    const named = (cloud: string) => shared?.vms.filter((v) => v.cloud === cloud).map((v) => v.name);
    expect(named('Contoso-Cloud')).toEqual(['web01', 'web02', 'sql01', 'legacy01', 'app01']);
    expect(named('Northwind-Cloud')).toEqual(['app01', 'app02', 'nw-only01']);
    const added =
      shared?.vms.filter((v) => (v.name === 'app01' && v.cloud === 'Contoso-Cloud') || v.name === 'nw-only01') ?? [];
    expect(added.map((v) => [v.cloud, v.osType, v.networks, v.disks.reduce((n, d) => n + d.sizeGB, 0)])).toEqual([
      ['Contoso-Cloud', 'Windows', ['Contoso-VMNet'], 4],
      ['Northwind-Cloud', 'Windows', ['Northwind-VMNet'], 4],
    ]);
    // Everything else is the demo world, so the fixture does not drift from it unnoticed.
    expect(fixture.tenants).toEqual(demo.tenants);
    expect({
      ...fixture,
      vmmServers: fixture.vmmServers.map((v) => ({ ...v, vms: v.vms.filter((vm) => !added.includes(vm)) })),
    }).toEqual(demo);
  });

  it('refuses the same name twice in one cloud, with position, field and fix (names compare case-insensitively)', () => {
    const text = `tenants: []
vmmServers:
  - name: vmm01.fabrikam.local
    providerVersion: 5.1.2250.0
    clouds: [{ name: Contoso-Cloud }, { name: Northwind-Cloud }]
    vmNetworks: []
    vms:
      - { name: app01, cloud: Contoso-Cloud, generation: 2, osType: Windows, disks: [{ name: a.vhdx, sizeGB: 4, format: VHDX }] }
      - { name: app01, cloud: Northwind-Cloud, generation: 2, osType: Windows, disks: [{ name: a.vhdx, sizeGB: 4, format: VHDX }] }
      - { name: APP01, cloud: contoso-cloud, generation: 2, osType: Windows, disks: [{ name: b.vhdx, sizeGB: 4, format: VHDX }] }
`;
    let error: unknown;
    try {
      parseEstate(text, 'dup.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EstateError);
    expect((error as EstateError).issues).toEqual([
      {
        file: 'dup.yaml',
        line: 10,
        column: 17,
        field: 'vmmServers.0.vms.2.name',
        message: 'VM APP01 appears twice in cloud contoso-cloud on vmm01.fabrikam.local',
        fix: 'give each VM of cloud contoso-cloud a unique name (the same name is allowed in another cloud)',
      },
    ]);
    expect((error as Error).message).toBe(
      'dup.yaml:10:17: vmmServers.0.vms.2.name: VM APP01 appears twice in cloud contoso-cloud on vmm01.fabrikam.local. Fix: give each VM of cloud contoso-cloud a unique name (the same name is allowed in another cloud)',
    );
    // Without the third VM, the same name in two clouds is accepted.
    const ok = parseEstate(text.split('\n').slice(0, 9).join('\n'), 'ok.yaml');
    expect(ok.vmmServers[0]?.vms.map((v) => `${v.cloud}/${v.name}`)).toEqual([
      'Contoso-Cloud/app01',
      'Northwind-Cloud/app01',
    ]);
  });
});

describe('two VMs named app01 in two clouds of the shared VMM server, through the SDKs', () => {
  let emu: TestEmulator;
  let dataDir: string;
  let hoster: Clients;
  let fabric: string;
  let containers: Record<string, string>;
  const policies: Record<string, string> = {};
  const targets: Record<string, { storageId: string; vnetId: string; rgId: string }> = {};
  // The replicated item name each cloud's app01 is protected as: the same in both containers on purpose.
  const ITEM = 'app01';

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-emu-shared-names-'));
    emu = await startTestEmulator({ estate: FIXTURE, speed: 1200, dataDir, persist: true });
    hoster = clientsFor(emu, 'fabrikam');
    await hoster.resources.resourceGroups.createOrUpdate(RG, { location: REGION });
    await hoster.vaults.vaults.beginCreateOrUpdateAndWait(
      RG,
      VAULT,
      { location: REGION, sku: { name: 'Standard' } },
      POLL,
    );
    ({ fabric, containers } = await registerVmm(emu, hoster, RG, VAULT, TENANTS.fabrikam.subscriptionId, VMM));
    for (const [tenant, cloud] of [
      ['contoso', 'Contoso-Cloud'],
      ['northwind', 'Northwind-Cloud'],
    ] as const) {
      const c = clientsFor(emu, tenant);
      const t = await tenantResources(c, `${tenant}-dr-rg`, { storage: `${tenant}asr01`, vnet: `${tenant}-dr-vnet` });
      targets[cloud] = {
        storageId: t.storageId,
        vnetId: t.vnetId,
        rgId: `/subscriptions/${TENANTS[tenant].subscriptionId}/resourceGroups/${tenant}-dr-rg`,
      };
      policies[cloud] = await createPolicyAndMapping(
        hoster,
        RG,
        VAULT,
        fabric,
        containers[cloud] ?? '',
        t.storageId,
        `${tenant}-policy`,
      );
    }
  });
  afterAll(async () => {
    await emu?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const container = (cloud: string) => containers[cloud] ?? '';
  const protectables = async (cloud: string) =>
    collect(
      hoster.asr.replicationProtectableItems.listByReplicationProtectionContainers(VAULT, RG, fabric, container(cloud)),
    );
  const item = async (cloud: string) =>
    hoster.asr.replicationProtectedItems.get(VAULT, RG, fabric, container(cloud), ITEM);
  const estate = async () => (await emu.admin.estate()) as unknown as EstateView;
  const powerOf = async (cloud: string) =>
    (await estate()).vmmServers.find((v) => v.name === VMM)?.vms.find((v) => v.name === 'app01' && v.cloud === cloud)
      ?.powerState;
  const enableBody = (cloud: string, protectableId: string, osType: string) => ({
    properties: {
      policyId: policies[cloud] ?? '',
      protectableItemId: protectableId,
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure' as const,
        vmName: 'app01',
        osType,
        targetStorageAccountId: targets[cloud]?.storageId ?? '',
        targetAzureV2ResourceGroupId: targets[cloud]?.rgId ?? '',
        targetAzureNetworkId: targets[cloud]?.vnetId ?? '',
        targetAzureSubnetId: 'default',
        targetAzureVmName: 'app01',
        useManagedDisks: 'false',
      },
    },
  });

  it('lists exactly one app01 per cloud, with different ids, disks and NICs; enables both; fails over one alone', async () => {
    // Protectable items: one app01 in each container, told apart by id.
    const contosoList = await protectables('Contoso-Cloud');
    const northwindList = await protectables('Northwind-Cloud');
    expect(contosoList.map((p) => p.properties?.friendlyName).sort()).toEqual([
      'app01',
      'legacy01',
      'sql01',
      'web01',
      'web02',
    ]);
    expect(northwindList.map((p) => p.properties?.friendlyName).sort()).toEqual(['app01', 'app02', 'nw-only01']);
    const contosoApp = contosoList.filter((p) => p.properties?.friendlyName === 'app01');
    const northwindApp = northwindList.filter((p) => p.properties?.friendlyName === 'app01');
    expect(contosoApp).toHaveLength(1);
    expect(northwindApp).toHaveLength(1);
    const [cApp, nApp] = [contosoApp[0]!, northwindApp[0]!];
    expect(cApp.name).not.toBe(nApp.name);
    expect(cApp.id?.toLowerCase()).not.toBe(nApp.id?.toLowerCase());
    const details = (p: typeof cApp) =>
      p.properties?.customDetails as {
        sourceItemId?: string;
        osDetails?: { osType?: string };
        diskDetails?: Array<{ vhdId?: string }>;
      };
    expect(details(cApp).sourceItemId).toBe(cApp.name);
    expect(details(nApp).sourceItemId).toBe(nApp.name);
    expect([details(cApp).osDetails?.osType, details(nApp).osDetails?.osType]).toEqual(['Windows', 'Linux']);
    expect(details(cApp).diskDetails?.[0]?.vhdId).not.toBe(details(nApp).diskDetails?.[0]?.vhdId);
    // The admin estate view shows both, each with its cloud and id, both running.
    const before = (await estate()).vmmServers.find((v) => v.name === VMM)?.vms.filter((v) => v.name === 'app01');
    expect(before?.map((v) => [v.cloud, v.id, v.powerState])).toEqual([
      ['Contoso-Cloud', cApp.name, 'Running'],
      ['Northwind-Cloud', nApp.name, 'Running'],
    ]);

    // A protectable item id of one cloud does not name a VM of the other cloud's container.
    await expect(
      hoster.asr.replicationProtectedItems.beginCreate(
        VAULT,
        RG,
        fabric,
        container('Contoso-Cloud'),
        'wrong-cloud',
        enableBody(
          'Contoso-Cloud',
          `${(cApp.id ?? '').slice(0, (cApp.id ?? '').lastIndexOf('/'))}/${nApp.name ?? ''}`,
          'Linux',
        ),
        POLL,
      ),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'ProtectableItemNotFound',
    });

    // Enable protection on both, under the same replicated item name in their two containers.
    const [cEnabled, nEnabled] = await Promise.all([
      hoster.asr.replicationProtectedItems.beginCreateAndWait(
        VAULT,
        RG,
        fabric,
        container('Contoso-Cloud'),
        ITEM,
        enableBody('Contoso-Cloud', cApp.id ?? '', 'Windows'),
        POLL,
      ),
      hoster.asr.replicationProtectedItems.beginCreateAndWait(
        VAULT,
        RG,
        fabric,
        container('Northwind-Cloud'),
        ITEM,
        enableBody('Northwind-Cloud', nApp.id ?? '', 'Linux'),
        POLL,
      ),
    ]);
    expect(cEnabled.properties?.protectableItemId?.toLowerCase()).toBe(cApp.id?.toLowerCase());
    expect(nEnabled.properties?.protectableItemId?.toLowerCase()).toBe(nApp.id?.toLowerCase());
    const vmIdOfItem = (i: ReplicationProtectedItem) =>
      (i.properties?.providerSpecificDetails as { vmId?: string }).vmId;
    expect([vmIdOfItem(cEnabled), vmIdOfItem(nEnabled)]).toEqual([cApp.name, nApp.name]);
    const nics = (i: ReplicationProtectedItem) =>
      (
        (i.properties?.providerSpecificDetails as { vmNics?: Array<{ nicId?: string; vMNetworkName?: string }> })
          .vmNics ?? []
      ).map((n) => [n.nicId, n.vMNetworkName]);
    expect(nics(cEnabled)[0]?.[1]).toBe('Contoso-VMNet');
    expect(nics(nEnabled)[0]?.[1]).toBe('Northwind-VMNet');
    expect(nics(cEnabled)[0]?.[0]).not.toBe(nics(nEnabled)[0]?.[0]);
    // Each protectable item now points at its own replicated item.
    const linked = async (cloud: string) =>
      (await protectables(cloud)).find((p) => p.properties?.friendlyName === 'app01')?.properties;
    expect(await linked('Contoso-Cloud')).toMatchObject({
      protectionStatus: 'Protected',
      replicationProtectedItemId: cEnabled.id,
    });
    expect(await linked('Northwind-Cloud')).toMatchObject({
      protectionStatus: 'Protected',
      replicationProtectedItemId: nEnabled.id,
    });
    // Enabling Contoso's app01 again under another name is refused; Northwind's does not count.
    await expect(
      hoster.asr.replicationProtectedItems.beginCreate(
        VAULT,
        RG,
        fabric,
        container('Contoso-Cloud'),
        'app01-again',
        enableBody('Contoso-Cloud', cApp.id ?? '', 'Windows'),
        POLL,
      ),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'ProtectableItemAlreadyProtected',
    });

    const all = await collect(hoster.asr.replicationProtectedItems.list(VAULT, RG));
    const app01s = all.filter((i) => i.properties?.friendlyName === 'app01');
    expect(app01s).toHaveLength(2);
    expect(app01s.map((i) => i.properties?.primaryProtectionContainerFriendlyName).sort()).toEqual([
      'Contoso-Cloud',
      'Northwind-Cloud',
    ]);
    expect(new Set(app01s.map((i) => i.id?.toLowerCase())).size).toBe(2);

    const replicated = async (cloud: string) =>
      waitFor(`initial replication of ${cloud}'s app01`, async () => {
        const it = await item(cloud);
        return it.properties?.protectionState === 'Protected' ? it : undefined;
      });
    await replicated('Contoso-Cloud');
    const northwindBefore = await replicated('Northwind-Cloud');
    expect(northwindBefore.properties?.allowedOperations).toContain('TestFailover');

    // Test failover of Contoso's app01 only.
    const tfo = await hoster.asr.replicationProtectedItems.beginTestFailoverAndWait(
      VAULT,
      RG,
      fabric,
      container('Contoso-Cloud'),
      ITEM,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: targets['Contoso-Cloud']?.vnetId,
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    expect(tfo.properties?.testFailoverState).toBe('WaitingForCompletion');
    const northwindAfter = await item('Northwind-Cloud');
    expect(northwindAfter.properties?.testFailoverState).toBe(northwindBefore.properties?.testFailoverState);
    expect(northwindAfter.properties?.testFailoverState).toBe('None');
    expect(northwindAfter.properties?.currentScenario?.scenarioName).toBe('None');
    expect(northwindAfter.properties?.allowedOperations).toEqual(northwindBefore.properties?.allowedOperations);
    expect(northwindAfter.properties?.lastSuccessfulTestFailoverTime).toBeUndefined();
    const afterTest = await estate();
    expect(afterTest.azureVms.map((v) => [v.name, v.sourceVm, v.purpose])).toEqual([
      ['app01-test', `${VMM}/Contoso-Cloud/app01`, 'TestFailover'],
    ]);
    expect([await powerOf('Contoso-Cloud'), await powerOf('Northwind-Cloud')]).toEqual(['Running', 'Running']);
    await hoster.asr.replicationProtectedItems.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      fabric,
      container('Contoso-Cloud'),
      ITEM,
      { properties: { comments: 'drill done' } },
      POLL,
    );

    // A planned failover of Northwind's app01 shuts down that VM only.
    const pfo = await hoster.asr.replicationProtectedItems.beginPlannedFailoverAndWait(
      VAULT,
      RG,
      fabric,
      container('Northwind-Cloud'),
      ITEM,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    expect(pfo.properties?.activeLocation).toBe('Recovery');
    expect([await powerOf('Contoso-Cloud'), await powerOf('Northwind-Cloud')]).toEqual(['Running', 'Off']);
    const contosoItem = await item('Contoso-Cloud');
    expect(contosoItem.properties).toMatchObject({
      activeLocation: 'Primary',
      protectionState: 'Protected',
      testFailoverState: 'None',
    });
    expect((await estate()).azureVms.map((v) => [v.name, v.sourceVm, v.purpose])).toEqual([
      ['app01', `${VMM}/Northwind-Cloud/app01`, 'Failover'],
    ]);
  });

  it('admin health: a name alone works when unique, an ambiguous one is refused naming the clouds, the cloud picks one', async () => {
    const ambiguous = await emu.admin.call('PUT', 'items/health', { vm: 'app01', health: 'Critical' });
    expect(ambiguous.status).toBe(400);
    expect((ambiguous.body as { error: { message: string } }).error.message).toBe(
      `VM name 'app01' is ambiguous: it is in clouds Contoso-Cloud (${VMM}), Northwind-Cloud (${VMM}). Pass "cloud" to say which`,
    );
    expect(
      (await emu.admin.call('PUT', 'items/health', { vm: 'app01', cloud: 'Litware-Cloud', health: 'Critical' })).status,
    ).toBe(400);
    await expect(emu.admin.setReplicationHealth('nw-only01', 'Warning')).resolves.toEqual({
      vm: 'nw-only01',
      cloud: 'Northwind-Cloud',
      vmm: VMM,
      replicationHealth: 'Warning',
    });
    await expect(emu.admin.setReplicationHealth('APP01', 'Critical', { cloud: 'contoso-cloud' })).resolves.toEqual({
      vm: 'app01',
      cloud: 'Contoso-Cloud',
      vmm: VMM,
      replicationHealth: 'Critical',
    });
    expect((await item('Contoso-Cloud')).properties?.replicationHealth).toBe('Critical');
    expect((await item('Northwind-Cloud')).properties?.replicationHealth).toBe('Normal');
    // The state view keys health and power state by VMM server, cloud and name.
    const world = ((await emu.admin.state()) as { world: WorldState }).world;
    expect(world.itemHealth).toEqual({
      [`${VMM}/northwind-cloud/nw-only01`]: 'Warning',
      [`${VMM}/contoso-cloud/app01`]: 'Critical',
    });
    expect(world.onPremVms[`${VMM}/northwind-cloud/app01`]).toEqual({ powerState: 'Off' });
    expect(world.onPremVms[`${VMM}/contoso-cloud/app01`]).toEqual({ powerState: 'Running' });
  });

  it('keeps both VMs apart across a restart with --persist, and reads a state.json written before clouds were part of the key', async () => {
    await emu.close();
    emu = await startTestEmulator({ estate: FIXTURE, speed: 1200, dataDir, persist: true });
    hoster = clientsFor(emu, 'fabrikam');
    expect([await powerOf('Contoso-Cloud'), await powerOf('Northwind-Cloud')]).toEqual(['Running', 'Off']);
    expect((await item('Contoso-Cloud')).properties).toMatchObject({
      friendlyName: 'app01',
      activeLocation: 'Primary',
      replicationHealth: 'Critical',
    });
    expect((await item('Northwind-Cloud')).properties).toMatchObject({
      friendlyName: 'app01',
      activeLocation: 'Recovery',
      replicationHealth: 'Normal',
    });

    // An older file: power state keyed vmm/vm, health keyed by VM name, items without their cloud.
    await emu.close();
    const file = path.join(dataDir, 'state.json');
    const old = JSON.parse(readFileSync(file, 'utf8')) as WorldState & { onPremVms: Record<string, unknown> };
    old.onPremVms = { [`${VMM}/app02`]: { powerState: 'Off' } };
    old.itemHealth = { 'nw-only01': 'Warning' };
    for (const v of Object.values(old.vaults))
      for (const f of Object.values(v.asr.fabrics))
        for (const c of Object.values(f.containers))
          for (const i of Object.values(c.items)) delete (i as { cloud?: string }).cloud;
    writeFileSync(file, JSON.stringify(old));
    emu = await startTestEmulator({ estate: FIXTURE, speed: 1200, dataDir, persist: true });
    hoster = clientsFor(emu, 'fabrikam');
    const world = ((await emu.admin.state()) as { world: WorldState }).world;
    expect(world.onPremVms[`${VMM}/northwind-cloud/app02`]).toEqual({ powerState: 'Off' });
    // VMs the old file did not know start from the estate.
    expect(world.onPremVms[`${VMM}/contoso-cloud/app01`]).toEqual({ powerState: 'Running' });
    expect(Object.keys(world.onPremVms)).toHaveLength(10);
    expect(world.itemHealth).toEqual({ [`${VMM}/northwind-cloud/nw-only01`]: 'Warning' });
    const items = Object.values(world.vaults).flatMap((v) =>
      Object.values(v.asr.fabrics).flatMap((f) =>
        Object.values(f.containers).flatMap((c) => Object.values(c.items).map((i) => [c.cloudName, i.cloud, i.vmName])),
      ),
    );
    expect(items.sort()).toEqual([
      ['Contoso-Cloud', 'Contoso-Cloud', 'app01'],
      ['Northwind-Cloud', 'Northwind-Cloud', 'app01'],
    ]);
    expect((await item('Northwind-Cloud')).properties?.friendlyName).toBe('app01');
  });
});
