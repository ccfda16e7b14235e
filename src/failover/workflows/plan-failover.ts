import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  checkPreflight,
  cleanupUpdate,
  continueUpdate,
  CREATES_VM,
  jobFingerprint,
  PLAN_ACTIONS,
  PLAN_KIND_TITLES,
  planRecordQuery,
  planUpSignal,
  RUNNING_JOB_STATES,
  secondsBetween,
  TERMINAL_JOB_STATES,
  type JobSnapshot,
  type PlanAction,
  type PlanDrillRecord,
  type PlanFacts,
  type PlanFailoverInput,
  type PlanFailoverKind,
  type PreflightResult,
} from '../contract';
import { inlineCode, operatorCommands, shellWord } from '../../domain/operator-commands';
import { FailureType } from '../../temporal/workflow/failure-types';
import { HANDLER_DESCRIPTIONS, type StepState } from '../../temporal/workflow/progress';
import { AsrStage } from '../../temporal/workflow/search-attributes';
import { answerProgress, isAbandoned, outcomeDetails, publishDetails, StepRunner } from '../../temporal/workflow/steps';
import { failoverActivities, jobActivities } from './activities';

const FOLLOW_SLICE_MS = 5 * 60_000;
const DEFAULT_CLEANUP_AFTER = '24h';

const TASK_STATES: Record<string, StepState> = {
  NotStarted: 'pending',
  InProgress: 'running',
  Succeeded: 'done',
  Skipped: 'skipped',
  // Waiting at a manual action: the action's step carries the hint (`continue`, not `retry`).
  Suspended: 'running',
};

/** The plan actions a kind runs, in order. */
const SEQUENCE: Record<PlanFailoverKind, PlanAction[]> = {
  test: ['testFailover', 'testFailoverCleanup'],
  cleanup: ['testFailoverCleanup'],
  planned: ['plannedFailover'],
  unplanned: ['unplannedFailover'],
  commit: ['failoverCommit'],
  reprotect: ['reProtect'],
  failback: ['failback', 'failoverCommit', 'reProtect'],
};

/** Where a manual action sits: the action names asrflow gives them (`group-2-before`). */
const MANUAL_ACTION = /group-(\d+)-(before|after)/i;

/**
 * One action on a tenant's recovery plan, group by group: a preflight of the plan and every VM
 * of it, then Site Recovery's recovery-plan job followed to its end, each group and VM shown as
 * steps. A manual action of the plan suspends the job: the workflow waits for the operator's
 * `continue`, then resumes it. The result is the plan's drill record: measured RTO against the
 * plan's target, each VM's recovery point and age, manual actions with who and when.
 */
