import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEmulatorCommands } from '@asrflow/azure-emulator/cli';
import { parseEstate, EstateError } from '@asrflow/azure-emulator';
import {
  clientsFor,
  collect,
  createPolicyAndMapping,
  enableInput,
  makeVaultCredentials,
  protectableByName,
  registerVmm,
  startTestEmulator,
  TENANTS,
  tenantResources,
  waitFor,
  type Clients,
  type TestEmulator,
} from './helpers';

const POLL = { updateIntervalInMs: 50 };

describe('rules of the seed and the support matrix, answered like Azure', () => {
  let emu: TestEmulator;
  let contoso: Clients;
  let target: { storageId: string; vnetId: string };
  let reg: Awaited<ReturnType<typeof registerVmm>>;
  let policyId: string;

  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 1200, retryAfterSeconds: 1 });
    contoso = clientsFor(emu, 'contoso');
    // Scenario 2 shape for contoso: vault, storage and VNet in its own subscription.
    const r = await tenantResources(contoso, 'contoso-rg', {
      storage: 'contosogrs01',
      vnet: 'contoso-vnet',
      vault: 'contoso-vault',
    });
    target = { storageId: r.storageId, vnetId: r.vnetId };
    reg = await registerVmm(
      emu,
      contoso,
      'contoso-rg',
      'contoso-vault',
      TENANTS.contoso.subscriptionId,
      'vmm01.fabrikam.local',
    );
    policyId = await createPolicyAndMapping(
      contoso,
      'contoso-rg',
      'contoso-vault',
      reg.fabric,
      reg.containers['Contoso-Cloud'] ?? '',
      target.storageId,
    );
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('validates names: storage (3-24 lowercase), vault, resource group, VNet; storage names are global', async () => {
    await expect(
      contoso.storage.storageAccounts.create('contoso-rg', 'Contoso-DR', {
        location: 'westeurope',
        kind: 'StorageV2',
        sku: { name: 'Standard_GRS' },
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'AccountNameInvalid' });
    const invalid = await contoso.storage.storageAccounts.checkNameAvailability({
      name: 'Contoso-DR',
      type: 'Microsoft.Storage/storageAccounts',
    });
    expect(invalid).toMatchObject({ nameAvailable: false, reason: 'AccountNameInvalid' });
    const taken = await clientsFor(emu, 'northwind').storage.storageAccounts.checkNameAvailability({
      name: 'contosogrs01',
      type: 'Microsoft.Storage/storageAccounts',
    });
    expect(taken).toMatchObject({ nameAvailable: false, reason: 'AlreadyExists' });
    const northwind = clientsFor(emu, 'northwind');
    await northwind.resources.resourceGroups.createOrUpdate('nw-rg', { location: 'westeurope' });
    await expect(
      northwind.storage.storageAccounts.create('nw-rg', 'contosogrs01', {
        location: 'westeurope',
        kind: 'StorageV2',
        sku: { name: 'Standard_GRS' },
      }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'StorageAccountAlreadyTaken' });
    await expect(
      contoso.vaults.vaults.beginCreateOrUpdateAndWait('contoso-rg', '1-bad_vault', {
        location: 'westeurope',
        sku: { name: 'Standard' },
      }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      contoso.resources.resourceGroups.createOrUpdate('ends-with-dot.', { location: 'westeurope' }),
    ).rejects.toMatchObject({ statusCode: 400 });
    await expect(
      contoso.network.virtualNetworks.beginCreateOrUpdateAndWait('contoso-rg', 'v', {
        location: 'westeurope',
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
      }),
    ).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceName' });
  });

  it('requires geo-redundant target storage in the vault region', async () => {
    await contoso.storage.storageAccounts.create(
      'contoso-rg',
      'contosolrs01',
      { location: 'westeurope', kind: 'StorageV2', sku: { name: 'Standard_LRS' } },
      POLL,
    );
    await contoso.storage.storageAccounts.create(
      'contoso-rg',
      'contosone01',
      { location: 'northeurope', kind: 'StorageV2', sku: { name: 'Standard_GRS' } },
      POLL,
    );
    const lrs = `/subscriptions/${TENANTS.contoso.subscriptionId}/resourceGroups/contoso-rg/providers/Microsoft.Storage/storageAccounts/contosolrs01`;
    const ne = `/subscriptions/${TENANTS.contoso.subscriptionId}/resourceGroups/contoso-rg/providers/Microsoft.Storage/storageAccounts/contosone01`;
    const policy = (s: string) =>
      ({
        properties: {
          providerSpecificInput: {
            instanceType: 'HyperVReplicaAzure',
            recoveryPointHistoryDuration: 24,
            applicationConsistentSnapshotFrequencyInHours: 0,
            replicationInterval: 300,
            storageAccounts: [s],
          },
        },
      }) as never;
    await expect(
      contoso.asr.replicationPolicies.beginCreateAndWait('contoso-vault', 'contoso-rg', 'p-lrs', policy(lrs), POLL),
    ).rejects.toMatchObject({ statusCode: 400, code: 'StorageAccountNotGeoRedundant' });
    await expect(
      contoso.asr.replicationPolicies.beginCreateAndWait('contoso-vault', 'contoso-rg', 'p-ne', policy(ne), POLL),
    ).rejects.toMatchObject({ statusCode: 400, code: 'LocationMismatch' });
    const web02 = await protectableByName(
      contoso,
      'contoso-rg',
      'contoso-vault',
      reg.fabric,
      reg.containers['Contoso-Cloud'] ?? '',
      'web02',
    );
    await expect(
      contoso.asr.replicationProtectedItems.beginCreateAndWait(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        reg.containers['Contoso-Cloud'] ?? '',
        web02.name ?? '',
        enableInput(policyId, web02, { storageId: lrs }, 'web02'),
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'StorageAccountNotGeoRedundant' });
  });

  it('requires the recovery VNet in the vault region', async () => {
    await contoso.network.virtualNetworks.beginCreateOrUpdateAndWait(
      'contoso-rg',
      'contoso-ne-vnet',
      { location: 'northeurope', addressSpace: { addressPrefixes: ['10.9.0.0/16'] } },
      POLL,
    );
    const neVnet = `/subscriptions/${TENANTS.contoso.subscriptionId}/resourceGroups/contoso-rg/providers/Microsoft.Network/virtualNetworks/contoso-ne-vnet`;
    await expect(
      contoso.asr.replicationNetworkMappings.beginCreateAndWait(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        reg.networks['Contoso-VMNet'] ?? '',
        'map-ne',
        {
          properties: {
            recoveryFabricName: 'Microsoft Azure',
            recoveryNetworkId: neVnet,
            fabricSpecificDetails: { instanceType: 'VmmToAzure' },
          },
        },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'LocationMismatch' });
  });

  it('shows readiness errors on a non-compliant VM and fails its enable-protection job with an ASR error', async () => {
    const cloud = reg.containers['Contoso-Cloud'] ?? '';
    const legacy = await protectableByName(contoso, 'contoso-rg', 'contoso-vault', reg.fabric, cloud, 'legacy01');
    expect(legacy.properties?.protectionReadinessErrors?.[0]).toMatch(/shared virtual hard disk/);
    expect((legacy.properties?.customDetails as { hasSharedVhd?: string }).hasSharedVhd).toBe('Present');
    const err = await contoso.asr.replicationProtectedItems
      .beginCreateAndWait(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        cloud,
        legacy.name ?? '',
        enableInput(policyId, legacy, target, 'legacy01'),
        POLL,
      )
      .then(
        () => undefined,
        (e: unknown) => e as Error,
      );
    expect(err?.message).toMatch(/70094/);
    const job = (await collect(contoso.asr.replicationJobs.list('contoso-vault', 'contoso-rg'))).find(
      (j) => j.properties?.scenarioName === 'EnableDr' && j.properties?.targetObjectName === 'legacy01',
    );
    expect(job?.properties?.state).toBe('Failed');
    expect(job?.properties?.errors?.[0]?.serviceErrorDetails).toMatchObject({
      code: '70094',
      possibleCauses: expect.stringMatching(/shared VHDX/),
    });
    expect(job?.properties?.errors?.[0]?.providerErrorDetails?.errorCode).toBe(31401);
    const after = await protectableByName(contoso, 'contoso-rg', 'contoso-vault', reg.fabric, cloud, 'legacy01');
    expect(after.properties?.protectionStatus).toBe('Unprotected');
  });

  it('refuses failover operations before initial replication completes, and a second enable while one runs', async () => {
    // Simulated time stands (nearly) still; the test moves it explicitly.
    await emu.admin.setTime({ speed: 0.001 });
    const cloud = reg.containers['Contoso-Cloud'] ?? '';
    const sql01 = await protectableByName(contoso, 'contoso-rg', 'contoso-vault', reg.fabric, cloud, 'sql01');
    const poller = await contoso.asr.replicationProtectedItems.beginCreate(
      'contoso-vault',
      'contoso-rg',
      reg.fabric,
      cloud,
      sql01.name ?? '',
      enableInput(policyId, sql01, target, 'sql01'),
      POLL,
    );
    // A repeated PUT joins the running operation rather than starting another job.
    const again = await contoso.asr.replicationProtectedItems.beginCreate(
      'contoso-vault',
      'contoso-rg',
      reg.fabric,
      cloud,
      sql01.name ?? '',
      enableInput(policyId, sql01, target, 'sql01'),
      POLL,
    );
    expect(JSON.parse(again.toString()).state.config.operationLocation).toBe(
      JSON.parse(poller.toString()).state.config.operationLocation,
    );
    await expect(
      contoso.asr.replicationProtectedItems.beginTestFailoverAndWait(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        cloud,
        sql01.name ?? '',
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            networkType: 'NoNetworkAttachAsInput',
            providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
          },
        },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 409, code: 'AnotherOperationInProgress' });
    await emu.admin.setTime({ advanceSeconds: 200 });
    await poller.pollUntilDone();
    await expect(
      contoso.asr.replicationProtectedItems.beginTestFailoverAndWait(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        cloud,
        sql01.name ?? '',
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            networkType: 'NoNetworkAttachAsInput',
            providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
          },
        },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'OperationNotAllowed' });
    const counters = await emu.admin.counters();
    expect(
      Object.values(counters['ReplicationProtectedItems_Create'] ?? {}).filter((x) => x.label === 'sql01'),
    ).toEqual([{ count: 1, label: 'sql01' }]);
    await emu.admin.setTime({ advanceSeconds: 600 });
    const progress = await waitFor('replication progress of sql01', async () => {
      const it = await contoso.asr.replicationProtectedItems.get(
        'contoso-vault',
        'contoso-rg',
        reg.fabric,
        cloud,
        sql01.name ?? '',
      );
      return (
        it.properties?.providerSpecificDetails as {
          initialReplicationDetails?: { initialReplicationProgressPercentage?: string };
        }
      ).initialReplicationDetails?.initialReplicationProgressPercentage === '100'
        ? it
        : undefined;
    });
    expect(progress.properties?.allowedOperations).toContain('TestFailover');
  });
});

