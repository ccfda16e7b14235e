import { canonicalJson, tenantChanges, tenantPlanQuery, type TenantChange } from '../onboarding/contract';
import { changesSinceOnboarded, describeIfExists, plannedWorkflows } from '../onboarding/start';
import { withClient, type ConnectionFlags } from './connect';
import { formatChanges } from './onboarding-commands';
import { readPlan } from './plan-file';

/** One tenant of the plan against what Temporal knows of its onboarding. */
export interface TenantDiff {
  tenant: string;
  workflowId: string;
  /** new: never onboarded; running / completed / ended: the state of its last onboarding. */
  state: 'new' | 'running' | 'completed' | 'ended';
  /** What the next `asrflow onboard` does, in one line. */
  onboard: string;
  changes: TenantChange[];
}

/**
 * `asrflow plan diff`: what `asrflow onboard` would do with this plan, tenant by tenant, without
 * doing it — the changes since each tenant was onboarded and which of them it applies, reports or
 * refuses.
 */
export async function runPlanDiff(file: string, opts: ConnectionFlags & { json?: boolean }): Promise<void> {
  const plan = readPlan(file);
  const diffs = await withClient(opts, async (client) => {
    const out: TenantDiff[] = [];
    for (const start of plannedWorkflows(plan)) {
      if (start.kind !== 'tenant-onboarding') continue;
      const tenant = start.args[0].tenant;
      const handle = client.workflow.getHandle(start.workflowId);
      const status = await describeIfExists(handle);
      const base = { tenant: tenant.name, workflowId: start.workflowId };
      if (status === undefined) {
        out.push({ ...base, state: 'new', onboard: 'starts its onboarding', changes: [] });
      } else if (status === 'RUNNING') {
        const current = await handle.query(tenantPlanQuery).catch(() => undefined);
        const changed = current !== undefined && canonicalJson(current) !== canonicalJson(tenant);
        out.push({
          ...base,
          state: 'running',
          onboard: changed
            ? 'sends the changed plan to the running onboarding (it takes what no step has used yet, or refuses)'
            : 'joins the running onboarding',
          changes: changed ? tenantChanges(current, tenant) : [],
        });
      } else if (status === 'COMPLETED') {
        const changes = await changesSinceOnboarded(handle, tenant);
        out.push({
          ...base,
          state: 'completed',
          onboard: changes.some((c) => c.action === 'refused')
            ? 'refuses the plan and starts nothing'
            : changes.some((c) => c.action === 'applied')
              ? 'starts a new run that applies the changes'
              : 'changes nothing',
          changes,
        });
      } else {
        out.push({
          ...base,
          state: 'ended',
          onboard: `starts it again (the last run ${status.toLowerCase()})`,
          changes: [],
        });
      }
    }
    return out;
  });
  if (opts.json) {
    console.log(JSON.stringify(diffs, null, 2));
    return;
  }
  for (const d of diffs)
    console.log(`${d.tenant} (${d.state}): asrflow onboard ${d.onboard}${formatChanges(d.changes, file)}`);
}
