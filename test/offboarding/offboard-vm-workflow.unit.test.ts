import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/worker/activities';
import { disableRefusal, type OffboardItem, type OffboardVmInput } from '../../src/offboarding/contract';
import { offboardVmWorkflow } from '../../src/offboarding/workflows/offboard-vm';
import { FailureType } from '../../src/temporal/workflow/failure-types';
import { operatorDecisionUpdate, progressQuery } from '../../src/temporal/workflow/progress';
import { eventually } from '../support/cli';
import { asrflowWorkflows, timeSkippingEnvironment } from '../support/time-skipping';

// The offboarding workflow against stub activities on the time-skipping test server: what it
// decides (nothing to do, refused, disable once, a failed disable waiting for the operator) with
// no Azure. The end-to-end behaviour against the emulator is in offboard-vm.test.ts.

const PROTECTED: OffboardItem = {
  fabricName: 'fabric-1',
  containerName: 'cloud-litware',
  itemName: 'item-files01',
  protectionState: 'Protected',
  allowedOperations: ['TestFailover', 'PlannedFailover', 'DisableProtection'],
};

describe('the offboarding workflow, with stub activities', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let found: OffboardItem | undefined;
  let failDisable = 0;
  let disables = 0;

  const activities = {
    async findVmItem() {
      return found;
    },
    async disableVmProtection() {
      disables++;
      if (failDisable > 0) {
        failDisable--;
        throw ApplicationFailure.create({
          type: FailureType.NeedsOperator,
          nonRetryable: true,
          message: 'disabling protection of files01 failed (job j-1, Failed): the Provider is not connected',
        });
      }
      return { jobName: `j-${disables}`, alreadyGone: false };
    },
  } satisfies Partial<Activities>;

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'offboarding',
      workflowBundle: await asrflowWorkflows(),
      activities,
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  let runs = 0;
  const start = (item: OffboardItem | undefined) => {
    found = item;
    disables = 0;
    const input: OffboardVmInput = {
      version: 1,
      tenant: 'litware',
      scenario: 'dedicated-vmm',
      vm: 'files01',
      vault: {
        principal: { tenantId: '22222222-2222-2222-2222-222222222222', credential: { type: 'default' } },
        subscriptionId: '33333333-3333-3333-3333-333333333333',
        resourceGroup: 'rg-litware',
        vault: 'litware-asr-vault',
        region: 'westeurope',
      },
      scope: {
        subscriptionId: '33333333-3333-3333-3333-333333333333',
        vmmServer: 'vmm-litware.litware.local',
        cloud: 'Litware-Cloud',
      },
    };
    return env.client.workflow.start(offboardVmWorkflow, {
      taskQueue: 'offboarding',
      workflowId: `asrflow:offboard:litware:files01:${++runs}`,
      args: [input],
    });
  };

  it('disables a protected VM once', async () => {
    const record = await (await start(PROTECTED)).result();
    expect(record).toMatchObject({ outcome: 'offboarded', jobName: 'j-1' });
    expect(disables).toBe(1);
  });

  it('ends as not-protected, asking nothing of Azure, when the VM is not in the tenant’s cloud', async () => {
    const handle = await start(undefined);
    const record = await handle.result();
    expect(record.outcome).toBe('not-protected');
    expect(record.reason).toContain("files01 is not a protected VM of tenant litware's cloud Litware-Cloud");
    expect(disables).toBe(0);
    expect((await handle.query(progressQuery)).steps.map((s) => [s.name, s.state])).toEqual([
      ['resolve', 'done'],
      ['disable', 'skipped'],
    ]);
  });

  it('is refused, asking nothing of Azure, while Site Recovery would not allow it', async () => {
    const failedOver: OffboardItem = {
      ...PROTECTED,
      protectionState: 'UnplannedFailoverCommitPendingStatesBegin',
      allowedOperations: ['Commit', 'ChangePit'],
    };
    const record = await (await start(failedOver)).result();
    expect(record.outcome).toBe('refused');
    expect(record.reason).toBe(disableRefusal('files01', failedOver));
    expect(record.reason).toContain('commit or fail back');
    expect(disables).toBe(0);
    const busy = await (await start({ ...PROTECTED, runningScenario: 'TestFailover' })).result();
    expect(busy).toMatchObject({ outcome: 'refused', reason: expect.stringContaining('a TestFailover job runs') });
  });

  it('waits for the operator when the disable fails: retry disables again, and it completes', async () => {
    failDisable = 1;
    const handle = await start(PROTECTED);
    await eventually(
      async () =>
        (await handle.query(progressQuery)).steps.find((s) => s.name === 'disable')?.state === 'waiting-for-operator'
          ? true
          : undefined,
      'the disable step to wait for the operator',
    );
    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'disable', action: 'retry' }] });
    expect(await handle.result()).toMatchObject({ outcome: 'offboarded', jobName: 'j-2' });
    expect(disables).toBe(2);
  });
});
