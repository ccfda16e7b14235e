import { asrError } from '../arm/errors';
import { COMPUTE_SIZES, computeSize, type ComputeSize } from '../compute/sizes';
import type { EstateVm } from '../estate/types';
import type { JobErrorSpec, ProtectedItemRec } from '../state/world';
import { osDiskOf } from './readiness';

// Which Azure sizes can host a protected VM: what targetComputeSizes lists (with the reasons a
// size does not fit), what an update may choose, what a failover can create and the size a VM
// gets when none was chosen. Sizes outside the region's catalogue (compute/sizes.ts) exist for
// none of these.

type Target = ProtectedItemRec['target'];

/** What of a VM decides whether a size can host it, as the estate describes the VM. */
export interface VmShape {
  name: string;
  generation: 1 | 2;
  cpuCount: number;
  memoryMB: number;
  /** Every NIC of the VM: Azure attaches one per NIC that fails over, and any may be selected. */
  nics: number;
  /** The replicated disks other than the OS disk. */
  dataDisks: number;
}

const TYPE =
  'Microsoft.RecoveryServices/vaults/replicationFabrics/replicationProtectionContainers/replicationProtectedItems/targetComputeSizes';

/** The VM's shape with the target's disk choice; undefined when the estate no longer has the VM. */
export function vmShape(vm: EstateVm | undefined, target: Target): VmShape | undefined {
  if (!vm) return undefined;
  // disksToInclude always holds the OS disk (enable and update refuse it otherwise).
  const replicated = target.disksToInclude?.length ?? vm.disks.length;
  return {
    name: vm.name,
    generation: vm.generation,
    // The defaults the item shows as sourceVmCpuCount and sourceVmRamSizeInMB.
    cpuCount: vm.cpuCount ?? 1,
    memoryMB: vm.memoryMB ?? 2048,
    nics: vm.networks?.length ?? 0,
    dataDisks: Math.max(0, replicated - (osDiskOf(vm) ? 1 : 0)),
  };
}

/** Why `size` cannot host the VM; empty when it can. */
export function sizeProblems(size: ComputeSize, vm: VmShape): string[] {
  const out: string[] = [];
  if (vm.nics > size.maxNicsCount)
    out.push(
      `The virtual machine '${vm.name}' has ${vm.nics} network adapters, but the size ${size.name} supports at most ${size.maxNicsCount}.`,
    );
  if (vm.dataDisks > size.maxDataDiskCount)
    out.push(
      `The virtual machine '${vm.name}' replicates ${vm.dataDisks} data disks, but the size ${size.name} supports at most ${size.maxDataDiskCount}.`,
    );
  if (vm.generation === 2 && !size.hyperVGenerations.includes('V2'))
    out.push(
      `The virtual machine '${vm.name}' is a generation 2 virtual machine, but the size ${size.name} supports generation 1 only.`,
    );
  return out;
}

/** The catalogue as TargetComputeSize objects of one item, each with the reasons it cannot host the VM. */
export function targetComputeSizeViews(itemId: string, vm: VmShape | undefined): Array<Record<string, unknown>> {
  return COMPUTE_SIZES.map((size) => {
    const problems = vm ? sizeProblems(size, vm) : [];
    return {
      id: `${itemId}/targetComputeSizes/${size.name}`,
      name: size.name,
      type: TYPE,
      properties: {
        name: size.name,
        friendlyName: size.name,
        cpuCoresCount: size.vCPUs,
        vCPUsAvailable: size.vCPUs,
        memoryInGB: size.memoryInGB,
        maxDataDiskCount: size.maxDataDiskCount,
        maxNicsCount: size.maxNicsCount,
        // A size that fits has no errors (Site Recovery writes null, which the schema, an array, does not allow).
        ...(problems.length > 0 ? { errors: problems.map((message) => ({ message, severity: 'Error' })) } : {}),
        highIopsSupported: size.premiumStorage ? 'Supported' : 'NotSupported',
        hyperVGenerations: [...size.hyperVGenerations],
      },
    };
  });
}

// Site Recovery picks a size matching the source VM; the emulator tries these in order, the
// smallest first, so small generation 1 VMs keep the inexpensive Av2 sizes they always had.
const DEFAULT_ORDER = [
  'Standard_A1_v2',
  'Standard_A2_v2',
  'Standard_D2s_v3',
  'Standard_D4s_v3',
  'Standard_D8s_v3',
  'Standard_D16s_v3',
];
const FALLBACK_SHAPE: VmShape = { name: '', generation: 1, cpuCount: 1, memoryMB: 2048, nics: 1, dataDisks: 0 };

/** The first size of DEFAULT_ORDER with the VM's vCPUs and memory that can host it; always a catalogue size. */
export function defaultVmSize(vm: VmShape | undefined): string {
  const shape = vm ?? FALLBACK_SHAPE;
  const sizes = DEFAULT_ORDER.map((n) => computeSize(n)).filter((s): s is ComputeSize => s !== undefined);
  const fits = sizes.find(
    (s) => s.vCPUs >= shape.cpuCount && s.memoryInGB * 1024 >= shape.memoryMB && sizeProblems(s, shape).length === 0,
  );
  return (fits ?? sizes.find((s) => sizeProblems(s, shape).length === 0) ?? sizes[sizes.length - 1])?.name ?? '';
}

/** The size the failed-over VM gets: the one chosen, else one that fits the source VM. */
export function targetVmSize(item: ProtectedItemRec, vm: EstateVm | undefined): string {
  return item.target.vmSize ?? defaultVmSize(vmShape(vm, item.target));
}

function unknownSize(name: string): JobErrorSpec {
  return {
    code: 'InvalidTargetVmSize',
    message: `The target virtual machine size '${name}' is not available in the target region.`,
    possibleCauses: 'The size does not exist, or the region does not offer it.',
    recommendedAction:
      'Choose one of the sizes listed by targetComputeSizes of the replicated item (recoveryAzureVMSize).',
  };
}

function unfitSize(name: string, problems: string[]): JobErrorSpec {
  return {
    code: 'TargetVmSizeNotSupported',
    message: `The target virtual machine size '${name}' cannot host the virtual machine: ${problems.join(' ')}`,
    possibleCauses:
      'The size has fewer network adapters or data disks than the virtual machine, or not its generation.',
    recommendedAction: 'Choose a size that targetComputeSizes of the replicated item lists without errors.',
  };
}

/** Why a failover cannot create the VM in `name`; undefined when it can. */
export function targetSizeError(name: string, vm: VmShape | undefined): JobErrorSpec | undefined {
  const size = computeSize(name);
  if (!size) return unknownSize(name);
  const problems = vm ? sizeProblems(size, vm) : [];
  return problems.length > 0 ? unfitSize(size.name, problems) : undefined;
}

/** Refuses (400) a size an update chooses that is not in the catalogue or cannot host the VM. */
export function requireTargetSize(name: string, vm: VmShape | undefined): void {
  const e = targetSizeError(name, vm);
  if (e) throw asrError(400, e.code, e.message, e.possibleCauses, e.recommendedAction);
}
