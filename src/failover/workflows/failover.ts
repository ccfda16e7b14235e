import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ActionParams } from '../activities';
import {
  ACTIONS,
  checkPreflight,
  CREATES_VM,
  cleanupUpdate,
  failoverRecordQuery,
  jobFingerprint,
  KIND_TITLES,
  measuredRto,
  secondsBetween,
  TERMINAL_JOB_STATES,
  type DrillRecord,
  type FailoverAction,
  type FailoverInput,
  type ItemRef,
  type JobSnapshot,
  type RecoveryPointInfo,
  type ResolvedItem,
  type TenantScope,
} from '../contract';
import { inlineCode, operatorCommands, shellWord } from '../../domain/operator-commands';
import { FailureType } from '../../temporal/workflow/failure-types';
import { HANDLER_DESCRIPTIONS, type StepState } from '../../temporal/workflow/progress';
import { AsrStage } from '../../temporal/workflow/search-attributes';
import { cloudsLabel } from '../../domain/vmm-placement';
import { failoverActivities, jobActivities } from './activities';
import { answerProgress, isAbandoned, outcomeDetails, publishDetails, StepRunner } from '../../temporal/workflow/steps';

/** Reads outside any step (the drill record's facts): unlabelled in the UI, as the step's own are not. */
const { quick } = failoverActivities();

/** How long one look at a job may wait for a change before reporting back to the workflow. */
const FOLLOW_SLICE_MS = 5 * 60_000;
const DEFAULT_CLEANUP_AFTER = '24h';

const TASK_STATES: Record<string, StepState> = {
  NotStarted: 'pending',
  InProgress: 'running',
  Succeeded: 'done',
  Skipped: 'skipped',
  Suspended: 'running',
};

/**
 * One failover action on one VM (test, planned, unplanned, commit, cleanup, change of
 * recovery point, reprotect, or failback with its commit and reprotect), guarded by a
 * preflight, with every Site Recovery job's tasks shown as steps and a drill record (measured
 * RTO, recovery point and its age, jobs) as the result. A failed job waits for the operator's
 * `retry` or `abandon`.
 */
