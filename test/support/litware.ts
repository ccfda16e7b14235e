import { expect } from 'vitest';
import type { FaultRule } from '@asrflow/azure-emulator';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { eventually, runCli } from './cli';
import type { TestStack } from './stack';

// What the onboarding tests of the dedicated-VMM example (litware) share: the person who installs
// the Provider when the workflow asks, and the EnableDr job failure Site Recovery reports.

export const LITWARE_VMM = 'vmm-litware.litware.local';

/**
 * Waits until a workflow (litware's onboarding unless told) asks for the Provider, then installs
 * it on the VMM server with the file it names.
 */
export async function registerWhenAsked(
  stack: TestStack,
  workflowId = workflowIds.tenantOnboarding('litware'),
  vmm = LITWARE_VMM,
): Promise<void> {
  const waiting = await eventually(async () => {
    const p = await stack.client.workflow
      .getHandle(workflowId)
      .query(progressQuery)
      .catch(() => undefined);
    return p?.operatorAction?.includes('.VaultCredentials') ? p : undefined;
  }, 'the request to install the Provider');
  const credentials = /vault credentials file (\S+\.VaultCredentials)/.exec(
    waiting.operatorAction ?? '',
  )?.[1] as string;
  const installed = await runCli(
    ['emulator', 'install-provider', '--credentials', credentials, '--vmm', vmm, '--data-dir', stack.emulator.dataDir],
    stack.env,
  );
  expect(installed.code, installed.stderr).toBe(0);
}

/** An enable-protection job that fails the way Site Recovery reports a stopped host agent. */
export const failedEnableFault = (id = 'failed-enable'): FaultRule & { id: string } => ({
  id,
  match: { operationId: 'ReplicationProtectedItems_Create' },
  action: {
    kind: 'failJob',
    code: '70094',
    message: 'The replication could not be enabled on the host.',
    possibleCauses: 'The Recovery Services agent on the Hyper-V host is not running.',
    recommendedAction: 'Start the agent on the host and retry.',
  },
  times: 1,
});
