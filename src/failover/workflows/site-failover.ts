import {
  allHandlersFinished,
  condition,
  ParentClosePolicy,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  PLAN_KIND_TITLES,
  planUpSignal,
  siteRecordQuery,
  type PlanDrillRecord,
  type PlanFailoverInput,
  type SiteFailoverInput,
  type SiteFailoverRecord,
} from '../contract';
import { AsrKind, AsrPlan, AsrScenario, AsrStage, AsrTenant } from '../../temporal/workflow/search-attributes';
import { answerProgress, outcomeDetails, publishDetails, StepRunner } from '../../temporal/workflow/steps';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import { failoverActivities } from './activities';
import { planFailoverWorkflow } from './plan-failover';

/**
 * A site's disaster: every tenant's recovery plans on one VMM server or shared vault, each as
 * its own plan failover (a child with the plan's usual id, so the per-plan guards, `continue`
 * and `cleanup` reach it), in the tenant's own scope and credentials. Tenants run in parallel,
 * `concurrency` at a time; a tenant's plans one after another. One tenant's refusal or
 * abandoned plan does not stop the others: the site's record says which plans did not succeed.
 */
export async function siteFailoverWorkflow(input: SiteFailoverInput): Promise<SiteFailoverRecord> {
  const title = `${PLAN_KIND_TITLES[input.kind]} of site ${input.site}`;
  const record: SiteFailoverRecord = {
    workflowId: workflowInfo().workflowId,
    site: input.site,
    kind: input.kind,
    startedAt: new Date().toISOString(),
    outcome: 'running',
    plans: input.tenants.flatMap(({ tenant, plans }) =>
      plans.map((p) => ({ tenant, plan: p.plan.name, workflowId: workflowIds.planFailover(tenant, p.plan.name) })),
    ),
    without: input.without,
  };
  const steps = new StepRunner(() => publishDetails(details()), { activities: failoverActivities });
  setHandler(siteRecordQuery, () => record, { description: "The site failover's record so far." });
  answerProgress(steps, () => ({
    kind: 'site-failover',
    scenario: input.scenario,
    stage: record.outcome === 'running' ? steps.stage : record.outcome,
  }));
  function details(): string {
    const rows = record.plans.map(
      (p) =>
        `- ${p.tenant} / ${p.plan}: ${p.outcome ?? 'waiting'}${p.reason ? ` (${p.reason})` : ''} — \`${p.workflowId}\``,
    );
    const without =
      record.without.length > 0 ? ['', `Tenants without a recovery plan: ${record.without.join(', ')}`] : [];
    return outcomeDetails(title, steps, record, ['', ...rows, ...without]);
  }
  steps.plan(
    input.tenants.map(({ tenant, plans }) => ({
      name: tenant,
      title: `${tenant}: recovery plan${plans.length > 1 ? 's' : ''} ${plans.map((p) => p.plan.name).join(', ')}`,
    })),
  );

  // Plans whose test VMs are up: a test failover waits for its cleanup, and its tenant's lane
  // goes on meanwhile, so a site's drill is not held up by the cleanups of the first tenants.
  const up = new Set<string>();
  setHandler(planUpSignal, ({ workflowId }) => void up.add(workflowId));
  const results: Array<Promise<void>> = [];

  const runPlan = async (plan: PlanFailoverInput): Promise<void> => {
    const entry = record.plans.find((p) => p.tenant === plan.tenant && p.plan === plan.plan.name);
    if (entry) entry.outcome = 'running';
    publishDetails(details());
    const workflowId = workflowIds.planFailover(plan.tenant, plan.plan.name);
    let ended = false;
    const child = await startChild(planFailoverWorkflow, {
      workflowId,
      args: [plan],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      staticSummary: `${PLAN_KIND_TITLES[plan.kind]} of recovery plan ${plan.plan.name} (${plan.tenant}), site ${input.site}`,
      memo: { planKind: plan.kind },
      typedSearchAttributes: [
        { key: AsrKind, value: 'plan-failover' },
        { key: AsrTenant, value: plan.tenant },
        { key: AsrPlan, value: plan.plan.name },
        { key: AsrScenario, value: plan.scenario },
      ],
    });
    const result = child.result().then(
      (r: PlanDrillRecord) => {
        ended = true;
        if (entry) {
          entry.outcome = r.outcome;
          if (r.reason) entry.reason = r.reason;
          if (r.rto) entry.rtoSeconds = r.rto.seconds;
        }
        publishDetails(details());
      },
      // A plan's workflow that failed (terminated, say) is this plan's outcome, not the site's end.
      (error: Error) => {
        ended = true;
        if (entry) {
          entry.outcome = 'failed';
          entry.reason = error.message;
        }
        publishDetails(details());
      },
    );
    results.push(result);
    await condition(() => ended || up.has(workflowId));
  };

  // A pool of `concurrency` lanes, each taking the next tenant: deterministic, as workflow code must be.
  const queue = [...input.tenants];
  const lane = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { tenant, plans } = next;
      await steps.run(tenant, async () => {
        for (const plan of plans) await runPlan(plan);
      });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(input.concurrency, queue.length)) }, lane));
  await Promise.all(results);

  record.outcome = record.plans.every((p) => p.outcome === 'succeeded') ? 'succeeded' : 'partly';
  record.endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: AsrStage, value: record.outcome }]);
  publishDetails(details());
  await condition(allHandlersFinished);
  return record;
}
