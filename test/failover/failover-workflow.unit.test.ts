import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/worker/activities';
import type { StartActionInput } from '../../src/failover/activities';
import {
  cleanupUpdate,
  failoverRecordQuery,
  type DrillRecord,
  type FailoverAction,
  type FailoverInput,
  type FailoverKind,
  type FailoverOptions,
  type ItemFacts,
  type ItemRef,
  type JobSnapshot,
  type ResolvedItem,
} from '../../src/failover/contract';
import { operatorDecisionUpdate, progressQuery, type Progress } from '../../src/temporal/workflow/progress';
import type { failoverWorkflow } from '../../src/failover/workflows/failover';
import { eventually } from '../support/cli';
import { asrflowWorkflows, timeSkippingEnvironment } from '../support/time-skipping';

// The failover workflow (src/failover/workflows/failover.ts) against stub activities on the time-skipping
// test server: what it decides (preflight refusals, waiting for an operator, the automatic
// cleanup after a day) with no Azure and no emulator. The end-to-end behaviour against the
// emulator is in failover.test.ts. Hints and Markdown are not asserted: their wording changes.

const HOUR = 3_600_000;
const SUBSCRIPTION = '11111111-1111-1111-1111-111111111111';
const TEST_NETWORK = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-contoso-asr/providers/Microsoft.Network/virtualNetworks/vnet-contoso-test`;
const ITEM: ItemRef = {
  fabricName: 'fabric-1',
  containerName: 'cloud-contoso',
  itemName: 'item-web01',
  itemId: '/subscriptions/x/.../replicationProtectedItems/item-web01',
};

/** Facts of a healthy item that allows every action. */
const HEALTHY: ItemFacts = {
  protectionState: 'Protected',
  activeLocation: 'Primary',
  replicationHealth: 'Normal',
  allowedOperations: [
    'TestFailover',
    'TestFailoverCleanup',
    'PlannedFailover',
    'UnplannedFailover',
    'Commit',
    'ChangePit',
    'ReverseReplicate',
    'Failback',
  ],
  latestRecoveryPoint: { id: 'rp-1', time: '2026-01-01T00:00:00Z', type: 'CrashConsistent' },
  readAt: '2026-01-01T00:05:00Z',
  recoveryNetworkId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-contoso-asr/providers/Microsoft.Network/virtualNetworks/vnet-contoso`,
  recoveryResourceGroupId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-contoso-asr`,
};

interface Script {
  resolved?: ResolvedItem;
  facts?: ItemFacts;
  /** Final state of each job of an action, in the order the action is issued (default: Succeeded). */
  outcomes?: Partial<Record<FailoverAction, Array<'Succeeded' | 'Failed'>>>;
}

/** What the stubs saw: the actions issued (with the server's time) and the reads. */
interface Calls {
  resolve: number;
  inspect: number;
  itemState: number;
  actions: Array<{ action: FailoverAction; at: number; params: StartActionInput['params'] }>;
}

describe('the failover workflow, with stub activities and skipped time', () => {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  let script: Script = {};
  let calls: Calls;
  const jobs = new Map<string, JobSnapshot>();

  // Stubs with the real activities' signatures: Azure as a failover would find it, scripted per test.
  const activities = {
    async resolveProtectedItem() {
      calls.resolve++;
      return script.resolved ?? { item: ITEM, closest: [] };
    },
    async inspectItem() {
      calls.inspect++;
      return script.facts ?? HEALTHY;
    },
    async startFailoverAction(input: StartActionInput) {
      const at = await env.currentTimeMs();
      const issued = calls.actions.filter((a) => a.action === input.action).length;
      calls.actions.push({ action: input.action, at, params: input.params });
      const state = script.outcomes?.[input.action]?.[issued] ?? 'Succeeded';
      const jobName = `job-${input.action}-${issued + 1}`;
      const start = new Date(at).toISOString();
      const end = new Date(at + 90_000).toISOString();
      jobs.set(jobName, {
        jobId: `/jobs/${jobName}`,
        jobName,
        scenarioName: input.action,
        state,
        startTime: start,
        endTime: end,
        tasks: [
          {
            name: 'PreflightChecks',
            title: 'Prerequisites check',
            state: 'Succeeded',
            startTime: start,
            endTime: start,
          },
          {
            name: 'StartTestVm',
            title: 'Start the virtual machine',
            state: state === 'Failed' ? 'Failed' : 'Succeeded',
            startTime: start,
            endTime: end,
          },
        ],
        errors:
          state === 'Failed'
            ? [
                {
                  code: '70038',
                  message: 'the VM did not start',
                  possibleCauses: 'not enough cores',
                  recommendedAction: 'raise the quota',
                },
              ]
            : [],
      });
      return { jobName, adopted: false };
    },
    async followJob(input: { jobName: string }) {
      const job = jobs.get(input.jobName);
      if (!job) throw new Error(`no job ${input.jobName}`);
      return job;
    },
    async resumeJob() {
      return { resumed: true };
    },
    async recoveryPointUsed(input: { requested?: string }) {
      return { id: input.requested ?? 'rp-1', time: '2026-01-01T00:00:00Z', type: 'CrashConsistent' };
    },
    async itemState() {
      calls.itemState++;
      return { protectionState: 'Protected', activeLocation: 'Primary', testFailoverState: 'None' };
    },
  } satisfies Partial<Activities>;

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: 'failover',
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
  function start(
    kind: FailoverKind,
    options: FailoverOptions,
    next: Script = {},
  ): Promise<WorkflowHandle<typeof failoverWorkflow>> {
    script = next;
    calls = { resolve: 0, inspect: 0, itemState: 0, actions: [] };
    const input: FailoverInput = {
      tenant: 'contoso',
      scenario: 'multitenant-vmm',
      vm: 'web01',
      kind,
      vault: {
        principal: { tenantId: '22222222-2222-2222-2222-222222222222', credential: { type: 'default' } },
        subscriptionId: '33333333-3333-3333-3333-333333333333',
        resourceGroup: 'rg-shared',
        vault: 'rsv-shared',
        region: 'westeurope',
      },
      scope: { subscriptionId: SUBSCRIPTION, vmmServer: 'vmm01.fabrikam.local', cloud: 'Contoso-Cloud' },
      options,
    };
    return env.client.workflow.start<typeof failoverWorkflow>('failoverWorkflow', {
      taskQueue: 'failover',
      workflowId: `asrflow:failover:contoso:web01:${++runs}`,
      args: [input],
    });
  }

  const progressOf = (handle: WorkflowHandle) => handle.query(progressQuery);
  const waitForStage = (handle: WorkflowHandle, stage: string) =>
    eventually(
      async () => ((await progressOf(handle)).stage === stage ? true : undefined),
      `stage ${stage}`,
      20_000,
      100,
      () => progressOf(handle),
    );

  it('cleans up a test failover by itself after 24 hours when the operator never does', async () => {
    const handle = await start('test', { testNetworkId: TEST_NETWORK });
    await waitForStage(handle, 'await-cleanup');
    expect(calls.actions.map((a) => a.action)).toEqual(['testFailover']);
    expect(calls.actions[0]?.params.testNetworkId).toBe(TEST_NETWORK);

    // Awaiting the result lets the server skip the day the workflow waits.
    const record: DrillRecord = await handle.result();
    expect(record.outcome).toBe('succeeded');
    expect(record.cleanup?.by).toBe('timeout');
    expect(calls.actions.map((a) => a.action)).toEqual(['testFailover', 'testFailoverCleanup']);
    const [failover, cleanup] = calls.actions;
    const waited = (cleanup?.at ?? 0) - (failover?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(24 * HOUR);
    expect(waited).toBeLessThan(24 * HOUR + 60_000);
    expect(record.cleanup?.at).toBe(jobs.get('job-testFailoverCleanup-1')?.endTime);
    expect(record.jobs.map((j) => [j.action, j.state])).toEqual([
      ['testFailover', 'Succeeded'],
      ['testFailoverCleanup', 'Succeeded'],
    ]);
    expect(record.testNetworkId).toBe(TEST_NETWORK);
    expect(record.rpo?.recoveryPointId).toBe('rp-1');
    // Too late for the operator's cleanup now.
    const final = await progressOf(handle);
    expect(final.steps.filter((s) => !s.name.includes('/')).map((s) => [s.name, s.state])).toEqual([
      ['resolve', 'done'],
      ['preflight', 'done'],
      ['test-failover', 'done'],
      ['await-cleanup', 'done'],
      ['cleanup', 'done'],
    ]);
  });

  it("cleans up at the operator's request, and only while it waits for one", async () => {
    const handle = await start('test', { testNetworkId: TEST_NETWORK, cleanupAfter: '2h' });
    await waitForStage(handle, 'await-cleanup');
    await handle.executeUpdate(cleanupUpdate, { args: [{ reason: 'checked the test VM' }] });
    const record = await handle.result();
    expect(record.cleanup?.by).toBe('operator');
    expect(calls.actions.map((a) => a.action)).toEqual(['testFailover', 'testFailoverCleanup']);
    expect((calls.actions[1]?.at ?? 0) - (calls.actions[0]?.at ?? 0)).toBeLessThan(2 * HOUR);
    await expect(handle.executeUpdate(cleanupUpdate, { args: [{}] })).rejects.toThrow();
  });

  it('refuses a planned failover without --yes, and issues nothing', async () => {
    const record = await (await start('planned', {})).result();
    expect(record.outcome).toBe('refused');
    expect(record.preflight?.ok).toBe(false);
    expect(record.preflight?.refusals.join('\n')).toMatch(/--yes/);
    expect(calls.actions).toEqual([]);
  });

  it('refuses an action the item does not allow now', async () => {
    const record = await (
      await start(
        'test',
        { testNetworkId: TEST_NETWORK },
        { facts: { ...HEALTHY, allowedOperations: ['PlannedFailover'] } },
      )
    ).result();
    expect(record.outcome).toBe('refused');
    expect(record.preflight?.refusals.join('\n')).toMatch(/TestFailover/);
    expect(calls.actions).toEqual([]);
  });

  it('refuses Critical replication health unless forced', async () => {
    const critical = { facts: { ...HEALTHY, replicationHealth: 'Critical' } };
    const refused = await (await start('unplanned', { confirmed: true }, critical)).result();
    expect(refused.outcome).toBe('refused');
    expect(refused.preflight?.refusals.join('\n')).toMatch(/Critical/);
    expect(calls.actions).toEqual([]);

    const forced = await (await start('unplanned', { confirmed: true, force: true }, critical)).result();
    expect(forced.outcome).toBe('succeeded');
    expect(forced.preflight?.ok).toBe(true);
    expect(forced.preflight?.warnings.join('\n')).toMatch(/Critical/);
    expect(calls.actions.map((a) => a.action)).toEqual(['unplannedFailover']);
  });

  it('ends refused, naming the tenant and its closest VMs, when the VM is not in its cloud', async () => {
    const handle = await start('test', { testNetworkId: TEST_NETWORK }, { resolved: { closest: ['web02', 'web03'] } });
    const record = await handle.result();
    expect(record.outcome).toBe('refused');
    expect(record.reason).toContain('contoso');
    expect(record.reason).toContain('web02');
    expect(record.preflight).toBeUndefined();
    expect(calls).toMatchObject({ resolve: 1, inspect: 0, itemState: 0, actions: [] });
    const progress = await progressOf(handle);
    expect(progress.stage).toBe('refused');
    expect(progress.steps.find((s) => s.name === 'preflight')?.state).toBe('skipped');
  });

  it('pauses a failed job for the operator: retry issues it again, abandon ends the workflow as abandoned', async () => {
    const handle = await start('planned', { confirmed: true }, { outcomes: { plannedFailover: ['Failed', 'Failed'] } });
    const waiting = (runsSoFar: number) =>
      eventually(
        async () => {
          const progress: Progress = await progressOf(handle);
          const step = progress.steps.find((s) => s.name === 'planned-failover');
          return step?.state === 'waiting-for-operator' && step.runs === runsSoFar ? progress : undefined;
        },
        `the failed planned failover to wait for the operator (run ${runsSoFar})`,
        20_000,
        100,
        () => progressOf(handle),
      );
    const first = await waiting(1);
    expect(first.stage).toBe('planned-failover:waiting-for-operator');
    expect(first.steps.find((s) => s.name === 'planned-failover')?.lastError).toMatchObject({
      type: 'NeedsOperator',
      code: '70038',
      recommendedAction: 'raise the quota',
    });
    expect((await handle.query(failoverRecordQuery)).outcome).toBe('running');
    // An action cannot be skipped; a step that does not wait cannot be decided on.
    await expect(
      handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'planned-failover', action: 'skip' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(
      handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'preflight', action: 'retry' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);

    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'planned-failover', action: 'retry' }] });
    await waiting(2);
    expect(calls.actions.map((a) => a.action)).toEqual(['plannedFailover', 'plannedFailover']);

    await handle.executeUpdate(operatorDecisionUpdate, {
      args: [{ step: 'planned-failover', action: 'abandon', reason: 'quota request pending' }],
    });
    const record = await handle.result();
    expect(record.outcome).toBe('abandoned');
    expect(record.reason).toContain('quota request pending');
    expect(record.jobs.map((j) => [j.jobName, j.state])).toEqual([
      ['job-plannedFailover-1', 'Failed'],
      ['job-plannedFailover-2', 'Failed'],
    ]);
    expect(record.rto).toBeUndefined();
    expect(calls.itemState).toBe(1);
    const progress = await progressOf(handle);
    expect(progress.stage).toBe('abandoned');
    expect(progress.steps.find((s) => s.name === 'planned-failover')?.state).toBe('abandoned');
  });

  it('goes on after a retry that succeeds', async () => {
    const handle = await start(
      'planned',
      { confirmed: true },
      { outcomes: { plannedFailover: ['Failed', 'Succeeded'] } },
    );
    await waitForStage(handle, 'planned-failover:waiting-for-operator');
    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'planned-failover', action: 'retry' }] });
    const record = await handle.result();
    expect(record.outcome).toBe('succeeded');
    expect(record.rto?.seconds).toBe(90);
    expect(calls.actions.map((a) => a.action)).toEqual(['plannedFailover', 'plannedFailover']);
  });
});
