// Whether a size can host a VM, from Site Recovery's list of target sizes for the item.
import { describe, expect, it } from 'vitest';
import { sizeProblem } from '../../src/domain/vm-sizes';

const offered = [
  { name: 'Standard_A2_v2', errors: ['the VM is generation 2; the size supports generation 1 only'] },
  { name: 'Standard_D2s_v3', errors: [] },
  { name: 'Standard_D4s_v3', errors: [] },
  { name: 'Standard_D8s_v3', errors: [] },
  { name: 'Standard_E4s_v3', errors: [] },
  { name: 'Standard_B2s', errors: [] },
];

describe('VM sizes', () => {
  it('accepts a size that can host the VM, in any case, and anything when nothing is listed', () => {
    expect(sizeProblem('standard_d4s_v3', offered)).toBeUndefined();
    expect(sizeProblem('Standard_Whatever', [])).toBeUndefined();
  });

  it('says why a listed size cannot host the VM, and names sizes of the same family that can', () => {
    expect(sizeProblem('Standard_A2_v2', offered)).toBe(
      'size Standard_A2_v2 cannot host this VM: the VM is generation 2; the size supports generation 1 only; sizes that can, e.g. Standard_D2s_v3, Standard_B2s, Standard_D4s_v3',
    );
    expect(sizeProblem('Standard_D3s_v3', offered)).toBe(
      'size Standard_D3s_v3 is not offered in the target region for this VM; sizes that can, e.g. Standard_D2s_v3, Standard_D4s_v3, Standard_D8s_v3',
    );
  });
});