export async function failoverWorkflow(input: FailoverInput): Promise<DrillRecord> {
  const { kind, vm, tenant, vault: target, scope, options } = input;
  const title = `${KIND_TITLES[kind]} of ${vm} (${tenant})`;
  const record: DrillRecord = {
    workflowId: workflowInfo().workflowId,
    kind,
    tenant,
    vm,
    vault: target.vault,
    startedAt: new Date().toISOString(),
    outcome: 'running',
    jobs: [],
  };
  const steps = new StepRunner(() => publishDetails(details()), {
    abandonable: true,
    commands: operatorCommands.failover(tenant, vm),
    activities: failoverActivities,
  });
  const jobs = jobActivities(options.heartbeatTimeout);

  let waitingForCleanup = false;
  let cleanupRequest: { reason?: string } | undefined;
  setHandler(
    cleanupUpdate,
    (request) => {
      cleanupRequest = request;
      return `cleanup of the test failover of ${vm} starts now`;
    },
    {
      description: HANDLER_DESCRIPTIONS.cleanup,
      validator: (request: { reason?: unknown }) => {
        if (request.reason !== undefined && typeof request.reason !== 'string') throw new Error('reason must be text');
        if (kind !== 'test')
          throw new Error(
            `this is a ${KIND_TITLES[kind].toLowerCase()}, not a test failover: there is nothing to clean up`,
          );
        if (!waitingForCleanup)
          throw new Error(`the test failover of ${vm} is not waiting for its cleanup (stage: ${steps.stage})`);
      },
    },
  );
  setHandler(failoverRecordQuery, () => record, { description: HANDLER_DESCRIPTIONS.failoverRecord });
  answerProgress(steps, () => ({
    kind: 'failover',
    tenant,
    vm,
    scenario: input.scenario,
    stage: record.outcome === 'running' ? steps.stage : record.outcome,
  }));

  function details(): string {
    const extra: string[] = [];
    if (record.preflight?.refusals.length) extra.push('', `**Refused:** ${record.preflight.refusals.join('; ')}`);
    if (record.preflight?.warnings.length) extra.push('', `Warnings: ${record.preflight.warnings.join('; ')}`);
    if (record.preflight?.recoveryPointAgeSeconds !== undefined)
      extra.push('', `Latest recovery point at preflight: ${record.preflight.recoveryPointAgeSeconds} s old`);
    if (record.rto)
      extra.push('', `**Measured RTO:** ${record.rto.seconds} s (${record.rto.from} → ${record.rto.until})`);
    if (record.rpo)
      extra.push(`**Recovery point:** ${record.rpo.recoveryPointTime} (${record.rpo.ageSeconds} s old at failover)`);
    return outcomeDetails(title, steps, record, extra);
  }

  const keepJob = (action: FailoverAction, job: JobSnapshot) => {
    const at = record.jobs.findIndex((j) => j.jobName === job.jobName);
    if (at >= 0) record.jobs[at] = { ...job, action };
    else record.jobs.push({ ...job, action });
  };

  /** Runs one action as a step: issue once, follow its job, show its tasks, pause on failure. */
  const runAction = async (
    name: string,
    action: FailoverAction,
    item: ItemRef,
    params: ActionParams,
  ): Promise<JobSnapshot & { recoveryPointId?: string }> => {
    const stepTitle = ACTIONS[action].title;
    const job = await steps.run(name, async () => {
      const { jobName, recoveryPoint } = await jobs(`${stepTitle}: ${vm}`).startFailoverAction({
        target,
        item,
        vm,
        action,
        params,
      });
      let known = '';
      for (;;) {
        const seen = await jobs(`Follow ${ACTIONS[action].scenario} job of ${vm}`).followJob({
          target,
          jobName,
          known,
          maxWaitMs: FOLLOW_SLICE_MS,
        });
        known = jobFingerprint(seen);
        keepJob(action, seen);
        for (const task of seen.tasks) {
          steps.track(name, `${name}/${task.name}`, task.title, {
            state: TASK_STATES[task.state] ?? 'pending',
            ...(task.startTime ? { startedAt: task.startTime } : {}),
            ...(task.endTime ? { endedAt: task.endTime } : {}),
          });
        }
        if (seen.state === 'Suspended') {
          // Failback with ForSynchronization: the data is in sync and the job waits for
          // "complete failover"; asrflow completes it, as the operator asked for a failback.
          steps.track(name, `${name}/complete`, 'Complete the failover (resume the waiting job)', { state: 'running' });
          await jobs(`Complete the failback of ${vm}`).resumeJob({
            target,
            jobName,
            comments: `asrflow: complete failback of ${vm}`,
          });
          steps.track(name, `${name}/complete`, 'Complete the failover (resume the waiting job)', { state: 'done' });
          continue;
        }
        if (!TERMINAL_JOB_STATES.has(seen.state)) continue;
        if (seen.state === 'Succeeded') return { ...seen, ...(recoveryPoint ? { recoveryPoint } : {}) };
        const error = seen.errors[seen.errors.length - 1];
        throw ApplicationFailure.create({
          type: FailureType.NeedsOperator,
          nonRetryable: true,
          message: `${stepTitle} job ${jobName} ${seen.state.toLowerCase()}: ${error?.message ?? 'no error given'}`,
          details: [
            {
              jobId: seen.jobId,
              ...(error?.code ? { code: error.code } : {}),
              ...(error?.possibleCauses ? { possibleCauses: error.possibleCauses } : {}),
              ...(error?.recommendedAction ? { recommendedAction: error.recommendedAction } : {}),
              // The step's hint adds the commands (failover retry issues the action again).
              fix: 'fix the cause shown in the job error',
            },
          ],
        });
      }
    });
    return job;
  };

  /** RTO and RPO of the job that brought the VM up in the recovery site. */
  const measure = async (
    item: ItemRef,
    job: JobSnapshot & { recoveryPoint?: RecoveryPointInfo },
    requested?: string,
  ) => {
    const rto = measuredRto(job);
    if (rto && job.startTime)
      record.rto = {
        seconds: rto.seconds,
        from: job.startTime,
        until: rto.until,
        ...(rto.untilTask ? { untilTask: rto.untilTask } : {}),
      };
    const point =
      job.recoveryPoint ?? (await quick.recoveryPointUsed({ target, item, ...(requested ? { requested } : {}) }));
    if (point && job.startTime) {
      record.rpo = {
        recoveryPointId: point.id,
        recoveryPointTime: point.time,
        ...(point.type ? { recoveryPointType: point.type } : {}),
        ageSeconds: secondsBetween(point.time, job.startTime),
      };
    } else if (kind === 'planned') {
      // A planned failover shuts the source down and ships its last changes before the VM
      // starts in Azure: no data is lost, whatever point Site Recovery names afterwards.
      const sync = job.tasks.find((t) => /sync/i.test(t.name) && t.endTime);
      if (sync?.endTime)
        record.rpo = {
          recoveryPointId: 'final-sync',
          recoveryPointTime: sync.endTime,
          recoveryPointType: 'FinalSync',
          ageSeconds: 0,
        };
    }
    publishDetails(details());
  };

  const plan: Array<{ name: string; title: string }> = [
    { name: 'resolve', title: `Find ${vm} in ${cloudsLabel(scope)} (vault ${target.vault})` },
    { name: 'preflight', title: 'Preflight: allowed operation, replication health, running jobs, recovery point age' },
  ];
  const main: Record<typeof kind, Array<{ name: string; title: string }>> = {
    test: [
      { name: 'test-failover', title: ACTIONS.testFailover.title },
      {
        name: 'await-cleanup',
        title: `Wait for the operator's cleanup (at most ${options.cleanupAfter ?? DEFAULT_CLEANUP_AFTER})`,
      },
      { name: 'cleanup', title: ACTIONS.testFailoverCleanup.title },
    ],
    cleanup: [{ name: 'cleanup', title: ACTIONS.testFailoverCleanup.title }],
    planned: [{ name: 'planned-failover', title: ACTIONS.plannedFailover.title }],
    unplanned: [{ name: 'unplanned-failover', title: ACTIONS.unplannedFailover.title }],
    commit: [{ name: 'commit', title: ACTIONS.failoverCommit.title }],
    'change-recovery-point': [{ name: 'change-recovery-point', title: ACTIONS.applyRecoveryPoint.title }],
    reprotect: [{ name: 'reprotect', title: ACTIONS.reprotect.title }],
    failback: [
      { name: 'failback', title: ACTIONS.failback.title },
      { name: 'failback-commit', title: ACTIONS.failoverCommit.title },
      { name: 'reprotect', title: ACTIONS.reprotect.title },
    ],
  };
  steps.plan([...plan, ...main[kind]]);

  let item: ItemRef | undefined;
  try {
    const resolved = await steps.run('resolve', ({ quick }) => quick.resolveProtectedItem({ target, vm, scope }));
    item = resolved.item;
    const ref = item;
    const facts = ref
      ? await steps.run('preflight', ({ quick }) =>
          quick.inspectItem({
            target,
            item: ref,
            ...(scope.principal && CREATES_VM.has(kind)
              ? { placement: { principal: scope.principal, subscriptionId: scope.subscriptionId } }
              : {}),
          }),
        )
      : undefined;
    const extraRefusals =
      kind === 'change-recovery-point' && !options.recoveryPointId
        ? ['a recovery point id is needed to change the recovery point']
        : [];
    const preflight = facts ? checkPreflight(kind, facts, options, scope) : undefined;
    preflight?.refusals.push(...extraRefusals);
    if (preflight) {
      preflight.ok = preflight.refusals.length === 0;
      record.preflight = preflight;
    }
    if (!ref || !preflight?.ok) {
      record.outcome = 'refused';
      record.reason = ref
        ? (preflight?.refusals.join('; ') ?? 'preflight was skipped')
        : notFound(tenant, vm, scope, resolved);
      if (!ref) steps.track('preflight', 'preflight', plan[1]?.title ?? 'preflight', { state: 'skipped' });
    } else {
      const point = options.recoveryPointId;
      switch (kind) {
        case 'test': {
          record.testNetworkId = options.testNetworkId;
          const job = await runAction('test-failover', 'testFailover', ref, {
            ...(options.testNetworkId ? { testNetworkId: options.testNetworkId } : {}),
            ...(point ? { recoveryPointId: point } : {}),
          });
          await measure(ref, job, point);
          const cleanupAfter = options.cleanupAfter ?? DEFAULT_CLEANUP_AFTER;
          await steps.run('await-cleanup', async () => {
            waitingForCleanup = true;
            steps.hint(
              'await-cleanup',
              `the test VM of ${vm} runs in ${options.testNetworkId ?? 'no network'}; check it, then run ${inlineCode(`asrflow failover cleanup --tenant ${shellWord(tenant)} --vm ${shellWord(vm)}`)}. It is cleaned up by itself after ${cleanupAfter}.`,
            );
            const asked = await condition(() => cleanupRequest !== undefined, cleanupAfter);
            waitingForCleanup = false;
            steps.hint('await-cleanup', undefined);
            record.cleanup = { by: asked ? 'operator' : 'timeout' };
          });
          const cleaned = await runAction('cleanup', 'testFailoverCleanup', ref, {
            comments: `asrflow: ${record.cleanup?.by === 'timeout' ? `automatic cleanup after ${cleanupAfter}` : (cleanupRequest?.reason ?? 'cleanup requested by the operator')}`,
          });
          if (record.cleanup && cleaned.endTime) record.cleanup.at = cleaned.endTime;
          break;
        }
        case 'cleanup': {
          const cleaned = await runAction('cleanup', 'testFailoverCleanup', ref, {
            comments: 'asrflow: cleanup of an earlier test failover',
          });
          record.cleanup = { by: 'operator', ...(cleaned.endTime ? { at: cleaned.endTime } : {}) };
          break;
        }
        case 'planned':
          await measure(ref, await runAction('planned-failover', 'plannedFailover', ref, {}));
          break;
        case 'unplanned': {
          const job = await runAction('unplanned-failover', 'unplannedFailover', ref, {
            sourceSiteOperations: options.sourceSiteOperations ?? false,
            ...(point ? { recoveryPointId: point } : {}),
          });
          await measure(ref, job, point);
          break;
        }
        case 'commit':
          await runAction('commit', 'failoverCommit', ref, {});
          break;
        case 'change-recovery-point': {
          const job = await runAction('change-recovery-point', 'applyRecoveryPoint', ref, {
            ...(point ? { recoveryPointId: point } : {}),
          });
          await measure(ref, job, point);
          delete record.rto;
          break;
        }
        case 'reprotect':
          await runAction('reprotect', 'reprotect', ref, {});
          break;
        case 'failback': {
          const job = await runAction('failback', 'failback', ref, {
            dataSyncOption: options.dataSyncOption ?? 'ForSynchronization',
          });
          const rto = measuredRto(job);
          if (rto && job.startTime)
            record.rto = {
              seconds: rto.seconds,
              from: job.startTime,
              until: rto.until,
              ...(rto.untilTask ? { untilTask: rto.untilTask } : {}),
            };
          await runAction('failback-commit', 'failoverCommit', ref, {});
          await runAction('reprotect', 'reprotect', ref, {});
          break;
        }
      }
      record.outcome = 'succeeded';
    }
  } catch (error) {
    if (!isAbandoned(error)) throw error;
    record.outcome = 'abandoned';
    record.reason = error.message;
  }
  if (item) {
    const ref = item;
    record.itemState = await quick.itemState({ target, item: ref });
  }
  record.endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: AsrStage, value: record.outcome }]);
  publishDetails(details());
  await condition(allHandlersFinished);
  return record;
}

/**
 * The refusal for a VM that is not a protected VM of the tenant's own cloud. It draws only on
 * that cloud: a VM of another tenant gets exactly the answer a VM that exists nowhere gets.
 */
function notFound(tenant: string, vm: string, scope: TenantScope, resolved: ResolvedItem): string {
  if (resolved.unprotected)
    return `VM '${vm}' of tenant ${tenant} is in ${cloudsLabel(scope)} but not protected; protect it first (select it in the tenant's vms in the plan and onboard the plan again)`;
  const near =
    resolved.closest.length > 0 ? `; closest names in the tenant's cloud: ${resolved.closest.join(', ')}` : '';
  return `VM '${vm}' not found for tenant ${tenant}: no protected VM of that name in its ${cloudsLabel(scope)}${near}`;
}
