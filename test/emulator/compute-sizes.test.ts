import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile, type Estate } from '@asrflow/azure-emulator';
import { loadSpecIndex } from '../support/spec-validator';
import {
  clientsFor,
  collect,
  protectableByName,
  rawRequest,
  REGION,
  startTestEmulator,
  TENANTS,
  tokenFor,
  type Clients,
  type TestEmulator,
  setUpReplication,
} from './helpers';

// Target compute sizes and availability sets through the real SDK clients: the region's size
// catalogue with the reasons a size cannot host a protected VM, updates refused a size Azure
// does not offer or that cannot host the VM, failovers that fail at their prerequisites when
// the size or the availability set cannot take the VM, and Microsoft.Compute availability sets
// (create, read, list, delete, tenant walls) as @azure/arm-resources sends them by id.

const FIXTURE = path.join(__dirname, 'fixtures', 'estate-vm-settings.yaml');
const VMM = 'vmm01.fabrikam.local';
const SUB = TENANTS.contoso.subscriptionId;
const RG = 'sizes-asr-rg';
const VAULT = 'sizes-asr-vault';
const TARGET_RG = 'sizes-dr-rg';
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${TARGET_RG}`;
const AVSET_ID = `${RG_ID}/providers/Microsoft.Compute/availabilitySets/crm-avset`;
const COMPUTE_API = '2024-07-01';
const POLL = { updateIntervalInMs: 50 };
// Every VM size the repository's plans, examples, tests and docs name, and the sizes the
// emulator picks by default: the catalogue must offer each.
const REPO_SIZES = ['Standard_A1_v2', 'Standard_A2_v2', 'Standard_D2s_v3', 'Standard_D4s_v3', 'Standard_D8s_v3'];

/**
 * The vm-settings estate plus erp01: generation 1, three NICs and five data disks, more than
 * the small sizes take (crm01's two NICs fit every size of the region: none has fewer than two).
 */
function estate(): Estate {
  const e = loadEstateFile(FIXTURE);
  const vmm = e.vmmServers.find((v) => v.name === VMM);
  if (!vmm) throw new Error(`${VMM} missing from ${FIXTURE}`);
  vmm.vmNetworks = [...(vmm.vmNetworks ?? []), { name: 'Contoso-Mgmt', subnets: [] }];
  vmm.vms.push({
    name: 'erp01',
    cloud: 'Contoso-Cloud',
    host: 'hv01.fabrikam.local',
    generation: 1,
    osType: 'Windows',
    osName: 'Windows Server 2016 Datacenter',
    cpuCount: 2,
    memoryMB: 4096,
    networks: ['Contoso-FrontEnd', 'Contoso-BackEnd', 'Contoso-Mgmt'],
    disks: [
      { name: 'erp01-os.vhd', sizeGB: 4, usedGB: 2, format: 'VHD', os: true },
      ...[1, 2, 3, 4, 5].map((i) => ({ name: `erp01-data${i}.vhd`, sizeGB: 2, usedGB: 1, format: 'VHD' as const })),
    ],
  });
  return e;
}

type Items = Clients['asr']['replicationProtectedItems'];
type EnableInput = Parameters<Items['beginCreate']>[5];
type UpdateProperties = NonNullable<Parameters<Items['beginUpdate']>[5]['properties']>;
type JobError = { serviceErrorDetails?: { code?: string; message?: string } };

describe('target compute sizes, size rules and availability sets', () => {
  let emu: TestEmulator;
  let c: Clients;
  let fabric: string;
  let container: string;
  let policyId: string;
  let storageId: string;
  let vnetId: string;

  beforeAll(async () => {
    // A small page size: the size list (28 sizes) comes in pages the SDK follows.
    emu = await startTestEmulator({ estate: estate(), speed: 1200, retryAfterSeconds: 1, pageSize: 10 });
    c = clientsFor(emu, 'contoso');
    const set = await setUpReplication(emu, c, {
      rg: RG,
      targetRg: TARGET_RG,
      vault: VAULT,
      subscriptionId: SUB,
      vmm: VMM,
      cloud: 'Contoso-Cloud',
      region: REGION,
      storage: 'sizesdrstorage01',
      vnets: [{ name: 'sizes-dr-vnet', space: '10.70.0.0/16', subnets: [['app', '10.70.1.0/24']] }],
    });
    ({ storageId, fabric, container, policyId } = set);
    vnetId = set.vnetIds[0] ?? '';
  });
  afterAll(async () => {
    await emu?.close();
  });

  const enable = async (vm: string, settings: Record<string, unknown>) => {
    const p = await protectableByName(c, RG, VAULT, fabric, container, vm);
    const body: EnableInput = {
      properties: {
        policyId,
        protectableItemId: p.id ?? '',
        providerSpecificDetails: {
          instanceType: 'HyperVReplicaAzure',
          targetStorageAccountId: storageId,
          targetAzureV2ResourceGroupId: RG_ID,
          targetAzureNetworkId: vnetId,
          targetAzureSubnetId: 'app',
          targetAzureVmName: `${vm}-dr`,
          useManagedDisks: 'false',
          ...settings,
        },
      },
    };
    return c.asr.replicationProtectedItems.beginCreateAndWait(VAULT, RG, fabric, container, vm, body, POLL);
  };
  const sizesOf = async (item: string) =>
    new Map(
      (await collect(c.asr.targetComputeSizes.listByReplicationProtectedItems(VAULT, RG, fabric, container, item))).map(
        (s) => [s.name ?? '', s.properties ?? {}],
      ),
    );
  const messages = (p: { errors?: Array<{ message?: string }> } | undefined) =>
    (p?.errors ?? []).map((e) => e.message ?? '');
  const update = (item: string, properties: UpdateProperties) =>
    c.asr.replicationProtectedItems.beginUpdateAndWait(VAULT, RG, fabric, container, item, { properties }, POLL);
  const testFailover = (item: string) =>
    c.asr.replicationProtectedItems.beginTestFailoverAndWait(
      VAULT,
      RG,
      fabric,
      container,
      item,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: vnetId,
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
  /** The newest job of a scenario on a VM, with its errors. */
  const lastJob = async (scenario: string, vm: string) => {
    const jobs = (await collect(c.asr.replicationJobs.list(VAULT, RG))).filter(
      (j) => j.properties?.scenarioName === scenario && j.properties.targetObjectName === vm,
    );
    jobs.sort((a, b) => String(a.properties?.startTime).localeCompare(String(b.properties?.startTime)));
    const job = jobs[jobs.length - 1];
    return { job, errors: (job?.properties?.errors ?? []) as JobError[] };
  };
  const azureVm = async (name: string) => (await emu.admin.azureVms()).find((v) => v.name === name);

  it("lists the region's sizes with Azure's figures and, per VM, why a size cannot host it", async () => {
    // Enable accepts any size, as Site Recovery records it: erp01's three NICs do not fit D2s_v3.
    await enable('crm01', { targetVmSize: 'Standard_D4s_v3', targetAvailabilitySetId: AVSET_ID });
    await enable('erp01', { targetVmSize: 'Standard_D2s_v3' });

    const crm = await sizesOf('crm01');
    for (const size of REPO_SIZES) expect(crm.has(size), size).toBe(true);
    expect(crm.size).toBeGreaterThanOrEqual(25);
    expect(crm.get('Standard_D4s_v3')).toEqual({
      name: 'Standard_D4s_v3',
      friendlyName: 'Standard_D4s_v3',
      cpuCoresCount: 4,
      vCPUsAvailable: 4,
      memoryInGB: 16,
      maxDataDiskCount: 8,
      maxNicsCount: 2,
      highIopsSupported: 'Supported',
      hyperVGenerations: ['V1', 'V2'],
    });
    expect(crm.get('Standard_A1_v2')).toMatchObject({
      cpuCoresCount: 1,
      memoryInGB: 2,
      maxDataDiskCount: 2,
      maxNicsCount: 2,
      highIopsSupported: 'NotSupported',
      hyperVGenerations: ['V1'],
    });
    // crm01 is a generation 2 VM with two NICs and one data disk: only generation 1 sizes refuse it.
    expect(messages(crm.get('Standard_A2_v2'))).toEqual([
      "The virtual machine 'crm01' is a generation 2 virtual machine, but the size Standard_A2_v2 supports generation 1 only.",
    ]);
    const refusing = [...crm].filter(([, p]) => messages(p).length > 0).map(([n]) => n);
    expect(refusing.length).toBeGreaterThan(0);
    expect(refusing.every((n) => /^Standard_A\d+m?_v2$/.test(n))).toBe(true);

    // erp01: three NICs, five data disks, generation 1.
    const erp = await sizesOf('erp01');
    expect(messages(erp.get('Standard_D2s_v3'))).toEqual([
      "The virtual machine 'erp01' has 3 network adapters, but the size Standard_D2s_v3 supports at most 2.",
      "The virtual machine 'erp01' replicates 5 data disks, but the size Standard_D2s_v3 supports at most 4.",
    ]);
    expect(erp.get('Standard_D2s_v3')?.errors?.[0]?.severity).toBe('Error');
    expect(messages(erp.get('Standard_D4s_v3'))).toEqual([
      "The virtual machine 'erp01' has 3 network adapters, but the size Standard_D4s_v3 supports at most 2.",
    ]);
    expect(messages(erp.get('Standard_B2s'))).toEqual([
      "The virtual machine 'erp01' replicates 5 data disks, but the size Standard_B2s supports at most 4.",
    ]);
    expect(erp.get('Standard_A2_v2')?.errors?.some((e) => /generation/.test(e.message ?? ''))).toBe(false);
    expect(erp.get('Standard_B4ms')?.errors).toBeUndefined();
  });

  it('gives a VM without a chosen size a size of the catalogue that can host it', async () => {
    // web11: generation 2, two vCPUs, 4 GiB, one NIC. Av2 sizes would fit its vCPUs and memory, not its generation.
    const web = await enable('web11', {});
    const size = (web.properties?.providerSpecificDetails as { recoveryAzureVMSize?: string }).recoveryAzureVMSize;
    expect(size).toBe('Standard_D2s_v3');
    expect((await sizesOf('web11')).get(size ?? '')?.errors).toBeUndefined();
  });

  it('refuses an update to a size Azure does not offer, or that cannot host the VM, and takes one that can', async () => {
    const refusals: Array<[string, string, RegExp]> = [
      ['Standard_Z99_v9', 'InvalidTargetVmSize', /'Standard_Z99_v9' is not available in the target region/],
      ['Standard_A2_v2', 'TargetVmSizeNotSupported', /generation 2 virtual machine, but the size Standard_A2_v2/],
    ];
    for (const [size, code, message] of refusals) {
      const refused = update('crm01', { recoveryAzureVMSize: size });
      await expect(refused, size).rejects.toMatchObject({ statusCode: 400, code });
      await expect(refused, size).rejects.toThrow(message);
    }
    const crmDetails = async () =>
      (await c.asr.replicationProtectedItems.get(VAULT, RG, fabric, container, 'crm01')).properties
        ?.providerSpecificDetails as { recoveryAzureVMSize?: string };
    expect((await crmDetails()).recoveryAzureVMSize).toBe('Standard_D4s_v3');
    await update('crm01', { recoveryAzureVMSize: 'standard_d4s_v5' });
    expect((await crmDetails()).recoveryAzureVMSize).toBe('standard_d4s_v5');
  });

  it('fails a test failover whose size cannot host the VM, naming the size', async () => {
    await emu.admin.setTime({ advanceSeconds: 3600 });
    await expect(testFailover('erp01')).rejects.toThrow();
    const { job, errors } = await lastJob('TestFailover', 'erp01');
    expect(job?.properties?.state).toBe('Failed');
    expect(errors[0]?.serviceErrorDetails).toMatchObject({ code: 'TargetVmSizeNotSupported' });
    expect(errors[0]?.serviceErrorDetails?.message).toContain("'Standard_D2s_v3'");
    expect(await azureVm('erp01-dr-test')).toBeUndefined();
  });

  it('fails a test failover into a missing availability set, naming it, and succeeds once the set exists', async () => {
    await expect(testFailover('crm01')).rejects.toThrow();
    const failed = await lastJob('TestFailover', 'crm01');
    expect(failed.job?.properties?.state).toBe('Failed');
    expect(failed.errors[0]?.serviceErrorDetails).toMatchObject({ code: 'AvailabilitySetNotFound' });
    expect(failed.errors[0]?.serviceErrorDetails?.message).toContain(AVSET_ID);
    expect(await azureVm('crm01-dr-test')).toBeUndefined();
    // Restarting the job checks again: the set is still missing.
    await expect(c.asr.replicationJobs.beginRestartAndWait(VAULT, RG, failed.job?.name ?? '', POLL)).rejects.toThrow();
    expect((await c.asr.replicationJobs.get(VAULT, RG, failed.job?.name ?? '')).properties?.state).toBe('Failed');

    const created = await c.resources.resources.beginCreateOrUpdateByIdAndWait(
      AVSET_ID,
      COMPUTE_API,
      { location: REGION, properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 } },
      POLL,
    );
    expect(created).toMatchObject({ id: AVSET_ID, name: 'crm-avset', type: 'Microsoft.Compute/availabilitySets' });

    const done = await testFailover('crm01');
    expect(done.properties?.testFailoverState).toBe('WaitingForCompletion');
    const vm = await azureVm('crm01-dr-test');
    expect(vm).toMatchObject({ availabilitySetId: AVSET_ID, vmSize: 'standard_d4s_v5' });
    const set = await c.resources.resources.getById(AVSET_ID, COMPUTE_API);
    expect((set.properties as { virtualMachines?: Array<{ id?: string }> }).virtualMachines).toEqual([{ id: vm?.id }]);
    await c.asr.replicationProtectedItems.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'crm01',
      { properties: { comments: 'drill done' } },
      POLL,
    );
  });

  it('creates, reads, lists and deletes availability sets by id, with the defaults and rules of Azure', async () => {
    const id = `${RG_ID}/providers/Microsoft.Compute/availabilitySets/web-avset`;
    const created = await c.resources.resources.beginCreateOrUpdateByIdAndWait(
      id,
      COMPUTE_API,
      { location: 'West Europe', tags: { app: 'web' } },
      POLL,
    );
    expect(created).toMatchObject({
      id,
      name: 'web-avset',
      location: REGION,
      tags: { app: 'web' },
      sku: { name: 'Aligned' },
      properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5, virtualMachines: [] },
    });
    expect(await c.resources.resources.getById(id, COMPUTE_API)).toMatchObject({ id, sku: { name: 'Aligned' } });
    const listed = await collect(c.resources.resources.listByResourceGroup(TARGET_RG));
    expect(listed.filter((r) => r.type === 'Microsoft.Compute/availabilitySets').map((r) => r.name)).toEqual([
      'crm-avset',
      'web-avset',
    ]);
    const token = await tokenFor(c);
    const byGroup = await rawRequest(
      emu,
      'GET',
      `${RG_ID}/providers/Microsoft.Compute/availabilitySets?api-version=${COMPUTE_API}`,
      { token },
    );
    expect((byGroup.body as { value: Array<{ name: string }> }).value.map((a) => a.name)).toEqual([
      'crm-avset',
      'web-avset',
    ]);

    const put = (setId: string, body: Record<string, unknown>) =>
      c.resources.resources.beginCreateOrUpdateByIdAndWait(setId, COMPUTE_API, body, POLL);
    await expect(put(id, { location: 'northeurope' })).rejects.toMatchObject({
      statusCode: 400,
      code: 'InvalidResourceLocation',
    });
    await expect(put(id, { location: REGION, properties: { platformFaultDomainCount: 3 } })).rejects.toMatchObject({
      statusCode: 409,
      code: 'PropertyChangeNotAllowed',
    });
    await expect(
      put(`${RG_ID}/providers/Microsoft.Compute/availabilitySets/other`, {
        location: REGION,
        properties: { platformFaultDomainCount: 4 },
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    await expect(put(`${RG_ID}/providers/Microsoft.Compute/availabilitySets/nolocation`, {})).rejects.toMatchObject({
      statusCode: 400,
      code: 'LocationRequired',
    });
    await expect(
      put(`/subscriptions/${SUB}/resourceGroups/no-such-rg/providers/Microsoft.Compute/availabilitySets/x`, {
        location: REGION,
      }),
    ).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });

    await c.resources.resources.beginDeleteByIdAndWait(id, COMPUTE_API, POLL);
    await expect(c.resources.resources.getById(id, COMPUTE_API)).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });

  it("keeps another tenant out of a tenant's availability sets", async () => {
    const fabrikam = clientsFor(emu, 'fabrikam');
    await expect(fabrikam.resources.resources.getById(AVSET_ID, COMPUTE_API)).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenTenant',
    });
    // The same names in its own subscription name nothing.
    const own = AVSET_ID.replace(SUB, TENANTS.fabrikam.subscriptionId);
    await expect(fabrikam.resources.resources.getById(own, COMPUTE_API)).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
    expect(await c.resources.resources.getById(AVSET_ID, COMPUTE_API)).toMatchObject({ id: AVSET_ID });
  });

  it('deleting a resource group deletes its availability sets', async () => {
    const rg = 'sizes-scratch-rg';
    const id = `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/availabilitySets/scratch-avset`;
    await c.resources.resourceGroups.createOrUpdate(rg, { location: REGION });
    await c.resources.resources.beginCreateOrUpdateByIdAndWait(id, COMPUTE_API, { location: REGION }, POLL);
    await c.resources.resourceGroups.beginDeleteAndWait(rg, POLL);
    await c.resources.resourceGroups.createOrUpdate(rg, { location: REGION });
    await expect(c.resources.resources.getById(id, COMPUTE_API)).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
  });

  it('answers the size lists as the specification describes them', async () => {
    const spec = await loadSpecIndex();
    const log = (await emu.admin.requests(0, true)).entries;
    const lists = log.filter((e) => /\/targetComputeSizes$/i.test(e.path) && e.status === 200);
    // Several pages per item (nextLink followed), for three items.
    expect(lists.length).toBeGreaterThanOrEqual(6);
    const problems = lists.flatMap((e) =>
      spec.validateResponse('GET', `${e.path}${e.query}`, e.status, e.responseBody).map((x) => `${e.path}: ${x}`),
    );
    expect(problems).toEqual([]);
    expect(spec.findOperation('GET', `${lists[0]?.path ?? ''}${lists[0]?.query ?? ''}`)?.operationId).toBe(
      'TargetComputeSizes_ListByReplicationProtectedItems',
    );
  });
});
