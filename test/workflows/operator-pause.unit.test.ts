import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsOperator } from '../../src/azure/failures';
import { operatorDecisionUpdate, progressQuery } from '../../src/temporal/workflow/progress';
import { AsrStage } from '../../src/temporal/workflow/search-attributes';
import { eventually } from '../support/cli';
import { timeSkippingEnvironment } from '../support/time-skipping';

// The operator-pause mechanism (StepRunner) on the time-skipping test server: a step that fails
// for a reason a person must fix waits visibly; the update validator refuses bad requests;
// `retry` re-runs the step, `skip` passes a skippable one.
describe('steps that need an operator', () => {
  const taskQueue = `operator-${randomUUID()}`;
  const fixed = new Set<string>();
  const calls: string[] = [];
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.join(__dirname, 'fixtures', 'operator-pause.ts'),
      activities: {
        async mayNeedOperator(step: string) {
          calls.push(step);
          if (!fixed.has(step))
            throw needsOperator(`${step} is not fixed yet`, {
              code: 'ProviderTooOld',
              recommendedAction: 'upgrade the Provider',
              fix: 'upgrade it',
            });
          return `${step} ok`;
        },
      },
    });
    running = worker.run();
    client = env.client;
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('pauses, refuses invalid decisions, retries and skips on request', async () => {
    const handle = await client.workflow.start('operatorPause', {
      taskQueue,
      workflowId: `operator-pause-${randomUUID()}`,
    });
    const waiting = await eventually(async () => {
      const progress = await handle.query(progressQuery);
      return progress.steps[0]?.state === 'waiting-for-operator' ? progress : undefined;
    }, 'the first step to wait for an operator');
    expect(waiting.stage).toBe('provider-version:waiting-for-operator');
    expect(waiting.steps[0]?.lastError).toMatchObject({
      type: 'NeedsOperator',
      code: 'ProviderTooOld',
      recommendedAction: 'upgrade the Provider',
    });
    // No commands given to the StepRunner: the hint addresses the workflow by its id.
    expect(waiting.operatorAction).toBe(
      `Check the Provider version failed: provider-version is not fixed yet. upgrade the Provider. Then run \`asrflow retry --workflow ${handle.workflowId}\`.`,
    );
    expect(waiting.steps[1]?.state).toBe('pending');
    // Non-retryable: the activity ran once, not five times.
    expect(calls.filter((c) => c === 'provider-version')).toHaveLength(1);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(AsrStage)).toBe('provider-version:waiting-for-operator');

    await expect(
      handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'provider-version', action: 'skip' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(
      handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'no-such-step', action: 'retry' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await expect(
      handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'optional', action: 'retry' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);

    // Retry before the fix: the step runs again and waits again.
    expect(
      await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'provider-version', action: 'retry' }] }),
    ).toBe("retry accepted for step 'provider-version'");
    await eventually(
      async () =>
        (await handle.query(progressQuery)).steps[0]?.runs === 2 &&
        (await handle.query(progressQuery)).steps[0]?.state === 'waiting-for-operator'
          ? true
          : undefined,
      'the second run to wait again',
    );

    fixed.add('provider-version');
    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'provider-version', action: 'retry' }] });
    await eventually(
      async () => ((await handle.query(progressQuery)).steps[1]?.state === 'waiting-for-operator' ? true : undefined),
      'the skippable step to wait',
    );
    await handle.executeUpdate(operatorDecisionUpdate, { args: [{ step: 'optional', action: 'skip' }] });

    // JSON has no undefined: the skipped step's result arrives as null.
    expect(await handle.result()).toEqual(['provider-version ok', null]);
    const final = await handle.query(progressQuery);
    expect(final.steps.map((s) => [s.name, s.state, s.runs])).toEqual([
      ['provider-version', 'done', 3],
      ['optional', 'skipped', 1],
    ]);
    expect(final.stage).toBe('done');
  });
});
