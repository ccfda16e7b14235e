// The workflow bundle's entry point: every workflow the worker serves is exported here.
export { doctorProbe } from '../doctor/workflows/probe';
export { sharedVaultWorkflow } from '../onboarding/workflows/shared-vault';
export { tenantOnboardingWorkflow } from '../onboarding/workflows/tenant-onboarding';
export { vmProtectionWorkflow } from '../onboarding/workflows/vm-protection';
export { vaultWatcherWorkflow } from '../onboarding/workflows/vault-watcher';
export { failoverWorkflow } from '../failover/workflows/failover';
export { offboardVmWorkflow } from '../offboarding/workflows/offboard-vm';
export { offboardTenantWorkflow } from '../offboarding/workflows/offboard-tenant';
export { planFailoverWorkflow } from '../failover/workflows/plan-failover';
export { siteFailoverWorkflow } from '../failover/workflows/site-failover';
