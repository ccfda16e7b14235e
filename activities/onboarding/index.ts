import type { AzureClientFactory } from '../../azure/clients';
import type { ProvisioningWait } from '../../azure/provisioning';
import { createProtectionActivities } from './protection';
import { createReplicationSetupActivities } from './replication-setup';
import { createTenantResourceActivities } from './tenant-resources';
import { createVaultActivities } from './vault';

export interface OnboardingDeps {
  azure: AzureClientFactory;
  credentialsDir: string;
  registrationPollMs: number;
  replicationPollMs: number;
  /** How long a read-first step waits for an object still being created (then: operator). */
  provisioningWait?: ProvisioningWait;
  /** How long an enable-protection request whose answer was lost is looked for before it is sent again. */
  enableRecheckMs?: number;
}

export function createOnboardingActivities(deps: OnboardingDeps) {
  return {
    ...createTenantResourceActivities(deps.azure, deps.provisioningWait),
    ...createVaultActivities(deps),
    ...createReplicationSetupActivities(deps.azure, deps.provisioningWait),
    ...createProtectionActivities(deps),
  };
}
