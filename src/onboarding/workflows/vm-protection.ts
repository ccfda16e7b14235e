import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { FailureType } from '../../temporal/workflow/failure-types';
import { operatorCommands } from '../../domain/operator-commands';
import type { VmProtectionInput } from '../contract';
import { HANDLER_DESCRIPTIONS, progressQuery, type Progress } from '../../temporal/workflow/progress';
import { pastProtection, replicationObservedSignal, type ReplicationObservation } from '../contract';
import { onboardingActivities, type OnboardingActivityKinds } from './activities';
import { publishDetails, renderDetails, StepRunner } from '../../temporal/workflow/steps';

/** Marks runs that look for this VM's jobs from their own start instead of listing them first. */
const ENABLE_SINCE_START = 'enable-since-start';
/**
 * Marks runs that send the enable request and leave its job to the vault's watcher; runs
 * recorded before follow their own EnableDr operation (`enableProtection`).
 */
const REQUEST_THEN_WATCH = 'request-then-watch';
/** Marks runs that end when the item turns out to be failed over, instead of waiting for Protected. */
const FAILED_OVER_ENDS = 'failed-over-ends';
/** Marks runs that apply a VM's settings to its protected item once it is protected. */
const VM_SETTINGS = 'vm-settings';
/** The longest wait for news of an item between two looks of the VM's own. */
const MAX_RECHECK_MS = 60 * 60_000;
/** Clock skew between Temporal and Azure that a job's start time may show. */
const START_MARGIN_MS = 60_000;

/** How far an item has come: its states only move forward while it is being protected. */
function stage(o: ReplicationObservation): number {
  if (o.protectedNow) return 3;
  if (o.protectionState === 'EnablingProtection') return 1;
  if (/InitialReplication|Resynchronization/i.test(o.protectionState ?? '')) return 2;
  return 0;
}

export interface VmProtectionResult {
  vm: string;
  itemName: string;
  alreadyEnabled: boolean;
}

/**
 * One VM: enable protection exactly once, then wait for its EnableDr job and initial
 * replication to finish. It does not poll Azure itself: the vault's watcher lists the whole
 * vault once per interval, and the tenant workflow tells each VM workflow what changed. Only an
 * item the watcher has not seen for a while after its request is read by the VM itself.
 */
