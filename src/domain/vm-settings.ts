// How a VM comes up in Azure after failover, in Site Recovery's terms: what the protected item
// says, what an update of it changes, and what a drill report shows. Pure types.

/** The VM as a whole: its name, size, licences, placement and tags. */
export interface VmPlacement {
  azureName?: string;
  vmSize?: string;
  licenseType?: string;
  sqlServerLicenseType?: string;
  zone?: string;
  availabilitySetId?: string;
  tags?: Record<string, string>;
}

/** A tenant's availability sets live in its resource group (ARM id of the group). */
export function availabilitySetId(resourceGroupId: string, name: string): string {
  return `${resourceGroupId}/providers/Microsoft.Compute/availabilitySets/${name}`;
}

/** One NIC: its subnet and static address after failover, and in test failovers. */
export interface NicAddressing {
  subnet?: string;
  ip?: string;
  testSubnet?: string;
  testIp?: string;
}
