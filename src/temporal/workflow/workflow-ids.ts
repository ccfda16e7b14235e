// Workflow ids are business keys: starting the same thing twice finds the first run instead
// of creating a second one. Tenant and VM names come from the plan (validated slugs / VM names).
export const workflowIds = {
  sharedVault: (subscriptionId: string, vault: string) => `asrflow:vault:${subscriptionId}:${vault}`,
  tenantOnboarding: (tenant: string) => `asrflow:onboard:${tenant}`,
  vmProtection: (tenant: string, vm: string) => `asrflow:protect:${tenant}:${vm}`,
  // A vault's name is unique within its resource group, not its subscription.
  vaultWatch: (subscriptionId: string, resourceGroup: string, vault: string) =>
    `asrflow:watch:${subscriptionId}:${resourceGroup}:${vault}`,
  failover: (tenant: string, vm: string) => `asrflow:failover:${tenant}:${vm}`,
  /** One action on a tenant's recovery plan at a time. */
  planFailover: (tenant: string, plan: string) => `asrflow:plan-failover:${tenant}:${plan}`,
  /** Every tenant's recovery plans on one VMM server or shared vault. */
  siteFailover: (site: string) => `asrflow:site-failover:${site}`,
  /** A plan's drill schedule (a Temporal Schedule id). */
  drillSchedule: (tenant: string, plan: string) => `asrflow:drill:${tenant}:${plan}`,
  /** The workflow id a drill schedule starts; Temporal appends the run's time. */
  drill: (tenant: string, plan: string) => `asrflow:drill:${tenant}:${plan}`,
  offboardVm: (tenant: string, vm: string) => `asrflow:offboard:${tenant}:${vm}`,
  offboardTenant: (tenant: string) => `asrflow:offboard-tenant:${tenant}`,
};
