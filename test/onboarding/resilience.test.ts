import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { eventually, repoRoot, runCli } from '../support/cli';
import { failedEnableFault, registerWhenAsked } from '../support/litware';
import { startTestStack, type TestStack } from '../support/stack';

// Onboarding must finish whatever Azure and the worker do meanwhile: 5xx, 429, dropped
// connections, a failed ASR job an operator has to retry, and a worker killed mid-operation.
const plan = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
const vmm = 'vmm-litware.litware.local';
const workflowId = workflowIds.tenantOnboarding('litware');

describe('onboarding under failure', () => {
  let stack: TestStack | undefined;
  let admin: EmulatorAdminClient | undefined;
  afterEach(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('completes through 5xx, 429 and dropped connections, and a failed job the operator retries', async () => {
    stack = await startTestStack({ seed: 11 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'flaky-reads',
        match: { method: 'GET', path: '/subscriptions/' },
        action: { kind: 'status', status: 503, code: 'ServiceUnavailable' },
        probability: 0.1,
      },
      {
        id: 'dropped-reads',
        match: { method: 'GET', path: '/subscriptions/' },
        action: { kind: 'drop', phase: 'before' },
        probability: 0.05,
      },
      {
        id: 'throttled-list',
        match: { operationId: 'ReplicationProtectedItems_List' },
        action: { kind: 'throttle', retryAfterSeconds: 2 },
        times: 2,
      },
      {
        id: 'lost-answer',
        match: { method: 'PUT', operationId: 'ReplicationPolicies_Create' },
        action: { kind: 'drop', phase: 'after' },
        times: 1,
      },
      failedEnableFault(),
    ]);
    expect((await runCli(['onboard', plan], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);

    // One VM's enable-protection job fails: its workflow waits, showing ASR's own explanation.
    const { vm, progress } = await eventually(async () => {
      for (const name of ['erp01', 'files01']) {
        const p = await stack!.client.workflow
          .getHandle(workflowIds.vmProtection('litware', name))
          .query(progressQuery)
          .catch(() => undefined);
        if (p?.steps[0]?.state === 'waiting-for-operator') return { vm: name, progress: p };
      }
      return undefined;
    }, 'a VM waiting for the operator after its job failed');
    expect(progress.steps[0]?.lastError).toMatchObject({
      type: 'NeedsOperator',
      code: '70094',
      possibleCauses: 'The Recovery Services agent on the Hyper-V host is not running.',
      recommendedAction: 'Start the agent on the host and retry.',
    });
    expect(progress.operatorAction).toContain('Start the agent on the host and retry.');

    const retried = await runCli(['retry', '--tenant', 'litware', '--vm', vm], stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain("retry accepted for step 'enable-protection'");

    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);

    const { entries } = await admin.requests(0);
    const faults = entries.filter((e) => e.fault).map((e) => e.fault as string);
    expect(faults.some((f) => f.includes('flaky-reads'))).toBe(true);
    expect(faults.some((f) => f.includes('dropped-reads'))).toBe(true);
    // Every 429 was waited out: the next call of the same operation came after Retry-After.
    const throttled = entries.filter((e) => e.fault?.includes('throttled-list'));
    // Two throttled lists at most: VMs whose item the watcher has not shown may read it themselves
    // meanwhile, so the run can end before the watcher's next list (which then comes later).
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(throttled.length).toBeLessThanOrEqual(2);
    const followed = throttled.flatMap((t) => {
      const next = entries.find((e) => e.seq > t.seq && e.operationId === t.operationId);
      return next ? [Date.parse(next.time) - Date.parse(t.time)] : [];
    });
    expect(followed.length).toBeGreaterThanOrEqual(1);
    for (const gap of followed) expect(gap).toBeGreaterThanOrEqual(1900);
    // The policy whose answer was lost was created once, and each VM's protection was accepted
    // once more only for the job that failed.
    const counters = await admin.counters();
    expect(Object.values(counters['ReplicationPolicies_Create'] ?? {}).map((c) => c.count)).toEqual([1]);
    const enables = Object.fromEntries(
      Object.values(counters['ReplicationProtectedItems_Create'] ?? {}).map((c) => [c.label, c.count]),
    );
    expect(enables).toEqual({ erp01: vm === 'erp01' ? 2 : 1, files01: vm === 'files01' ? 2 : 1 });
  });

  it('finishes after the worker is killed while enable-protection operations are in flight, accepting each once', async () => {
    // The enable-protection jobs take 150 simulated seconds: at ×15 they are still running when
    // the worker dies. Everything before them runs at ×3600; a 3 s pause on the preflight's
    // list call is the moment to slow the clock down.
    stack = await startTestStack({ speed: 3600 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'slow-preflight',
        match: { operationId: 'ReplicationProtectableItems_ListByReplicationProtectionContainers' },
        action: { kind: 'delay', ms: 3000 },
        times: 1,
      },
    ]);
    expect((await runCli(['onboard', plan], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    await eventually(
      async () =>
        (await stack!.client.workflow.getHandle(workflowId).query(progressQuery)).stage === 'preflight'
          ? true
          : undefined,
      'preflight',
      60_000,
      50,
    );
    await admin.setTime({ speed: 15 });

    const adminNow = admin;
    await eventually(
      async () => {
        const counters = await adminNow.counters();
        return Object.keys(counters['ReplicationProtectedItems_Create'] ?? {}).length === 2 ? true : undefined;
      },
      'both enable-protection operations to be accepted',
      90_000,
      50,
    );
    const killed = await stack.worker.stop('SIGKILL');
    expect(killed).toBeNull();
    const state = await admin.state();
    expect(JSON.stringify(state)).toContain('EnableDr');

    stack.startWorker();
    await admin.setTime({ speed: 3600 });
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const counters = await admin.counters();
    expect(
      Object.values(counters['ReplicationProtectedItems_Create'] ?? {})
        .map((c) => [c.label, c.count])
        .sort(),
    ).toEqual([
      ['erp01', 1],
      ['files01', 1],
    ]);
  }, 240_000);
});
