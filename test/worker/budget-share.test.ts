import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestBudget } from '../../src/azure/request-budget';
import { spawnWorker, type WorkerProcess } from '../../src/devstack/worker-process';
import { shareBudgetAcrossWorkers } from '../../src/worker/budget-share';
import { eventually } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

// Issue #13: ARM's buckets are per subscription and principal, so N workers must spend 1/N
// each. A worker counts the workers polling its task queue (every partition) and takes its
// share; two worker processes and this observer make three.
describe('the ARM budget shared across the workers of a task queue', () => {
  let stack: TestStack;
  let second: WorkerProcess;

  beforeAll(async () => {
    stack = await startTestStack();
    second = spawnWorker(stack.env);
  });
  afterAll(async () => {
    await second?.stop('SIGKILL');
    await stack?.stop();
  });

  it('counts the live workers of the queue and spends a share of the budget accordingly', async () => {
    const budget = new RequestBudget({
      reads: { perSecond: 24, burst: 240 },
      writes: { perSecond: 9, burst: 90 },
      deletes: { perSecond: 9, burst: 90 },
    });
    const share = shareBudgetAcrossWorkers({
      client: stack.client,
      namespace: stack.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: stack.taskQueue,
      identity: 'budget-share-test',
      budget,
      logger: pino({ level: 'silent' }),
      everyMs: 60_000,
    });
    try {
      expect(
        await eventually(async () => ((await share.refresh()) === 3 ? 3 : undefined), 'both workers counted'),
      ).toBe(3);
      expect(budget.workers).toBe(3);
      // A third of the burst is all this process may send at once: the 81st read waits.
      for (let i = 0; i < 80; i++) await budget.acquire('sub', 'reads');
      expect(budget.waitedMs).toBe(0);
      await budget.acquire('sub', 'reads');
      expect(budget.waitedMs).toBeGreaterThan(0);
    } finally {
      share.stop();
    }
  });
});
