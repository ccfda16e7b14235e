// The names asrflow gives a tenant's objects inside a vault. Onboarding creates them under these
// names and offboarding removes exactly these: in a shared vault, a name is how one tenant's
// policy and associations are told apart from another's.

export function policyName(tenant: string): string {
  return `asrflow-${tenant}-policy`;
}

export function containerMappingName(tenant: string): string {
  return `asrflow-${tenant}-cloud-mapping`;
}

export function networkMappingName(tenant: string): string {
  return `asrflow-${tenant}-network-mapping`;
}

/** A tenant's recovery plan in the vault, as the portal shows it. */
export function recoveryPlanName(tenant: string, plan: string): string {
  return `asrflow-${tenant}-${plan}`;
}
