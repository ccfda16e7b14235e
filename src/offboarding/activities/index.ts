import type { AzureClientFactory } from '../../azure/clients';
import { lastCheckpoint } from '../../azure/checkpoint';
import { needsOperator } from '../../azure/failures';
import { deleteVirtualNetwork, readVirtualNetwork } from '../../azure/network';
import { deleteResourceGroup, listResourcesInGroup, readResourceGroupTags } from '../../azure/resource-groups';
import { MANAGED_BY_TAG } from '../../azure/scope';
import { findTenantContainer, findVmmFabric, listVmNetworks, removeFabric } from '../../azure/site-recovery/fabrics';
import {
  readContainerMapping,
  readNetworkMapping,
  removeContainerMapping,
  removeNetworkMapping,
} from '../../azure/site-recovery/mappings';
import { deletePolicy, readPolicyId } from '../../azure/site-recovery/policies';
import { deleteStorageAccount, readStorageAccount } from '../../azure/storage';
import { deleteVault, readVault } from '../../azure/vaults';
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
import type { OffboardingScope, OffboardItem, TenantResources, TenantVaultNames } from '../contract';

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

/** Tagged at creation by asrflow (resource-groups.ts, storage.ts, network.ts): only those are ever deleted. */
const createdByAsrflow = (tags: Record<string, string> | undefined) =>
  Object.entries(MANAGED_BY_TAG).every(([k, v]) => tags?.[k] === v);

