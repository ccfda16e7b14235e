import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { progressQuery, type Progress } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { eventually, repoRoot, runCli } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';
import { maybeRecordHistories } from '../support/histories';

// Scenario 2 end to end: litware's own vault and VMM server, whose Provider (5.1.1200.0) is too
// old. The workflow waits for the operator; installing fails with the seed's unknown-certificate
// error; after the upgrade the installation succeeds and onboarding finishes by itself.
describe('onboarding a dedicated-VMM tenant', () => {
  let stack: TestStack;
  const plan = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
  const workflowId = workflowIds.tenantOnboarding('litware');
  const vmm = 'vmm-litware.litware.local';

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const emulatorFlags = () => ['--data-dir', stack.emulator.dataDir];
  const progress = () => stack.client.workflow.getHandle(workflowId).query(progressQuery);

  it('starts, waits for the Provider installation, and completes once the Provider is current', async () => {
    const first = await runCli(['onboard', plan, '--json'], stack.env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject([
      { workflowId, kind: 'tenant-onboarding', tenant: 'litware', outcome: 'started' },
    ]);

    const waiting: Progress = await eventually(async () => {
      const p = await progress();
      return p.stage === 'registration' && p.operatorAction?.includes('.VaultCredentials') ? p : undefined;
    }, 'the registration wait with a credentials file');
    expect(waiting.operatorAction).toContain(vmm);
    const credentials = /vault credentials file (\S+\.VaultCredentials)/.exec(waiting.operatorAction ?? '')?.[1];
    expect(credentials).toBeDefined();

    const tooOld = await runCli(
      ['emulator', 'install-provider', '--credentials', credentials as string, '--vmm', vmm, ...emulatorFlags()],
      stack.env,
    );
    expect(tooOld.code).not.toBe(0);
    expect(`${tooOld.stdout}${tooOld.stderr}`).toMatch(/unknown error occurred while reading the certificate/i);
    expect((await progress()).stage).toBe('registration');

    const upgraded = await runCli(['emulator', 'upgrade-provider', '--vmm', vmm, ...emulatorFlags()], stack.env);
    expect(upgraded.code).toBe(0);
    const installed = await runCli(
      ['emulator', 'install-provider', '--credentials', credentials as string, '--vmm', vmm, ...emulatorFlags()],
      stack.env,
    );
    expect(installed.code).toBe(0);

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const done = await progress();
    expect(done.stage).toBe('done');
    expect(done.steps.every((s) => s.state === 'done')).toBe(true);
    expect(done.vms?.map((v) => [v.name, v.state, v.replicationPercent])).toEqual(
      expect.arrayContaining([
        ['erp01', 'protected', 100],
        ['files01', 'protected', 100],
      ]),
    );
    // The timeline in the Temporal UI reads as the runbook: every activity carries its step's title.
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    const summaries = (history.events ?? [])
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [
        e.activityTaskScheduledEventAttributes?.activityType?.name,
        JSON.parse(Buffer.from(e.userMetadata?.summary?.data ?? []).toString('utf8') || 'null') as unknown,
      ]);
    expect(summaries.length).toBeGreaterThan(10);
    expect(summaries.filter(([, summary]) => typeof summary !== 'string' || summary === '')).toEqual([]);
    expect(summaries).toContainEqual(['ensureResourceGroup', 'Resource group litware-dr-rg']);
    expect(summaries).toContainEqual(['ensurePolicy', 'Replication policy']);
    await maybeRecordHistories(stack.client, 'dedicated-vmm', [
      workflowId,
      workflowIds.vmProtection('litware', 'erp01'),
      workflowIds.vmProtection('litware', 'files01'),
    ]);
  });

  it('does not start anything new when onboard runs again', async () => {
    const again = await runCli(['onboard', plan, '--json'], stack.env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject([{ workflowId, outcome: 'completed' }]);
    const runs = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(run.runId);
    expect(runs).toHaveLength(1);
  });
});
