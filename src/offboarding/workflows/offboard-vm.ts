import { allHandlersFinished, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { disableRefusal, type OffboardRecord, type OffboardVmInput } from '../contract';
import { AsrStage } from '../../temporal/workflow/search-attributes';
import { answerProgress, isAbandoned, outcomeDetails, publishDetails, StepRunner } from '../../temporal/workflow/steps';
import { offboardingActivities } from './activities';
import { cloudsLabel } from '../../domain/vmm-placement';

/**
 * Disables protection of one VM on purpose: finds it in the tenant's own cloud, refuses while
 * Site Recovery would not allow it (a failover in progress, a failed-over VM not yet committed or
 * failed back), then disables it once and waits until its item is gone. A VM that is not protected
 * (any more) ends as `not-protected`: running the same command again is a no-op that says so.
 */
export async function offboardVmWorkflow(input: OffboardVmInput): Promise<OffboardRecord> {
  const { tenant, vm, vault: target, scope } = input;
  const record: OffboardRecord = {
    tenant,
    vm,
    vault: target.vault,
    outcome: 'running',
    startedAt: new Date().toISOString(),
  };
  const title = `Offboard ${vm} (${tenant})`;
  const steps = new StepRunner(() => publishDetails(details()), {
    abandonable: true,
    activities: offboardingActivities,
  });
  answerProgress(steps, () => ({
    kind: 'offboarding',
    tenant,
    vm,
    scenario: input.scenario,
    stage: record.outcome === 'running' ? steps.stage : record.outcome,
  }));
  const details = () => outcomeDetails(title, steps, record);

  steps.plan([
    { name: 'resolve', title: `Find ${vm} in ${cloudsLabel(scope)} (vault ${target.vault})` },
    { name: 'disable', title: `Disable protection of ${vm} (its replica disks in Azure are deleted)` },
  ]);
  try {
    const item = await steps.run('resolve', ({ quick }) => quick.findVmItem({ target, vm, scope }));
    const refusal = item ? disableRefusal(vm, item) : undefined;
    if (!item || refusal) {
      record.outcome = item ? 'refused' : 'not-protected';
      record.reason =
        refusal ??
        `${vm} is not a protected VM of tenant ${tenant}'s ${cloudsLabel(scope)}: nothing to do (already offboarded, or never protected)`;
      steps.track('disable', 'disable', '', { state: 'skipped' });
    } else {
      const done = await steps.run('disable', ({ longRunning }) =>
        longRunning.disableVmProtection({ target, item, vm }),
      );
      record.outcome = done.alreadyGone ? 'not-protected' : 'offboarded';
      if (done.alreadyGone) record.reason = `protection of ${vm} was removed meanwhile by someone else`;
      if (done.jobName) record.jobName = done.jobName;
    }
  } catch (error) {
    if (!isAbandoned(error)) throw error;
    record.outcome = 'abandoned';
    record.reason = error.message;
  }
  record.endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: AsrStage, value: record.outcome }]);
  publishDetails(details());
  await condition(allHandlersFinished);
  return record;
}
