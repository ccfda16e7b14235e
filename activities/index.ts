import type { Logger } from 'pino';
import type { AzureClientFactory } from '../azure/clients';
import { createFailoverActivities } from './failover';
import { keepAlive } from '../temporal/heartbeat';
import { createOnboardingActivities } from './onboarding';

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
}

/**
 * Activities made of a few Azure calls, which workflows run with a heartbeat timeout of seconds
 * (`quick` in workflows/activity-options.ts): each heartbeats while it runs, so a worker killed
 * inside one costs seconds, not a start-to-close timeout. Workflows can call only these through
 * `quick` (the type `QuickActivities`), so none can be left without its heartbeat.
 */
export const QUICK_ACTIVITIES = [
  'ensureResourceGroup',
  'findProtectionContainer',
  'listProtectableVms',
  'listEnableJobs',
  'resolveProtectedItem',
  'inspectItem',
  'recoveryPointUsed',
  'itemState',
] as const;

export function createActivities(deps: ActivityDeps) {
  const all = {
    /** Lets `asrflow doctor` see which worker build answered. */
    async workerInfo(): Promise<{ workerVersion: string; identity: string }> {
      return { workerVersion: deps.version, identity: deps.identity };
    },
    ...createOnboardingActivities(deps),
    ...createFailoverActivities(deps),
  };
  const table = all as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const name of QUICK_ACTIVITIES) {
    const activity = table[name];
    if (activity) table[name] = keepAlive(activity);
  }
  return all;
}

export type Activities = ReturnType<typeof createActivities>;
export type QuickActivities = Pick<Activities, (typeof QUICK_ACTIVITIES)[number]>;
