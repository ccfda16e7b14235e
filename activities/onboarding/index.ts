import type { AzureClientFactory } from '../azure/clients';
import { createProtectionActivities } from './protection';
import { createReplicationSetupActivities } from './replication-setup';
import { createTenantResourceActivities } from './tenant-resources';
import { createVaultActivities } from './vault';

export interface OnboardingDeps {
  azure: AzureClientFactory;
  credentialsDir: string;
  registrationPollMs: number;
  replicationPollMs: number;
}

export function createOnboardingActivities(deps: OnboardingDeps) {
  return {
    ...createTenantResourceActivities(deps.azure),
    ...createVaultActivities(deps),
    ...createReplicationSetupActivities(deps.azure),
    ...createProtectionActivities(deps),
  };
}
