import { Context } from '@temporalio/activity';
import { sleepWithHeartbeats } from '../heartbeat-sleep';
import type { AzureClientFactory } from '../azure/clients';
import { runCheckpointedLro } from '../azure/checkpoint';
import { azureCall, needsOperator } from '../azure/failures';
import { jobFailureDetails, newestJob } from '../azure/jobs';
import type { VaultTarget, VmProtectionInput } from '../../domain/onboarding';
import { fingerprint, type ReplicationObservation } from '../../domain/progress';

export interface ProtectionDeps {
  azure: AzureClientFactory;
  /** Interval between two looks at a vault's replicated items. */
  replicationPollMs: number;
}

export interface ObservedItem extends ReplicationObservation {
  friendlyName?: string;
}

interface HyperVDetails {
  initialReplicationDetails?: { initialReplicationProgressPercentage?: string };
}

function observe(item: { name?: string; properties?: { friendlyName?: string; protectionState?: string; replicationHealth?: string; providerSpecificDetails?: unknown } }): ObservedItem {
  const details = (item.properties?.providerSpecificDetails ?? {}) as HyperVDetails;
  const raw = details.initialReplicationDetails?.initialReplicationProgressPercentage;
  const percent = raw === undefined ? undefined : Number.parseFloat(raw);
  const state = item.properties?.protectionState;
  return {
    itemName: item.name ?? '',
    friendlyName: item.properties?.friendlyName,
    protectionState: state,
    replicationHealth: item.properties?.replicationHealth,
    ...(percent !== undefined && Number.isFinite(percent) ? { percent } : {}),
    protectedNow: state === 'Protected',
  };
}

export function createProtectionActivities(deps: ProtectionDeps) {
  const asr = (t: VaultTarget) => deps.azure.siteRecovery(t.principal, t.subscriptionId);

  return {
    /**
     * Enables protection of one VM, exactly once: an item that already exists (from an earlier
     * attempt whose checkpoint was lost) is not enabled again, and a retried attempt resumes the
     * serialized poller. Returns when ASR has accepted it; initial replication goes on after.
     */
    async enableProtection(input: VmProtectionInput): Promise<{ itemName: string; alreadyEnabled: boolean }> {
      const { vault: target, vm } = input;
      const client = asr(target);
      const itemName = vm.itemName;
      const existing = await azureCall(`read protected item ${vm.friendlyName}`, async () => {
        try {
          return await client.replicationProtectedItems.get(target.vault, target.resourceGroup, input.fabricName, input.containerName, itemName);
        } catch (error) {
          if ((error as { statusCode?: number }).statusCode === 404) return undefined;
          throw error;
        }
      });
      if (existing && !Context.current().info.heartbeatDetails) return { itemName, alreadyEnabled: true };
      const t = input.targets;
      const { result } = await runCheckpointedLro(`enable protection of ${vm.friendlyName}`, (options) =>
        client.replicationProtectedItems.beginCreate(
          target.vault,
          target.resourceGroup,
          input.fabricName,
          input.containerName,
          itemName,
          {
            properties: {
              policyId: input.policyId,
              protectableItemId: `${containerId(target, input.fabricName, input.containerName)}/replicationProtectableItems/${itemName}`,
              providerSpecificDetails: {
                instanceType: 'HyperVReplicaAzure',
                hvHostVmId: vm.hvHostVmId,
                vmName: vm.friendlyName,
                osType: vm.osType,
                vhdId: vm.osDiskId,
                targetStorageAccountId: t.storageAccountId,
                targetAzureV2ResourceGroupId: t.resourceGroupId,
                targetAzureNetworkId: t.networkId,
                targetAzureSubnetId: `${t.networkId}/subnets/${t.subnetName}`,
                targetAzureVmName: vm.friendlyName,
                enableRdpOnTargetOption: 'Never',
                useManagedDisks: String(t.managedDisks),
                ...(t.vmSize ? { targetVmSize: t.vmSize } : {}),
              },
            },
          },
          options,
        ),
        {
          explainFailure: async () => {
            const job = await newestJob(client.replicationJobs.list(target.vault, target.resourceGroup), (j) => j.properties?.scenarioName === 'EnableDr' && j.properties.targetObjectName === vm.friendlyName);
            return job ? jobFailureDetails(job) : undefined;
          },
        },
      );
      const state = result.properties?.protectionState;
      if (state && /failed/i.test(state)) {
        throw needsOperator(`enabling protection of ${vm.friendlyName} ended in ${state}`, { fix: 'look at the EnableDr job in the vault, fix the cause, then retry' });
      }
      return { itemName, alreadyEnabled: false };
    },

    /**
     * One look at every replicated item of a vault (a paged list, shared by all its VMs), then
     * more looks at the poll interval until something changed for the items asked about, or
     * `maxWaitMs` passed. The workflow fans the answer out to the VM workflows.
     */
    async observeReplication(input: { target: VaultTarget; items: string[]; known: Record<string, string>; maxWaitMs: number; lookNow?: boolean }): Promise<ObservedItem[]> {
      const { target } = input;
      const wanted = new Set(input.items);
      const deadline = Date.now() + input.maxWaitMs;
      // The workflow calls this in a loop: waiting first keeps the looks one poll interval
      // apart even when every look finds a change (the read budget is per interval, per vault).
      if (!input.lookNow) await sleepWithHeartbeats(deps.replicationPollMs, { looks: 0 });
      for (let looks = 1; ; looks++) {
        const observed = await azureCall(`list replicated items of ${target.vault}`, async () => {
          const found: ObservedItem[] = [];
          for await (const item of asr(target).replicationProtectedItems.list(target.vault, target.resourceGroup)) {
            if (item.name && wanted.has(item.name)) found.push(observe(item));
          }
          return found;
        });
        const changed = observed.some((o) => input.known[o.itemName] !== fingerprint(o));
        if (changed || Date.now() >= deadline) return observed;
        await sleepWithHeartbeats(deps.replicationPollMs, { looks });
      }
    },
  };
}


function containerId(t: VaultTarget, fabric: string, container: string): string {
  return `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${t.vault}/replicationFabrics/${fabric}/replicationProtectionContainers/${container}`;
}