describe('the Provider version rule (scenario 2, litware)', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 1200, retryAfterSeconds: 1 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  async function cli(args: string[]): Promise<{ code: number; out: string[] }> {
    const out: string[] = [];
    const program = new Command('asrflow')
      .exitOverride()
      .configureOutput({ writeErr: (s) => out.push(s.trim()), writeOut: (s) => out.push(s.trim()) });
    registerEmulatorCommands(program, { out: (l) => out.push(l), err: (l) => out.push(l) });
    try {
      await program.parseAsync(['node', 'asrflow', ...args]);
      return { code: 0, out };
    } catch (e) {
      if (e instanceof CommanderError) return { code: e.exitCode, out };
      throw e;
    }
  }

  it('fails registration with the unknown certificate error below 5.1.1256.0, and succeeds after an upgrade', async () => {
    const litware = clientsFor(emu, 'litware');
    await tenantResources(litware, 'litware-rg', {
      storage: 'litwareasr01',
      vnet: 'litware-vnet',
      vault: 'litware-vault',
    });
    const file = path.join(emu.dataDir, 'litware.VaultCredentials');
    writeFileSync(
      file,
      await makeVaultCredentials(litware, 'litware-rg', 'litware-vault', TENANTS.litware.subscriptionId),
      { mode: 0o600 },
    );
    const conn = ['--data-dir', emu.dataDir];

    const first = await cli([
      'emulator',
      'install-provider',
      '--credentials',
      file,
      '--vmm',
      'vmm-litware.litware.local',
      ...conn,
    ]);
    expect(first.code).toBe(1);
    expect(first.out.join('\n')).toMatch(/unknown error occurred while reading the certificate/i);
    expect(first.out.join('\n')).toMatch(/5\.1\.1256\.0/);
    expect(await collect(litware.asr.replicationFabrics.list('litware-vault', 'litware-rg'))).toEqual([]);

    const up = await cli([
      'emulator',
      'upgrade-provider',
      '--vmm',
      'vmm-litware.litware.local',
      '--provider-version',
      '5.1.2250.0',
      ...conn,
    ]);
    expect(up.code).toBe(0);
    const second = await cli([
      'emulator',
      'install-provider',
      '--credentials',
      file,
      '--vmm',
      'vmm-litware.litware.local',
      ...conn,
    ]);
    expect(second.code).toBe(0);
    const fabrics = await collect(litware.asr.replicationFabrics.list('litware-vault', 'litware-rg'));
    expect(fabrics.map((f) => f.properties?.friendlyName)).toEqual(['vmm-litware.litware.local']);
    const providers = await collect(
      litware.asr.replicationRecoveryServicesProviders.listByReplicationFabrics(
        'litware-vault',
        'litware-rg',
        fabrics[0]?.name ?? '',
      ),
    );
    expect(providers[0]?.properties?.providerVersion).toBe('5.1.2250.0');
    // Installing again is harmless: the server is already registered with this vault.
    const third = await cli([
      'emulator',
      'install-provider',
      '--credentials',
      file,
      '--vmm',
      'vmm-litware.litware.local',
      ...conn,
    ]);
    expect(third.code).toBe(0);
    expect(JSON.parse(third.out[0] ?? '{}')).toMatchObject({ alreadyRegistered: true });
  });

  it('checks the vault credentials file: unknown certificate, wrong integrity key, expiry, other vault', async () => {
    const northwind = clientsFor(emu, 'northwind');
    await tenantResources(northwind, 'nw-rg', { storage: 'nwasr01', vnet: 'nw-vnet', vault: 'nw-vault' });
    const good = await makeVaultCredentials(northwind, 'nw-rg', 'nw-vault', TENANTS.northwind.subscriptionId);
    const install = async (xml: string, vmm = 'vmm01.fabrikam.local') =>
      (await emu.admin.installProvider(xml, vmm)).body as { ok: boolean; code?: string };
    expect(await install(good.replace(/<ChannelIntegrityKey>[^<]*</, '<ChannelIntegrityKey>AAAA<'))).toMatchObject({
      ok: false,
      code: 'IntegrityKeyMismatch',
    });
    const other = await makeVaultCredentials(northwind, 'nw-rg', 'nw-vault', TENANTS.northwind.subscriptionId);
    const swapped = good.replace(
      /<ManagementCert>[^<]*</,
      `<ManagementCert>${/<ManagementCert>([^<]*)</.exec(other)?.[1] ?? ''}<`,
    );
    expect(await install(swapped)).toMatchObject({ ok: true });
    // A well-formed certificate that was uploaded to another vault, not this one.
    const litwareFile = await makeVaultCredentials(
      clientsFor(emu, 'litware'),
      'litware-rg',
      'litware-vault',
      TENANTS.litware.subscriptionId,
    );
    const foreign = good.replace(
      /<ManagementCert>[^<]*</,
      `<ManagementCert>${/<ManagementCert>([^<]*)</.exec(litwareFile)?.[1] ?? ''}<`,
    );
    expect(await install(foreign, 'vmm-litware.litware.local')).toMatchObject({
      ok: false,
      code: 'CertificateNotRecognized',
    });
    const unknown = good.replace(/<ManagementCert>[^<]*</, '<ManagementCert>bm90IGEgcGZ4<');
    expect(await install(unknown)).toMatchObject({ ok: false, code: 'InvalidManagementCertificate' });
    // Five days later (simulated) the file has expired.
    await emu.admin.setTime({ advanceSeconds: 6 * 24 * 3600 });
    const litware = clientsFor(emu, 'litware');
    expect(
      await install(
        await makeVaultCredentials(litware, 'litware-rg', 'litware-vault', TENANTS.litware.subscriptionId, {
          notBefore: new Date(Date.now() - 3600_000),
          validHours: 120,
        }),
        'vmm-litware.litware.local',
      ),
    ).toMatchObject({
      ok: false,
      code: 'VaultCredentialsExpired',
    });
    // vmm01 is registered with northwind's vault now: another vault cannot take it.
    await waitFor('northwind registration', async () =>
      (await collect(northwind.asr.replicationFabrics.list('nw-vault', 'nw-rg'))).length === 1 ? true : undefined,
    );
    const fab = clientsFor(emu, 'fabrikam');
    await tenantResources(fab, 'fab-rg', { storage: 'fabasr01', vnet: 'fab-vnet', vault: 'fab-vault' });
    expect(
      await install(
        await makeVaultCredentials(fab, 'fab-rg', 'fab-vault', TENANTS.fabrikam.subscriptionId, {
          notBefore: new Date(Date.now() + 6 * 24 * 3600_000 - 3600_000),
        }),
      ),
    ).toMatchObject({ ok: false, code: 'ServerAlreadyRegistered' });
  });
});

describe('estate file errors', () => {
  it('names the file, line, field and a fix', () => {
    const bad =
      'tenants: []\nvmmServers:\n  - name: v1\n    providerVersion: "5.1"\n    clouds: [{ name: C1 }]\n    vmNetworks: []\n    vms:\n      - name: a\n        cloud: C2\n        generation: 2\n        osType: Windows\n        disks: [{ name: d, sizeGB: 1, format: VHD }]\n';
    let error: unknown;
    try {
      parseEstate(bad, 'my-estate.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EstateError);
    expect((error as Error).message).toMatch(
      /^my-estate\.yaml:4:\d+: vmmServers\.0\.providerVersion: .*Fix: write the Provider version as four numbers/m,
    );
    const semantic = bad.replace('"5.1"', '5.1.2250.0');
    expect(() => parseEstate(semantic, 'my-estate.yaml')).toThrow(
      /my-estate\.yaml:9:\d+: vmmServers\.0\.vms\.0\.cloud: cloud 'C2' is not a cloud of v1\. Fix: use one of: C1/,
    );
  });
});
