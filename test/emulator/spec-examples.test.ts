import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEstatePath, loadEstateFile, type Estate } from '@asrflow/azure-emulator';
import { loadSpecIndex, type SpecIndex } from '../support/spec-validator';
import {
  clientsFor,
  collect,
  rawRequest,
  registerVmm,
  startTestEmulator,
  tokenFor,
  waitFor,
  type TestEmulator,
} from './helpers';

// The specification's own examples for the operations of the onboarding and failover flows,
// sent as requests (bodies verbatim; only the names of objects that registration creates —
// fabric, cloud, VM network, VM, job, recovery point — are swapped for the emulator's).
// Each must be accepted and its job must succeed.

const EX_TENANT = 'e7000000-0000-4000-8000-000000000001';
const EX_APP = { clientId: 'e7200000-0000-4000-8000-000000000001', secret: 'examples-secret-1' };
const SUB = 'c183865e-6077-46f2-a3b1-deb0f4f4650a';
const SUB2 = '9112a37f-0f3e-46ec-9c00-060c6edca071';

describe("the specification's examples are accepted as requests", () => {
  let emu: TestEmulator;
  let spec: SpecIndex;
  let token: string;

  beforeAll(async () => {
    spec = await loadSpecIndex();
    const estate: Estate = loadEstateFile(defaultEstatePath());
    estate.tenants.push({
      name: 'spec-examples',
      tenantId: EX_TENANT,
      subscriptions: [{ id: SUB }, { id: SUB2 }],
      apps: [EX_APP],
    });
    const litware = estate.vmmServers.find((v) => v.name === 'vmm-litware.litware.local');
    if (litware) litware.providerVersion = '5.1.2250.0';
    emu = await startTestEmulator({ estate, speed: 1200, retryAfterSeconds: 1, throttling: false });
  });
  afterAll(async () => {
    await emu?.close();
  });

  // The examples' own tenant and app, owning the examples' subscriptions.
  const exClients = (sub = SUB) =>
    clientsFor(emu, 'contoso', sub, { tenantId: EX_TENANT, clientId: EX_APP.clientId, clientSecret: EX_APP.secret });

  /** Sends the first example of an operation; `names` maps example object names to the emulator's. */
  async function sendExample(
    operationId: string,
    names: Record<string, string>,
  ): Promise<{ status: number; body: unknown }> {
    const example = spec.examplesFor(operationId, 'siterecovery/2023-06-01/service.json')[0];
    const op = spec.operations().find((o) => o.operationId === operationId && o.specFile.startsWith('siterecovery'));
    if (!example || !op) throw new Error(`no example for ${operationId}`);
    const swap = (text: string): string =>
      Object.entries(names).reduce((t, [from, to]) => t.split(from).join(to), text);
    const params = example.parameters;
    const path = op.pathTemplate.replace(/\{([^}]+)\}/g, (_, name: string) =>
      swap(typeof params[name] === 'string' ? params[name] : JSON.stringify(params[name] ?? '')),
    );
    const bodyRaw = op.bodyParameter ? params[op.bodyParameter] : undefined;
    const body = bodyRaw === undefined ? undefined : (JSON.parse(swap(JSON.stringify(bodyRaw))) as unknown);
    expect(spec.validateRequestBody(op.method, `${path}?api-version=${String(params['api-version'])}`, body)).toEqual(
      [],
    );
    const r = await rawRequest(emu, op.method, `${path}?api-version=${String(params['api-version'])}`, {
      token,
      ...(body !== undefined ? { body } : {}),
    });
    if (r.status === 202) {
      const statusUrl = String(r.headers['azure-asyncoperation']);
      const final = await waitFor(`${operationId} to finish`, async () => {
        const s = await rawRequest(emu, 'GET', new URL(statusUrl).pathname + new URL(statusUrl).search, { token });
        const st = (s.body as { status?: string }).status;
        return st && st !== 'InProgress' ? (s.body as { status: string }) : undefined;
      });
      return { status: r.status, body: final };
    }
    return { status: r.status, body: { operationId, ...(r.body as object) } };
  }

  it('runs the examples of the onboarding and failover operations', async () => {
    const c = exClients();
    token = await tokenFor(c);
    // What the examples presuppose: their vault, the VMM server registered with it, storage, VNet.
    await c.resources.resourceGroups.createOrUpdate('resourceGroupPS1', { location: 'westeurope' });
    await c.resources.resourceGroups.createOrUpdate('siterecoveryProd1', { location: 'westeurope' });
    const storage = await c.storage.storageAccounts.create(
      'resourceGroupPS1',
      'examplesasr01',
      { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_GRS' } },
      { updateIntervalInMs: 50 },
    );
    await c.network.virtualNetworks.beginCreateOrUpdateAndWait(
      'siterecoveryProd1',
      'vnetavrai',
      {
        location: 'westeurope',
        addressSpace: { addressPrefixes: ['10.7.0.0/16'] },
        subnets: [{ name: 'default', addressPrefix: '10.7.0.0/24' }],
      },
      { updateIntervalInMs: 50 },
    );
    await c.vaults.vaults.beginCreateOrUpdateAndWait(
      'resourceGroupPS1',
      'vault1',
      { location: 'westeurope', sku: { name: 'Standard' } },
      { updateIntervalInMs: 50 },
    );
    const reg = await registerVmm(emu, c, 'resourceGroupPS1', 'vault1', SUB, 'vmm01.fabrikam.local');
    const cloud = reg.containers['Contoso-Cloud'] ?? '';
    const items = await collect(
      c.asr.replicationProtectableItems.listByReplicationProtectionContainers(
        'vault1',
        'resourceGroupPS1',
        reg.fabric,
        cloud,
      ),
    );
    const web01 = items.find((i) => i.properties?.friendlyName === 'web01')?.name ?? '';
    const web02 = items.find((i) => i.properties?.friendlyName === 'web02')?.name ?? '';
    const base = { cloud1: reg.fabric, 'cloud_6d224fc6-f326-5d35-96de-fbf51efb3179': cloud };
    const itemA = { ...base, 'f8491e4f-817a-40dd-a90c-af773978c75b': web01 };
    const itemB = {
      ...base,
      'f8491e4f-817a-40dd-a90c-af773978c75b': web02,
      'c0c14913-3d7a-48ea-9531-cc99e0e686e6': web02,
    };

    expect(await sendExample('ReplicationPolicies_Create', {})).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    // The example policy names no storage account; give it one before protecting VMs.
    await c.asr.replicationPolicies.beginUpdateAndWait(
      'vault1',
      'resourceGroupPS1',
      'protectionprofile1',
      {
        properties: {
          replicationProviderSettings: { instanceType: 'HyperVReplicaAzure', storageAccounts: [storage.id ?? ''] },
        },
      } as never,
      { updateIntervalInMs: 50 },
    );
    expect(await sendExample('ReplicationProtectionContainerMappings_Create', base)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });

    // The network-mapping example lives in another vault and subscription.
    const c2 = exClients(SUB2);
    await c2.resources.resourceGroups.createOrUpdate('srcBvte2a14C27', { location: 'westeurope' });
    await c2.vaults.vaults.beginCreateOrUpdateAndWait(
      'srcBvte2a14C27',
      'srce2avaultbvtaC27',
      { location: 'westeurope', sku: { name: 'Standard' } },
      { updateIntervalInMs: 50 },
    );
    const reg2 = await registerVmm(emu, c2, 'srcBvte2a14C27', 'srce2avaultbvtaC27', SUB2, 'vmm-litware.litware.local');
    expect(
      await sendExample('ReplicationNetworkMappings_Create', {
        b0cef6e9a4437b81803d0b55ada4f700ab66caae59c35d62723a1589c0cd13ac: reg2.fabric,
        'e2267b5c-2650-49bd-ab3f-d66aae694c06': reg2.networks['Litware-VMNet'] ?? '',
      }),
    ).toMatchObject({ status: 202, body: { status: 'Succeeded' } });

    expect(await sendExample('ReplicationProtectedItems_Create', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    expect(await sendExample('ReplicationProtectedItems_Create', itemB)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    await emu.admin.setTime({ advanceSeconds: 3600 });

    expect(await sendExample('ReplicationProtectedItems_TestFailover', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    expect(await sendExample('ReplicationProtectedItems_TestFailoverCleanup', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    expect(await sendExample('ReplicationProtectedItems_PlannedFailover', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    const points = await collect(
      c.asr.recoveryPoints.listByReplicationProtectedItems('vault1', 'resourceGroupPS1', reg.fabric, cloud, web01),
    );
    expect(
      await sendExample('ReplicationProtectedItems_ApplyRecoveryPoint', {
        ...itemA,
        'e4d05fe9-5dfd-47be-b50b-aad306b2802d': points[points.length - 1]?.name ?? '',
      }),
    ).toMatchObject({ status: 202, body: { status: 'Succeeded' } });
    expect(await sendExample('ReplicationProtectedItems_FailoverCommit', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });

    // Failback waiting for synchronization suspends its job: the resume example continues it.
    const fb = await c.asr.replicationProtectedItems.beginPlannedFailover(
      'vault1',
      'resourceGroupPS1',
      reg.fabric,
      cloud,
      web01,
      {
        properties: {
          failoverDirection: 'RecoveryToPrimary',
          providerSpecificDetails: {
            instanceType: 'HyperVReplicaAzureFailback',
            dataSyncOption: 'ForSynchronization',
            recoveryVmCreationOption: 'NoAction',
          },
        },
      },
      { updateIntervalInMs: 50 },
    );
    const suspended = await waitFor('failback job to wait for resume', async () =>
      (await collect(c.asr.replicationJobs.list('vault1', 'resourceGroupPS1'))).find(
        (j) => j.properties?.state === 'Suspended',
      ),
    );
    expect(suspended.properties?.allowedActions).toContain('Resume');
    expect(
      await sendExample('ReplicationJobs_Resume', { '58776d0b-3141-48b2-a377-9ad863eb160d': suspended.name ?? '' }),
    ).toMatchObject({ status: 202, body: { status: 'Succeeded' } });
    await fb.pollUntilDone();
    await c.asr.replicationProtectedItems.beginFailoverCommitAndWait(
      'vault1',
      'resourceGroupPS1',
      reg.fabric,
      cloud,
      web01,
      { updateIntervalInMs: 50 },
    );
    expect(await sendExample('ReplicationProtectedItems_Reprotect', itemA)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });

    expect(await sendExample('ReplicationProtectedItems_UnplannedFailover', itemB)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    expect(await sendExample('ReplicationProtectedItems_Delete', itemB)).toMatchObject({
      status: 202,
      body: { status: 'Succeeded' },
    });
    const left = await collect(
      c.asr.replicationProtectedItems.listByReplicationProtectionContainers(
        'vault1',
        'resourceGroupPS1',
        reg.fabric,
        cloud,
      ),
    );
    expect(left.map((i) => i.properties?.friendlyName)).toEqual(['web01']);
  });
});
