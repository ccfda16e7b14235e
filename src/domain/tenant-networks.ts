import { vmNetworksOf } from './vmm-placement';

// A tenant's VNets: `network`, and, when the plan lists more, `networks`, each with the VMM VM
// networks mapped to it. Azure puts every NIC of a VM in one VNet, so a VM names its VNet
// (`vnet`, absent for `network`). Both the plan and the onboarding contract have this shape.
// Pure.

interface VnetLike {
  vnet: string;
  testFailoverVnet: { name: string };
}

interface Networked<N extends VnetLike> {
  network: N;
  networks?: Array<N & { vmNetworks: string[] }>;
  vmm: { vmNetwork: string; vmNetworks?: string[] };
}

/** Every VNet of the tenant with the VM networks mapped to it, `network` first. */
export function networksOf<N extends VnetLike>(t: Networked<N>): Array<{ network: N; vmNetworks: string[] }> {
  return [
    { network: t.network, vmNetworks: vmNetworksOf(t.vmm) },
    ...(t.networks ?? []).map((n) => ({ network: n, vmNetworks: n.vmNetworks })),
  ];
}

/** Every VM network of the tenant, whichever VNet it is mapped to. */
export function allVmNetworksOf<N extends VnetLike>(t: Networked<N>): string[] {
  return networksOf(t).flatMap((n) => n.vmNetworks);
}

/** For titles: `contoso-vnet` or `contoso-vnet, contoso-dmz`. */
export function vnetsLabel<N extends VnetLike>(t: Networked<N>, pick: (n: N) => string = (n) => n.vnet): string {
  return networksOf(t)
    .map((n) => pick(n.network))
    .join(', ');
}
