import type { EmulatorCore } from '../core';
import { availabilitySetById } from '../resources/availabilitySets';
import type { JobErrorSpec, ProtectedItemRec } from '../state/world';
import { targetSizeError, targetVmSize, vmShape } from './target-size';

// What a failover or test failover checks before it creates the Azure VM, at its
// prerequisites task: the target settings were accepted when they were given (enable
// protection records any size, as Site Recovery does), but Azure creates the VM only in a size
// that can host it and in an availability set that exists now.

/** Why the failover of `item` cannot create its VM; undefined when it can. */
export function failoverPrerequisiteError(core: EmulatorCore, item: ProtectedItemRec): JobErrorSpec | undefined {
  const vm = core.vm(item.vmmServer, item.cloud, item.vmName);
  const size = targetSizeError(targetVmSize(item, vm), vmShape(vm, item.target));
  if (size) return size;
  const set = item.target.availabilitySetId;
  if (set && !availabilitySetById(core, set))
    return {
      code: 'AvailabilitySetNotFound',
      message: `The target availability set '${set}' of '${item.target.vmName}' was not found.`,
      possibleCauses: 'The availability set was never created, or was deleted after it was chosen.',
      recommendedAction:
        'Create the availability set in the target resource group and region, or choose another one (recoveryAvailabilitySetId), then retry.',
    };
  return undefined;
}

/** The failure a failover job starts with (at its prerequisites task, the first), if any. */
export function failoverPrerequisiteFailure(
  core: EmulatorCore,
  item: ProtectedItemRec,
): { atTask: number; error: JobErrorSpec } | undefined {
  const error = failoverPrerequisiteError(core, item);
  return error ? { atTask: 0, error } : undefined;
}