export async function planFailoverWorkflow(input: PlanFailoverInput): Promise<PlanDrillRecord> {
  const { kind, tenant, plan, vault: target, scope, options } = input;
  const title = `${PLAN_KIND_TITLES[kind]} of recovery plan ${plan.name} (${tenant})`;
  const record: PlanDrillRecord = {
    workflowId: workflowInfo().workflowId,
    ...(options.drillSchedule ? { drillSchedule: options.drillSchedule } : {}),
    kind,
    tenant,
    plan: plan.name,
    vault: target.vault,
    startedAt: new Date().toISOString(),
    outcome: 'running',
    vms: plan.groups.flatMap((g, i) => g.vms.map((vm) => ({ vm, group: i + 1 }))),
    manualActions: [],
    jobs: [],
  };
  const steps = new StepRunner(() => publishDetails(details()), {
    abandonable: true,
    // A scheduled drill's id is not the plan's: its commands name the workflow itself.
    commands: options.drillSchedule
      ? operatorCommands.workflow(workflowInfo().workflowId)
      : operatorCommands.planFailover(tenant, plan.name),
    activities: failoverActivities,
  });
  const jobs = jobActivities(options.heartbeatTimeout);

  let waitingForCleanup = false;
  let cleanupRequest: { reason?: string } | undefined;
  let waitingAt: { group: number; when: 'before' | 'after'; text: string } | undefined;
  let continueRequest: { by?: string; comments?: string } | undefined;
  setHandler(
    cleanupUpdate,
    (request) => {
      cleanupRequest = request;
      return `cleanup of the test failover of recovery plan ${plan.name} starts now`;
    },
    {
      description: HANDLER_DESCRIPTIONS.cleanup,
      validator: (request: { reason?: unknown }) => {
        if (request.reason !== undefined && typeof request.reason !== 'string') throw new Error('reason must be text');
        if (kind !== 'test') throw new Error(`this is a ${PLAN_KIND_TITLES[kind].toLowerCase()}: nothing to clean up`);
        if (!waitingForCleanup)
          throw new Error(`the test failover of ${plan.name} is not waiting for its cleanup (stage: ${steps.stage})`);
      },
    },
  );
  setHandler(
    continueUpdate,
    (request) => {
      continueRequest = request;
      return `recovery plan ${plan.name} continues after: ${waitingAt?.text ?? 'the manual action'}`;
    },
    {
      description: 'Continue a recovery plan failover waiting at a manual action (only while it waits).',
      validator: (request: { by?: unknown; comments?: unknown }) => {
        if (request.by !== undefined && typeof request.by !== 'string') throw new Error('by must be text');
        if (request.comments !== undefined && typeof request.comments !== 'string')
          throw new Error('comments must be text');
        if (!waitingAt)
          throw new Error(`recovery plan ${plan.name} is not waiting at a manual action (stage: ${steps.stage})`);
      },
    },
  );
  setHandler(planRecordQuery, () => record, { description: 'The recovery plan drill record so far.' });
  answerProgress(steps, () => ({
    kind: 'plan-failover',
    tenant,
    plan: plan.name,
    scenario: input.scenario,
    stage: record.outcome === 'running' ? steps.stage : record.outcome,
  }));

  function details(): string {
    const extra: string[] = [];
    if (record.preflight?.refusals.length) extra.push('', `**Refused:** ${record.preflight.refusals.join('; ')}`);
    if (record.preflight?.warnings.length) extra.push('', `Warnings: ${record.preflight.warnings.join('; ')}`);
    if (waitingAt) extra.push('', `**Manual action (group ${waitingAt.group}, ${waitingAt.when}):** ${waitingAt.text}`);
    if (record.rto)
      extra.push(
        '',
        `**Measured RTO:** ${record.rto.seconds} s${record.rto.targetSeconds !== undefined ? ` (target ${record.rto.targetSeconds} s: ${record.rto.met ? 'met' : 'missed'})` : ''}`,
      );
    return outcomeDetails(title, steps, record, extra);
  }

  const keepJob = (action: PlanAction, job: JobSnapshot) => {
    const at = record.jobs.findIndex((j) => j.jobName === job.jobName);
    if (at >= 0) record.jobs[at] = { ...job, action };
    else record.jobs.push({ ...job, action });
  };

  /** A manual action the job waits at, from its suspended task (asrflow names them `group-N-when`). */
  const manualActionOf = (job: JobSnapshot): { group: number; when: 'before' | 'after'; text: string } => {
    const task = job.tasks.find((t) => t.state === 'Suspended');
    const match = MANUAL_ACTION.exec(`${task?.name ?? ''} ${task?.title ?? ''}`);
    const group = Number(match?.[1] ?? 0);
    const when = match?.[2]?.toLowerCase() === 'after' ? 'after' : 'before';
    const text = plan.groups[group - 1]?.[when] ?? task?.title ?? 'a manual action of the plan';
    return { group, when, text };
  };

  /** Runs one plan action as a step: issue once, follow its job, wait at manual actions, pause on failure. */
  const runAction = async (name: string, action: PlanAction, params: Record<string, unknown>): Promise<JobSnapshot> =>
    steps.run(name, async () => {
      const spec = PLAN_ACTIONS[action];
      const { jobName } = await jobs(`${spec.title}: ${plan.name}`).startPlanAction({
        target,
        planName: plan.azureName,
        action,
        params,
      });
      let known = '';
      for (;;) {
        const seen = await jobs(`Follow the job of ${plan.name}`).followJob({
          target,
          jobName,
          known,
          maxWaitMs: FOLLOW_SLICE_MS,
        });
        known = jobFingerprint(seen);
        keepJob(action, seen);
        for (const task of seen.tasks)
          steps.track(name, `${name}/${task.name}`, task.title, {
            state: TASK_STATES[task.state] ?? 'pending',
            ...(task.startTime ? { startedAt: task.startTime } : {}),
            ...(task.endTime ? { endedAt: task.endTime } : {}),
          });
        if (seen.state === 'Suspended' && options.drillSchedule) {
          // Nobody watches a scheduled drill: it goes on by itself, and says so in the record.
          const at = manualActionOf(seen);
          record.manualActions.push({
            ...at,
            by: 'scheduled drill (continued automatically)',
            at: new Date().toISOString(),
          });
          await jobs(`Continue ${plan.name} after its manual action`).resumeJob({
            target,
            jobName,
            comments: `asrflow: scheduled drill ${options.drillSchedule} continues by itself`,
          });
          continue;
        }
        if (seen.state === 'Suspended') {
          waitingAt = manualActionOf(seen);
          const command = `asrflow failover continue --tenant ${shellWord(tenant)} --recovery-plan ${shellWord(plan.name)}`;
          steps.hint(
            name,
            `manual action of group ${waitingAt.group}: ${waitingAt.text}. When done, run ${inlineCode(command)}.`,
          );
          await condition(() => continueRequest !== undefined);
          const by = continueRequest?.by ?? 'operator';
          record.manualActions.push({ ...waitingAt, by, at: new Date().toISOString() });
          steps.hint(name, undefined);
          await jobs(`Continue ${plan.name} after its manual action`).resumeJob({
            target,
            jobName,
            comments: `asrflow: continued by ${by}${continueRequest?.comments ? `: ${continueRequest.comments}` : ''}`,
          });
          waitingAt = undefined;
          continueRequest = undefined;
          continue;
        }
        if (!TERMINAL_JOB_STATES.has(seen.state)) continue;
        if (seen.state === 'Succeeded') return seen;
        const error = seen.errors[seen.errors.length - 1];
        throw ApplicationFailure.create({
          type: FailureType.NeedsOperator,
          nonRetryable: true,
          message: `${spec.title} job ${jobName} ${seen.state.toLowerCase()}: ${error?.message ?? 'no error given'}`,
          details: [
            {
              jobId: seen.jobId,
              ...(error?.code ? { code: error.code } : {}),
              ...(error?.possibleCauses ? { possibleCauses: error.possibleCauses } : {}),
              ...(error?.recommendedAction ? { recommendedAction: error.recommendedAction } : {}),
              fix: 'fix the cause shown in the job error',
            },
          ],
        });
      }
    });

  /** Plan RTO (action start → the last VM running) and each VM's times and recovery point. */
  const measure = async (job: JobSnapshot, facts: PlanFacts) => {
    for (const vm of record.vms) {
      const tasks = job.tasks.filter((t) => includesWord(`${t.name} ${t.title}`, vm.vm));
      const starts = tasks.flatMap((t) => (t.startTime ? [t.startTime] : [])).sort();
      const ends = tasks.flatMap((t) => (t.endTime ? [t.endTime] : [])).sort();
      if (starts[0]) vm.startedAt = starts[0];
      const last = ends[ends.length - 1];
      if (last) vm.endedAt = last;
      const item = facts.vms.find((v) => v.vm.toLowerCase() === vm.vm.toLowerCase())?.item;
      if (!item || !job.startTime) continue;
      const point = await quickly.recoveryPointUsed({ target, item });
      if (point) vm.rpo = { recoveryPointTime: point.time, ageSeconds: secondsBetween(point.time, job.startTime) };
    }
    const until = record.vms
      .flatMap((v) => (v.endedAt ? [v.endedAt] : []))
      .sort()
      .pop();
    const end = until ?? job.endTime;
    if (job.startTime && end) {
      const seconds = secondsBetween(job.startTime, end);
      record.rto = {
        seconds,
        from: job.startTime,
        until: end,
        ...(plan.rtoSeconds !== undefined ? { targetSeconds: plan.rtoSeconds, met: seconds <= plan.rtoSeconds } : {}),
      };
    }
    const ages = record.vms.flatMap((v) => (v.rpo ? [v.rpo.ageSeconds] : []));
    const worst = ages.length > 0 ? Math.max(...ages) : undefined;
    if (plan.rpoSeconds !== undefined || worst !== undefined)
      record.rpo = {
        ...(plan.rpoSeconds !== undefined ? { targetSeconds: plan.rpoSeconds } : {}),
        ...(worst !== undefined ? { worstSeconds: worst } : {}),
        ...(plan.rpoSeconds !== undefined && worst !== undefined ? { met: worst <= plan.rpoSeconds } : {}),
      };
    publishDetails(details());
  };

  const quickly = failoverActivities('Read the recovery point a VM came up from').quick;
  const [first] = SEQUENCE[kind] as [PlanAction, ...PlanAction[]];
  steps.plan([
    {
      name: 'preflight',
      title: `Preflight of ${plan.name}: the plan in the vault, and each VM's allowed operation, health and running jobs`,
    },
    ...SEQUENCE[kind]
      .map((action, i) =>
        kind === 'test' && action === 'testFailoverCleanup'
          ? [
              {
                name: 'await-cleanup',
                title: `Wait for the operator's cleanup (at most ${options.cleanupAfter ?? DEFAULT_CLEANUP_AFTER})`,
              },
              { name: `action-${i + 1}`, title: PLAN_ACTIONS[action].title },
            ]
          : [{ name: `action-${i + 1}`, title: PLAN_ACTIONS[action].title }],
      )
      .flat(),
  ]);

  try {
    const vmNames = plan.groups.flatMap((g) => g.vms);
    const facts = await steps.run('preflight', ({ quick }) =>
      quick.inspectPlan({
        target,
        scope,
        planName: plan.azureName,
        vms: vmNames,
        ...(first === 'testFailover' && options.testNetworkId ? { testNetworkId: options.testNetworkId } : {}),
        ...(scope.principal && CREATES_VM.has(PLAN_ACTIONS[first].itemKind)
          ? { placement: { principal: scope.principal, subscriptionId: scope.subscriptionId } }
          : {}),
      }),
    );
    const preflight = planPreflight(first, facts, input);
    record.preflight = preflight;
    if (!preflight.ok) {
      record.outcome = 'refused';
      record.reason = preflight.refusals.join('; ');
    } else {
      for (const [i, action] of SEQUENCE[kind].entries()) {
        const name = `action-${i + 1}`;
        if (kind === 'test' && action === 'testFailoverCleanup') {
          const cleanupAfter = options.cleanupAfter ?? DEFAULT_CLEANUP_AFTER;
          await steps.run('await-cleanup', async () => {
            waitingForCleanup = true;
            // A site's failover moves on to its next tenant once this plan's test VMs are up.
            const parent = workflowInfo().parent;
            if (parent)
              await getExternalWorkflowHandle(parent.workflowId, parent.runId).signal(planUpSignal, {
                workflowId: workflowInfo().workflowId,
              });
            steps.hint(
              'await-cleanup',
              `the test VMs of ${plan.name} run in ${options.testNetworkId ?? 'no network'}; check them, then run ${inlineCode(`asrflow failover cleanup --tenant ${shellWord(tenant)} --recovery-plan ${shellWord(plan.name)}`)}. They are cleaned up by themselves after ${cleanupAfter}.`,
            );
            const asked = await condition(() => cleanupRequest !== undefined, cleanupAfter);
            waitingForCleanup = false;
            steps.hint('await-cleanup', undefined);
            record.cleanup = { by: asked ? 'operator' : 'timeout' };
          });
          const cleaned = await runAction(name, action, {
            comments: `asrflow: ${record.cleanup?.by === 'timeout' ? `automatic cleanup after ${cleanupAfter}` : (cleanupRequest?.reason ?? 'cleanup requested by the operator')}`,
          });
          if (record.cleanup && cleaned.endTime) record.cleanup.at = cleaned.endTime;
          continue;
        }
        const params =
          action === 'testFailover'
            ? { ...(options.testNetworkId ? { testNetworkId: options.testNetworkId } : {}) }
            : action === 'unplannedFailover'
              ? { sourceSiteOperations: options.sourceSiteOperations ?? false }
              : action === 'testFailoverCleanup'
                ? { comments: 'asrflow: cleanup of an earlier test failover' }
                : {};
        if (action === 'testFailover') record.testNetworkId = options.testNetworkId;
        const job = await runAction(name, action, params);
        if (action === 'testFailover' || action === 'plannedFailover' || action === 'unplannedFailover')
          await measure(job, facts);
        if (kind === 'cleanup') record.cleanup = { by: 'operator', ...(job.endTime ? { at: job.endTime } : {}) };
      }
      record.outcome = 'succeeded';
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

/** A name as a whole word of a text (a task naming `web01` does not name `web0`). */
function includesWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_-])${escaped}($|[^A-Za-z0-9_-])`, 'i').test(text);
}

/**
 * The plan's preflight: the plan must be in the vault, hold only this tenant's VMs, allow the
 * action and run nothing; every VM of it must be protected and pass the per-VM preflight of the
 * same kind (a VM failing over alone is refused there: its item runs a job, or no longer allows
 * the operation).
 */
export function planPreflight(
  first: PlanAction,
  facts: PlanFacts,
  input: Pick<PlanFailoverInput, 'plan' | 'options' | 'scope' | 'vault'>,
): PreflightResult {
  const { plan, options, scope } = input;
  const refusals: string[] = [];
  const warnings: string[] = [];
  if (!facts.allowedOperations)
    refusals.push(
      `recovery plan ${plan.azureName} is not in vault ${input.vault.vault}: onboard the plan that lists it (asrflow onboard creates it), then try again`,
    );
  if (facts.foreignItems.length > 0)
    refusals.push(
      `recovery plan ${plan.azureName} in the vault holds items that are not this tenant's VMs (${facts.foreignItems.join(', ')}): it was changed outside asrflow; onboard the plan again to restore it`,
    );
  if (facts.testNetworkMissing)
    refusals.push(
      `the test network ${options.testNetworkId ?? ''} does not exist in the tenant's subscription: onboard the tenant again (it creates its test failover network), or give --test-network`,
    );
  const operation = PLAN_ACTIONS[first].operation;
  if (facts.allowedOperations && !facts.allowedOperations.includes(operation))
    refusals.push(
      `${PLAN_ACTIONS[first].title} is not allowed on the plan now (allowed: ${facts.allowedOperations.join(', ') || 'none'})`,
    );
  const scenario = facts.currentScenario;
  if (scenario?.scenarioName && (!scenario.jobState || RUNNING_JOB_STATES.has(scenario.jobState)))
    refusals.push(`the plan runs ${scenario.scenarioName} (job ${scenario.jobId ?? 'unknown'}); wait for it to finish`);
  const itemKind = PLAN_ACTIONS[first].itemKind;
  for (const { vm, facts: item } of facts.vms) {
    if (!item) {
      refusals.push(`VM ${vm} of the plan is not a protected VM of tenant's clouds; onboard it first`);
      continue;
    }
    const verdict = checkPreflight(itemKind, item, options, scope);
    refusals.push(...verdict.refusals.map((r) => `${vm}: ${r}`));
    warnings.push(...verdict.warnings.map((w) => `${vm}: ${w}`));
  }
  return { ok: refusals.length === 0, refusals: [...new Set(refusals)], warnings };
}
