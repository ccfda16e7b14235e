import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { refuseOversizedSelection } from '../../src/onboarding/workflows/tenant-onboarding';

// `include: all` selects what the cloud holds, which plan validate cannot count: the preflight
// refuses more VMs than asrflow is measured to run, and waits for the operator.
describe('the preflight’s VM limit', () => {
  it('lets 5,000 VMs through and stops 5,001 with the limit and a fix', () => {
    expect(() => refuseOversizedSelection(5000, 'Big-Cloud')).not.toThrow();
    let caught: unknown;
    try {
      refuseOversizedSelection(5001, 'Big-Cloud');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApplicationFailure);
    const failure = caught as ApplicationFailure;
    expect(failure.type).toBe('NeedsOperator');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      '5001 VMs of cloud Big-Cloud are selected: asrflow protects at most 5000 VMs per tenant',
    );
    expect(failure.details?.[0]).toMatchObject({ fix: expect.stringContaining('vms.exclude') });
  });
});
