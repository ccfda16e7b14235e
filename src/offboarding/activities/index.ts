import type { AzureClientFactory } from '../../azure/clients';
import { lastCheckpoint } from '../../azure/checkpoint';
import { needsOperator } from '../../azure/failures';
import { findTenantContainer } from '../../azure/site-recovery/fabrics';
import { jobActsOn, jobFailed, jobFailureDetails, listRecentJobs, newestJob } from '../../azure/site-recovery/jobs';
import {
  disableProtection,
  listContainerProtectedItems,
  readProtectedItem,
  type ProtectedItemView,
} from '../../azure/site-recovery/protected-items';
import { asrVault, type AsrVault } from '../../azure/site-recovery/vault';
import { keepAliveEach, sleepWithHeartbeats } from '../../temporal/heartbeat';
import type { VaultTarget } from '../../domain/targets';
import type { OffboardingScope, OffboardItem } from '../contract';

export interface OffboardingDeps {
  azure: AzureClientFactory;
  /** Interval between two looks at an item whose protection is being disabled. */
  replicationPollMs: number;
}

/** The newest DisableDr job on an item, of the last day. */
async function disableJobOf(v: AsrVault, item: { itemName: string; vmId?: string }, vm: string) {
  const jobs = await listRecentJobs(v, { scenario: 'DisableDr', doing: `list the DisableDr jobs of ${vm}` });
  return newestJob(jobs.filter((j) => jobActsOn(j, item.itemName, item.vmId)));
}

function offboardItem(item: ProtectedItemView, ref: { fabricName: string; containerName: string }): OffboardItem {
  const running = item.currentScenario?.scenarioName;
  return {
    ...ref,
    itemName: item.name,
    ...(item.protectionState ? { protectionState: item.protectionState } : {}),
    allowedOperations: item.allowedOperations,
    ...(running && running !== 'None' ? { runningScenario: running } : {}),
  };
}

function offboardingActivities(deps: OffboardingDeps) {
  return {
    /**
     * The VM's protected item inside the tenant's own cloud only, or undefined: a VM of another
     * tenant's cloud is answered exactly as a VM that is not protected anywhere.
     */
    async findVmItem(input: {
      target: VaultTarget;
      vm: string;
      scope: OffboardingScope;
    }): Promise<OffboardItem | undefined> {
      const vault = asrVault(deps.azure, input.target);
      const where = await findTenantContainer(vault, input.scope.vmmServer, input.scope.cloud);
      if (!where) return undefined;
      const items = await listContainerProtectedItems(vault, where.fabricName, where.containerName, input.scope.cloud);
      const item = items.find((i) => i.friendlyName?.toLowerCase() === input.vm.toLowerCase());
      return item ? offboardItem(item, where) : undefined;
    },

    /**
     * Disables protection of the VM exactly once and returns when its item is gone. A retried
     * attempt resumes its checkpointed request; one whose request was taken but whose checkpoint
     * was lost finds the item disabling (or gone) and follows it instead of asking again.
     */
    async disableVmProtection(input: {
      target: VaultTarget;
      item: OffboardItem;
      vm: string;
    }): Promise<{ jobName?: string; alreadyGone: boolean }> {
      const { item, vm } = input;
      const vault = asrVault(deps.azure, input.target);
      const operation = `disable protection of ${vm}`;
      const failed = (job: Parameters<typeof jobFailureDetails>[0]) => {
        const details = jobFailureDetails(job);
        return needsOperator(
          `disabling protection of ${vm} failed (job ${job.jobName}, ${job.state}): ${details.message ?? 'see the job in the vault'}`,
          { ...details, fix: 'look at the DisableDr job in the vault, fix the cause, then retry' },
        );
      };
      if (!lastCheckpoint(operation)) {
        for (let looks = 1; ; looks++) {
          const now = await readProtectedItem(vault, item, vm);
          if (!now) {
            const job = await disableJobOf(vault, item, vm);
            return { ...(job ? { jobName: job.jobName } : {}), alreadyGone: looks === 1 && !job };
          }
          if (now.currentScenario?.scenarioName !== 'DisableDr') break;
          // An earlier attempt's request was taken: follow it rather than ask again.
          const job = await disableJobOf(vault, { itemName: item.itemName, vmId: now.hyperV.vmId }, vm);
          if (jobFailed(job)) throw failed(job);
          await sleepWithHeartbeats(deps.replicationPollMs, { kind: 'disable-follow', operation, looks });
        }
      }
      await disableProtection(vault, item, operation, {
        explainFailure: async () => {
          const job = await disableJobOf(vault, item, vm);
          return job ? jobFailureDetails(job) : undefined;
        },
      });
      const job = await disableJobOf(vault, item, vm);
      return { ...(job ? { jobName: job.jobName } : {}), alreadyGone: false };
    },
  };
}

/** Offboarding's activities made of a few Azure calls, wrapped in `keepAlive` (see activity-options.ts). */
export const OFFBOARDING_QUICK_ACTIVITIES = ['findVmItem'] as const;

export function createOffboardingActivities(deps: OffboardingDeps) {
  return keepAliveEach(offboardingActivities(deps), OFFBOARDING_QUICK_ACTIVITIES);
}

export type OffboardingActivities = ReturnType<typeof createOffboardingActivities>;
export type OffboardingQuickActivity = (typeof OFFBOARDING_QUICK_ACTIVITIES)[number];
