import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  watchedItemsQuery,
  watchItemsSignal,
  type ReplicationObservation,
  type VaultTarget,
  type WatchRequest,
} from '../../src/onboarding/contract';
import type { WatchSessionResult } from '../../src/onboarding/activities/vault-watch';
import { needsOperator } from '../../src/azure/failures';
import { timeSkippingEnvironment } from '../support/time-skipping';

// The vault watcher's bookkeeping on the time-skipping server, with a stand-in watch session:
// who waits on what, tenants kept apart, and an idle watcher ending.
const vault = (tenantId: string, secretEnv: string): VaultTarget => ({
  principal: { tenantId, credential: { type: 'clientSecret', clientId: `${tenantId}-app`, secretEnv } },
  subscriptionId: 'a1000000-0000-4000-8000-000000000001',
  resourceGroup: 'fabrikam-asr-rg',
  vault: 'fabrikam-asr-westeurope',
  region: 'westeurope',
});
const PROVIDER = vault('a0000000-0000-4000-8000-000000000001', 'ASRFLOW_SECRET_FABRIKAM');
/** The same vault's coordinates under another tenant's identity. */
const INTRUDER = vault('c0000000-0000-4000-8000-000000000001', 'ASRFLOW_SECRET_CONTOSO');

describe('the vault watcher', () => {
  const taskQueue = `watch-${randomUUID()}`;
  /** What each watch session was asked to look at: the identity, and the items its watcher served. */
  const sessions: Array<{ tenantId: string; items: string[] }> = [];
  /** The first session fails as no retry can mend (a refused credential): the watch must go on. */
  let failures = 0;
  let worker: Worker;
  let running: Promise<void>;
  let client: Client;
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    client = env.client;
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: path.join(__dirname, 'fixtures', 'vault-watch.ts'),
      activities: {
        // One look that finds every watched item protected, told to its subscriber.
        async watchVaultItems(input: { target: VaultTarget }): Promise<WatchSessionResult> {
          if (failures++ === 0)
            throw needsOperator('the vault credential was refused', { fix: 'renew the provider secret' });
          const run = Context.current().info.workflowExecution;
          const watched = await client.workflow.getHandle(run?.workflowId ?? '').query(watchedItemsQuery, -1);
          const items = watched.items ?? {};
          sessions.push({ tenantId: input.target.principal.tenantId, items: Object.keys(items).sort() });
          for (const [itemName, { subscriber }] of Object.entries(items)) {
            const told: ReplicationObservation = { itemName, protectionState: 'Protected', protectedNow: true };
            await client.workflow.getHandle(subscriber).signal('replicationBatch', [told]);
          }
          return { finished: Object.keys(items), gone: [], known: {}, states: {} };
        },
      },
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('serves each subscriber its own items, refuses the vault under another identity, outlives a failed look, and ends when idle', async () => {
    const watcherId = `asrflow:watch:${randomUUID()}`;
    const subscribe = async (target: VaultTarget, items: string[]) => {
      const handle = await client.workflow.start('subscriber', {
        taskQueue,
        workflowId: `subscriber-${randomUUID()}`,
        args: [items.length],
      });
      const request: WatchRequest = {
        subscriber: handle.workflowId,
        target,
        items: items.map((itemName) => ({ itemName, friendlyName: itemName.toUpperCase() })),
      };
      await client.workflow.signalWithStart('vaultWatcherWorkflow', {
        taskQueue,
        workflowId: watcherId,
        args: [{ version: 1, target: PROVIDER }],
        signal: watchItemsSignal,
        signalArgs: [request],
      });
      return handle;
    };
    const contoso = await subscribe(PROVIDER, ['item-web01', 'item-web02']);
    const intruder = await subscribe(INTRUDER, ['item-app01']);
    const northwind = await subscribe(PROVIDER, ['item-app02']);

    const heard = async (handle: typeof contoso) =>
      ((await handle.result()) as ReplicationObservation[]).map((o) => [o.itemName, o.protectedNow, o.failed?.message]);
    expect(await heard(contoso)).toEqual([
      ['item-web01', true, undefined],
      ['item-web02', true, undefined],
    ]);
    expect(await heard(northwind)).toEqual([['item-app02', true, undefined]]);
    expect(await heard(intruder)).toEqual([
      [
        'item-app01',
        false,
        "the vault watcher of fabrikam-asr-westeurope serves another identity's vault; this workflow's items are not watched",
      ],
    ]);
    // The failed session was tried again (after a minute, skipped here), not the end of the watch.
    expect(failures).toBeGreaterThan(1);
    // Every look was made with the provider's identity, and never for the intruder's item.
    expect(sessions.length).toBeGreaterThan(0);
    expect(new Set(sessions.map((s) => s.tenantId))).toEqual(new Set([PROVIDER.principal.tenantId]));
    expect(sessions.flatMap((s) => s.items)).not.toContain('item-app01');
    expect(new Set(sessions.flatMap((s) => s.items))).toEqual(new Set(['item-web01', 'item-web02', 'item-app02']));
    // With nothing left to watch the watcher ends (after its idle hour, skipped here).
    await expect(client.workflow.getHandle(watcherId).result()).resolves.toBeUndefined();
  });
});
