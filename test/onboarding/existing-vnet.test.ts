import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { clientsFor, collect } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { LITWARE_VMM, registerWhenAsked } from '../support/litware';
import { startTestStack, type TestStack } from '../support/stack';

// A tenant that fails over into its own VNet, in its own network resource group: asrflow never
// creates or changes it. Missing, it stops onboarding for the operator with what to check; once
// there, the VM network is mapped to it and the VMs replicate to it.
describe("failover into the customer's existing VNet", () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let planFile: string;
  const id = workflowIds.tenantOnboarding('litware');
  const vnetPath = 'resourcegroups/litware-net-rg/providers/microsoft.network/virtualnetworks/litware-corp-vnet';

  beforeAll(async () => {
    stack = await startTestStack();
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(LITWARE_VMM);
    const example = parse(readFileSync(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), 'utf8')) as {
      tenants: Array<Record<string, unknown>>;
    };
    const litware = example.tenants[0] ?? {};
    const network = litware['network'] as Record<string, unknown>;
    planFile = path.join(mkdtempSync(path.join(tmpdir(), 'asrflow-existing-vnet-')), 'plan.yaml');
    writeFileSync(
      planFile,
      stringify({
        ...example,
        tenants: [
          {
            ...litware,
            network: { ...network, vnet: 'litware-corp-vnet', resourceGroup: 'litware-net-rg', existing: true },
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('waits for the operator while the VNet is missing, then maps to it without ever writing it', async () => {
    const onboard = await runCli(['onboard', planFile], stack.env);
    expect(onboard.code, onboard.stderr).toBe(0);
    const waiting = await eventually(async () => {
      const p = await stack.client.workflow.getHandle(id).query(progressQuery);
      return p.steps.find((s) => s.name === 'virtual-network' && s.state === 'waiting-for-operator') ? p : undefined;
    }, 'the virtual-network step waiting for the operator');
    expect(waiting.operatorAction).toContain(
      'virtual network litware-corp-vnet does not exist in resource group litware-net-rg of subscription',
    );
    const retry = /`(asrflow retry [^`]+)`/.exec(waiting.operatorAction ?? '')?.[1];
    expect(retry).toBe('asrflow retry --tenant litware');

    // The customer's network team creates it (with a subnet asrflow does not know of).
    const c = clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'litware',
    );
    await c.resources.resourceGroups.createOrUpdate('litware-net-rg', { location: 'westeurope' });
    await c.network.virtualNetworks.beginCreateOrUpdateAndWait(
      'litware-net-rg',
      'litware-corp-vnet',
      {
        location: 'westeurope',
        addressSpace: { addressPrefixes: ['10.30.0.0/16'] },
        subnets: [
          { name: 'Litware-Subnet', addressPrefix: '10.30.0.0/24' },
          { name: 'Litware-Mgmt', addressPrefix: '10.30.9.0/24' },
        ],
      },
      { updateIntervalInMs: 50 },
    );
    const retried = await runCli((retry ?? '').split(' ').slice(1), stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    await registerWhenAsked(stack);
    const done = (await stack.client.workflow.getHandle(id).result()) as TenantOnboardingResult;
    expect(done.protectedVms.sort()).toEqual(['erp01', 'files01']);

    // Written once, by the customer; asrflow only read it. Its own test VNet is in its own group.
    const writes = (await admin.requests(0)).entries.filter((e) => e.operationId === 'VirtualNetworks_CreateOrUpdate');
    expect(writes.filter((e) => e.path.toLowerCase().includes(vnetPath)).length).toBe(1);
    expect(writes.map((e) => e.path.toLowerCase()).some((p) => p.includes('/litware-dr-rg/'))).toBe(true);
    const items = await collect(c.asr.replicationProtectedItems.list('litware-asr-vault', 'litware-dr-rg'));
    expect(items.length).toBe(2);
    for (const item of items) {
      const network = (item.properties?.providerSpecificDetails as { selectedRecoveryAzureNetworkId?: string })
        .selectedRecoveryAzureNetworkId;
      expect(network?.toLowerCase()).toContain(vnetPath);
    }
  });
});
