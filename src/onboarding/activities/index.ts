import type { AzureClientFactory } from '../../azure/clients';
import type { ProvisioningWait } from '../../azure/provisioning';
import { keepAliveEach } from '../../temporal/heartbeat';
import { createProtectionActivities } from './protection';
import { createRecoveryPlanActivities } from './recovery-plans';
import { createReplicationSetupActivities } from './replication-setup';
import { createTenantResourceActivities } from './tenant-resources';
import { createVaultActivities } from './vault';
import { createVaultWatchActivities, type TemporalAccess } from './vault-watch';
import { createVmSettingsActivities } from './vm-settings';

export interface OnboardingDeps {
  azure: AzureClientFactory;
  credentialsDir: string;
  registrationPollMs: number;
  replicationPollMs: number;
  /** How long a read-first step waits for an object still being created (then: operator). */
  provisioningWait?: ProvisioningWait;
  /** How long an enable-protection request whose answer was lost is looked for before it is sent again. */
  enableRecheckMs?: number;
  /** Starting and signalling workflows from activities (the vault watcher); set by createWorker. */
  temporal?: TemporalAccess;
}

/**
 * Onboarding's activities made of a few Azure calls, which its workflows run with a heartbeat
 * timeout of seconds (`quick`, temporal/workflow/activity-options.ts): each is wrapped in
 * `keepAlive`, so a worker killed inside one costs seconds, not a start-to-close timeout.
 */
export const ONBOARDING_QUICK_ACTIVITIES = [
  'ensureResourceGroup',
  'findProtectionContainer',
  'listProtectableVms',
  'listEnableJobs',
  'checkProtection',
  'watchVault',
] as const;

export function createOnboardingActivities(deps: OnboardingDeps) {
  return keepAliveEach(
    {
      ...createTenantResourceActivities(deps.azure, deps.provisioningWait),
      ...createVaultActivities(deps),
      ...createReplicationSetupActivities(deps.azure, deps.provisioningWait),
      ...createProtectionActivities(deps),
      ...createVaultWatchActivities(deps),
      ...createVmSettingsActivities(deps.azure),
      ...createRecoveryPlanActivities(deps.azure),
    },
    ONBOARDING_QUICK_ACTIVITIES,
  );
}

export type OnboardingActivities = ReturnType<typeof createOnboardingActivities>;
export type OnboardingQuickActivity = (typeof ONBOARDING_QUICK_ACTIVITIES)[number];
