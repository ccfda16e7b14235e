import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { keepBeating, sleepWithHeartbeats } from '../../temporal/heartbeat';
import type { AzureClientFactory } from '../../azure/clients';
import { lastCheckpoint } from '../../azure/checkpoint';
import { needsOperator } from '../../azure/failures';
import {
  getJob,
  jobActsOn,
  jobFailed,
  jobFailureDetails,
  listJobs,
  listRecentJobs,
  newestJob,
  type JobView,
} from '../../azure/site-recovery/jobs';
import {
  enableHyperVProtection,
  listVaultProtectedItems,
  readProtectedItem,
  requestHyperVProtection,
  type HyperVProtectionSettings,
  type ProtectedItemView,
} from '../../azure/site-recovery/protected-items';
import { asBulkRequests } from '../../azure/request-budget';
import { asrVault, type AsrVault } from '../../azure/site-recovery/vault';
import { availabilitySetId } from '../../domain/vm-settings';
import { FailureType } from '../../temporal/workflow/failure-types';
import type { VaultTarget, VmProtectionInput } from '../contract';
import { failedProtectionState, fingerprint, type ReplicationObservation } from '../contract';

export interface ProtectionDeps {
  azure: AzureClientFactory;
  /** Interval between two looks at a vault's replicated items. */
  replicationPollMs: number;
  /** How long a request whose answer was lost is looked for before it is sent again. */
  enableRecheckMs?: number;
}

export interface ObservedItem extends ReplicationObservation {
  friendlyName?: string;
}

/** What `requestProtection` did, and how long the workflow waits for the watcher before it looks itself. */
export interface ProtectionRequest {
  itemName: string;
  /** The item was there before this request (an earlier run, or an attempt whose answer was lost). */
  alreadyEnabled: boolean;
  /** The item as read, when it was read. */
  observed?: ReplicationObservation;
  /** No news from the vault's watcher for this long after the request: look at the item itself. */
  recheckMs: number;
}

/**
 * How many watcher intervals a VM waits for its item's first sighting before it reads the item
 * itself: long enough that news relayed by a busy tenant workflow normally comes first, short
 * enough that a job that failed unseen is noticed within minutes.
 */
const RECHECK_INTERVALS = 10;

function settingsOf(input: VmProtectionInput): HyperVProtectionSettings {
  const { vm, targets: t, settings: s } = input;
  const named = (name: string | undefined) =>
    name ? vm.disks?.find((d) => d.name.toLowerCase() === name.toLowerCase())?.vhdId : undefined;
  const osVhdId = named(s?.disks?.os) ?? vm.osDiskId;
  const excluded = new Set((s?.disks?.exclude ?? []).map((n) => n.toLowerCase()));
  const diskIds = s?.disks && vm.disks ? vm.disks.filter((d) => !excluded.has(d.name.toLowerCase())) : undefined;
  return {
    policyId: input.policyId,
    ...(vm.hvHostVmId ? { hvHostVmId: vm.hvHostVmId } : {}),
    vmName: vm.friendlyName,
    ...(vm.osType ? { osType: vm.osType } : {}),
    ...(osVhdId ? { osVhdId } : {}),
    targetStorageAccountId: t.storageAccountId,
    targetResourceGroupId: t.resourceGroupId,
    targetNetworkId: t.networkId,
    targetSubnetName: t.subnetName,
    useManagedDisks: t.managedDisks,
    ...(t.vmSize ? { targetVmSize: t.vmSize } : {}),
    ...(s?.azureName ? { targetVmName: s.azureName } : {}),
    ...(s?.licenseType ? { licenseType: s.licenseType } : {}),
    ...(s?.sqlServerLicenseType ? { sqlServerLicenseType: s.sqlServerLicenseType } : {}),
    ...(s?.zone ? { zone: s.zone } : {}),
    ...(s?.availabilitySet ? { availabilitySetId: availabilitySetId(t.resourceGroupId, s.availabilitySet) } : {}),
    ...(s?.tags ? { tags: s.tags } : {}),
    ...(diskIds ? { diskIds: diskIds.map((d) => d.vhdId) } : {}),
  };
}

/** An item whose EnableDr job still runs. */
function isEnabling(item: ProtectedItemView): boolean {
  return item.protectionState === 'EnablingProtection' || item.currentScenario?.scenarioName === 'EnableDr';
}

function observe(item: ProtectedItemView): ObservedItem {
  const percent = item.hyperV.initialReplicationPercent;
  return {
    itemName: item.name,
    friendlyName: item.friendlyName,
    protectionState: item.protectionState,
    replicationHealth: item.replicationHealth,
    ...(percent !== undefined ? { percent } : {}),
    protectedNow: item.protectionState === 'Protected',
  };
}

