import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultEstatePath, EmulatorAdminClient, loadEstateFile, type Estate } from '@asrflow/azure-emulator';
import type { temporal } from '@temporalio/proto';
import { loadPlan } from '../../src/domain/plan/load';
import { startOnboarding } from '../../src/onboarding/start';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { repoRoot } from '../support/cli';
import { maybeRecordHistories } from '../support/histories';
import { registerWhenAsked } from '../support/litware';
import { startTestStack, type TestStack } from '../support/stack';

// Issue #13: a tenant of any size. VMs are protected in a sliding window, and the tenant's
// workflow continues as new after a run's share of VMs, carrying what it did: here 7 VMs, 2 at
// a time and 3 per run, cross two continue-as-new boundaries.
const VMS = Array.from({ length: 7 }, (_, i) => `vm0${i + 1}`);
const BATCHING = { window: 2, perRun: 3 };

function litwareWithSevenVms(): Estate {
  const estate = loadEstateFile(defaultEstatePath());
  const litware = estate.vmmServers.find((v) => v.name === 'vmm-litware.litware.local');
  const template = litware?.vms.find((vm) => vm.name === 'files01');
  if (!litware || !template) throw new Error('the example estate changed: no litware VMM or files01');
  litware.providerVersion = '5.1.2250.0';
  litware.vms = VMS.map((name) => ({
    ...template,
    name,
    disks: [{ name: `${name}-os.vhd`, sizeGB: 4, usedGB: 2, format: 'VHD', os: true }],
  }));
  return estate;
}

/** The most VM workflows one run had started and not yet seen end, from its history. */
function mostInFlight(events: temporal.api.history.v1.IHistoryEvent[]): { started: number; inFlight: number } {
  let open = 0;
  let most = 0;
  let started = 0;
  for (const e of events) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) {
      started++;
      most = Math.max(most, ++open);
    }
    if (e.childWorkflowExecutionCompletedEventAttributes) open--;
  }
  return { started, inFlight: most };
}

describe('protecting a tenant in batches across continue-as-new', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;

  beforeAll(async () => {
    stack = await startTestStack({ estate: litwareWithSevenVms() });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('protects every VM exactly once, never more than the window at once, in three runs', async () => {
    const { plan } = loadPlan(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), { env: stack.env });
    const litware = plan.tenants[0];
    if (!litware) throw new Error('no tenant in the example');
    litware.vms = { include: 'all', exclude: [], subnet: 'Litware-Subnet' };
    await startOnboarding(stack.client, plan, stack.taskQueue, { batching: BATCHING });
    await registerWhenAsked(stack);

    const id = workflowIds.tenantOnboarding('litware');
    const result = (await stack.client.workflow.getHandle(id).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(VMS);
    const enables = Object.values((await admin.counters())['ReplicationProtectedItems_Create'] ?? {});
    expect(enables.map((c) => [c.label, c.count]).sort()).toEqual(VMS.map((vm) => [vm, 1]));

    // Three runs of one workflow id: 3 + 3 + 1 VMs, each run at most 2 VMs in flight.
    const listed: Array<{ runId: string; startTime: Date }> = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${id}'` })) listed.push(run);
    const runs = listed.sort((a, b) => a.startTime.getTime() - b.startTime.getTime()).map((r) => r.runId);
    expect(runs).toHaveLength(3);
    await maybeRecordHistories(
      stack.client,
      'batches',
      runs.map((runId, i) => ({ workflowId: id, runId, label: `run${i + 1}` })),
    );
    const perRun = await Promise.all(
      runs.map(async (runId) =>
        mostInFlight((await stack.client.workflow.getHandle(id, runId).fetchHistory()).events ?? []),
      ),
    );
    expect(perRun.map((r) => r.started).sort()).toEqual([1, 3, 3]);
    expect(Math.max(...perRun.map((r) => r.inFlight))).toBe(BATCHING.window);
  });
});
