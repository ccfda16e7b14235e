import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicationProtectedItem } from '../../src/azure/sdk';
import { loadSpecIndex } from '../support/spec-validator';
import {
  clientsFor,
  collect,
  protectableByName,
  REGION,
  startTestEmulator,
  TENANTS,
  type Clients,
  type TestEmulator,
  setUpReplication,
} from './helpers';

// Per-VM target settings through the real SDK clients: what enable protection and updates
// (PATCH) set — name, size, licensing, placement, tags, disks, NIC subnets and static IPs —
// shows on the replicated item, the rules Azure applies refuse what it would refuse, and
// the VMs test failover and failover create are made of exactly those settings.

const FIXTURE = path.join(__dirname, 'fixtures', 'estate-vm-settings.yaml');
const VMM = 'vmm01.fabrikam.local';
const SUB = TENANTS.contoso.subscriptionId;
const RG = 'crm-asr-rg';
const VAULT = 'crm-asr-vault';
const TARGET_RG = 'crm-dr-rg';
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${TARGET_RG}`;
const AVSET_ID = `${RG_ID}/providers/Microsoft.Compute/availabilitySets/crm-avset`;
const POLL = { updateIntervalInMs: 50 };

type Items = Clients['asr']['replicationProtectedItems'];
type EnableInput = Parameters<Items['beginCreate']>[5];
type EnableProviderInput = NonNullable<NonNullable<EnableInput['properties']>['providerSpecificDetails']>;
type HyperVEnable = Omit<Extract<EnableProviderInput, { instanceType: 'HyperVReplicaAzure' }>, 'instanceType'>;
type UpdateProperties = NonNullable<Parameters<Items['beginUpdate']>[5]['properties']>;

interface IpConfig {
  name?: string;
  isPrimary?: boolean;
  recoverySubnetName?: string;
  recoveryStaticIPAddress?: string;
  recoveryIPAddressType?: string;
  tfoSubnetName?: string;
  tfoStaticIPAddress?: string;
}
interface HyperVDetails {
  recoveryAzureVmName?: string;
  recoveryAzureVMSize?: string;
  licenseType?: string;
  sqlServerLicenseType?: string;
  targetAvailabilityZone?: string;
  recoveryAvailabilitySetId?: string;
  targetVmTags?: Record<string, string>;
  azureVmDiskDetails?: Array<{ vhdId?: string; vhdName?: string; vhdType?: string; lunId?: string }>;
  vmNics?: Array<{
    nicId?: string;
    vMNetworkName?: string;
    recoveryVMNetworkId?: string;
    tfoVMNetworkId?: string;
    selectionType?: string;
    ipConfigs?: IpConfig[];
  }>;
}

const details = (i: ReplicationProtectedItem) => i.properties?.providerSpecificDetails as HyperVDetails;

describe('per-VM target settings: enable, update, and the VMs failovers create', () => {
  let emu: TestEmulator;
  let c: Clients;
  let fabric: string;
  let container: string;
  let policyId: string;
  let storageId: string;
  let drVnetId: string;
  let tfoVnetId: string;
  const disks: Record<string, { os: string; data?: string }> = {};
  const nicIds: Record<string, string[]> = {};

  beforeAll(async () => {
    emu = await startTestEmulator({ estate: FIXTURE, speed: 1200, retryAfterSeconds: 1 });
    c = clientsFor(emu, 'contoso');
    const set = await setUpReplication(emu, c, {
      rg: RG,
      targetRg: TARGET_RG,
      vault: VAULT,
      subscriptionId: SUB,
      vmm: VMM,
      cloud: 'Contoso-Cloud',
      region: REGION,
      storage: 'crmdrstorage01',
      vnets: [
        {
          name: 'crm-dr-vnet',
          space: '10.50.0.0/16',
          subnets: [
            ['app', '10.50.1.0/24'],
            ['db', '10.50.2.0/24'],
          ],
        },
        { name: 'crm-tfo-vnet', space: '10.60.0.0/16', subnets: [['test', '10.60.1.0/24']] },
      ],
    });
    ({ storageId, fabric, container, policyId } = set);
    [drVnetId = '', tfoVnetId = ''] = set.vnetIds;
  });
  afterAll(async () => {
    await emu?.close();
  });

  const protectable = (vm: string) => protectableByName(c, RG, VAULT, fabric, container, vm);
  const enableBody = (p: { id?: string }, settings: HyperVEnable): EnableInput => ({
    properties: {
      policyId,
      protectableItemId: p.id ?? '',
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure',
        targetStorageAccountId: storageId,
        targetAzureV2ResourceGroupId: RG_ID,
        targetAzureNetworkId: drVnetId,
        targetAzureSubnetId: 'app',
        useManagedDisks: 'false',
        ...settings,
      },
    },
  });
  const enable = (item: string, p: { id?: string }, settings: HyperVEnable) =>
    c.asr.replicationProtectedItems.beginCreateAndWait(
      VAULT,
      RG,
      fabric,
      container,
      item,
      enableBody(p, settings),
      POLL,
    );
  const update = (item: string, properties: UpdateProperties) =>
    c.asr.replicationProtectedItems.beginUpdateAndWait(VAULT, RG, fabric, container, item, { properties }, POLL);
  const get = (item: string) => c.asr.replicationProtectedItems.get(VAULT, RG, fabric, container, item);
  const refused = (code: string) => ({ statusCode: 400, code });
  const updatesOf = async (label: string) =>
    Object.values((await emu.admin.counters())['ReplicationProtectedItems_Update'] ?? {})
      .filter((x) => x.label === label)
      .reduce((n, x) => n + x.count, 0);
  const azureVm = async (name: string) => (await emu.admin.azureVms()).find((v) => v.name === name);

  it('lists the disks with their VHD ids and names, the OS disk marked, and refuses settings Azure refuses', async () => {
    const crm = await protectable('crm01');
    const diskDetails = (
      crm.properties?.customDetails as { diskDetails?: Array<{ vhdId?: string; vhdName?: string; vhdType?: string }> }
    ).diskDetails;
    expect(diskDetails?.map((d) => [d.vhdName, d.vhdType])).toEqual([
      ['crm01-os.vhdx', 'OperatingSystem'],
      ['crm01-data.vhdx', 'DataDisk'],
    ]);
    const [os, data] = (diskDetails ?? []).map((d) => d.vhdId ?? '');
    expect(os).toMatch(/^[0-9a-f-]{36}$/);
    expect(data).not.toBe(os);
    disks['crm01'] = { os: os ?? '', data: data ?? '' };

    const attempts: Array<[HyperVEnable, string]> = [
      [
        { targetAzureVmName: 'crm-dr01', targetAvailabilityZone: '1', targetAvailabilitySetId: AVSET_ID },
        'AvailabilityZoneAndSetConflict',
      ],
      [{ targetAzureVmName: 'crm-dr01', disksToInclude: [os ?? '', 'not-a-disk-of-crm01'] }, 'DiskNotFound'],
      [{ targetAzureVmName: 'crm-dr01', disksToInclude: [data ?? ''] }, 'OsDiskNotIncluded'],
      [{ targetAzureVmName: 'crm-dr01', disksToIncludeForManagedDisks: [{ diskId: data ?? '' }] }, 'OsDiskNotIncluded'],
      [{ targetAzureVmName: 'crm-dr01', licenseType: 'Byol' }, 'InvalidLicenseType'],
    ];
    for (const [settings, code] of attempts)
      await expect(enable('crm01', crm, settings), code).rejects.toMatchObject(refused(code));
    expect(await collect(c.asr.replicationProtectedItems.list(VAULT, RG))).toEqual([]);
  });

  it('enables protection with target settings; the item shows them and only the included disks', async () => {
    const crm = await protectable('crm01');
    const enabled = await enable('crm01', crm, {
      targetAzureVmName: 'crm-dr01',
      targetVmSize: 'Standard_D4s_v3',
      licenseType: 'WindowsServer',
      sqlServerLicenseType: 'AHUB',
      targetAvailabilityZone: '2',
      targetVmTags: { env: 'dr', app: 'crm' },
      disksToInclude: [disks['crm01']?.os ?? ''],
    });
    const d = details(enabled);
    expect(d).toMatchObject({
      recoveryAzureVmName: 'crm-dr01',
      recoveryAzureVMSize: 'Standard_D4s_v3',
      licenseType: 'WindowsServer',
      sqlServerLicenseType: 'AHUB',
      targetAvailabilityZone: '2',
      targetVmTags: { env: 'dr', app: 'crm' },
    });
    expect(d.recoveryAvailabilitySetId).toBeUndefined();
    expect(d.azureVmDiskDetails?.map((x) => [x.vhdId, x.vhdName, x.vhdType, x.lunId])).toEqual([
      [disks['crm01']?.os, 'crm01-os.vhdx', 'OperatingSystem', '-1'],
    ]);
    expect(d.vmNics?.map((n) => [n.vMNetworkName, n.recoveryVMNetworkId, n.selectionType])).toEqual([
      ['Contoso-FrontEnd', drVnetId, 'SelectedByUser'],
      ['Contoso-BackEnd', drVnetId, 'NotSelected'],
    ]);
    nicIds['crm01'] = d.vmNics?.map((n) => n.nicId ?? '') ?? [];
    expect(new Set(nicIds['crm01']).size).toBe(2);
    // The NIC ids are stable: a second read gives the same ones.
    expect(details(await get('crm01')).vmNics?.map((n) => n.nicId)).toEqual(nicIds['crm01']);

    // A second VM may not take the same target name in the same resource group (names compare case-insensitively).
    const web = await protectable('web11');
    const webOs = (web.properties?.customDetails as { diskDetails?: Array<{ vhdId?: string }> }).diskDetails?.[0]
      ?.vhdId;
    await expect(enable('web11', web, { targetAzureVmName: 'CRM-DR01' })).rejects.toMatchObject(
      refused('TargetVmNameInUse'),
    );
    const webEnabled = await enable('web11', web, {
      targetAzureVmName: 'web-dr11',
      targetAvailabilitySetId: AVSET_ID,
      disksToIncludeForManagedDisks: [{ diskId: webOs ?? '' }],
    });
    expect(details(webEnabled)).toMatchObject({ recoveryAzureVmName: 'web-dr11', recoveryAvailabilitySetId: AVSET_ID });
    expect(details(webEnabled).targetAvailabilityZone).toBeUndefined();
    expect(details(webEnabled).azureVmDiskDetails?.map((x) => x.vhdId)).toEqual([webOs]);
    nicIds['web11'] = details(webEnabled).vmNics?.map((n) => n.nicId ?? '') ?? [];
  });

  it('protects a VM whose VMM name Azure does not accept under a valid target name', async () => {
    const legacy = await protectable('app.01 (legacy)');
    // The name is the target's concern, given at enable: it does not block protection.
    expect(legacy.properties?.protectionReadinessErrors).toEqual([]);
    await expect(enable('app01-legacy', legacy, {})).rejects.toMatchObject(refused('InvalidTargetVmName'));
    const enabled = await enable('app01-legacy', legacy, { targetAzureVmName: 'app01-legacy' });
    expect(enabled.properties?.friendlyName).toBe('app.01 (legacy)');
    expect(details(enabled).recoveryAzureVmName).toBe('app01-legacy');
    // The enable job succeeded (the poller would have thrown otherwise): replication runs.
    expect(['InitialReplicationInProgress', 'Protected']).toContain(enabled.properties?.protectionState);
  });

  it('updates a protected VM: NIC subnets and static IPs, size, tags, license, test failover network', async () => {
    await emu.admin.setTime({ advanceSeconds: 3600 });
    expect((await get('crm01')).properties?.protectionState).toBe('Protected');
    const [front, back] = nicIds['crm01'] ?? [];
    const updated = await update('crm01', {
      recoveryAzureVMSize: 'Standard_D8s_v3',
      selectedRecoveryAzureNetworkId: drVnetId,
      selectedTfoAzureNetworkId: tfoVnetId,
      licenseType: 'NoLicenseType',
      vmNics: [
        {
          nicId: front,
          selectionType: 'SelectedByUser',
          ipConfigs: [
            {
              ipConfigName: 'ipconfig1',
              isPrimary: true,
              recoverySubnetName: 'app',
              recoveryStaticIPAddress: '10.50.1.10',
              tfoSubnetName: 'test',
              tfoStaticIPAddress: '10.60.1.10',
            },
          ],
        },
        {
          nicId: back,
          selectionType: 'SelectedByUser',
          ipConfigs: [
            {
              ipConfigName: 'ipconfig1',
              isPrimary: true,
              recoverySubnetName: 'db',
              recoveryStaticIPAddress: '10.50.2.20',
              tfoSubnetName: 'test',
            },
          ],
        },
      ],
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure',
        sqlServerLicenseType: 'PAYG',
        targetVmTags: { env: 'dr', app: 'crm', tier: 'gold' },
      },
    });
    const d = details(updated);
    expect(d).toMatchObject({
      recoveryAzureVmName: 'crm-dr01',
      recoveryAzureVMSize: 'Standard_D8s_v3',
      licenseType: 'NoLicenseType',
      sqlServerLicenseType: 'PAYG',
      targetAvailabilityZone: '2',
      targetVmTags: { env: 'dr', app: 'crm', tier: 'gold' },
    });
    expect(
      d.vmNics?.map((n) => [n.nicId, n.recoveryVMNetworkId, n.tfoVMNetworkId, n.selectionType, n.ipConfigs?.[0]]),
    ).toEqual([
      [
        front,
        drVnetId,
        tfoVnetId,
        'SelectedByUser',
        expect.objectContaining({
          name: 'ipconfig1',
          isPrimary: true,
          recoverySubnetName: 'app',
          recoveryStaticIPAddress: '10.50.1.10',
          recoveryIPAddressType: 'Static',
          tfoSubnetName: 'test',
          tfoStaticIPAddress: '10.60.1.10',
        }),
      ],
      [
        back,
        drVnetId,
        tfoVnetId,
        'SelectedByUser',
        expect.objectContaining({
          recoverySubnetName: 'db',
          recoveryStaticIPAddress: '10.50.2.20',
          recoveryIPAddressType: 'Static',
          tfoSubnetName: 'test',
        }),
      ],
    ]);
    expect(d.vmNics?.[1]?.ipConfigs?.[0]?.tfoStaticIPAddress).toBeUndefined();
    expect(updated.properties?.currentScenario?.scenarioName).toBe('None');
    expect(await updatesOf('crm01')).toBe(1);
  });

  it('refuses updates Azure refuses, each with its code, and counts none of them', async () => {
    const [nic] = nicIds['web11'] ?? [];
    const recoveryIp = (ip: string, subnet = 'app'): UpdateProperties => ({
      selectedRecoveryAzureNetworkId: drVnetId,
      vmNics: [
        { nicId: nic, ipConfigs: [{ isPrimary: true, recoverySubnetName: subnet, recoveryStaticIPAddress: ip }] },
      ],
    });
    const attempts: Array<[string, UpdateProperties, string]> = [
      ['outside the subnet', recoveryIp('10.50.2.5'), 'InvalidStaticIPAddress'],
      ['the network address', recoveryIp('10.50.1.0'), 'InvalidStaticIPAddress'],
      ['the gateway', recoveryIp('10.50.1.1'), 'InvalidStaticIPAddress'],
      ['the last DNS address', recoveryIp('10.50.1.3'), 'InvalidStaticIPAddress'],
      ['the broadcast address', recoveryIp('10.50.1.255'), 'InvalidStaticIPAddress'],
      ['not an address', recoveryIp('10.50.1.300'), 'InvalidStaticIPAddress'],
      ["crm01's static IP", recoveryIp('10.50.1.10'), 'StaticIPAddressInUse'],
      ['a subnet the network lacks', recoveryIp('10.50.1.11', 'nosuch'), 'SubnetNotFound'],
      [
        'a NIC of another VM',
        { vmNics: [{ nicId: nicIds['crm01']?.[0], ipConfigs: [{ recoverySubnetName: 'app' }] }] },
        'NicNotFound',
      ],
      [
        'a test failover IP without a test failover network',
        { vmNics: [{ nicId: nic, ipConfigs: [{ tfoSubnetName: 'test', tfoStaticIPAddress: '10.60.1.20' }] }] },
        'NetworkNotSelected',
      ],
      [
        'both a zone and an availability set',
        { providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', targetAvailabilityZone: '1' } },
        'AvailabilityZoneAndSetConflict',
      ],
      ["crm01's target name", { recoveryAzureVMName: 'Crm-Dr01' }, 'TargetVmNameInUse'],
      ['a name Azure does not accept', { recoveryAzureVMName: 'web dr 11' }, 'InvalidTargetVmName'],
    ];
    for (const [what, properties, code] of attempts)
      await expect(update('web11', properties), what).rejects.toMatchObject(refused(code));
    expect(await updatesOf('web11')).toBe(0);
    // None of them changed the item.
    const d = details(await get('web11'));
    expect(d.recoveryAzureVmName).toBe('web-dr11');
    expect(d.vmNics?.[0]?.ipConfigs?.[0]?.recoveryStaticIPAddress).toBeUndefined();

    // A free address next to crm01's is accepted.
    const ok = await update('web11', recoveryIp('10.50.1.11'));
    expect(details(ok).vmNics?.[0]?.ipConfigs?.[0]).toMatchObject({
      recoveryStaticIPAddress: '10.50.1.11',
      recoveryIPAddressType: 'Static',
    });
    expect(await updatesOf('web11')).toBe(1);
  });

  it('test failover creates the test VM with the name, size, test subnets and IPs, and only the included disks', async () => {
    await c.asr.replicationProtectedItems.beginTestFailoverAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'crm01',
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: tfoVnetId,
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    const vm = await azureVm('crm-dr01-test');
    expect(vm).toMatchObject({
      purpose: 'TestFailover',
      vmSize: 'Standard_D8s_v3',
      licenseType: 'NoLicenseType',
      sqlServerLicenseType: 'PAYG',
      zone: '2',
      tags: { env: 'dr', app: 'crm', tier: 'gold' },
      networkId: tfoVnetId,
    });
    expect(vm?.availabilitySetId).toBeUndefined();
    // The first NIC keeps its static test IP; the second takes the first address Azure hands out in 'test'.
    expect(vm?.nics.map((n) => [n.networkId, n.subnet, n.privateIp, n.allocation])).toEqual([
      [tfoVnetId, 'test', '10.60.1.10', 'Static'],
      [tfoVnetId, 'test', '10.60.1.4', 'Dynamic'],
    ]);
    expect(vm?.disks).toEqual([{ name: 'crm-dr01-test-disk-0', sourceVhd: disks['crm01']?.os, os: true, sizeGB: 6 }]);

    // The address the test VM holds is in use for anyone else's test failover settings.
    const [nic] = nicIds['web11'] ?? [];
    await expect(
      update('web11', {
        selectedTfoAzureNetworkId: tfoVnetId,
        vmNics: [
          { nicId: nic, ipConfigs: [{ isPrimary: true, tfoSubnetName: 'test', tfoStaticIPAddress: '10.60.1.4' }] },
        ],
      }),
    ).rejects.toMatchObject(refused('StaticIPAddressInUse'));
    // And crm01 cannot be updated while its test failover waits for cleanup.
    await expect(update('crm01', { recoveryAzureVMSize: 'Standard_D4s_v3' })).rejects.toMatchObject(
      refused('OperationNotAllowed'),
    );

    await c.asr.replicationProtectedItems.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'crm01',
      { properties: { comments: 'drill done' } },
      POLL,
    );
    expect(await azureVm('crm-dr01-test')).toBeUndefined();
  });

  it('planned failover creates the VM with the recovery subnets and static IPs, and only the included disks', async () => {
    const done = await c.asr.replicationProtectedItems.beginPlannedFailoverAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'crm01',
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    expect(done.properties?.activeLocation).toBe('Recovery');
    const vm = await azureVm('crm-dr01');
    expect(vm).toMatchObject({
      id: `${RG_ID}/providers/Microsoft.Compute/virtualMachines/crm-dr01`,
      purpose: 'Failover',
      vmSize: 'Standard_D8s_v3',
      licenseType: 'NoLicenseType',
      sqlServerLicenseType: 'PAYG',
      zone: '2',
      tags: { env: 'dr', app: 'crm', tier: 'gold' },
      networkId: drVnetId,
    });
    expect(vm?.nics.map((n) => [n.networkId, n.subnet, n.privateIp, n.allocation])).toEqual([
      [drVnetId, 'app', '10.50.1.10', 'Static'],
      [drVnetId, 'db', '10.50.2.20', 'Static'],
    ]);
    expect(vm?.disks.map((x) => [x.name, x.sourceVhd, x.os])).toEqual([['crm-dr01-disk-0', disks['crm01']?.os, true]]);
    expect(vm?.disks.some((x) => x.sourceVhd === disks['crm01']?.data)).toBe(false);
    // After failover the settings are spent: updates are refused.
    await expect(update('crm01', { recoveryAzureVMSize: 'Standard_D4s_v3' })).rejects.toMatchObject(
      refused('OperationNotAllowed'),
    );
    expect(await updatesOf('crm01')).toBe(1);
  });

  it('every request and answer of these flows, the updates included, validates against the official specification', async () => {
    const spec = await loadSpecIndex();
    const log = (await emu.admin.requests(0, true)).entries;
    const problems: string[] = [];
    const validated = new Set<string>();
    for (const e of log) {
      const url = `${e.path}${e.query}`;
      const final = /^(.*)\/operationresults\/[^/]+$/i.exec(e.path);
      if (e.status === 0 || e.status >= 400 || /\/replicationOperationStatus\//i.test(e.path)) continue;
      if (final && e.status === 202) continue;
      const method = final ? 'GET' : e.method;
      const target = final ? `${final[1]}${e.query}` : url;
      const op = spec.findOperation(method, target);
      if (!op?.specFile.startsWith('siterecovery')) continue;
      const errors = spec.validateResponse(method, target, e.status, e.responseBody);
      if (e.requestBody !== undefined && !final)
        errors.push(...spec.validateRequestBody(e.method, url, e.requestBody).map((x) => `request: ${x}`));
      validated.add(op.operationId);
      for (const x of errors) problems.push(`${e.method} ${e.path} -> ${e.status} (${op.operationId}): ${x}`);
    }
    expect(problems).toEqual([]);
    for (const id of [
      'ReplicationProtectableItems_ListByReplicationProtectionContainers',
      'ReplicationProtectedItems_Create',
      'ReplicationProtectedItems_Update',
      'ReplicationProtectedItems_Get',
      'ReplicationProtectedItems_TestFailover',
      'ReplicationProtectedItems_PlannedFailover',
    ])
      expect(validated, `no ${id} request was validated`).toContain(id);
  });
});
