import { lower } from '../util/ids';

// The VM sizes the emulated region offers: what Site Recovery lists as target compute sizes,
// what an update may choose and what a failover can create. The figures are Azure's own
// (the size tables of the Azure VM documentation: vCPUs, memory, data disks, NICs; premium
// storage support as highIopsSupported; Hyper-V generations from the generation 2 support
// list), so a size that cannot host a VM here could not host it in Azure either.

export type HyperVGeneration = 'V1' | 'V2';

export interface ComputeSize {
  name: string;
  /** Cores and the vCPUs a VM sees: the same for every size here (no constrained-core sizes). */
  vCPUs: number;
  memoryInGB: number;
  maxDataDiskCount: number;
  maxNicsCount: number;
  hyperVGenerations: HyperVGeneration[];
  /** Premium storage: Site Recovery shows it as highIopsSupported. */
  premiumStorage: boolean;
}

const GEN1: HyperVGeneration[] = ['V1'];
const GEN1_2: HyperVGeneration[] = ['V1', 'V2'];

/** One row of a size table: name, vCPUs, memory GiB, max data disks, max NICs. */
type Row = [string, number, number, number, number];

function series(rows: Row[], hyperVGenerations: HyperVGeneration[], premiumStorage: boolean): ComputeSize[] {
  return rows.map(([name, vCPUs, memoryInGB, maxDataDiskCount, maxNicsCount]) => ({
    name,
    vCPUs,
    memoryInGB,
    maxDataDiskCount,
    maxNicsCount,
    hyperVGenerations,
    premiumStorage,
  }));
}

export const COMPUTE_SIZES: readonly ComputeSize[] = [
  // Av2: entry level; generation 1 only, no premium storage.
  ...series(
    [
      ['Standard_A1_v2', 1, 2, 2, 2],
      ['Standard_A2_v2', 2, 4, 4, 2],
      ['Standard_A4_v2', 4, 8, 8, 4],
      ['Standard_A8_v2', 8, 16, 16, 8],
      ['Standard_A2m_v2', 2, 16, 4, 2],
      ['Standard_A4m_v2', 4, 32, 8, 4],
    ],
    GEN1,
    false,
  ),
  // B: burstable.
  ...series(
    [
      ['Standard_B1s', 1, 1, 2, 2],
      ['Standard_B1ms', 1, 2, 2, 2],
      ['Standard_B2s', 2, 4, 4, 3],
      ['Standard_B2ms', 2, 8, 4, 3],
      ['Standard_B4ms', 4, 16, 8, 4],
      ['Standard_B8ms', 8, 32, 16, 4],
    ],
    GEN1_2,
    true,
  ),
  // DSv2.
  ...series(
    [
      ['Standard_DS1_v2', 1, 3.5, 4, 2],
      ['Standard_DS2_v2', 2, 7, 8, 2],
      ['Standard_DS3_v2', 4, 14, 16, 4],
    ],
    GEN1_2,
    true,
  ),
  // Dsv3: the sizes asrflow's plans and examples name.
  ...series(
    [
      ['Standard_D2s_v3', 2, 8, 4, 2],
      ['Standard_D4s_v3', 4, 16, 8, 2],
      ['Standard_D8s_v3', 8, 32, 16, 4],
      ['Standard_D16s_v3', 16, 64, 32, 8],
    ],
    GEN1_2,
    true,
  ),
  // Dsv5.
  ...series(
    [
      ['Standard_D2s_v5', 2, 8, 4, 2],
      ['Standard_D4s_v5', 4, 16, 8, 2],
      ['Standard_D8s_v5', 8, 32, 16, 4],
    ],
    GEN1_2,
    true,
  ),
  // Esv3: memory optimised.
  ...series(
    [
      ['Standard_E2s_v3', 2, 16, 4, 2],
      ['Standard_E4s_v3', 4, 32, 8, 2],
      ['Standard_E8s_v3', 8, 64, 16, 4],
    ],
    GEN1_2,
    true,
  ),
  // Fsv2: compute optimised.
  ...series(
    [
      ['Standard_F2s_v2', 2, 4, 4, 2],
      ['Standard_F4s_v2', 4, 8, 8, 2],
      ['Standard_F8s_v2', 8, 16, 16, 4],
    ],
    GEN1_2,
    true,
  ),
];

const BY_NAME = new Map(COMPUTE_SIZES.map((s) => [lower(s.name), s]));

/** The size of that name (compared case-insensitively, as Azure does), if the region offers it. */
export function computeSize(name: string): ComputeSize | undefined {
  return BY_NAME.get(lower(name));
}
