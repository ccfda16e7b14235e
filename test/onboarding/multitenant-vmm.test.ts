import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { loadPlan } from '../../src/domain/plan/load';
import type { MultitenantVmmPlan } from '../../src/domain/plan/types';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { eventually, repoRoot, runCli } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';
import { maybeRecordHistories } from '../support/histories';

// Scenario 1 end to end: the provider's shared vault in its own subscription, one shared VMM
// server registered once, two CSP tenants onboarded into it with their own credentials.
describe('onboarding tenants onto a shared VMM (multitenant)', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  const file = path.join(repoRoot, 'examples', 'multitenant-vmm.yaml');
  let plan: MultitenantVmmPlan;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    plan = loadPlan(file, { env: stack.env }).plan as MultitenantVmmPlan;
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('protects every selected VM of both tenants, each tenant calling Azure with its own token', async () => {
    const started = await runCli(['onboard', file, '--json'], stack.env);
    expect(started.code).toBe(0);
    const vaultId = workflowIds.sharedVault(plan.provider.subscriptionId, plan.provider.vault);
    expect(
      (JSON.parse(started.stdout) as Array<{ workflowId: string; outcome: string }>).map((s) => [
        s.workflowId,
        s.outcome,
      ]),
    ).toEqual([
      [vaultId, 'started'],
      [workflowIds.tenantOnboarding('contoso'), 'started'],
      [workflowIds.tenantOnboarding('northwind'), 'started'],
    ]);

    const vaultProgress = await eventually(async () => {
      const p = await stack.client.workflow.getHandle(vaultId).query(progressQuery);
      return p.operatorAction?.includes('.VaultCredentials') ? p : undefined;
    }, 'the shared vault to ask for the Provider installation');
    const credentials = /vault credentials file (\S+\.VaultCredentials)/.exec(
      vaultProgress.operatorAction ?? '',
    )?.[1] as string;
    // The UI's "Details" says what the plan asked for.
    const description = await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).describe();
    expect(await description.staticSummary()).toBe('Onboard contoso (multitenant-vmm)');
    const details = await description.staticDetails();
    expect(details).toContain(`**Subscription** ${plan.tenants[0]?.subscriptionId}`);
    expect(details).toMatch(/\*\*VMs\*\* web01, web02, sql01|\*\*VMs\*\* all of cloud/);
    // Tenants wait for the shared registration meanwhile, saying so.
    const tenantWaiting = await stack.client.workflow
      .getHandle(workflowIds.tenantOnboarding('contoso'))
      .query(progressQuery);
    expect(['resource-group', 'storage-account', 'virtual-network', 'test-network', 'shared-registration']).toContain(
      tenantWaiting.stage,
    );

    const installed = await runCli(
      [
        'emulator',
        'install-provider',
        '--credentials',
        credentials,
        '--vmm',
        plan.provider.vmmServer,
        '--data-dir',
        stack.emulator.dataDir,
      ],
      stack.env,
    );
    expect(installed.code).toBe(0);

    const contoso = (await stack.client.workflow
      .getHandle(workflowIds.tenantOnboarding('contoso'))
      .result()) as TenantOnboardingResult;
    const northwind = (await stack.client.workflow
      .getHandle(workflowIds.tenantOnboarding('northwind'))
      .result()) as TenantOnboardingResult;
    expect(contoso.protectedVms.sort()).toEqual(['sql01', 'web01', 'web02']);
    expect(northwind.protectedVms.sort()).toEqual(['app01', 'app02']);
    expect(await stack.client.workflow.getHandle(vaultId).result()).toMatchObject({ providerVersion: '5.1.2250.0' });
    await maybeRecordHistories(stack.client, 'multitenant-vmm', [
      vaultId,
      workflowIds.tenantOnboarding('contoso'),
      workflowIds.tenantOnboarding('northwind'),
      workflowIds.vmProtection('contoso', 'web01'),
      workflowIds.vaultWatch(plan.provider.subscriptionId, plan.provider.resourceGroup, plan.provider.vault),
    ]);

    // Tenant isolation as Azure saw it: every authenticated request to a subscription carried a
    // token of that subscription's own tenant.
    const homeTenant: Record<string, string> = {
      [plan.provider.subscriptionId]: plan.provider.tenantId,
      ...Object.fromEntries(plan.tenants.map((t) => [t.subscriptionId, t.tenantId])),
    };
    const { entries } = await admin.requests(0);
    const armCalls = entries.filter((e) => e.subscriptionId);
    expect(armCalls.length).toBeGreaterThan(50);
    const mismatched = armCalls.filter((e) => e.tenantId !== homeTenant[e.subscriptionId as string]);
    expect(mismatched).toEqual([]);
    expect(new Set(armCalls.map((e) => e.subscriptionId))).toEqual(new Set(Object.keys(homeTenant)));

    // Each VM's protection was accepted exactly once.
    const counters = await admin.counters();
    const enables = Object.values(counters['ReplicationProtectedItems_Create'] ?? {});
    expect(enables.map((c) => [c.label, c.count]).sort()).toEqual([
      ['app01', 1],
      ['app02', 1],
      ['sql01', 1],
      ['web01', 1],
      ['web02', 1],
    ]);
  });
});
