import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Logger } from 'pino';
import type { RequestBudget } from '../azure/request-budget';

// ARM's request buckets belong to a subscription and principal, not to a process: two workers
// each spending the whole budget meet 429s. Every worker polls the same activity task queue,
// which Temporal describes with its recent pollers, so each worker counts the workers there
// and spends its share. A worker that died stays listed for a few minutes (Temporal forgets
// idle pollers after that): the others are cautious meanwhile, never over the budget.

/** Temporal's default partitions of a task queue besides the root (matching.numTaskqueueReadPartitions 4). */
const PARTITIONS = [1, 2, 3];

/** Pollers seen this recently count as live workers. */
const LIVE_MS = 2 * 60_000;

export interface BudgetShare {
  /** Counts the workers now and sets the share; resolves to the count. */
  refresh(): Promise<number>;
  stop(): void;
}

export function shareBudgetAcrossWorkers(options: {
  client: Client;
  namespace: string;
  taskQueue: string;
  identity: string;
  budget: RequestBudget;
  logger: Logger;
  everyMs?: number;
}): BudgetShare {
  const { client, namespace, taskQueue, identity, budget, logger } = options;
  const describe = (name: string) =>
    client.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
    });
  const refresh = async (): Promise<number> => {
    // A description lists one partition's pollers; a worker polls them all, but any one
    // partition may have missed it lately. The root and Temporal's default three more.
    const root = await describe(taskQueue);
    const others = await Promise.all(
      PARTITIONS.map((n) => describe(`/_sys/${taskQueue}/${n}`).catch(() => ({ pollers: [] }))),
    );
    const now = Date.now();
    const live = new Set([identity]);
    for (const poller of [root, ...others].flatMap((d) => d.pollers ?? [])) {
      const seconds = Number(poller.lastAccessTime?.seconds ?? 0);
      if (poller.identity && now - seconds * 1000 <= LIVE_MS) live.add(poller.identity);
    }
    if (live.size !== budget.workers)
      logger.info({ workers: live.size }, 'ARM request budget shared with the other workers of the task queue');
    budget.setShare(live.size);
    return live.size;
  };
  const tick = () =>
    refresh().catch((error: unknown) =>
      logger.warn({ err: error }, 'could not count the workers sharing the ARM budget'),
    );
  const timer = setInterval(() => void tick(), options.everyMs ?? 5_000);
  timer.unref();
  void tick();
  return { refresh, stop: () => clearInterval(timer) };
}