/**
 * The EnableDr jobs of one VM since `since` (its protection workflow's start), else of the last
 * day. A shared vault holds every tenant's jobs: the narrower the window, the fewer pages.
 */
async function enableJobsOf(
  v: AsrVault,
  vm: { itemName: string; friendlyName: string },
  since?: string,
): Promise<JobView[]> {
  const query = { scenario: 'EnableDr', doing: `list the EnableDr jobs of ${vm.friendlyName}` };
  const jobs = await (since ? listJobs(v, { ...query, since }) : listRecentJobs(v, query));
  return jobs.filter((j) => jobActsOn(j, vm.itemName));
}

/**
 * One look at every replicated item of a vault (a paged list, whatever the number of VMs), for
 * the items asked about. An item seen before (`known`) that is gone was removed by its failed
 * job (a failed enable takes the item with it); an item whose protection state failed is stuck
 * the same way: both are reported `failed`, with ASR's reason from the item's newest job —
 * read only for news, since the job list costs a read.
 */
export async function lookAtVault(
  vault: AsrVault,
  wanted: ReadonlySet<string>,
  known: Readonly<Record<string, string>>,
  names?: Readonly<Record<string, string>>,
): Promise<ObservedItem[]> {
  // A list paged while items change can show an item twice (on two pages): the last one counts.
  const byName = new Map<string, ObservedItem>();
  for (const item of await listVaultProtectedItems(vault))
    if (wanted.has(item.name)) byName.set(item.name, observe(item));
  const observed = [...byName.values()];
  const present = new Set(observed.map((o) => o.itemName));
  for (const name of wanted) {
    if (!present.has(name) && known[name] !== undefined)
      observed.push({
        itemName: name,
        friendlyName: names?.[name],
        protectionState: 'NotFound',
        protectedNow: false,
        failed: { message: 'the protected item was removed' },
      });
  }
  for (const o of observed) {
    if (!o.failed && !failedProtectionState(o.protectionState)) continue;
    o.failed ??= { message: `protection state ${o.protectionState}` };
    if (known[o.itemName] === fingerprint(o)) continue;
    const job = newestJob(
      (await listRecentJobs(vault, { doing: `read the jobs of ${o.friendlyName ?? o.itemName}` })).filter((j) =>
        jobActsOn(j, o.itemName),
      ),
    );
    if (jobFailed(job)) {
      const d = jobFailureDetails(job);
      o.failed = {
        message: `${job.scenarioName ?? 'job'} ${job.jobName} ${job.state}: ${d.message ?? o.failed.message}`,
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
  return observed;
}

export function createProtectionActivities(deps: ProtectionDeps) {
  const asr = (t: VaultTarget) => asrVault(deps.azure, t);
  /** How long a request whose answer was lost is looked for before it is sent again. */
  const lostRequestMs = deps.enableRecheckMs ?? 60_000;

  /** What enabling one VM's protection needs, shared by the ways of asking for it. */
  const enabling = (input: VmProtectionInput & { jobsBefore?: string[]; since?: string }) => {
    const { vm } = input;
    const vault = asr(input.vault);
    const itemName = vm.itemName;
    const ref = { fabricName: input.fabricName, containerName: input.containerName, itemName };
    const operation = `enable protection of ${vm.friendlyName}`;
    const context = Context.current();
    const readItem = () => readProtectedItem(vault, ref, vm.friendlyName);
    const newestEnableJob = async () => newestJob(await enableJobsOf(vault, vm, input.since));
    const failedJob = (job: JobView) => {
      const details = jobFailureDetails(job);
      return needsOperator(
        `enabling protection of ${vm.friendlyName} failed (job ${job.jobName}, ${job.state}): ${details.message ?? 'see the job in the vault'}`,
        {
          ...details,
          fix: 'look at the EnableDr job in the vault, fix the cause, then retry (protection is enabled again)',
        },
      );
    };
    // Reads before the request wait their turn in the ARM budget like any other, for longer
    // than the heartbeat timeout when many VMs enable at once: beat meanwhile, repeating what
    // an earlier attempt saved (nothing new is saved before the request).
    const beating = async <T>(fn: () => Promise<T>): Promise<T> => {
      const beat = keepBeating(context.info.heartbeatDetails);
      try {
        return await fn();
      } finally {
        beat.stop();
      }
    };
    /** An item in a failed protection state pauses for the operator, with its job's error. */
    const refuseFailed = async (item: ProtectedItemView): Promise<void> => {
      const state = item.protectionState ?? '';
      if (!failedProtectionState(state)) return;
      const job = await newestEnableJob();
      if (jobFailed(job)) throw failedJob(job);
      throw needsOperator(`protection of ${vm.friendlyName} is in state ${state}`, {
        code: state,
        fix: 'look at the item and its jobs in the vault, fix the cause (or disable protection of the VM), then retry',
      });
    };
    /**
     * On a retried attempt, the request an earlier attempt may have sent without hearing back:
     * the item, or a job not among `jobsBefore` (recorded by the workflow before the first
     * attempt; none when the list starts at the workflow's own start, `since`). A failed job
     * pauses for the operator with ASR's error; nothing at all within `enableRecheckMs` means
     * Azure never took the request, and it may be sent again (undefined).
     */
    const lostRequest = async (): Promise<ProtectedItemView | undefined> => {
      const before = input.jobsBefore ?? (input.since ? [] : undefined);
      if (!before || context.info.attempt === 1) return undefined;
      const deadline = Date.now() + lostRequestMs;
      const pause = (looks: number) =>
        sleepWithHeartbeats(Math.min(deps.replicationPollMs, 5_000), { kind: 'enable-recheck', operation, looks });
      for (let looks = 1; ; looks++) {
        // The job list is a shared vault's every job, paged: read at the first look and the last
        // one only; the item (one read) is what answers in between.
        const last = Date.now() >= deadline;
        let seen: { fresh: JobView[]; item: ProtectedItemView | undefined };
        try {
          seen = await beating(async () => ({
            fresh:
              looks === 1 || last
                ? (await enableJobsOf(vault, vm, input.since)).filter((j) => j.jobName && !before.includes(j.jobName))
                : [],
            item: await readItem(),
          }));
        } catch (error) {
          // A read that failed for a moment is no reason to start the whole wait over.
          if ((error instanceof ApplicationFailure && error.nonRetryable) || Date.now() >= deadline) throw error;
          await pause(looks);
          continue;
        }
        const { fresh, item } = seen;
        if (item) return item;
        const job = newestJob(fresh);
        if (jobFailed(job)) throw failedJob(job);
        if (last) {
          if (!job) return undefined;
          throw needsOperator(
            `enabling protection of ${vm.friendlyName}: job ${job.jobName} is ${job.state} but the protected item is missing`,
            { jobId: job.jobName, fix: 'look at the EnableDr job in the vault, then retry' },
          );
        }
        await pause(looks);
      }
    };
    return {
      vm,
      vault,
      itemName,
      ref,
      operation,
      context,
      readItem,
      newestEnableJob,
      failedJob,
      beating,
      refuseFailed,
      lostRequest,
    };
  };

  return {
    /** The VM's EnableDr jobs as they are now: the workflow records them before enabling. */
    async listEnableJobs(input: VmProtectionInput): Promise<string[]> {
      return (await enableJobsOf(asr(input.vault), input.vm)).map((j) => j.jobName).filter(Boolean);
    },

    /**
     * Enables protection of one VM, exactly once, and returns when its EnableDr job has
     * finished (initial replication goes on after). Runs recorded before `requestProtection`
     * still call it. Exactly once, whatever was lost:
     * - a retried attempt with a checkpointed poller resumes it;
     * - an item that already exists is not enabled again: a running EnableDr job is followed to
     *   its end, a failed one (or a failed protection state) pauses for the operator;
     * - a retried attempt looks for the request an earlier one may have sent (`lostRequest`).
     */
    async enableProtection(
      input: VmProtectionInput & { jobsBefore?: string[]; since?: string },
    ): Promise<{ itemName: string; alreadyEnabled: boolean }> {
      const e = enabling(input);
      const { vm, vault, itemName, operation, beating } = e;

      /** An item already there: done, still enabling (follow its job), or failed (operator). */
      const settle = async (item: ProtectedItemView): Promise<{ itemName: string; alreadyEnabled: boolean }> => {
        for (let looks = 1; ; looks++) {
          await e.refuseFailed(item);
          const scenario = item.currentScenario;
          if (!isEnabling(item)) return { itemName, alreadyEnabled: true };
          const jobName =
            scenario?.scenarioName === 'EnableDr' ? scenario.jobName : (await e.newestEnableJob())?.jobName;
          if (jobName) {
            const job = await getJob(vault, jobName);
            if (jobFailed(job)) throw e.failedJob(job);
          }
          await sleepWithHeartbeats(deps.replicationPollMs, { kind: 'enable-follow', operation, looks });
          const again = await e.readItem();
          if (!again) {
            // The job failed and took the item with it (Hyper-V to Azure removes it).
            const job = await e.newestEnableJob();
            if (jobFailed(job)) throw e.failedJob(job);
            throw needsOperator(
              `the protected item of ${vm.friendlyName} disappeared while protection was being enabled`,
              { fix: 'look at the EnableDr job in the vault, then retry (protection is enabled again)' },
            );
          }
          item = again;
        }
      };

      if (!lastCheckpoint(operation)) {
        const existing = (await beating(e.readItem)) ?? (await e.lostRequest());
        if (existing) return beating(() => settle(existing));
      }
      const result = await enableHyperVProtection(vault, e.ref, settingsOf(input), operation, {
        explainFailure: async () => {
          const job = await e.newestEnableJob();
          return job ? jobFailureDetails(job) : undefined;
        },
      });
      const state = result.protectionState;
      if (state && /failed/i.test(state)) {
        throw needsOperator(`enabling protection of ${vm.friendlyName} ended in ${state}`, {
          fix: 'look at the EnableDr job in the vault, fix the cause, then retry',
        });
      }
      return { itemName, alreadyEnabled: false };
    },

    /**
     * Sends one VM's enable-protection request, exactly once, and returns as soon as Site
     * Recovery took it: the EnableDr job and initial replication are the vault watcher's to see,
     * for every VM at once, so no VM polls its own job. The request is bulk in the ARM budget:
     * tenants' setup requests go first. Exactly once, whatever was lost:
     * - the item is read first, unless this is the first attempt and the preflight saw the VM
     *   unprotected (`unprotected`): a thousand VMs then cost no read before their requests;
     * - an item already there is not enabled again (a failed one pauses for the operator);
     * - a retried attempt looks for the request an earlier one may have sent (`lostRequest`).
     */
    async requestProtection(
      input: VmProtectionInput & { jobsBefore?: string[]; since?: string; unprotected?: boolean },
    ): Promise<ProtectionRequest> {
      const e = enabling(input);
      // Never sooner than a lost request is looked for (a minute by default): under load the
      // watcher's news can take seconds, and a VM that looks itself and ends while that news
      // arrives has its last workflow task refused and run again.
      const recheckMs = Math.max(deps.replicationPollMs * RECHECK_INTERVALS, lostRequestMs);
      const fresh = input.unprotected === true && input.since !== undefined && e.context.info.attempt === 1;
      if (!fresh) {
        const existing = (await e.beating(e.readItem)) ?? (await e.lostRequest());
        if (existing) {
          await e.beating(() => e.refuseFailed(existing));
          return { itemName: e.itemName, alreadyEnabled: true, observed: observe(existing), recheckMs };
        }
      }
      await e.beating(() =>
        asBulkRequests(() =>
          requestHyperVProtection(e.vault, e.ref, settingsOf(input), e.operation, {
            abortSignal: e.context.cancellationSignal,
          }),
        ),
      );
      return { itemName: e.itemName, alreadyEnabled: false, recheckMs };
    },

    /**
     * One VM's item as it is now, when the vault's watcher has said nothing of it for a while
     * after its request: an item the watcher never saw may have come and gone with a failed job.
     */
    async checkProtection(input: VmProtectionInput & { since?: string }): Promise<ReplicationObservation> {
      const e = enabling(input);
      const item = await e.readItem();
      if (item) return observe(item);
      const job = await e.newestEnableJob();
      if (jobFailed(job)) {
        const d = jobFailureDetails(job);
        return {
          itemName: e.itemName,
          protectionState: 'NotFound',
          protectedNow: false,
          failed: {
            ...d,
            message: `EnableDr job ${job.jobName} ${job.state}: ${d.message ?? 'see the job in the vault'}`,
            type: FailureType.NeedsOperator,
            fix: 'look at the EnableDr job in the vault, fix the cause, then retry (protection is enabled again)',
          },
        };
      }
      // Not there yet and nothing failed: the request is still being taken.
      return { itemName: e.itemName, protectionState: 'NotFound', protectedNow: false };
    },

    /**
     * Looks at a vault at the poll interval until something changed for the items asked about,
     * or `maxWaitMs` passed. Tenant onboardings started before the vault watcher (vault-watch.ts)
     * still call it; new ones leave the looking to the watcher.
     */
    async observeReplication(input: {
      target: VaultTarget;
      items: string[];
      known: Record<string, string>;
      maxWaitMs: number;
      lookNow?: boolean;
      names?: Record<string, string>;
    }): Promise<ObservedItem[]> {
      const vault = asr(input.target);
      const wanted = new Set(input.items);
      const deadline = Date.now() + input.maxWaitMs;
      // The workflow calls this in a loop: waiting first keeps the looks one poll interval
      // apart even when every look finds a change (reads are paced per interval, whatever changed).
      if (!input.lookNow) await sleepWithHeartbeats(deps.replicationPollMs, { looks: 0 });
      for (let looks = 1; ; looks++) {
        const observed = await lookAtVault(vault, wanted, input.known, input.names);
        const changed = observed.some((o) => input.known[o.itemName] !== fingerprint(o));
        if (changed || Date.now() >= deadline) return observed;
        await sleepWithHeartbeats(deps.replicationPollMs, { looks });
      }
    },
  };
}
