import type { Principal, VaultTarget } from '../domain/targets';

// Offboarding: what crosses the client/workflow/activity boundaries when protection of a VM is
// disabled on purpose. Its own versioned types, not the plan's. Pure: workflows import it.
// Credentials travel as references only (in the vault target's principal).

export const OFFBOARDING_CONTRACT_VERSION = 1;

/** Where a tenant's VMs are: every lookup stays inside this VMM server's cloud. */
export interface OffboardingScope {
  subscriptionId: string;
  vmmServer: string;
  cloud: string;
  /** All of the tenant's clouds (`cloud` first), when it has several. */
  clouds?: string[];
}

export interface OffboardVmInput {
  version: typeof OFFBOARDING_CONTRACT_VERSION;
  tenant: string;
  scenario: string;
  vm: string;
  vault: VaultTarget;
  scope: OffboardingScope;
}

/** The protected item of a VM in the tenant's own cloud, as far as offboarding needs it. */
export interface OffboardItem {
  fabricName: string;
  containerName: string;
  itemName: string;
  protectionState?: string;
  allowedOperations: string[];
  /** A Site Recovery job that runs on the item now (its scenario), if any. */
  runningScenario?: string;
}

export type OffboardOutcome = 'running' | 'offboarded' | 'not-protected' | 'refused' | 'abandoned';

/** What an offboarding did: the workflow's result. */
export interface OffboardRecord {
  tenant: string;
  vm: string;
  vault: string;
  outcome: OffboardOutcome;
  /** Why nothing was done (not-protected) or why it was refused. */
  reason?: string;
  /** The DisableDr job, once known. */
  jobName?: string;
  startedAt: string;
  endedAt?: string;
}

/**
 * Why Site Recovery would not disable protection now, or undefined when it would: an item that is
 * failed over, being failed over or otherwise busy must be finished first (failover commit,
 * failback, cleanup), never cut off in the middle.
 */
export function disableRefusal(vm: string, item: OffboardItem): string | undefined {
  if (item.runningScenario && item.runningScenario !== 'None' && item.runningScenario !== 'DisableDr')
    return `a ${item.runningScenario} job runs on ${vm}: let it finish (or abandon its failover) first`;
  if (!item.allowedOperations.includes('DisableProtection'))
    return `Site Recovery does not allow disabling protection of ${vm} now (protection state ${item.protectionState ?? 'unknown'}; allowed: ${item.allowedOperations.join(', ') || 'none'}): finish what runs on it first, e.g. commit or fail back a failover`;
  return undefined;
}

/** The names onboarding gave a tenant's objects in the vault (see the onboarding contract). */
export interface TenantVaultNames {
  policy: string;
  containerMapping: string;
  networkMapping: string;
}

/** The tenant's own Azure resources, for `--delete-resources`: only those tagged by asrflow go. */
export interface TenantResources {
  principal: Principal;
  subscriptionId: string;
  resourceGroup: string;
  storageAccount: string;
  virtualNetworks: string[];
}

export interface OffboardTenantInput {
  version: typeof OFFBOARDING_CONTRACT_VERSION;
  tenant: string;
  scenario: string;
  vault: VaultTarget;
  scope: OffboardingScope & { vmNetwork: string; /** All of them, when several. */ vmNetworks?: string[] };
  names: TenantVaultNames;
  /** Scenario 2: the tenant's own vault, deleted once empty (its VMM server unregistered first). */
  dedicatedVault: boolean;
  resources?: TenantResources;
}

export type OffboardTenantOutcome = 'running' | 'offboarded' | 'refused' | 'abandoned';

/** What a tenant's offboarding did: the workflow's result. */
export interface OffboardTenantRecord {
  tenant: string;
  vault: string;
  outcome: OffboardTenantOutcome;
  reason?: string;
  /** The VMs whose protection this run disabled. */
  vms: string[];
  /** What this run removed, in order ("policy asrflow-contoso-policy", …). */
  removed: string[];
  /** What it found but left in place, with why (not created by asrflow, still holds other resources). */
  kept: string[];
  startedAt: string;
  endedAt?: string;
}

/** The VMs of a tenant whose state forbids disabling now, each with why; empty when all may go. */
export function tenantRefusals(items: Array<OffboardItem & { vm: string }>): string[] {
  return items.flatMap((i) => {
    const refusal = disableRefusal(i.vm, i);
    return refusal ? [refusal] : [];
  });
}
