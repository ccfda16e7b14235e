import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import {
  canonicalJson,
  replicationBatchSignal,
  watchedItemsQuery,
  watchItemsSignal,
  type VaultWatchInput,
  type VaultWatchState,
  type WatchRequest,
} from '../contract';
import { HANDLER_DESCRIPTIONS, progressQuery, type Progress } from '../../temporal/workflow/progress';
import { publishDetails } from '../../temporal/workflow/steps';
import { onboardingActivities } from './activities';

/** A watcher with nothing to watch for this long ends; the next subscriber starts a new one. */
const IDLE_MS = 60 * 60_000;
/** One session's length: its result (what each item's subscriber was told) then enters history. */
const SESSION_MS = 4 * 3_600_000;
/** How long a watch session that failed for good waits before the next one. */
const RETRY_AFTER_FAILURE_MS = 60_000;
/** Continue as new well before Temporal's suggestion could be missed between two sessions. */
const MAX_EVENTS = 2_000;

/**
 * One per vault (its business key is the vault's id): lists the vault's replicated items once
 * per poll interval for every workflow waiting on them — tenants of a shared vault, thousands
 * of VMs — and tells each what changed for its own items. The looking runs in long sessions of
 * one activity (vault-watch.ts); this workflow keeps who waits on what, durably, across worker
 * restarts and its own continue-as-new, so it can run as long as there is anything to watch.
 */
export async function vaultWatcherWorkflow(input: VaultWatchInput): Promise<void> {
  const { target } = input;
  const state: VaultWatchState = {
    items: { ...input.state?.items },
    known: { ...input.state?.known },
    states: { ...input.state?.states },
  };
  let version = 0;
  const refused: WatchRequest[] = [];
  let lastError: string | undefined;
  // Defined before the handlers: a signal that started this run is handled as they are set.
  const count = () => Object.keys(state.items).length;
  const stage = () => (count() > 0 ? 'watching' : 'idle');
  const show = () => {
    const subscribers = new Set(Object.values(state.items).map((i) => i.subscriber));
    publishDetails(
      [
        `# Replication watch of vault ${target.vault}`,
        '',
        `${count()} replicated items of ${subscribers.size} workflows, one look at the vault per interval.`,
        ...(lastError ? ['', `**Looking at the vault failed, tried again every minute:** ${lastError}`] : []),
      ].join('\n'),
    );
  };
  setHandler(
    watchItemsSignal,
    (request) => {
      // A watcher lists with the identity of the vault it was started for; a request that
      // reaches the vault otherwise is another tenant's, and is told so rather than served.
      if (canonicalJson(request.target) !== canonicalJson(target)) {
        refused.push(request);
        return;
      }
      for (const { itemName, friendlyName } of request.items)
        state.items[itemName] = { subscriber: request.subscriber, friendlyName };
      version += 1;
      show();
    },
    { description: HANDLER_DESCRIPTIONS.watchItems },
  );
  setHandler(watchedItemsQuery, (since) => (since === version ? { version } : { version, items: state.items }), {
    description: HANDLER_DESCRIPTIONS.watchedItems,
  });
  setHandler(
    progressQuery,
    (): Progress => ({ kind: 'vault-watch', scenario: '', stage: stage(), steps: [], vms: [] }),
    { description: HANDLER_DESCRIPTIONS.progress },
  );
  show();

  const { waiting } = onboardingActivities(`Watch replication in vault ${target.vault}`);
  for (;;) {
    await tellRefused(refused);
    if (count() === 0 && !(await condition(() => count() > 0 || refused.length > 0, IDLE_MS))) break;
    if (count() === 0) continue;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > MAX_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof vaultWatcherWorkflow>({ version: 1, target, state });
    }
    let session: Awaited<ReturnType<typeof waiting.watchVaultItems>>;
    try {
      session = await waiting.watchVaultItems({
        target,
        known: state.known,
        states: state.states,
        sessionMs: SESSION_MS,
      });
    } catch (error) {
      // A failure no retry mends (the vault's credential refused, the vault gone) must not end
      // the watch: every workflow waiting on it would wait for news forever. Shown, tried again.
      if (!(error instanceof ActivityFailure)) throw error;
      lastError = error.cause?.message ?? error.message;
      show();
      await sleep(RETRY_AFTER_FAILURE_MS);
      continue;
    }
    lastError = undefined;
    const gone = new Set(session.gone);
    for (const item of session.finished) delete state.items[item];
    for (const [item, w] of Object.entries(state.items)) if (gone.has(w.subscriber)) delete state.items[item];
    state.known = session.known;
    state.states = session.states;
    show();
  }
  await condition(allHandlersFinished);
}

/** Each refused request's items fail at their subscriber, with the reason. */
async function tellRefused(refused: WatchRequest[]): Promise<void> {
  while (refused.length > 0) {
    const request = refused.shift() as WatchRequest;
    const message = `the vault watcher of ${request.target.vault} serves another identity's vault; this workflow's items are not watched`;
    await getExternalWorkflowHandle(request.subscriber)
      .signal(
        replicationBatchSignal,
        request.items.map((i) => ({
          itemName: i.itemName,
          protectedNow: false,
          failed: { message, fix: 'check the vault settings of this tenant in the plan' },
        })),
      )
      .catch(() => undefined);
  }
}
