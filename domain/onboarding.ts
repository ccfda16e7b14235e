import type { CredentialRef, Plan, ReplicationPolicy, TenantPlan } from './plan/types';

// Inputs and results that cross the workflow/activity boundary during onboarding. Pure data:
// credentials travel as references, never as secrets.

/** Who calls Azure: a tenant (or the provider) and the plan's credential reference. */
export interface Principal {
  tenantId: string;
  credential: CredentialRef;
}

export interface VaultTarget {
  principal: Principal;
  subscriptionId: string;
  resourceGroup: string;
  vault: string;
  region: string;
}

export interface SharedVaultInput {
  plan: Plan;
}

export interface TenantOnboardingInput {
  scenario: Plan['scenario'];
  tenant: TenantPlan;
  /** Scenario 1: the provider's shared vault and VMM server. */
  sharedVault?: VaultTarget & { vmmServer: string };
}

export interface RegistrationResult {
  fabricName: string;
  providerName: string;
  providerVersion: string;
  connectionStatus?: string;
}

export interface ProtectableVm {
  /** The protectable item's name (ARM resource name). */
  itemName: string;
  friendlyName: string;
  protectionStatus?: string;
  readinessErrors: string[];
  osType?: string;
  osDiskId?: string;
  hvHostVmId?: string;
}

export interface VmProtectionInput {
  tenant: string;
  scenario: Plan['scenario'];
  vault: VaultTarget;
  fabricName: string;
  containerName: string;
  policyId: string;
  vm: ProtectableVm;
  targets: {
    subscriptionId: string;
    resourceGroupId: string;
    storageAccountId: string;
    networkId: string;
    subnetName: string;
    vmSize?: string;
    managedDisks: boolean;
  };
}

export const MIN_PROVIDER_VERSION = '5.1.1256.0';

/** Dotted numeric comparison of Provider versions ("5.1.2250.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function policyName(tenant: string): string {
  return `asrflow-${tenant}-policy`;
}

export type { ReplicationPolicy };

/**
 * The plan fields a running tenant onboarding can take over, each with the step that first uses
 * it: a new value is taken while that step has not run yet, or waits for an operator (it is then
 * retried with the new value). Everything else (tenant, subscription, credential, region,
 * resource group, vault, VMM) names a different onboarding, or resources already created.
 */
export const REPLANNABLE_FIELDS = {
  storageAccount: 'storage-account',
  network: 'virtual-network',
  policy: 'policy',
  vms: 'preflight',
  target: 'protect',
} as const satisfies Partial<Record<keyof TenantPlan, string>>;

export type ReplannableField = keyof typeof REPLANNABLE_FIELDS;

/** JSON with sorted keys: two plans are equal when their canonical texts are. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The top-level fields of a tenant's plan that differ, replannable or not. */
export function changedTenantFields(current: TenantPlan, next: TenantPlan): Array<keyof TenantPlan> {
  const keys = new Set([...Object.keys(current), ...Object.keys(next)] as Array<keyof TenantPlan>);
  return [...keys].filter((k) => canonicalJson(current[k]) !== canonicalJson(next[k])).sort();
}

/** What `replan` answers: the fields taken over and the waiting steps retried with them. */
export interface ReplanResult {
  changed: string[];
  retried: string[];
}
