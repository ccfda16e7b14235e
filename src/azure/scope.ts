import type { Principal } from '../domain/targets';

/** Where a tenant's resource lives: its principal, subscription, resource group and region. */
export interface ResourceScope {
  principal: Principal;
  subscriptionId: string;
  resourceGroup: string;
  region: string;
}

/** The tag every resource asrflow creates carries, so a person can tell them apart. */
export const MANAGED_BY_TAG = { 'managed-by': 'asrflow' } as const;
