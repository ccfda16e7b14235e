import type { AzureClientFactory } from '../../azure/clients';
import { listContainerProtectedItems } from '../../azure/site-recovery/protected-items';
import {
  createRecoveryPlan,
  readRecoveryPlan,
  sameGroups,
  updateRecoveryPlan,
  type PlanGroup,
} from '../../azure/site-recovery/recovery-plans';
import { asrVault } from '../../azure/site-recovery/vault';
import type { VaultTarget } from '../../domain/targets';

// A tenant's recovery plans, written into its vault so the portal shows the same plans: read
// first, created when absent, updated when their groups differ, left alone when equal — so a
// retried activity or a re-run onboarding writes nothing twice.

export interface RecoveryPlansInput {
  target: VaultTarget;
  fabricName: string;
  /** The tenant's protection containers: its VMs are looked up there only. */
  containers: string[];
  plans: Array<{ name: string; groups: Array<{ vms: string[]; before?: string; after?: string }> }>;
}

export interface RecoveryPlansResult {
  plans: Array<{ name: string; action: 'created' | 'updated' | 'unchanged'; vms: number }>;
  /** VMs of a plan that are not protected: left out of it for now. */
  warnings: string[];
}

export function createRecoveryPlanActivities(azure: AzureClientFactory) {
  return {
    async ensureRecoveryPlans(input: RecoveryPlansInput): Promise<RecoveryPlansResult> {
      const v = asrVault(azure, input.target);
      const items = new Map<string, string>();
      for (const container of input.containers)
        for (const item of await listContainerProtectedItems(v, input.fabricName, container))
          if (item.friendlyName) items.set(item.friendlyName.toLowerCase(), item.id);
      const t = input.target;
      const fabricId = `/subscriptions/${t.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${t.vault}/replicationFabrics/${input.fabricName}`;
      const result: RecoveryPlansResult = { plans: [], warnings: [] };
      for (const plan of input.plans) {
        const missing: string[] = [];
        const groups: PlanGroup[] = plan.groups.map((g) => ({
          itemIds: g.vms.flatMap((vm) => {
            const id = items.get(vm.toLowerCase());
            if (!id) missing.push(vm);
            return id ? [id] : [];
          }),
          ...(g.before !== undefined ? { before: g.before } : {}),
          ...(g.after !== undefined ? { after: g.after } : {}),
        }));
        if (missing.length > 0)
          result.warnings.push(
            `recovery plan ${plan.name}: ${missing.join(', ')} not protected, left out until a later onboarding protects ${missing.length > 1 ? 'them' : 'it'}`,
          );
        const vms = groups.reduce((n, g) => n + g.itemIds.length, 0);
        const current = await readRecoveryPlan(v, plan.name);
        if (!current) {
          await createRecoveryPlan(v, plan.name, fabricId, groups);
          result.plans.push({ name: plan.name, action: 'created', vms });
        } else if (!sameGroups(current.groups, groups)) {
          await updateRecoveryPlan(v, plan.name, groups);
          result.plans.push({ name: plan.name, action: 'updated', vms });
        } else result.plans.push({ name: plan.name, action: 'unchanged', vms });
      }
      return result;
    },
  };
}
