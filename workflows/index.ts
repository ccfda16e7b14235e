// The workflow bundle's entry point: every workflow the worker serves is exported here.
export { doctorProbe } from './doctor-probe';
export { sharedVaultWorkflow } from './shared-vault';
export { tenantOnboardingWorkflow } from './tenant-onboarding';
export { vmProtectionWorkflow } from './vm-protection';
export { failoverWorkflow } from './failover';
