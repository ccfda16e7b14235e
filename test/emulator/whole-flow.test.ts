import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplicationProtectedItem } from '../../src/azure/sdk';
import { registerEmulatorCommands } from '@asrflow/azure-emulator/cli';
import { loadSpecIndex } from '../support/spec-validator';
import {
  clientsFor,
  collect,
  makeVaultCredentials,
  REGION,
  startTestEmulator,
  TENANTS,
  tenantResources,
  waitFor,
  type Clients,
  type TestEmulator,
} from './helpers';

// The whole Hyper-V (VMM) → Azure flow of the seed's first scenario, driven only through the
// real @azure/arm-* clients and ClientSecretCredential over HTTPS, plus the emulator's CLI
// for the one on-premises step (installing the Provider).

const VMM = 'vmm01.fabrikam.local';
const RG = 'asr-shared-rg';
const VAULT = 'fabrikam-asr-vault';
const POLL = { updateIntervalInMs: 50 };

describe('whole flow through the SDKs (scenario 1: shared vault, contoso VM web01)', () => {
  let emu: TestEmulator;
  let hoster: Clients;
  let contoso: Clients;
  let out: string[];

  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 1200 });
    hoster = clientsFor(emu, 'fabrikam');
    contoso = clientsFor(emu, 'contoso');
  });
  afterAll(async () => {
    await emu?.close();
  });

  async function runCli(args: string[]): Promise<void> {
    out = [];
    const program = new Command('asrflow')
      .exitOverride()
      .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    registerEmulatorCommands(program, { out: (l) => out.push(l), err: (l) => out.push(l) });
    await program.parseAsync(['node', 'asrflow', ...args]);
  }

  const item = async (fabric: string, container: string, name: string) =>
    hoster.asr.replicationProtectedItems.get(VAULT, RG, fabric, container, name);
  const jobState = async (jobId: string | undefined) =>
    (await hoster.asr.replicationJobs.get(VAULT, RG, (jobId ?? '').split('/').pop() ?? '')).properties?.state;

  it('onboards, replicates, tests, fails over, commits, fails back and reprotects', async () => {
    // Tenant resources in contoso's CSP subscription; the shared vault in the hoster's EA subscription.
    const target = await tenantResources(contoso, 'contoso-dr-rg', {
      storage: 'contosoasr01',
      vnet: 'contoso-dr-vnet',
    });
    await hoster.resources.resourceGroups.createOrUpdate(RG, { location: REGION });
    const vault = await hoster.vaults.vaults.beginCreateOrUpdateAndWait(
      RG,
      VAULT,
      { location: REGION, sku: { name: 'Standard' } },
      POLL,
    );
    expect(vault.properties?.provisioningState).toBe('Succeeded');

    // Vault credentials, then the person installs the Provider with them.
    const credsFile = path.join(emu.dataDir, `${VAULT}.VaultCredentials`);
    writeFileSync(credsFile, await makeVaultCredentials(hoster, RG, VAULT, TENANTS.fabrikam.subscriptionId), {
      mode: 0o600,
    });
    await runCli([
      'emulator',
      'install-provider',
      '--credentials',
      credsFile,
      '--vmm',
      VMM,
      '--emulator',
      emu.armEndpoint,
      '--ca',
      emu.caCertPath,
      '--data-dir',
      emu.dataDir,
    ]);
    expect(JSON.parse(out[0] ?? '{}')).toMatchObject({ registered: VMM, vault: VAULT });

    const jobs = await collect(hoster.asr.replicationJobs.list(VAULT, RG));
    const register = jobs.find((j) => j.properties?.scenarioName === 'RegisterDra');
    expect(register?.properties?.state).toBe('Succeeded');
    const fabrics = await collect(hoster.asr.replicationFabrics.list(VAULT, RG));
    expect(fabrics).toHaveLength(1);
    const fabric = fabrics[0]!;
    expect(fabric.properties?.friendlyName).toBe(VMM);
    expect(fabric.properties?.customDetails?.instanceType).toBe('VMM');
    const providers = await collect(
      hoster.asr.replicationRecoveryServicesProviders.listByReplicationFabrics(VAULT, RG, fabric.name!),
    );
    expect(providers[0]?.properties).toMatchObject({ providerVersion: '5.1.2250.0', connectionStatus: 'Connected' });
    const containers = await collect(
      hoster.asr.replicationProtectionContainers.listByReplicationFabrics(VAULT, RG, fabric.name!),
    );
    const cloud = containers.find((c) => c.properties?.friendlyName === 'Contoso-Cloud')!;
    expect(cloud.name).toMatch(/^cloud_/);
    expect(cloud.properties?.pairingStatus).toBe('NotPaired');
    const networks = await collect(hoster.asr.replicationNetworks.listByReplicationFabrics(VAULT, RG, fabric.name!));
    const vmNet = networks.find((n) => n.properties?.friendlyName === 'Contoso-VMNet')!;
    const protectable = await collect(
      hoster.asr.replicationProtectableItems.listByReplicationProtectionContainers(
        VAULT,
        RG,
        fabric.name!,
        cloud.name!,
      ),
    );
    expect(protectable.map((p) => p.properties?.friendlyName).sort()).toEqual(['legacy01', 'sql01', 'web01', 'web02']);
    const web01 = protectable.find((p) => p.properties?.friendlyName === 'web01')!;
    expect(web01.properties?.protectionStatus).toBe('Unprotected');
    expect(web01.properties?.protectionReadinessErrors).toEqual([]);

    // Policy, association, network mapping.
    const policy = await hoster.asr.replicationPolicies.beginCreateAndWait(
      VAULT,
      RG,
      'contoso-policy',
      {
        properties: {
          providerSpecificInput: {
            instanceType: 'HyperVReplicaAzure',
            recoveryPointHistoryDuration: 24,
            applicationConsistentSnapshotFrequencyInHours: 4,
            replicationInterval: 300,
            storageAccounts: [target.storageId],
          },
        },
      },
      POLL,
    );
    expect(policy.properties?.providerSpecificDetails?.instanceType).toBe('HyperVReplicaAzure');
    const mapping = await hoster.asr.replicationProtectionContainerMappings.beginCreateAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      'contoso-cloud-policy',
      // The SDK's union lacks the spec's base instanceType, which is what Hyper-V to Azure sends.
      {
        properties: {
          targetProtectionContainerId: 'Microsoft Azure',
          policyId: policy.id!,
          providerSpecificInput: { instanceType: 'ReplicationProviderSpecificContainerMappingInput' },
        },
      } as never,
      POLL,
    );
    expect(mapping.properties?.state).toBe('Paired');
    expect(
      (await hoster.asr.replicationProtectionContainers.get(VAULT, RG, fabric.name!, cloud.name!)).properties
        ?.pairingStatus,
    ).toBe('Paired');
    const netMap = await hoster.asr.replicationNetworkMappings.beginCreateAndWait(
      VAULT,
      RG,
      fabric.name!,
      vmNet.name!,
      'contoso-vmnet-map',
      {
        properties: {
          recoveryFabricName: 'Microsoft Azure',
          recoveryNetworkId: target.vnetId,
          fabricSpecificDetails: { instanceType: 'VmmToAzure' },
        },
      },
      POLL,
    );
    expect(netMap.properties?.state).toBe('Paired');

    // Enable protection; initial replication completes by disk size at simulated speed.
    const custom = web01.properties?.customDetails as {
      sourceItemId?: string;
      diskDetails?: Array<{ vhdId?: string }>;
    };
    const enablePoller = await hoster.asr.replicationProtectedItems.beginCreate(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      {
        properties: {
          policyId: policy.id!,
          protectableItemId: web01.id!,
          providerSpecificDetails: {
            instanceType: 'HyperVReplicaAzure',
            hvHostVmId: custom.sourceItemId,
            vmName: 'web01',
            osType: 'Windows',
            vhdId: custom.diskDetails?.[0]?.vhdId,
            targetStorageAccountId: target.storageId,
            targetAzureV2ResourceGroupId: `/subscriptions/${TENANTS.contoso.subscriptionId}/resourceGroups/contoso-dr-rg`,
            targetAzureNetworkId: target.vnetId,
            targetAzureSubnetId: 'default',
            targetAzureVmName: 'web01',
            enableRdpOnTargetOption: 'Never',
            useManagedDisks: 'false',
          },
        },
      },
      POLL,
    );
    const during = await item(fabric.name!, cloud.name!, web01.name!);
    expect(during.properties?.protectionState).toBe('EnablingProtection');
    expect(during.properties?.currentScenario?.scenarioName).toBe('EnableDr');
    const enabled = await enablePoller.pollUntilDone();
    expect(enabled.properties?.activeLocation).toBe('Primary');
    expect(await jobState(during.properties?.currentScenario?.jobId)).toBe('Succeeded');

    const protectedItem = await waitFor('initial replication to complete', async () => {
      const it = await item(fabric.name!, cloud.name!, web01.name!);
      const d = it.properties?.providerSpecificDetails as {
        initialReplicationDetails?: { initialReplicationProgressPercentage?: string };
      };
      return d.initialReplicationDetails?.initialReplicationProgressPercentage === '100' ? it : undefined;
    });
    const prov = protectedItem.properties?.providerSpecificDetails as {
      lastReplicatedTime?: Date;
      rpoInSeconds?: number;
    };
    expect(protectedItem.properties?.protectionState).toBe('Protected');
    expect(protectedItem.properties?.allowedOperations).toEqual(
      expect.arrayContaining(['TestFailover', 'PlannedFailover', 'UnplannedFailover', 'DisableProtection']),
    );
    expect(protectedItem.properties?.testFailoverState).toBe('None');
    expect(prov.lastReplicatedTime).toBeInstanceOf(Date);
    expect(typeof prov.rpoInSeconds).toBe('number');
    const points = await collect(
      hoster.asr.recoveryPoints.listByReplicationProtectedItems(VAULT, RG, fabric.name!, cloud.name!, web01.name!),
    );
    expect(points.length).toBeGreaterThan(0);

    // Test failover, then cleanup.
    const tfo = await hoster.asr.replicationProtectedItems.beginTestFailoverAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: target.vnetId,
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    expect(tfo.properties?.testFailoverState).toBe('WaitingForCompletion');
    expect(tfo.properties?.allowedOperations).toEqual(['TestFailoverCleanup']);
    expect(tfo.properties?.currentScenario?.scenarioName).toBe('TestFailover');
    expect(await jobState(tfo.properties?.currentScenario?.jobId)).toBe('Succeeded');
    const estate = (await emu.admin.estate()) as { azureVms: Array<{ name: string; purpose: string }> };
    expect(estate.azureVms).toContainEqual(expect.objectContaining({ name: 'web01-test', purpose: 'TestFailover' }));

    const cleaned = await hoster.asr.replicationProtectedItems.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      { properties: { comments: 'drill done' } },
      POLL,
    );
    expect(cleaned.properties?.testFailoverState).toBe('None');
    expect(cleaned.properties?.lastSuccessfulTestFailoverTime).toBeInstanceOf(Date);
    expect(cleaned.properties?.allowedOperations).toContain('PlannedFailover');
    expect(cleaned.properties?.currentScenario?.scenarioName).toBe('None');

    // Planned failover → commit.
    const pfo = await hoster.asr.replicationProtectedItems.beginPlannedFailoverAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    expect(pfo.properties).toMatchObject({
      protectionState: 'PlannedFailoverCommitRequired',
      activeLocation: 'Recovery',
    });
    expect(pfo.properties?.allowedOperations).toEqual(
      expect.arrayContaining(['Commit', 'ChangePit', 'DisableProtection']),
    );
    const committed = await hoster.asr.replicationProtectedItems.beginFailoverCommitAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      POLL,
    );
    expect(committed.properties).toMatchObject({
      protectionState: 'PlannedFailoverStatesBegin',
      activeLocation: 'Recovery',
    });
    expect(committed.properties?.allowedOperations).toContain('Failback');

    // Reprotect straight after the commit is refused, as Site Recovery does for Hyper-V → Azure.
    await expect(
      hoster.asr.replicationProtectedItems.beginReprotectAndWait(
        VAULT,
        RG,
        fabric.name!,
        cloud.name!,
        web01.name!,
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
          },
        },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 400 });

    // Failback (planned failover from Azure), commit, then reprotect (reverse replicate).
    const failback = await hoster.asr.replicationProtectedItems.beginPlannedFailoverAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      {
        properties: {
          failoverDirection: 'RecoveryToPrimary',
          providerSpecificDetails: {
            instanceType: 'HyperVReplicaAzureFailback',
            dataSyncOption: 'ForDownTime',
            recoveryVmCreationOption: 'NoAction',
          },
        },
      },
      POLL,
    );
    expect(failback.properties).toMatchObject({
      protectionState: 'PlannedFailoverCommitRequired',
      activeLocation: 'Primary',
    });
    const fbCommitted = await hoster.asr.replicationProtectedItems.beginFailoverCommitAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      POLL,
    );
    expect(fbCommitted.properties?.allowedOperations).toContain('ReverseReplicate');
    const reprotected = await hoster.asr.replicationProtectedItems.beginReprotectAndWait(
      VAULT,
      RG,
      fabric.name!,
      cloud.name!,
      web01.name!,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          providerSpecificDetails: {
            instanceType: 'HyperVReplicaAzure',
            vmName: 'web01',
            osType: 'Windows',
            storageAccountId: target.storageId,
          },
        },
      },
      POLL,
    );
    expect(reprotected.properties?.activeLocation).toBe('Primary');
    expect(['ResynchronizationInProgress', 'Protected']).toContain(reprotected.properties?.protectionState);
    const again: ReplicationProtectedItem = await waitFor('resynchronization to complete', async () => {
      const it = await item(fabric.name!, cloud.name!, web01.name!);
      return it.properties?.protectionState === 'Protected' ? it : undefined;
    });
    expect(again.properties?.allowedOperations).toContain('TestFailover');
    expect(again.properties?.activeLocation).toBe('Primary');

    // Effective operations: enable protection was accepted exactly once for web01.
    const counters = await emu.admin.counters();
    const enables = Object.values(counters['ReplicationProtectedItems_Create'] ?? {}).filter(
      (c) => c.label === 'web01',
    );
    expect(enables).toEqual([{ count: 1, label: 'web01' }]);
  });

  it('every Site Recovery and vault body of that flow validates against the official specification', async () => {
    // Fails with a message naming ASRFLOW_AZURE_SPECS when the specification files are absent.
    const spec = await loadSpecIndex();
    const log = (await emu.admin.requests(0, true)).entries;
    const problems: string[] = [];
    const validated = new Set<string>();
    for (const e of log) {
      const url = `${e.path}${e.query}`;
      if (e.status === 0) continue;
      // Polling answers are checked against the operation they finish: the final GET of the resource.
      const final = /^(.*)\/operationresults\/[^/]+$/i.exec(e.path);
      const statusPoll = /\/replicationOperationStatus\//i.test(e.path);
      const method = final ? 'GET' : e.method;
      const target = final
        ? `${final[1]}${e.query}`
        : statusPoll
          ? url
              .replace(/\/replicationOperationStatus\//i, '/operationStatus/')
              .replace(/api-version=[^&]+/, 'api-version=2024-04-01')
          : url;
      const op = spec.findOperation(method, target);
      if (!op) continue;
      if (final && e.status === 202) continue;
      if (op.specFile.startsWith('siterecovery') && e.status >= 400) continue;
      const errors = spec.validateResponse(method, target, final && e.status === 200 ? 200 : e.status, e.responseBody);
      if (e.requestBody !== undefined && !final && !statusPoll)
        errors.push(...spec.validateRequestBody(e.method, url, e.requestBody).map((x) => `request: ${x}`));
      validated.add(op.operationId);
      for (const x of errors) problems.push(`${e.method} ${e.path} -> ${e.status} (${op.operationId}): ${x}`);
    }
    expect(problems).toEqual([]);
    for (const id of [
      'Vaults_CreateOrUpdate',
      'Vaults_Get',
      'VaultExtendedInfo_CreateOrUpdate',
      'GetOperationStatus',
      'ReplicationFabrics_List',
      'ReplicationRecoveryServicesProviders_ListByReplicationFabrics',
      'ReplicationProtectionContainers_ListByReplicationFabrics',
      'ReplicationProtectableItems_ListByReplicationProtectionContainers',
      'ReplicationNetworks_ListByReplicationFabrics',
      'ReplicationPolicies_Create',
      'ReplicationPolicies_Get',
      'ReplicationProtectionContainerMappings_Create',
      'ReplicationNetworkMappings_Create',
      'ReplicationProtectedItems_Create',
      'ReplicationProtectedItems_Get',
      'RecoveryPoints_ListByReplicationProtectedItems',
      'ReplicationProtectedItems_TestFailover',
      'ReplicationProtectedItems_TestFailoverCleanup',
      'ReplicationProtectedItems_PlannedFailover',
      'ReplicationProtectedItems_FailoverCommit',
      'ReplicationProtectedItems_Reprotect',
      'ReplicationJobs_List',
      'ReplicationJobs_Get',
    ]) {
      expect(validated, `no ${id} response was validated`).toContain(id);
    }
  });
});
