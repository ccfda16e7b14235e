import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { AzureClientFactory } from '../../azure/clients';
import { asrVault } from '../../azure/site-recovery/vault';
import { sleepWithHeartbeats } from '../../temporal/heartbeat';
import { AsrKind } from '../../temporal/workflow/search-attributes';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import {
  fingerprint,
  replicationBatchSignal,
  stateFingerprint,
  watchedItemsQuery,
  watchItemsSignal,
  type ReplicationObservation,
  type VaultTarget,
  type VaultWatchInput,
  type WatchedItems,
  type WatchRequest,
} from '../contract';
import { lookAtVault } from './protection';

/** The Temporal service as activities reach it: to start and signal workflows. */
export interface TemporalAccess {
  client: Client;
  taskQueue: string;
}

export interface VaultWatchDeps {
  azure: AzureClientFactory;
  replicationPollMs: number;
  temporal?: TemporalAccess;
}

/** What a watch session carries across its own retries (heartbeat details). */
interface SessionState {
  known: Record<string, string>;
  states: Record<string, string>;
  finished: string[];
  gone: string[];
}

export interface WatchSessionResult {
  /** Items reported protected to their subscriber: nobody waits on them any more. */
  finished: string[];
  /** Subscribers no workflow runs under any more (finished, terminated): their items are dropped. */
  gone: string[];
  /** What each remaining item's subscriber was last told (all of it, and its state), for the next session. */
  known: Record<string, string>;
  states: Record<string, string>;
}

export function createVaultWatchActivities(deps: VaultWatchDeps) {
  const temporal = (): TemporalAccess => {
    if (!deps.temporal)
      throw new Error('this worker has no Temporal client for activities; build it with createWorker');
    return deps.temporal;
  };

  return {
    /**
     * Adds a workflow's items to its vault's watcher, starting the watcher if none runs
     * (signal-with-start on the watcher's business key): whoever needs a vault watched first
     * starts it, everyone after joins it. Repeating it (a retry) changes nothing.
     */
    async watchVault(request: WatchRequest): Promise<{ watcher: string }> {
      const { client, taskQueue } = temporal();
      const t = request.target;
      const workflowId = workflowIds.vaultWatch(t.subscriptionId, t.resourceGroup, t.vault);
      const input: VaultWatchInput = { version: 1, target: t };
      await client.workflow.signalWithStart('vaultWatcherWorkflow', {
        workflowId,
        taskQueue,
        args: [input],
        signal: watchItemsSignal,
        signalArgs: [request],
        staticSummary: `Watch replication in vault ${t.vault}`,
        typedSearchAttributes: [{ key: AsrKind, value: 'vault-watch' }],
      });
      return { watcher: workflowId };
    },

    /**
     * One watch session of a vault watcher: one list of the vault's replicated items per poll
     * interval, whatever the number of tenants and VMs waiting on it, and to each waiting
     * workflow one signal with what changed for its items. Asks its watcher (a query: no
     * history) for the items to watch before every look, so VMs added meanwhile are looked at
     * from the next interval on. Returns when nothing is left to watch or `sessionMs` passed.
     */
    async watchVaultItems(input: {
      target: VaultTarget;
      known: Record<string, string>;
      states?: Record<string, string>;
      sessionMs: number;
    }): Promise<WatchSessionResult> {
      const { client } = temporal();
      const context = Context.current();
      const run = context.info.workflowExecution;
      if (!run) throw new Error('watchVaultItems runs only as an activity of a vault watcher workflow');
      const watcher = client.workflow.getHandle(run.workflowId, run.runId);
      const resumed = context.info.heartbeatDetails as SessionState | undefined;
      const known: Record<string, string> = { ...input.known, ...resumed?.known };
      const states: Record<string, string> = { ...input.states, ...resumed?.states };
      // Progress (a VM 10 % further) is news a subscriber can wait for: at most once per ten
      // intervals, so a long replication costs its tenant a few events an hour, not one a look.
      const progressEveryMs = deps.replicationPollMs * 10;
      const progressSentAt = new Map<string, number>();
      const finished = new Set(resumed?.finished ?? []);
      const gone = new Set(resumed?.gone ?? []);
      const vault = asrVault(deps.azure, input.target);
      const deadline = Date.now() + input.sessionMs;
      let version = -1;
      let items: NonNullable<WatchedItems['items']> = {};
      const state = (): SessionState => ({ known, states, finished: [...finished], gone: [...gone] });
      for (let looks = 0; ; looks++) {
        // The first look is at once: a new subscriber should not wait an interval for news.
        if (looks > 0) await sleepWithHeartbeats(deps.replicationPollMs, state());
        const asked = await watcher.query(watchedItemsQuery, version);
        if (asked.items) {
          version = asked.version;
          items = asked.items;
        }
        const active = Object.entries(items).filter(([item, w]) => !finished.has(item) && !gone.has(w.subscriber));
        if (active.length === 0 || Date.now() >= deadline)
          return { finished: [...finished], gone: [...gone], known: pick(known, active), states: pick(states, active) };
        const names = Object.fromEntries(active.map(([item, w]) => [item, w.friendlyName]));
        const observed = await lookAtVault(vault, new Set(Object.keys(names)), known, names);
        // Per subscriber: state changes go out at once, progress rides along or waits its turn.
        const news = new Map<string, { state: boolean; batch: ReplicationObservation[] }>();
        for (const o of observed) {
          if (known[o.itemName] === fingerprint(o)) continue;
          const subscriber = items[o.itemName]?.subscriber;
          if (!subscriber) continue;
          const { friendlyName: _name, ...observation } = o;
          const entry = news.get(subscriber) ?? { state: false, batch: [] };
          entry.state ||= states[o.itemName] !== stateFingerprint(o);
          entry.batch.push(observation);
          news.set(subscriber, entry);
        }
        const now = Date.now();
        for (const [subscriber, entry] of news)
          if (!entry.state && now - (progressSentAt.get(subscriber) ?? 0) < progressEveryMs) news.delete(subscriber);
        // Sent together: the subscribers' workflow tasks run while the next interval passes.
        await Promise.all(
          [...news].map(async ([subscriber, { batch }]) => {
            try {
              await client.workflow.getHandle(subscriber).signal(replicationBatchSignal, batch);
            } catch (error) {
              if (!(error instanceof WorkflowNotFoundError)) throw error;
              gone.add(subscriber);
              return;
            }
            progressSentAt.set(subscriber, now);
            for (const o of batch) {
              known[o.itemName] = fingerprint(o);
              states[o.itemName] = stateFingerprint(o);
              if (o.protectedNow) finished.add(o.itemName);
            }
          }),
        );
        context.heartbeat(state());
      }
    },
  };
}

/** The fingerprints of the items still watched: the next session's starting point. */
function pick(known: Record<string, string>, active: Array<[string, unknown]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [item] of active) if (known[item] !== undefined) out[item] = known[item];
  return out;
}
