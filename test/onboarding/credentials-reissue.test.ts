import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnboarding } from '../../src/onboarding/start';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { loadPlan } from '../../src/domain/plan/load';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { eventually, repoRoot } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

// A vault credentials file must be valid whenever a person picks it up, however long the
// Provider installation waits: the workflow issues a new one before the old one runs out and
// points the operator at it. ASR's files last 120 hours; this worker is told to issue files
// that last 36 seconds (ASRFLOW_VAULT_CREDENTIALS_HOURS), so the renewal happens within the test.
describe('renewing the vault credentials file during a long registration wait', () => {
  let stack: TestStack;
  const workflowId = workflowIds.tenantOnboarding('litware');
  const fileIn = (action?: string) => /vault credentials file (\S+\.VaultCredentials)/.exec(action ?? '')?.[1];
  const validUntil = (action?: string) => /valid until (\S+?);/.exec(action ?? '')?.[1];

  beforeAll(async () => {
    stack = await startTestStack({ workerEnv: { ASRFLOW_VAULT_CREDENTIALS_HOURS: '0.01' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('issues a new file before the first one expires and tells the operator about it', async () => {
    const plan = loadPlan(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), { checkCredentials: false }).plan;
    await startOnboarding(stack.client, plan, stack.taskQueue);
    const handle = stack.client.workflow.getHandle(workflowId);
    const first = await eventually(async () => {
      const action = (await handle.query(progressQuery)).operatorAction;
      return fileIn(action) ? action : undefined;
    }, 'the first vault credentials file');
    const firstFile = fileIn(first) as string;
    const firstValidTo = Date.parse(validUntil(first) ?? '');
    expect(firstValidTo - Date.now()).toBeLessThanOrEqual(36_000);

    const second = await eventually(
      async () => {
        const action = (await handle.query(progressQuery)).operatorAction;
        return fileIn(action) && fileIn(action) !== firstFile ? action : undefined;
      },
      'a renewed vault credentials file',
      90_000,
      500,
      () => handle.query(progressQuery),
    );
    const seenAt = Date.now();
    const secondValidTo = Date.parse(validUntil(second) ?? '');
    // Renewed before the first ran out (a twentieth of its validity ahead), and valid for longer.
    expect(seenAt).toBeLessThan(firstValidTo);
    expect(secondValidTo).toBeGreaterThan(firstValidTo);
    const secondFile = fileIn(second) as string;
    expect(existsSync(secondFile)).toBe(true);
    expect(statSync(secondFile).mode & 0o777).toBe(0o600);
    expect((await handle.query(progressQuery)).stage).toBe('registration');
    // Each file came with its own certificate uploaded to the vault.
    const admin = new EmulatorAdminClient(
      stack.emulator.adminUrl,
      stack.emulator.adminToken,
      stack.emulator.caCertPath,
    );
    try {
      const { entries } = await admin.requests(0);
      expect(
        entries.filter((e) => e.operationId === 'VaultCertificates_Create' && e.status < 300).length,
      ).toBeGreaterThanOrEqual(2);
    } finally {
      admin.close();
    }
    await handle.terminate('test done');
  });
});
