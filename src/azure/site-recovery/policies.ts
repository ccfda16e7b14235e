import { runCheckpointedLro } from '../checkpoint';
import { azureCall, policyContentFailure } from '../failures';
import { orAbsent } from '../reads';
import type { AsrVault } from './vault';

/** A Hyper-V to Azure replication policy's settings, as the plan gives them. */
export interface HyperVPolicySettings {
  recoveryPointHistoryHours: number;
  appConsistentFrequencyHours: number;
  replicationInterval: number;
  /** 'now', or an HH:MM:SS start time for initial replication. */
  initialReplicationStart: string;
}

/** The policy's id, or undefined when it does not exist. */
export async function readPolicyId(v: AsrVault, name: string): Promise<string | undefined> {
  const policy = await azureCall(`read policy ${name}`, () =>
    orAbsent(() => v.client.replicationPolicies.get(...v.at, name)),
  );
  return policy?.id;
}

/** A policy as Site Recovery has it: its id and the settings a plan gives. */
export interface HyperVPolicyView {
  id: string;
  settings: HyperVPolicySettings;
}

/** The policy with its Hyper-V settings, or undefined when it does not exist. */
export async function readHyperVPolicy(v: AsrVault, name: string): Promise<HyperVPolicyView | undefined> {
  const policy = await azureCall(`read policy ${name}`, () =>
    orAbsent(() => v.client.replicationPolicies.get(...v.at, name)),
  );
  if (!policy) return undefined;
  const d = (policy.properties?.providerSpecificDetails ?? {}) as {
    recoveryPointHistoryDurationInHours?: number;
    applicationConsistentSnapshotFrequencyInHours?: number;
    replicationInterval?: number;
    onlineReplicationStartTime?: string;
  };
  return {
    id: policy.id ?? '',
    settings: {
      recoveryPointHistoryHours: d.recoveryPointHistoryDurationInHours ?? 0,
      appConsistentFrequencyHours: d.applicationConsistentSnapshotFrequencyInHours ?? 0,
      replicationInterval: d.replicationInterval ?? 0,
      initialReplicationStart: d.onlineReplicationStartTime ?? 'now',
    },
  };
}

/** The settings that differ, as `field: old → new`, in the plan's words. */
export function policyDifferences(current: HyperVPolicySettings, wanted: HyperVPolicySettings): string[] {
  const fields = ['recoveryPointHistoryHours', 'appConsistentFrequencyHours', 'replicationInterval'] as const;
  const changed: string[] = fields
    .filter((f) => current[f] !== wanted[f])
    .map((f) => `${f}: ${current[f]} → ${wanted[f]}`);
  // The start of initial replication only matters before it started; it is not compared.
  return changed;
}

/**
 * Updates a policy's settings in place (Site Recovery applies them to every VM it protects);
 * a value Site Recovery refuses comes back as a plan problem naming `planOwner`.
 */
export async function updateHyperVPolicy(
  v: AsrVault,
  name: string,
  settings: HyperVPolicySettings,
  storageAccountId: string,
  planOwner: string,
): Promise<void> {
  await runCheckpointedLro(`update policy ${name}`, (options) =>
    v.client.replicationPolicies.beginUpdate(
      ...v.at,
      name,
      {
        properties: {
          replicationProviderSettings: {
            instanceType: 'HyperVReplicaAzure',
            recoveryPointHistoryDuration: settings.recoveryPointHistoryHours,
            applicationConsistentSnapshotFrequencyInHours: settings.appConsistentFrequencyHours,
            replicationInterval: settings.replicationInterval,
            storageAccounts: [storageAccountId],
          },
        },
      },
      options,
    ),
  ).catch((error: unknown) => {
    throw policyContentFailure(error, planOwner);
  });
}

/**
 * Creates a Hyper-V to Azure policy (resuming a checkpointed creation). A value Site Recovery
 * refuses comes back as a plan problem naming `planOwner` (the tenant whose plan set it).
 */
export async function createHyperVPolicy(
  v: AsrVault,
  name: string,
  settings: HyperVPolicySettings,
  storageAccountId: string,
  planOwner: string,
): Promise<{ id: string }> {
  const create = runCheckpointedLro(`create policy ${name}`, (options) =>
    v.client.replicationPolicies.beginCreate(
      ...v.at,
      name,
      {
        properties: {
          providerSpecificInput: {
            instanceType: 'HyperVReplicaAzure',
            recoveryPointHistoryDuration: settings.recoveryPointHistoryHours,
            applicationConsistentSnapshotFrequencyInHours: settings.appConsistentFrequencyHours,
            replicationInterval: settings.replicationInterval,
            ...(settings.initialReplicationStart === 'now'
              ? {}
              : { onlineReplicationStartTime: settings.initialReplicationStart }),
            storageAccounts: [storageAccountId],
          },
        },
      },
      options,
    ),
  );
  const { result } = await create.catch((error: unknown) => {
    throw policyContentFailure(error, planOwner);
  });
  return { id: result.id ?? '' };
}

/** Deletes a policy (Site Recovery refuses while a cloud uses it); a missing one is done. */
export async function deletePolicy(v: AsrVault, name: string): Promise<void> {
  await orAbsent(() =>
    runCheckpointedLro(`delete policy ${name}`, (options) =>
      v.client.replicationPolicies.beginDelete(...v.at, name, options),
    ),
  );
}
