import { azureCall } from '../failures';
import { collect } from '../reads';
import type { ItemRef } from './protected-items';
import type { AsrVault } from './vault';

// The VM sizes Site Recovery offers a protected VM in its target region, each with why it
// cannot host this VM (too few NICs or data disks, no generation 2), as the portal's
// "Compute and Network" blade lists them.

export interface ComputeSize {
  name: string;
  /** Why this size cannot host the VM; empty when it can. */
  errors: string[];
}

export async function listTargetComputeSizes(v: AsrVault, ref: ItemRef): Promise<ComputeSize[]> {
  const sizes = await azureCall(`list the target sizes of ${ref.itemName}`, () =>
    collect(
      v.client.targetComputeSizes.listByReplicationProtectedItems(
        ...v.at,
        ref.fabricName,
        ref.containerName,
        ref.itemName,
      ),
    ),
  );
  return sizes.flatMap((s) => {
    const name = s.properties?.name ?? s.name;
    if (!name) return [];
    const errors = (s.properties?.errors ?? []).flatMap((e) => (e.message ? [e.message] : []));
    return [{ name, errors }];
  });
}
