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
