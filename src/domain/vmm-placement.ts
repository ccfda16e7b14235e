// A tenant's VMM clouds and VM networks: one of each, or several. Pure.

/** The shape both the plan and the onboarding contract use for a tenant's VMM placement. */
interface Placement {
  cloud: string;
  vmNetwork: string;
  clouds?: string[];
  vmNetworks?: string[];
}

/** Every VMM cloud of the tenant, the first one first. */
export function cloudsOf(vmm: Placement): string[] {
  return vmm.clouds ?? [vmm.cloud];
}

/** Every VM network of the tenant, the first one first. */
export function vmNetworksOf(vmm: Pick<Placement, 'vmNetwork' | 'vmNetworks'>): string[] {
  return vmm.vmNetworks ?? [vmm.vmNetwork];
}

/** For messages: `cloud Gold` or `clouds Gold, Silver`. */
export function cloudsLabel(vmm: { cloud: string; clouds?: string[] }): string {
  const all = vmm.clouds ?? [vmm.cloud];
  return `${all.length > 1 ? 'clouds' : 'cloud'} ${all.join(', ')}`;
}
