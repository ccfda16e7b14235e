// The plan validator and Site Recovery (the emulator, true to the service) must draw the same
// line for every policy field: a value the plan accepts is never refused by Azure hours into an
// onboarding, and a value Azure takes is never refused by the plan. docs/PLAN.md documents them.
import { describe, expect, it } from 'vitest';
import { hyperVPolicyProblem } from '@asrflow/azure-emulator';
import { DEDICATED, edit, read, validate } from './helpers';

const dedicated = read(DEDICATED);

function planErrors(policy: { interval: number; history: number; app: number; start: string }) {
  const text = edit(dedicated, [
    'tenants:\n',
    `policy:\n  replicationInterval: ${policy.interval}\n  recoveryPointHistoryHours: ${policy.history}\n  appConsistentFrequencyHours: ${policy.app}\n  initialReplicationStart: '${policy.start}'\n\ntenants:\n`,
  ]);
  return validate(text).errors.filter((e) => e.field.startsWith('policy.'));
}

describe('policy limits: plan and Site Recovery agree', () => {
  const intervals = [0, 29, 30, 60, 300, 900, 901];
  const histories = [-1, 0, 1, 12, 24, 25, 48, 72, 73];
  const apps = [0, 1, 4, 12, 13];
  const starts = ['now', '00:00', '22:00', '23:59', '24:00', '7:00', 'soon'];

  it('refuse exactly the same values, and the plan names the field', () => {
    let compared = 0;
    for (const interval of intervals)
      for (const history of histories)
        for (const app of apps)
          for (const start of starts) {
            const errors = planErrors({ interval, history, app, start });
            const azure = hyperVPolicyProblem({
              replicationInterval: interval,
              recoveryPointHistoryDuration: history,
              applicationConsistentSnapshotFrequencyInHours: app,
              ...(start === 'now' ? {} : { onlineReplicationStartTime: start }),
            });
            expect({ interval, history, app, start, plan: errors.length > 0 }).toEqual({
              interval,
              history,
              app,
              start,
              plan: azure !== undefined,
            });
            compared++;
          }
    expect(compared).toBe(intervals.length * histories.length * apps.length * starts.length);
  });

  it('makes 48 h of history a plan error with the field, position and fix (was a warning)', () => {
    const errors = planErrors({ interval: 300, history: 48, app: 4, start: 'now' });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      field: 'policy.recoveryPointHistoryHours',
      message: 'recovery point history must be a whole number of hours from 0 to 24: got 48',
    });
    expect(errors[0]?.fix).toContain('use 24 or less');
    expect(errors[0]?.line).toBeGreaterThan(0);
  });
});
