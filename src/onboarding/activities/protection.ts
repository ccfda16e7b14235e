import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sleepWithHeartbeats } from '../../temporal/heartbeat';
import type { AzureClientFactory } from '../../azure/clients';
import type { Job, ReplicationProtectedItem } from '../../azure/sdk';
import { lastCheckpoint, runCheckpointedLro } from '../../azure/checkpoint';
import { azureCall, needsOperator } from '../../azure/failures';
import { jobFailureDetails, newestJob } from '../../azure/jobs';
import { FailureType } from '../../temporal/workflow/failure-types';
import type { VaultTarget, VmProtectionInput } from '../contract';
import { fingerprint, type ReplicationObservation } from '../contract';

export interface ProtectionDeps {
  azure: AzureClientFactory;
  /** Interval between two looks at a vault's replicated items. */
  replicationPollMs: number;
  /** How long a request whose answer was lost is looked for before it is sent again. */
  enableRecheckMs?: number;
}

async function* asAsync<T>(items: T[]): AsyncIterable<T> {
  yield* items;
}

export interface ObservedItem extends ReplicationObservation {
  friendlyName?: string;
}

interface HyperVDetails {
  initialReplicationDetails?: { initialReplicationProgressPercentage?: string };
}

function observe(item: {
  name?: string;
  properties?: {
    friendlyName?: string;
    protectionState?: string;
    replicationHealth?: string;
    providerSpecificDetails?: unknown;
  };
}): ObservedItem {
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
    /** The VM's EnableDr jobs as they are now: the workflow records them before enabling. */
    async listEnableJobs(input: VmProtectionInput): Promise<string[]> {
      const { vault: target, vm } = input;
      return azureCall(`list the EnableDr jobs of ${vm.friendlyName}`, async () => {
        const names: string[] = [];
        for await (const job of asr(target).replicationJobs.list(target.vault, target.resourceGroup)) {
          if (job.name && job.properties?.scenarioName === 'EnableDr' && isJobOf(job, vm.itemName))
            names.push(job.name);
        }
        return names;
      });
    },

    /**
     * Enables protection of one VM, exactly once, and returns when its EnableDr job has
     * finished (initial replication goes on after). Exactly once, whatever was lost:
     * - a retried attempt with a checkpointed poller resumes it;
     * - an item that already exists is not enabled again: a running EnableDr job is followed to
     *   its end, a failed one (or a failed protection state) pauses for the operator;
     * - a retried attempt (an earlier one may have sent the PUT and lost the answer) looks for
     *   the item or a job that is not among `jobsBefore` (recorded by the workflow before the
     *   first attempt, so it survives anything). A failed job pauses for the operator with ASR's
     *   error; nothing at all within `enableRecheckMs` means Azure never took the request, and
     *   it is sent again.
     */
    async enableProtection(
      input: VmProtectionInput & { jobsBefore?: string[] },
    ): Promise<{ itemName: string; alreadyEnabled: boolean }> {
      const { vault: target, vm } = input;
      const client = asr(target);
      const itemName = vm.itemName;
      const operation = `enable protection of ${vm.friendlyName}`;
      const context = Context.current();
      const readItem = () =>
        azureCall(`read protected item ${vm.friendlyName}`, async () => {
          try {
            return await client.replicationProtectedItems.get(
              target.vault,
              target.resourceGroup,
              input.fabricName,
              input.containerName,
              itemName,
            );
          } catch (error) {
            if ((error as { statusCode?: number }).statusCode === 404) return undefined;
            throw error;
          }
        });
      const enableJobs = () =>
        azureCall(`list the EnableDr jobs of ${vm.friendlyName}`, async () => {
          const found: Job[] = [];
          for await (const job of client.replicationJobs.list(target.vault, target.resourceGroup)) {
            if (job.properties?.scenarioName === 'EnableDr' && isJobOf(job, vm.itemName)) found.push(job);
          }
          return found;
        });
      const newest = (jobs: Job[]) => newestJob(asAsync(jobs), () => true);
      const failedJob = (job: Job) => {
        const details = jobFailureDetails(job);
        return needsOperator(
          `enabling protection of ${vm.friendlyName} failed (job ${job.name}, ${job.properties?.state}): ${details.message ?? 'see the job in the vault'}`,
          {
            ...details,
            fix: 'look at the EnableDr job in the vault, fix the cause, then retry (protection is enabled again)',
          },
        );
      };

      /** An item already there: done, still enabling (follow its job), or failed (operator). */
      const settle = async (item: ReplicationProtectedItem): Promise<{ itemName: string; alreadyEnabled: boolean }> => {
        for (let looks = 1; ; looks++) {
          const state = item.properties?.protectionState ?? '';
          const scenario = item.properties?.currentScenario;
          if (/fail/i.test(state)) {
            const job = await newest(await enableJobs());
            if (job && (job.properties?.state === 'Failed' || job.properties?.state === 'Cancelled'))
              throw failedJob(job);
            throw needsOperator(`protection of ${vm.friendlyName} is in state ${state}`, {
              code: state,
              fix: 'look at the item and its jobs in the vault, fix the cause (or disable protection of the VM), then retry',
            });
          }
          const enabling = state === 'EnablingProtection' || scenario?.scenarioName === 'EnableDr';
          if (!enabling) return { itemName, alreadyEnabled: true };
          const jobName =
            scenario?.scenarioName === 'EnableDr'
              ? scenario.jobId?.split('/').pop()
              : (await newest(await enableJobs()))?.name;
          if (jobName) {
            const job = await azureCall(`read job ${jobName}`, () =>
              client.replicationJobs.get(target.vault, target.resourceGroup, jobName),
            );
            const jobState = job.properties?.state;
            if (jobState === 'Failed' || jobState === 'Cancelled') throw failedJob(job);
          }
          await sleepWithHeartbeats(deps.replicationPollMs, { kind: 'enable-follow', operation, looks });
          const again = await readItem();
          if (!again) {
            // The job failed and took the item with it (Hyper-V to Azure removes it).
            const job = await newest(await enableJobs());
            if (job && (job.properties?.state === 'Failed' || job.properties?.state === 'Cancelled'))
              throw failedJob(job);
            throw needsOperator(
              `the protected item of ${vm.friendlyName} disappeared while protection was being enabled`,
              { fix: 'look at the EnableDr job in the vault, then retry (protection is enabled again)' },
            );
          }
          item = again;
        }
      };

      if (!lastCheckpoint(operation)) {
        const existing = await readItem();
        if (existing) return settle(existing);
        const before = input.jobsBefore;
        if (before && context.info.attempt > 1) {
          // An earlier attempt may have sent the PUT and never heard back: Azure may have taken it.
          const deadline = Date.now() + (deps.enableRecheckMs ?? 60_000);
          for (let looks = 1; ; looks++) {
            let seen: { fresh: Job[]; item: ReplicationProtectedItem | undefined };
            try {
              seen = {
                fresh: (await enableJobs()).filter((j) => j.name && !before.includes(j.name)),
                item: await readItem(),
              };
            } catch (error) {
              // A read that failed for a moment is no reason to start the whole wait over.
              if ((error instanceof ApplicationFailure && error.nonRetryable) || Date.now() >= deadline) throw error;
              await sleepWithHeartbeats(Math.min(deps.replicationPollMs, 5_000), {
                kind: 'enable-recheck',
                operation,
                looks,
              });
              continue;
            }
            const { fresh, item } = seen;
            if (item) return settle(item);
            const job = await newest(fresh);
            if (job && (job.properties?.state === 'Failed' || job.properties?.state === 'Cancelled'))
              throw failedJob(job);
            if (Date.now() >= deadline) {
              if (!job) break;
              throw needsOperator(
                `enabling protection of ${vm.friendlyName}: job ${job.name} is ${job.properties?.state ?? 'unknown'} but the protected item is missing`,
                { jobId: job.name, fix: 'look at the EnableDr job in the vault, then retry' },
              );
            }
            await sleepWithHeartbeats(Math.min(deps.replicationPollMs, 5_000), {
              kind: 'enable-recheck',
              operation,
              looks,
            });
          }
        }
      }
      const t = input.targets;
      const { result } = await runCheckpointedLro(
        operation,
        (options) =>
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
            const job = await newest(await enableJobs());
            return job ? jobFailureDetails(job) : undefined;
          },
        },
      );
      const state = result.properties?.protectionState;
      if (state && /failed/i.test(state)) {
        throw needsOperator(`enabling protection of ${vm.friendlyName} ended in ${state}`, {
          fix: 'look at the EnableDr job in the vault, fix the cause, then retry',
        });
      }
      return { itemName, alreadyEnabled: false };
    },

    /**
     * One look at every replicated item of a vault (a paged list, shared by all its VMs), then
     * more looks at the poll interval until something changed for the items asked about, or
     * `maxWaitMs` passed. The workflow fans the answer out to the VM workflows.
     */
    async observeReplication(input: {
      target: VaultTarget;
      items: string[];
      known: Record<string, string>;
      maxWaitMs: number;
      lookNow?: boolean;
      names?: Record<string, string>;
    }): Promise<ObservedItem[]> {
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
        // An item seen before that is gone was removed by its failed job (a failed enable takes
        // the item with it); an item whose protection state failed is stuck the same way. The
        // VM's workflow waits for replication that will never come unless it is told.
        const present = new Set(observed.map((o) => o.itemName));
        for (const name of wanted) {
          if (!present.has(name) && input.known[name] !== undefined)
            observed.push({
              itemName: name,
              friendlyName: input.names?.[name],
              protectionState: 'NotFound',
              protectedNow: false,
              failed: { message: 'the protected item was removed' },
            });
        }
        for (const o of observed) {
          if (!o.failed && !/fail/i.test(o.protectionState ?? '')) continue;
          o.failed ??= { message: `protection state ${o.protectionState}` };
          // Only for news: ASR's reason comes from the job list, which costs a read.
          if (input.known[o.itemName] === fingerprint(o)) continue;
          const job = await azureCall(`read the jobs of ${o.friendlyName ?? o.itemName}`, () =>
            newestJob(asr(target).replicationJobs.list(target.vault, target.resourceGroup), (j) =>
              isJobOf(j, o.itemName),
            ),
          );
          if (job && (job.properties?.state === 'Failed' || job.properties?.state === 'Cancelled')) {
            const d = jobFailureDetails(job);
            o.failed = {
              message: `${job.properties?.scenarioName ?? 'job'} ${job.name} ${job.properties?.state}: ${d.message ?? o.failed.message}`,
              type: FailureType.NeedsOperator,
              ...(d.code ? { code: d.code } : {}),
              ...(d.possibleCauses ? { possibleCauses: d.possibleCauses } : {}),
              ...(d.recommendedAction ? { recommendedAction: d.recommendedAction } : {}),
            };
          }
          o.failed.fix ??=
            'look at the replicated item and its jobs in the vault, fix the cause, then retry (protection is enabled again if the item is gone)';
          o.failed.type ??= FailureType.NeedsOperator;
        }
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

/**
 * A job acts on this VM: matched by the VM's id (the protectable / protected item's name, which
 * Site Recovery puts in the job's targetObjectId), never by its name — in a shared vault two
 * tenants' clouds may each have a VM of that name, and the other one's job is not this one's.
 */
function isJobOf(job: { properties?: { targetObjectId?: string } }, itemName: string): boolean {
  return (job.properties?.targetObjectId ?? '').toLowerCase() === itemName.toLowerCase();
}
