import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureClientFactory } from '../../src/azure/clients';
import { loadAzureTarget } from '../../src/azure/target';
import { createTenantResourceActivities } from '../../src/onboarding/activities/tenant-resources';
import { startTestEmulator, TENANTS, type TestEmulator } from '../emulator/helpers';

// A read-first step that finds its storage account still being created (an earlier attempt
// whose answer was lost, another tool) waits for it instead of using it half-made, within a
// bound, then pauses for the operator; once it is ready, the step goes on without creating it
// again. The real SDK against the emulator, whose clock is slowed so "Creating" lasts.
describe('read-first meets a storage account still being created', () => {
  let emu: TestEmulator;
  const litware = TENANTS.litware;
  const principal = {
    tenantId: litware.tenantId,
    credential: { type: 'clientSecret' as const, clientId: litware.clientId, secretEnv: 'SECRET' },
  };
  const scope = {
    principal,
    subscriptionId: litware.subscriptionId,
    resourceGroup: 'litware-dr-rg',
    region: 'westeurope',
  };

  beforeAll(async () => {
    // 20 simulated seconds of creation last 2,000 real seconds at ×0.01.
    emu = await startTestEmulator({ speed: 0.01 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('waits, bounded, pauses with a clear message, and goes on once the account is ready', async () => {
    const env = {
      ASRFLOW_ARM_ENDPOINT: emu.armEndpoint,
      ASRFLOW_AUTHORITY_HOST: emu.authorityHost,
      ASRFLOW_CA_FILE: emu.caCertPath,
      SECRET: litware.clientSecret,
    };
    const factory = new AzureClientFactory(loadAzureTarget(env), env);
    const activities = createTenantResourceActivities(factory, { maxWaitMs: 1_000, pollMs: 100 });
    await new MockActivityEnvironment().run(activities.ensureResourceGroup, scope);
    // Someone else starts creating the account and does not wait for it.
    const started = factory
      .storage(principal, litware.subscriptionId)
      .storageAccounts.create(scope.resourceGroup, 'litwaredr', {
        location: 'westeurope',
        kind: 'StorageV2',
        sku: { name: 'Standard_GRS' },
      });
    await started.submitted();

    const paused = await new MockActivityEnvironment()
      .run(activities.ensureStorageAccount, { ...scope, name: 'litwaredr', sku: 'Standard_GRS' })
      .catch((e: unknown) => e);
    expect(paused).toBeInstanceOf(ApplicationFailure);
    const failure = paused as ApplicationFailure;
    expect(failure.type).toBe('NeedsOperator');
    expect(failure.message).toMatch(
      /^storage account litwaredr is still in provisioning state Creating after \d+ s of waiting$/,
    );
    expect(failure.details?.[0]).toMatchObject({ code: 'ProvisioningNotFinished' });

    await emu.admin.setTime({ speed: 100_000 });
    const ready: { id: string } = await new MockActivityEnvironment().run(activities.ensureStorageAccount, {
      ...scope,
      name: 'litwaredr',
      sku: 'Standard_GRS',
    });
    expect(ready.id).toMatch(/\/storageAccounts\/litwaredr$/i);
    // Created once, by the other party: the step never sent a create of its own.
    const counters = await emu.admin.counters();
    expect(Object.values(counters['StorageAccounts_Create'] ?? {}).map((c) => c.count)).toEqual([1]);
    await started.catch(() => undefined);
  });
});
