import type { EstateVm } from '../estate/types';
import type { JobErrorSpec } from '../state/world';

// The Hyper-V-to-Azure support matrix, as Site Recovery reports it: a list of readiness
// errors on the protectable item, and the first of them as the error of a failed
// enable-protection job.

export interface ReadinessIssue {
  message: string;
  error: JobErrorSpec;
}

const VM_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function issue(
  code: string,
  message: string,
  possibleCauses: string,
  recommendedAction: string,
  providerErrorCode: number,
): ReadinessIssue {
  return {
    message,
    error: { code, message, possibleCauses, recommendedAction, providerErrorCode, providerErrorMessage: message },
  };
}

export function osDiskOf(vm: EstateVm): EstateVm['disks'][number] | undefined {
  return vm.disks.find((d) => d.os === true) ?? vm.disks[0];
}

/**
 * The VM's support-matrix problems. `targetVmName` is the name the VM gets in Azure when
 * protection names one: a VMM name Azure does not accept is then no obstacle.
 */
export function readinessIssues(vm: EstateVm, opts: { targetVmName?: string } = {}): ReadinessIssue[] {
  const out: ReadinessIssue[] = [];
  const osDisk = osDiskOf(vm);
  const dataDisks = vm.disks.filter((d) => d !== osDisk);
  if (vm.disks.some((d) => d.shared === true)) {
    out.push(
      issue(
        '70094',
        `The virtual machine '${vm.name}' has a shared virtual hard disk.`,
        'Site Recovery does not support virtual machines that use shared VHDX disks (guest clusters).',
        'Remove the shared disk from the virtual machine, or exclude the virtual machine from protection.',
        31401,
      ),
    );
  }
  if (vm.fibreChannel === true) {
    out.push(
      issue(
        '70095',
        `The virtual machine '${vm.name}' has a virtual Fibre Channel adapter.`,
        'Site Recovery does not support virtual machines with virtual Fibre Channel disks.',
        'Remove the Fibre Channel adapter, or exclude the virtual machine from protection.',
        31402,
      ),
    );
  }
  if (vm.physicalDisk === true) {
    out.push(
      issue(
        '70096',
        `The virtual machine '${vm.name}' has a pass-through (physical) disk.`,
        'Site Recovery does not support pass-through disks.',
        'Replace the pass-through disk with a VHD or VHDX disk.',
        31403,
      ),
    );
  }
  if (vm.bitlocker === true) {
    out.push(
      issue(
        '70097',
        `BitLocker is enabled on the virtual machine '${vm.name}'.`,
        'Site Recovery does not support disks encrypted with BitLocker.',
        'Turn off BitLocker inside the guest before enabling protection.',
        31404,
      ),
    );
  }
  if (vm.is64Bit === false) {
    out.push(
      issue(
        '70098',
        `The guest operating system of '${vm.name}' is not 64-bit.`,
        'Only 64-bit guest operating systems supported by Azure can be protected.',
        'Protect only virtual machines with a supported 64-bit operating system.',
        31405,
      ),
    );
  }
  if (vm.generation === 2 && vm.osType !== 'Windows') {
    out.push(
      issue(
        '70099',
        `The generation 2 virtual machine '${vm.name}' runs ${vm.osType}.`,
        'Only Windows generation 2 virtual machines are supported for replication to Azure.',
        'Use a generation 1 virtual machine for Linux workloads.',
        31406,
      ),
    );
  }
  if (osDisk) {
    const limit = vm.generation === 2 ? 300 : 2048;
    if (osDisk.sizeGB > limit) {
      out.push(
        issue(
          '70100',
          `The operating system disk of '${vm.name}' is ${osDisk.sizeGB} GB.`,
          `The OS disk of a generation ${vm.generation} virtual machine must be at most ${limit} GB.`,
          'Shrink the OS disk or move data to a data disk.',
          31407,
        ),
      );
    }
  } else {
    out.push(
      issue(
        '70101',
        `The virtual machine '${vm.name}' has no operating system disk.`,
        'A protected virtual machine needs exactly one OS disk.',
        'Attach the OS disk to the virtual machine.',
        31408,
      ),
    );
  }
  if (dataDisks.length > 16) {
    out.push(
      issue(
        '70102',
        `The virtual machine '${vm.name}' has ${dataDisks.length} data disks.`,
        'At most 16 data disks are supported.',
        'Reduce the number of data disks to 16 or fewer.',
        31409,
      ),
    );
  }
  const big = dataDisks.find((d) => d.sizeGB > 4095);
  if (big) {
    out.push(
      issue(
        '70103',
        `The data disk '${big.name}' of '${vm.name}' is ${big.sizeGB} GB.`,
        'Data disks larger than 4,095 GB are not supported.',
        'Resize the disk to 4,095 GB or less.',
        31410,
      ),
    );
  }
  if (!VM_NAME.test(opts.targetVmName ?? vm.name)) {
    out.push(
      issue(
        '70104',
        `The name of the virtual machine '${vm.name}' is not supported in Azure.`,
        'A name must be 1 to 63 characters: letters, digits and hyphens, starting and ending with a letter or digit.',
        'Rename the virtual machine, or give a valid targetAzureVmName.',
        31411,
      ),
    );
  }
  return out;
}
