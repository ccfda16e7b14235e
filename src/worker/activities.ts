import type { Logger } from 'pino';
import type { AzureClientFactory } from '../azure/clients';
import { createFailoverActivities } from '../failover/activities';
import type { DoctorActivities } from '../doctor/contract';
import { createOffboardingActivities } from '../offboarding/activities';
import { createOnboardingActivities } from '../onboarding/activities';
import type { TemporalAccess } from '../onboarding/activities/vault-watch';

// Activities are built by a factory from injected dependencies (Azure clients per tenant,
// logger, settings) so the worker wires real ones and tests can wire their own.
export interface ActivityDeps {
  logger: Logger;
  /** The worker's identity as Temporal shows it, and the asrflow version it runs. */
  identity: string;
  version: string;
  azure: AzureClientFactory;
  /** Where vault credentials files are written (mode 0600). */
  credentialsDir: string;
  /** How often waits look at Azure: VMM registration, replication progress. */
  registrationPollMs: number;
  replicationPollMs: number;
  /** How long a read-first step waits for an object still being created (then: operator). */
  provisioningWait?: { maxWaitMs: number; pollMs: number };
  /** How long an enable-protection request whose answer was lost is looked for before it is sent again. */
  enableRecheckMs?: number;
  /** Validity of the vault credentials files the worker issues (ASR's own: 120 h). */
  vaultCredentialsHours?: number;
  /** The worker's own Temporal connection as a client, for activities that signal workflows. */
  temporal?: TemporalAccess;
}

/** Every activity the worker serves: each capability's, and the doctor probe's. */
export function createActivities(deps: ActivityDeps) {
  const doctor: DoctorActivities = {
    /** Lets `asrflow doctor` see which worker build answered. */
    async workerInfo() {
      return { workerVersion: deps.version, identity: deps.identity };
    },
  };
  return {
    ...doctor,
    ...createOnboardingActivities(deps),
    ...createFailoverActivities(deps),
    ...createOffboardingActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