export async function vmProtectionWorkflow(input: VmProtectionInput): Promise<VmProtectionResult> {
  let latest: ReplicationObservation | undefined;
  /** The watcher has told of the item: from then on it reports the item's end, whatever it is. */
  let watcherKnows = false;
  const title = `Protect ${input.vm.friendlyName} (${input.tenant})`;
  const steps = new StepRunner(
    (runner) =>
      publishDetails(
        renderDetails(
          title,
          runner.steps,
          latest?.percent !== undefined ? ['', `Initial replication: ${latest.percent.toFixed(0)} %`] : [],
        ),
      ),
    { commands: operatorCommands.vmProtection(input.tenant, input.vm.friendlyName), activities: onboardingActivities },
  );
  setHandler(
    replicationObservedSignal,
    (observation) => {
      watcherKnows = true;
      // Signals sent in one workflow task can arrive in any order: an older state that comes
      // after a newer one is stale (a failure is never stale).
      if (!observation.failed && latest && !latest.failed && stage(observation) < stage(latest)) return;
      latest = observation;
      publishDetails(
        renderDetails(
          title,
          steps.steps,
          observation.percent !== undefined ? ['', `Initial replication: ${observation.percent.toFixed(0)} %`] : [],
        ),
      );
    },
    { description: HANDLER_DESCRIPTIONS.replicationObserved },
  );
  setHandler(
    progressQuery,
    (): Progress => ({
      kind: 'vm-protection',
      tenant: input.tenant,
      vm: input.vm.friendlyName,
      scenario: input.scenario,
      stage: steps.stage,
      steps: steps.steps,
      vms: [
        {
          name: input.vm.friendlyName,
          state: latest?.protectedNow
            ? 'protected'
            : steps.stage.endsWith(':waiting-for-operator')
              ? 'waiting-for-operator'
              : steps.stage === 'enable-protection'
                ? 'enabling'
                : 'replicating',
          ...(latest?.percent !== undefined ? { replicationPercent: latest.percent } : {}),
        },
      ],
      operatorAction: steps.operatorAction,
    }),
    { description: HANDLER_DESCRIPTIONS.progress },
  );
  // A size alone is checked there too: Site Recovery's list says whether it can host the VM.
  const hasSettings = input.settings !== undefined || input.targets.vmSize !== undefined;
  steps.plan([
    { name: 'enable-protection', title: `Enable protection of ${input.vm.friendlyName}` },
    { name: 'initial-replication', title: 'Initial replication' },
    ...(hasSettings ? [{ name: 'apply-settings', title: 'Apply the VM settings (NICs, addresses, changes)' }] : []),
  ]);
  // A retried attempt must tell a job its own lost request started from older ones. The first
  // enable looks for jobs from this workflow's start: nothing of this VM's before it counts, so
  // no list is needed before the request (a shared vault's job list is every tenant's, and
  // paged). Enabling again (operator retry, a failed item), and runs recorded before, list the
  // VM's jobs first.
  const since = new Date(workflowInfo().startTime.getTime() - START_MARGIN_MS).toISOString();
  const watching = patched(REQUEST_THEN_WATCH);
  let enables = 0;
  const enable = async ({ quick, longRunning, bulk }: OnboardingActivityKinds) => {
    if (watching) {
      const request =
        enables++ === 0
          ? await bulk.requestProtection({ ...input, since, unprotected: input.vm.protectionStatus === 'Unprotected' })
          : await bulk.requestProtection({ ...input, jobsBefore: await quick.listEnableJobs(input) });
      // What the watcher said meanwhile is newer than the read the request made.
      if (request.observed && !watcherKnows) latest = request.observed;
      await jobEnded(quick, request.recheckMs);
      return request;
    }
    return enables++ === 0 && patched(ENABLE_SINCE_START)
      ? longRunning.enableProtection({ ...input, since })
      : longRunning.enableProtection({ ...input, jobsBefore: await quick.listEnableJobs(input) });
  };
  /**
   * Waits until the item's EnableDr job is over (the item is past EnablingProtection) or it
   * failed (then the step waits for the operator). Until the watcher has told of the item, the
   * VM reads it itself every `recheckMs` (doubling): an item may come and go with a failed job
   * between two of the watcher's looks, and the watcher reports the end only of items it saw.
   */
  const jobEnded = async (quick: OnboardingActivityKinds['quick'], recheckMs: number) => {
    const seen = () => latest !== undefined && latest.protectionState !== 'NotFound';
    const past = () =>
      latest !== undefined &&
      (latest.failed !== undefined || (seen() && latest.protectionState !== 'EnablingProtection'));
    for (let wait = recheckMs; !past(); wait = Math.min(wait * 2, MAX_RECHECK_MS)) {
      if (watcherKnows) {
        await condition(past);
        break;
      }
      if (await condition(() => watcherKnows || past(), wait)) continue;
      const looked = await quick.checkProtection({ ...input, since });
      if (!watcherKnows) latest = looked;
    }
    const failed = latest?.failed;
    if (failed) {
      latest = undefined;
      throw ApplicationFailure.create({
        type: failed.type ?? FailureType.NeedsOperator,
        nonRetryable: true,
        message: `enabling protection of ${input.vm.friendlyName} failed: ${failed.message}`,
        details: [failed],
      });
    }
  };
  let enabled = await steps.run('enable-protection', async (activities) => {
    // A failure seen before this attempt was about the item this request replaces.
    if (latest?.failed) latest = undefined;
    return enable(activities);
  });
  // A failure seen while enabling was about the item enabling replaced.
  if (!watching && latest?.failed) latest = undefined;
  let enableAgain = false;
  /** The item's state when it turned out to be failed over: nothing of it is changed then. */
  let failedOver: string | undefined;
  await steps.run('initial-replication', async (activities) => {
    if (enableAgain) {
      // The operator fixed what failed the item: enable it again (a no-op if it is still there).
      latest = undefined;
      enabled = await enable(activities);
      enableAgain = false;
    }
    // Runs recorded before waited for Protected only, which a failed-over VM never reaches.
    const failedOverEnds = patched(FAILED_OVER_ENDS);
    await condition(
      () => latest?.protectedNow === true || latest?.failed !== undefined || (failedOverEnds && pastProtection(latest)),
    );
    if (failedOverEnds && pastProtection(latest)) {
      failedOver = latest?.protectionState;
      steps.warn('initial-replication', [
        `${input.vm.friendlyName} is ${failedOver ?? 'failed over'}: its protection was set up before; onboarding leaves it as it is`,
      ]);
      return;
    }
    const failed = latest?.failed;
    if (failed) {
      // The tenant workflow saw the item fail (or vanish with its failed job): wait for a person
      // instead of for replication that will not come.
      enableAgain = true;
      latest = undefined;
      throw ApplicationFailure.create({
        type: failed.type ?? FailureType.NeedsOperator,
        nonRetryable: true,
        message: `replication of ${input.vm.friendlyName} failed: ${failed.message}`,
        details: [failed],
      });
    }
  });
  // Static addresses and test failover subnets are not part of enable-protection: Site Recovery
  // takes them with an update once the item is protected (and a changed plan's new values too).
  if (hasSettings && failedOver === undefined && patched(VM_SETTINGS)) {
    const itemName = enabled.itemName;
    await steps.run('apply-settings', async ({ longRunning }) => {
      const applied = await longRunning.applyVmSettings({ ...input, itemName });
      steps.warn('apply-settings', applied.conflicts);
    });
  }
  await condition(allHandlersFinished);
  return { vm: input.vm.friendlyName, itemName: enabled.itemName, alreadyEnabled: enabled.alreadyEnabled };
}
