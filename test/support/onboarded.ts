import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { startOnboarding } from '../../src/onboarding/start';
import type { Plan } from '../../src/domain/plan/types';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { TENANTS } from '../emulator/helpers';
import { eventually } from './cli';
import type { TestStack } from './stack';

/** The vault credentials file a workflow's operator action asks a person to install. */
async function askedCredentials(stack: TestStack, workflowId: string, what: string): Promise<string> {
  return eventually(async () => {
    const p = await stack.client.workflow.getHandle(workflowId).query(progressQuery);
    return /vault credentials file (\S+\.VaultCredentials)/.exec(p.operatorAction ?? '')?.[1];
  }, what);
}

/**
 * Onboards a plan of the dedicated-VMM scenario as a person would: asrflow onboards, the person
 * installs the Provider (current version) on each tenant's VMM server with the file asrflow wrote;
 * resolves when every tenant's onboarding is done.
 */
export async function onboardDedicated(stack: TestStack, admin: EmulatorAdminClient, plan: Plan): Promise<void> {
  await startOnboarding(stack.client, plan, stack.taskQueue);
  for (const tenant of plan.tenants) {
    const onboarding = workflowIds.tenantOnboarding(tenant.name);
    const file = await askedCredentials(stack, onboarding, `the vault credentials file of ${tenant.name}`);
    await admin.upgradeProvider(tenant.vmm.server);
    expect((await admin.installProvider(readFileSync(file, 'utf8'), tenant.vmm.server)).status).toBe(200);
    await stack.client.workflow.getHandle(onboarding).result();
  }
}

/**
 * Onboards a plan of the multitenant scenario (the hoster's shared vault fabrikam-asr-westeurope
 * and VMM server vmm01.fabrikam.local): the Provider is installed once, for the shared vault;
 * resolves when every tenant's onboarding is done.
 */
export async function onboardMultitenant(stack: TestStack, admin: EmulatorAdminClient, plan: Plan): Promise<void> {
  await startOnboarding(stack.client, plan, stack.taskQueue);
  const vaultId = workflowIds.sharedVault(TENANTS.fabrikam.subscriptionId, 'fabrikam-asr-westeurope');
  const file = await askedCredentials(stack, vaultId, 'the shared vault to ask for the Provider');
  expect((await admin.installProvider(readFileSync(file, 'utf8'), 'vmm01.fabrikam.local')).status).toBe(200);
  for (const tenant of plan.tenants)
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding(tenant.name)).result();
}
