import type { RecoveryPlan, RecoveryPlanGroup } from '@azure/arm-recoveryservices-siterecovery';
import { runCheckpointedLro } from '../checkpoint';
import { azureCall } from '../failures';
import { orAbsent } from '../reads';
import type { AsrVault } from './vault';

// A tenant's recovery plans in its vault: ordered boot groups of protected items, with manual
// actions before or after a group. Site Recovery adds its own Shutdown and Failover groups
// ahead of the boot groups; asrflow writes and compares the boot groups only.

/** One boot group as asrflow writes it: item ids in order, and the texts of its manual actions. */
export interface PlanGroup {
  itemIds: string[];
  before?: string;
  after?: string;
}

export interface RecoveryPlanView {
  id: string;
  groups: PlanGroup[];
  allowedOperations: string[];
  /** The scenario running on the plan, when one is. */
  currentScenario?: { scenarioName?: string; jobId?: string };
}

const MANUAL = 'ManualActionDetails';

function manualText(actions: RecoveryPlanGroup['startGroupActions']): string | undefined {
  const manual = (actions ?? []).find((a) => a.customDetails.instanceType === MANUAL);
  return manual ? ((manual.customDetails as { description?: string }).description ?? '') : undefined;
}

export function planGroupsOf(plan: RecoveryPlan): PlanGroup[] {
  return (plan.properties?.groups ?? [])
    .filter((g) => g.groupType === 'Boot')
    .map((g) => {
      const before = manualText(g.startGroupActions);
      const after = manualText(g.endGroupActions);
      return {
        itemIds: (g.replicationProtectedItems ?? []).flatMap((i) => (i.id ? [i.id] : [])),
        ...(before !== undefined ? { before } : {}),
        ...(after !== undefined ? { after } : {}),
      };
    });
}

/** Equal when the groups hold the same items in the same order with the same manual actions. */
export function sameGroups(a: PlanGroup[], b: PlanGroup[]): boolean {
  const key = (groups: PlanGroup[]) =>
    JSON.stringify(groups.map((g) => [g.itemIds.map((id) => id.toLowerCase()), g.before ?? null, g.after ?? null]));
  return key(a) === key(b);
}

function groupsInput(groups: PlanGroup[]): RecoveryPlanGroup[] {
  // A manual action applies to the failovers that start VMs, in both directions.
  const action = (name: string, description: string) => ({
    actionName: name,
    // What a person checks between groups matters when VMs start, not on commit or reprotect.
    failoverTypes: ['TestFailover', 'PlannedFailover', 'UnplannedFailover'],
    failoverDirections: ['PrimaryToRecovery', 'RecoveryToPrimary'],
    customDetails: { instanceType: 'ManualActionDetails' as const, description },
  });
  return groups.map((g, i) => ({
    groupType: 'Boot',
    replicationProtectedItems: g.itemIds.map((id) => ({ id })),
    startGroupActions: g.before !== undefined ? [action(`group-${i + 1}-before`, g.before)] : [],
    endGroupActions: g.after !== undefined ? [action(`group-${i + 1}-after`, g.after)] : [],
  }));
}

export async function readRecoveryPlan(v: AsrVault, name: string): Promise<RecoveryPlanView | undefined> {
  const plan = await azureCall(`read recovery plan ${name}`, () =>
    orAbsent(() => v.client.replicationRecoveryPlans.get(...v.at, name)),
  );
  if (!plan) return undefined;
  const scenario = plan.properties?.currentScenario;
  return {
    id: plan.id ?? '',
    groups: planGroupsOf(plan),
    allowedOperations: plan.properties?.allowedOperations ?? [],
    ...(scenario?.scenarioName && scenario.scenarioName !== 'None'
      ? {
          currentScenario: {
            scenarioName: scenario.scenarioName,
            ...(scenario.jobId ? { jobId: scenario.jobId } : {}),
          },
        }
      : {}),
  };
}

/** Creates the plan (resuming a checkpointed creation) from the VMM fabric to Azure. */
export async function createRecoveryPlan(
  v: AsrVault,
  name: string,
  primaryFabricId: string,
  groups: PlanGroup[],
): Promise<void> {
  await runCheckpointedLro(`create recovery plan ${name}`, (options) =>
    v.client.replicationRecoveryPlans.beginCreate(
      ...v.at,
      name,
      {
        properties: {
          primaryFabricId,
          recoveryFabricId: 'Microsoft Azure',
          failoverDeploymentModel: 'ResourceManager',
          groups: groupsInput(groups),
        },
      },
      options,
    ),
  );
}

/** Replaces the plan's boot groups (resuming a checkpointed update). */
export async function updateRecoveryPlan(v: AsrVault, name: string, groups: PlanGroup[]): Promise<void> {
  await runCheckpointedLro(`update recovery plan ${name}`, (options) =>
    v.client.replicationRecoveryPlans.beginUpdate(
      ...v.at,
      name,
      { properties: { groups: groupsInput(groups) } },
      options,
    ),
  );
}

export type RecoveryPlanAction =
  | 'testFailover'
  | 'testFailoverCleanup'
  | 'plannedFailover'
  | 'unplannedFailover'
  | 'failoverCommit'
  | 'reProtect'
  | 'failback';

export interface RecoveryPlanActionParams {
  testNetworkId?: string;
  comments?: string;
  sourceSiteOperations?: boolean;
}

/**
 * Sends one action's POST on the plan and resolves when Site Recovery has accepted it, not when
 * its job ends (the job runs the groups, and may wait at a manual action for hours).
 */
export async function issueRecoveryPlanAction(
  v: AsrVault,
  name: string,
  action: RecoveryPlanAction,
  params: RecoveryPlanActionParams,
  options: { abortSignal: AbortSignal },
): Promise<void> {
  const c = v.client.replicationRecoveryPlans;
  const hyperV = [{ instanceType: 'HyperVReplicaAzure' as const }];
  switch (action) {
    case 'testFailover':
      await c.beginTestFailover(
        ...v.at,
        name,
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            networkType: params.testNetworkId ? 'VmNetworkAsInput' : 'NoNetworkAttachAsInput',
            ...(params.testNetworkId ? { networkId: params.testNetworkId } : {}),
            providerSpecificDetails: hyperV,
          },
        },
        options,
      );
      return;
    case 'testFailoverCleanup':
      await c.beginTestFailoverCleanup(
        ...v.at,
        name,
        { properties: { comments: params.comments ?? 'asrflow test failover cleanup' } },
        options,
      );
      return;
    case 'plannedFailover':
    case 'failback':
      await c.beginPlannedFailover(
        ...v.at,
        name,
        {
          properties: {
            failoverDirection: action === 'failback' ? 'RecoveryToPrimary' : 'PrimaryToRecovery',
            ...(action === 'failback'
              ? {
                  providerSpecificDetails: [
                    {
                      instanceType: 'HyperVReplicaAzureFailback' as const,
                      dataSyncOption: 'ForDownTime',
                      recoveryVmCreationOption: 'NoAction',
                    },
                  ],
                }
              : { providerSpecificDetails: hyperV }),
          },
        },
        options,
      );
      return;
    case 'unplannedFailover':
      await c.beginUnplannedFailover(
        ...v.at,
        name,
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            sourceSiteOperations: params.sourceSiteOperations ? 'Required' : 'NotRequired',
            providerSpecificDetails: hyperV,
          },
        },
        options,
      );
      return;
    case 'failoverCommit':
      await c.beginFailoverCommit(...v.at, name, options);
      return;
    case 'reProtect':
      await c.beginReprotect(...v.at, name, options);
      return;
  }
}
