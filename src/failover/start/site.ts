import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { PLAN_KIND_TITLES, type FailoverOptions, type PlanFailoverKind, type SiteFailoverInput } from '../contract';
import type { Plan, TenantPlan } from '../../domain/plan/types';
import { AsrKind, AsrScenario } from '../../temporal/workflow/search-attributes';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import { siteFailoverWorkflow } from '../workflows/site-failover';
import { FailoverConflictError, FailoverInputError } from './index';
import { planFailoverInputFromPlan, planFailoverGuard } from './recovery-plans';

// A site failover: which tenants a VMM server or shared vault holds (from the plan file), each
// tenant's recovery plans as the inputs of their own plan failovers, and the start.

/** How many tenants fail over at once by default: a site's disaster is many tenants, ARM's budget is one. */
export const DEFAULT_SITE_CONCURRENCY = 4;

/** The tenants a site holds: a VMM server's (any scenario), or a shared vault's (multitenant-vmm). */
export function tenantsOfSite(plan: Plan, site: string): TenantPlan[] {
  const s = site.toLowerCase();
  return plan.tenants.filter(
    (t) => t.vmm.server.toLowerCase() === s || (t.vault.shared && t.vault.name.toLowerCase() === s),
  );
}

export function siteFailoverInputFromPlan(
  plan: Plan,
  site: string,
  kind: PlanFailoverKind,
  options: FailoverOptions,
  concurrency = DEFAULT_SITE_CONCURRENCY,
): SiteFailoverInput {
  const tenants = tenantsOfSite(plan, site);
  if (tenants.length === 0) {
    const sites = [...new Set(plan.tenants.flatMap((t) => [t.vmm.server, ...(t.vault.shared ? [t.vault.name] : [])]))];
    throw new FailoverInputError(
      `--site: no tenant of the plan is on '${site}'; sites (VMM servers and shared vaults): ${sites.join(', ')}`,
    );
  }
  const withPlans = tenants.filter((t) => (t.recoveryPlans ?? []).length > 0);
  if (withPlans.length === 0)
    throw new FailoverInputError(
      `--site: no tenant on ${site} has a recovery plan (${tenants.map((t) => t.name).join(', ')}); add recoveryPlans to the tenants (docs/PLAN.md, "Recovery plans") and run asrflow onboard with the plan`,
    );
  return {
    site,
    kind,
    scenario: plan.scenario,
    tenants: withPlans.map((t) => ({
      tenant: t.name,
      plans: (t.recoveryPlans ?? []).map((p) => planFailoverInputFromPlan(plan, t.name, p.name, kind, options)),
    })),
    without: tenants.filter((t) => !withPlans.includes(t)).map((t) => t.name),
    concurrency,
  };
}

/**
 * Starts the site's failover: refused while any of its plans, or any VM of them, fails over
 * already, and while another action on the site runs.
 */
export async function startSiteFailover(
  client: Client,
  input: SiteFailoverInput,
  taskQueue: string,
): Promise<WorkflowHandle<typeof siteFailoverWorkflow>> {
  for (const { plans } of input.tenants) for (const plan of plans) await planFailoverGuard(client, plan);
  const workflowId = workflowIds.siteFailover(input.site);
  try {
    return await client.workflow.start(siteFailoverWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `${PLAN_KIND_TITLES[input.kind]} of site ${input.site}`,
      staticDetails: input.tenants
        .map(({ tenant, plans }) => `- **${tenant}**: ${plans.map((p) => p.plan.name).join(', ')}`)
        .concat(input.without.length > 0 ? [`- without a recovery plan: ${input.without.join(', ')}`] : [])
        .join('\n'),
      memo: { planKind: input.kind },
      typedSearchAttributes: [
        { key: AsrKind, value: 'site-failover' },
        { key: AsrScenario, value: input.scenario },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    throw new FailoverConflictError(
      `refused: a failover of site ${input.site} is already running as workflow ${workflowId}; wait for it to finish`,
      workflowId,
    );
  }
}