function offboardingActivities(deps: OffboardingDeps) {
  return {
    /**
     * Every protected VM of the tenant's own clouds, and where the clouds are: `where` is the
     * first found (undefined: none is in the vault), `others` the rest when the tenant has several.
     */
    async findTenantItems(input: { target: VaultTarget; scope: OffboardingScope }): Promise<{
      where?: { fabricName: string; containerName: string };
      others?: Array<{ fabricName: string; containerName: string }>;
      items: Array<OffboardItem & { vm: string }>;
    }> {
      const vault = asrVault(deps.azure, input.target);
      const found: Array<{ fabricName: string; containerName: string }> = [];
      const items: Array<OffboardItem & { vm: string }> = [];
      for (const cloud of input.scope.clouds ?? [input.scope.cloud]) {
        const where = await findTenantContainer(vault, input.scope.vmmServer, cloud);
        if (!where) continue;
        found.push(where);
        const listed = await listContainerProtectedItems(vault, where.fabricName, where.containerName, cloud);
        items.push(...listed.map((i) => ({ ...offboardItem(i, where), vm: i.friendlyName ?? i.name })));
      }
      const [where, ...others] = found;
      return { ...(where ? { where } : {}), ...(others.length > 0 ? { others } : {}), items };
    },

    /** Removes the tenant's network mapping (VMM VM network → its VNet); returns what it removed. */
    async removeTenantNetworkMapping(input: {
      target: VaultTarget;
      fabricName: string;
      vmNetwork: string;
      names: TenantVaultNames;
    }): Promise<string[]> {
      const vault = asrVault(deps.azure, input.target);
      const network = (await listVmNetworks(vault, input.fabricName)).find(
        (n) => n.friendlyName.toLowerCase() === input.vmNetwork.toLowerCase(),
      );
      if (!network) return [];
      const ref = { fabricName: input.fabricName, networkName: network.name, mappingName: input.names.networkMapping };
      if (!(await readNetworkMapping(vault, ref))) return [];
      await removeNetworkMapping(vault, ref, input.vmNetwork);
      return [`network mapping ${input.names.networkMapping}`];
    },

    /** Dissociates the tenant's cloud from its policy; returns what it removed. */
    async removeTenantContainerMapping(input: {
      target: VaultTarget;
      fabricName: string;
      containerName: string;
      names: TenantVaultNames;
    }): Promise<string[]> {
      const vault = asrVault(deps.azure, input.target);
      const ref = { ...input, mappingName: input.names.containerMapping };
      if (!(await readContainerMapping(vault, ref))) return [];
      await removeContainerMapping(vault, ref);
      return [`cloud-policy association ${input.names.containerMapping}`];
    },

    /** Deletes the tenant's replication policy; returns what it removed. */
    async deleteTenantPolicy(input: { target: VaultTarget; names: TenantVaultNames }): Promise<string[]> {
      const vault = asrVault(deps.azure, input.target);
      if (!(await readPolicyId(vault, input.names.policy))) return [];
      await deletePolicy(vault, input.names.policy);
      return [`replication policy ${input.names.policy}`];
    },

    /** Scenario 2: unregisters the tenant's VMM server from its own vault, then deletes the vault. */
    async deleteDedicatedVault(input: { target: VaultTarget; vmmServer: string }): Promise<string[]> {
      const vault = asrVault(deps.azure, input.target);
      const removed: string[] = [];
      if (!(await readVault(deps.azure, input.target))) return removed;
      const fabricName = await findVmmFabric(vault, input.vmmServer);
      if (fabricName) {
        await removeFabric(vault, fabricName, input.vmmServer);
        removed.push(`registration of ${input.vmmServer}`);
      }
      await deleteVault(deps.azure, input.target);
      removed.push(`vault ${input.target.vault}`);
      return removed;
    },

    /**
     * With --delete-resources: the tenant's VNets and storage account, then its resource group —
     * each only if asrflow created it (tagged), and the group only once it holds nothing else
     * (a VM failed over into it, a resource someone added). What stays is returned with why.
     */
    async deleteTenantResources(input: TenantResources): Promise<{ removed: string[]; kept: string[] }> {
      const removed: string[] = [];
      const kept: string[] = [];
      const scope = {
        principal: input.principal,
        subscriptionId: input.subscriptionId,
        resourceGroup: input.resourceGroup,
      };
      const where = { ...scope, region: '' };
      for (const name of input.virtualNetworks) {
        const vnet = await readVirtualNetwork(deps.azure, where, name);
        if (!vnet) continue;
        if (!createdByAsrflow(vnet.tags)) kept.push(`virtual network ${name} (not created by asrflow)`);
        else {
          await deleteVirtualNetwork(deps.azure, scope, name);
          removed.push(`virtual network ${name}`);
        }
      }
      const account = await readStorageAccount(deps.azure, where, input.storageAccount);
      if (account && !createdByAsrflow(account.tags))
        kept.push(`storage account ${input.storageAccount} (not created by asrflow)`);
      else if (account) {
        await deleteStorageAccount(deps.azure, scope, input.storageAccount);
        removed.push(`storage account ${input.storageAccount}`);
      }
      const tags = await readResourceGroupTags(deps.azure, scope);
      if (tags === undefined) return { removed, kept };
      if (!createdByAsrflow(tags)) {
        kept.push(`resource group ${input.resourceGroup} (not created by asrflow)`);
        return { removed, kept };
      }
      const left = await listResourcesInGroup(deps.azure, scope);
      if (left.length > 0) {
        const shown = left.slice(0, 5).map((r) => `${r.type.split('/').pop() ?? r.type} ${r.name}`);
        kept.push(
          `resource group ${input.resourceGroup} (it still holds ${left.length} resource(s) asrflow did not remove: ${shown.join(', ')}${left.length > 5 ? ', …' : ''})`,
        );
        return { removed, kept };
      }
      await deleteResourceGroup(deps.azure, scope);
      removed.push(`resource group ${input.resourceGroup}`);
      return { removed, kept };
    },

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
      for (const cloud of input.scope.clouds ?? [input.scope.cloud]) {
        const where = await findTenantContainer(vault, input.scope.vmmServer, cloud);
        if (!where) continue;
        const items = await listContainerProtectedItems(vault, where.fabricName, where.containerName, cloud);
        const item = items.find((i) => i.friendlyName?.toLowerCase() === input.vm.toLowerCase());
        if (item) return offboardItem(item, where);
      }
      return undefined;
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
export const OFFBOARDING_QUICK_ACTIVITIES = ['findVmItem', 'findTenantItems'] as const;

export function createOffboardingActivities(deps: OffboardingDeps) {
  return keepAliveEach(offboardingActivities(deps), OFFBOARDING_QUICK_ACTIVITIES);
}

export type OffboardingActivities = ReturnType<typeof createOffboardingActivities>;
export type OffboardingQuickActivity = (typeof OFFBOARDING_QUICK_ACTIVITIES)[number];
