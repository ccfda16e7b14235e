// A recovery plan's preflight and its drill schedule's view are pure: the cases the emulator
// cannot easily stage (a plan changed outside asrflow, a finished job still named, a missed or
// overdue drill) are here.
import type { ScheduleDescription } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import type { ItemFacts, PlanFacts, PlanFailoverInput } from '../../src/failover/contract';
import { drillView } from '../../src/failover/start/drills';
import { planPreflight } from '../../src/failover/workflows/plan-failover';

const item: ItemFacts = {
  protectionState: 'Protected',
  activeLocation: 'Primary',
  replicationHealth: 'Normal',
  allowedOperations: ['TestFailover', 'PlannedFailover'],
  readAt: '2026-01-01T10:00:00.000Z',
};
const ref = { fabricName: 'f', containerName: 'c', itemName: 'i', itemId: '/x/i' };
const input: Pick<PlanFailoverInput, 'plan' | 'options' | 'scope' | 'vault'> = {
  plan: { name: 'crm', azureName: 'asrflow-contoso-crm', groups: [{ vms: ['sql01'] }, { vms: ['web01'] }] },
  options: {},
  scope: { subscriptionId: 's', vmmServer: 'vmm', cloud: 'Contoso-Cloud' },
  vault: {
    principal: { tenantId: 't', credential: { type: 'default' } },
    subscriptionId: 'p',
    resourceGroup: 'rg',
    vault: 'v',
    region: 'westeurope',
  },
};
const facts = (over: Partial<PlanFacts> = {}): PlanFacts => ({
  allowedOperations: ['TestFailover'],
  vms: [
    { vm: 'sql01', item: ref, facts: item },
    { vm: 'web01', item: ref, facts: item },
  ],
  foreignItems: [],
  ...over,
});

describe('recovery plan preflight', () => {
  it('passes a plan whose VMs all allow the action, a finished job still named included', () => {
    const finished = facts({
      currentScenario: { scenarioName: 'TestFailoverCleanup', jobId: 'j', jobState: 'Succeeded' },
    });
    expect(planPreflight('testFailover', finished, input)).toEqual({ ok: true, refusals: [], warnings: [] });
  });

  it('refuses a plan missing from the vault, changed outside asrflow, running a job, or with a VM not protected', () => {
    expect(planPreflight('testFailover', facts({ allowedOperations: undefined }), input).refusals[0]).toBe(
      'recovery plan asrflow-contoso-crm is not in vault v: onboard the plan that lists it (asrflow onboard creates it), then try again',
    );
    expect(planPreflight('testFailover', facts({ foreignItems: ['other-vm-item'] }), input).refusals).toEqual([
      "recovery plan asrflow-contoso-crm in the vault holds items that are not this tenant's VMs (other-vm-item): it was changed outside asrflow; onboard the plan again to restore it",
    ]);
    const running = facts({ currentScenario: { scenarioName: 'PlannedFailover', jobId: 'j', jobState: 'InProgress' } });
    expect(planPreflight('testFailover', running, input).refusals).toEqual([
      'the plan runs PlannedFailover (job j); wait for it to finish',
    ]);
    const missing = facts({ vms: [{ vm: 'sql01', item: ref, facts: item }, { vm: 'web01' }] });
    expect(planPreflight('testFailover', missing, input).refusals).toEqual([
      "VM web01 of the plan is not a protected VM of tenant's clouds; onboard it first",
    ]);
  });

  it('names each VM whose own preflight refuses, e.g. one failing over alone', () => {
    const busy: ItemFacts = {
      ...item,
      allowedOperations: ['TestFailoverCleanup'],
      testFailoverState: 'WaitingForCompletion',
    };
    const refused = planPreflight('testFailover', facts({ vms: [{ vm: 'sql01', item: ref, facts: busy }] }), input);
    expect(refused.ok).toBe(false);
    expect(refused.refusals[0]).toMatch(/^sql01: TestFailover is not allowed on the item now/);
  });
});

describe('drill schedule view', () => {
  const described = (over: { taken?: Date; missed?: number; paused?: boolean }): ScheduleDescription =>
    ({
      spec: { intervals: [{ every: 86_400_000, offset: 0 }] },
      state: { paused: over.paused ?? false, note: 'test failover drill of recovery plan crm every 1d' },
      info: {
        createdAt: new Date('2026-12-01T00:00:00Z'),
        nextActionTimes: [new Date('2026-12-09T00:00:00Z')],
        recentActions: over.taken
          ? [
              {
                takenAt: over.taken,
                scheduledAt: over.taken,
                action: { type: 'startWorkflow', workflow: { workflowId: 'w', firstExecutionRunId: 'r' } },
              },
            ]
          : [],
        runningActions: [],
        numActionsMissedCatchupWindow: over.missed ?? 0,
        numActionsSkippedOverlap: 0,
      },
    }) as unknown as ScheduleDescription;
  const now = new Date('2026-12-08T12:00:00Z');

  it('flags a drill overdue when none ran for longer than its interval, and counts missed ones', () => {
    const recent = drillView('asrflow:drill:contoso:crm', described({ taken: new Date('2026-12-08T00:00:00Z') }), now);
    expect([recent.tenant, recent.plan, recent.every, recent.overdue, recent.lastWorkflowId]).toEqual([
      'contoso',
      'crm',
      '1d',
      false,
      'w',
    ]);
    const late = drillView(
      'asrflow:drill:contoso:crm',
      described({ taken: new Date('2026-12-05T00:00:00Z'), missed: 2 }),
      now,
    );
    expect([late.overdue, late.missed]).toEqual([true, 2]);
    expect(drillView('asrflow:drill:contoso:crm', described({ paused: true }), now).overdue).toBe(false);
  });
});
