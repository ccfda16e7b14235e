import type { Estate, EstateApp, EstateTenant } from '../estate/types';
import { lower, uuidFromName } from '../util/ids';

export interface TenantInfo {
  name: string;
  tenantId: string;
}

// Who exists in the emulated Entra ID, and which tenant owns which subscription.
export class Directory {
  private readonly tenants = new Map<string, EstateTenant>();
  private readonly tenantAliases = new Map<string, string>();
  private readonly subscriptionTenant = new Map<string, string>();
  private readonly apps = new Map<string, { app: EstateApp; homeTenant: string }>();

  constructor(estate: Estate) {
    for (const t of estate.tenants) {
      const id = lower(t.tenantId);
      this.tenants.set(id, t);
      this.tenantAliases.set(id, id);
      this.tenantAliases.set(lower(`${t.name}.onmicrosoft.com`), id);
      for (const s of t.subscriptions) this.subscriptionTenant.set(lower(s.id), id);
      for (const a of t.apps) this.apps.set(lower(a.clientId), { app: a, homeTenant: id });
    }
  }

  /** Tenant id for a path segment (GUID or `{name}.onmicrosoft.com`). */
  resolveTenant(segment: string): string | undefined {
    return this.tenantAliases.get(lower(segment));
  }

  tenant(tenantId: string): TenantInfo | undefined {
    const t = this.tenants.get(lower(tenantId));
    return t ? { name: t.name, tenantId: t.tenantId } : undefined;
  }

  tenantOfSubscription(subscriptionId: string): string | undefined {
    return this.subscriptionTenant.get(lower(subscriptionId));
  }

  subscriptionsOfTenant(tenantId: string): string[] {
    return this.tenants.get(lower(tenantId))?.subscriptions.map((s) => s.id) ?? [];
  }

  /** The app as seen from `tenantId` (home tenant, or a tenant that consented to it). */
  appInTenant(clientId: string, tenantId: string): EstateApp | undefined {
    const entry = this.apps.get(lower(clientId));
    if (!entry) return undefined;
    if (entry.homeTenant === lower(tenantId)) return entry.app;
    if ((entry.app.consentedTenants ?? []).some((t) => lower(t) === lower(tenantId))) return entry.app;
    return undefined;
  }

  appExists(clientId: string): boolean {
    return this.apps.has(lower(clientId));
  }

  /** Service principal object id of an app in a tenant (one per tenant, as in Entra). */
  servicePrincipalId(clientId: string, tenantId: string): string {
    return uuidFromName('sp', lower(tenantId), lower(clientId));
  }

  listTenants(): TenantInfo[] {
    return [...this.tenants.values()].map((t) => ({ name: t.name, tenantId: t.tenantId }));
  }
}
