import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { VmProtectionInput } from '../../src/onboarding/contract';
import { operatorDecisionUpdate, progressQuery } from '../../src/temporal/workflow/progress';
import { replicationObservedSignal, type ReplicationObservation } from '../../src/onboarding/contract';
import type { ProtectionRequest } from '../../src/onboarding/activities/protection';
import { eventually } from '../support/cli';

// A VM in initial replication whose item fails (or vanishes with its failed job) used to wait
// for replication signals forever. The tenant workflow's watcher now tells it; the VM's step
// pauses with ASR's reason, and the operator's retry enables protection again.
describe('a VM whose replication fails', () => {
  const taskQueue = `vm-failure-${randomUUID()}`;
  let enables = 0;
  let checks = 0;
  // What a request read of the item before it (a retried attempt reads first).
  let requestAnswer: Partial<ProtectionRequest> = {};
  // Holds a request open while a test signals the workflow.
  let gate: Promise<void> = Promise.resolve();
  // What the VM's own look at its item finds when the watcher said nothing.
  let checkAnswer = (input: VmProtectionInput): ReplicationObservation => ({
    itemName: input.vm.itemName,
    protectionState: 'NotFound',
    protectedNow: false,
  });
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;
  let connection: Connection;

  beforeAll(async () => {
    const address = inject('temporalAddress');
    worker = await Worker.create({
      connection: await NativeConnection.connect({ address }),
      taskQueue,
      workflowsPath: path.join(__dirname, '..', '..', 'src', 'worker', 'workflows.ts'),
      activities: {
        async listEnableJobs() {
          return [`job-${enables}`];
        },
        async requestProtection(
          input: VmProtectionInput & { jobsBefore?: string[]; since?: string; unprotected?: boolean },
        ): Promise<ProtectionRequest> {
          // The first request looks for jobs from the workflow's start, with no list before it;
          // enabling again, the jobs seen just before this very run travel with it (from history).
          if (enables === 0) expect([input.jobsBefore, typeof input.since]).toEqual([undefined, 'string']);
          else expect(input.jobsBefore).toEqual([`job-${enables}`]);
          enables += 1;
          await gate;
          return { itemName: input.vm.itemName, alreadyEnabled: false, recheckMs: 500, ...requestAnswer };
        },
        async checkProtection(input: VmProtectionInput): Promise<ReplicationObservation> {
          checks += 1;
          return checkAnswer(input);
        },
      },
    });
    running = worker.run();
    connection = await Connection.connect({ address });
    client = new Client({ connection });
  });

  afterAll(async () => {
    worker.shutdown();
    await running;
    await connection.close();
  });

  const input = {
    tenant: 'litware',
    scenario: 'dedicated-vmm',
    vault: {
      principal: { tenantId: 't', credential: { type: 'default' } },
      subscriptionId: 's',
      resourceGroup: 'rg',
      vault: 'v',
      region: 'westeurope',
    },
    fabricName: 'f',
    containerName: 'c',
    policyId: 'p',
    vm: { itemName: 'item-erp01', friendlyName: 'erp01', readinessErrors: [] },
    targets: {
      subscriptionId: 's',
      resourceGroupId: 'rg',
      storageAccountId: 'sa',
      networkId: 'n',
      subnetName: 'sn',
      managedDisks: true,
    },
  } as VmProtectionInput;
  /** The watcher's news that erp01 is protected, and the VM workflow's result after it. */
  const protectedThenDone = async (handle: WorkflowHandle) => {
    await handle.signal(replicationObservedSignal, {
      itemName: 'item-erp01',
      protectionState: 'Protected',
      percent: 100,
      protectedNow: true,
    });
    expect(await handle.result()).toEqual({ vm: 'erp01', itemName: 'item-erp01', alreadyEnabled: false });
  };

  it('pauses initial replication with the job’s error, and re-enables on retry', async () => {
    const handle = await client.workflow.start('vmProtectionWorkflow', {
      taskQueue,
      workflowId: `vm-failure-${randomUUID()}`,
      args: [input],
    });
    await eventually(async () => (enables === 1 ? true : undefined), 'protection to be requested');
    // The request is taken; the step ends when the watcher sees the item past its EnableDr job.
    expect((await handle.query(progressQuery)).steps[0]?.state).toBe('running');
    await handle.signal(replicationObservedSignal, {
      itemName: 'item-erp01',
      protectionState: 'InitialReplicationInProgress',
      percent: 40,
      protectedNow: false,
    });
    await eventually(
      async () => ((await handle.query(progressQuery)).steps[0]?.state === 'done' ? true : undefined),
      'protection to be enabled',
    );
    await handle.signal(replicationObservedSignal, {
      itemName: 'item-erp01',
      protectionState: 'NotFound',
      protectedNow: false,
      failed: {
        message: 'EnableDr job j1 Failed: the host lost its agent',
        type: 'NeedsOperator',
        code: '70094',
        possibleCauses: 'The agent stopped.',
        recommendedAction: 'Start the agent on the host and retry.',
      },
    });

    const waiting = await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.steps[1]?.state === 'waiting-for-operator' ? p : undefined;
    }, 'initial replication to wait for the operator');
    expect(waiting.steps[1]?.lastError).toMatchObject({
      type: 'NeedsOperator',
      code: '70094',
      possibleCauses: 'The agent stopped.',
      recommendedAction: 'Start the agent on the host and retry.',
    });
    expect(waiting.steps[1]?.lastError?.message).toBe(
      'replication of erp01 failed: EnableDr job j1 Failed: the host lost its agent',
    );
    expect(waiting.operatorAction).toContain('Start the agent on the host and retry.');
    expect(waiting.vms?.[0]?.state).toBe('waiting-for-operator');
    expect(enables).toBe(1);

    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'initial-replication', action: 'retry' }] });
    await eventually(async () => (enables === 2 ? true : undefined), 'protection to be enabled again');
    const retried = await handle.query(progressQuery);
    expect(retried.steps[1]).toMatchObject({ state: 'running', runs: 2 });
    await protectedThenDone(handle);
  });
  it('reads an item the watcher never saw: its failed job pauses enabling with ASR’s error', async () => {
    enables = 0;
    checks = 0;
    checkAnswer = (i) => ({
      itemName: i.vm.itemName,
      protectionState: 'NotFound',
      protectedNow: false,
      failed: {
        message: 'EnableDr job j2 Failed: the host lost its agent',
        type: 'NeedsOperator',
        code: '70094',
        recommendedAction: 'Start the agent on the host and retry.',
      },
    });
    const handle = await client.workflow.start('vmProtectionWorkflow', {
      taskQueue,
      workflowId: `vm-failure-${randomUUID()}`,
      args: [input],
    });
    // The job failed and took the item before the watcher looked: nothing is ever signalled.
    const waiting = await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.steps[0]?.state === 'waiting-for-operator' ? p : undefined;
    }, 'enabling to wait for the operator');
    expect(checks).toBe(1);
    expect(waiting.steps[0]?.lastError).toMatchObject({ type: 'NeedsOperator', code: '70094' });
    expect(waiting.steps[0]?.lastError?.message).toBe(
      'enabling protection of erp01 failed: EnableDr job j2 Failed: the host lost its agent',
    );

    checkAnswer = (i) => ({ itemName: i.vm.itemName, protectionState: 'NotFound', protectedNow: false });
    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'enable-protection', action: 'retry' }] });
    await eventually(async () => (enables === 2 ? true : undefined), 'protection to be requested again');
    await protectedThenDone(handle);
  });
  it('keeps the newest state when signals arrive out of order', async () => {
    enables = 0;
    let open: () => void = () => undefined;
    gate = new Promise<void>((resolve) => (open = resolve));
    const handle = await client.workflow.start('vmProtectionWorkflow', {
      taskQueue,
      workflowId: `vm-order-${randomUUID()}`,
      args: [input],
    });
    await eventually(async () => (enables === 1 ? true : undefined), 'protection to be requested');
    // Two signals the tenant sent in one workflow task, delivered newest first, while the
    // request is still open: the workflow has taken both when the request returns.
    await handle.signal(replicationObservedSignal, {
      itemName: 'item-erp01',
      protectionState: 'Protected',
      percent: 100,
      protectedNow: true,
    });
    await handle.signal(replicationObservedSignal, {
      itemName: 'item-erp01',
      protectionState: 'InitialReplicationInProgress',
      percent: 77,
      protectedNow: false,
    });
    await eventually(async () => {
      const events = (await handle.fetchHistory()).events ?? [];
      const last = (has: (e: (typeof events)[number]) => unknown) =>
        events.reduce((found, e, i) => (has(e) ? i : found), -1);
      const lastSignal = last((e) => e.workflowExecutionSignaledEventAttributes);
      const lastTask = last((e) => e.workflowTaskCompletedEventAttributes);
      const signals = events.filter((e) => e.workflowExecutionSignaledEventAttributes).length;
      return signals === 2 && lastTask > lastSignal ? true : undefined;
    }, 'both signals to be handled');
    open();
    gate = Promise.resolve();
    expect(await handle.result()).toEqual({ vm: 'erp01', itemName: 'item-erp01', alreadyEnabled: false });
  });
  it('keeps looking at an item it read itself until the watcher tells of it: a job that fails unseen ends the wait', async () => {
    enables = 0;
    checks = 0;
    // The request read the item still enabling; the watcher never saw it, and its job then
    // failed and took it: no signal ever comes, so only the VM's own looks can end the wait.
    requestAnswer = {
      alreadyEnabled: true,
      observed: { itemName: 'item-erp01', protectionState: 'EnablingProtection', protectedNow: false },
    };
    let looks = 0;
    checkAnswer = (i) =>
      ++looks < 2
        ? { itemName: i.vm.itemName, protectionState: 'EnablingProtection', protectedNow: false }
        : {
            itemName: i.vm.itemName,
            protectionState: 'NotFound',
            protectedNow: false,
            failed: { message: 'EnableDr job j3 Failed: the host lost its agent', type: 'NeedsOperator' },
          };
    const handle = await client.workflow.start('vmProtectionWorkflow', {
      taskQueue,
      workflowId: `vm-unseen-${randomUUID()}`,
      args: [input],
    });
    try {
      const waiting = await eventually(async () => {
        const p = await handle.query(progressQuery);
        return p.steps[0]?.state === 'waiting-for-operator' ? p : undefined;
      }, 'enabling to wait for the operator');
      expect(checks).toBe(2);
      expect(waiting.steps[0]?.lastError?.message).toBe(
        'enabling protection of erp01 failed: EnableDr job j3 Failed: the host lost its agent',
      );
    } finally {
      requestAnswer = {};
      await handle.terminate('test over');
    }
  });
});
