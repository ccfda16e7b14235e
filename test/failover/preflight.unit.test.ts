import { describe, expect, it } from 'vitest';
import {
  checkPreflight,
  measuredRto,
  type DrillRecord,
  type ItemFacts,
  type JobSnapshot,
} from '../../src/failover/contract';
import { renderDrillReport } from '../../src/failover/start';

// The preflight rules and the RTO arithmetic are pure; the integration suite runs them against
// the emulator, which always reports replication health Normal, so the Critical cases are here.
const protectedItem: ItemFacts = {
  protectionState: 'Protected',
  activeLocation: 'Primary',
  replicationHealth: 'Normal',
  allowedOperations: ['PlannedFailover', 'UnplannedFailover', 'DisableProtection', 'TestFailover'],
  currentScenario: { scenarioName: 'None' },
  latestRecoveryPoint: { id: 'rp1', time: '2026-01-01T10:00:00.000Z' },
  readAt: '2026-01-01T10:04:10.000Z',
};

describe('failover preflight', () => {
  it('passes a healthy protected item and shows the recovery point age', () => {
    expect(checkPreflight('test', protectedItem, {})).toEqual({
      ok: true,
      refusals: [],
      warnings: [],
      recoveryPointAgeSeconds: 250,
    });
  });

  it('refuses a failover that creates a VM where Azure cannot (size, availability set), not a commit', () => {
    const misplaced = { ...protectedItem, placementProblems: ['size Standard_A1_v2 cannot host this VM: …'] };
    for (const kind of ['test', 'planned', 'unplanned'] as const)
      expect(checkPreflight(kind, misplaced, { confirmed: true }).refusals).toEqual([
        'size Standard_A1_v2 cannot host this VM: …',
      ]);
    const committing = { ...misplaced, allowedOperations: ['Commit'] };
    expect(checkPreflight('commit', committing, {}).refusals).toEqual([]);
  });

  it('refuses a Critical item unless forced, saying why', () => {
    const critical = { ...protectedItem, replicationHealth: 'Critical' };
    const refused = checkPreflight('test', critical, {});
    expect(refused.ok).toBe(false);
    expect(refused.refusals.join()).toMatch(/replication health is Critical.*--force/);
    const forced = checkPreflight('test', critical, { force: true });
    expect(forced.ok).toBe(true);
    expect(forced.warnings.join()).toMatch(/Critical.*\(forced\)/);
  });

  it('refuses an operation the item does not allow, a running job, and a missing confirmation', () => {
    const r = checkPreflight(
      'planned',
      {
        ...protectedItem,
        allowedOperations: ['TestFailoverCleanup'],
        currentScenario: { scenarioName: 'TestFailover', jobId: '/jobs/j1', jobState: 'InProgress' },
      },
      {},
    );
    expect(r.ok).toBe(false);
    expect(r.refusals).toHaveLength(3);
    expect(r.refusals[0]).toMatch(/confirmation \(--yes\)/);
    expect(r.refusals[1]).toMatch(/another job runs on the item: TestFailover \(InProgress/);
    expect(r.refusals[2]).toMatch(/PlannedFailover is not allowed.*allowed: TestFailoverCleanup/);
  });
});

describe('measured RTO', () => {
  const job: JobSnapshot = {
    jobId: '/jobs/j',
    jobName: 'j',
    state: 'Succeeded',
    startTime: '2026-01-01T10:00:00.000Z',
    endTime: '2026-01-01T10:05:00.000Z',
    errors: [],
    tasks: [
      {
        name: 'ShutdownVm',
        title: 'Shut down',
        state: 'Succeeded',
        startTime: '2026-01-01T10:00:00.000Z',
        endTime: '2026-01-01T10:01:00.000Z',
      },
      {
        name: 'StartReplicaVm',
        title: 'Start',
        state: 'Succeeded',
        startTime: '2026-01-01T10:01:00.000Z',
        endTime: '2026-01-01T10:04:00.000Z',
      },
      {
        name: 'UpdateState',
        title: 'Update',
        state: 'Succeeded',
        startTime: '2026-01-01T10:04:00.000Z',
        endTime: '2026-01-01T10:05:00.000Z',
      },
    ],
  };
  it('ends at the task that starts the VM, else at the end of the job', () => {
    expect(measuredRto(job)).toEqual({ seconds: 240, until: '2026-01-01T10:04:00.000Z', untilTask: 'StartReplicaVm' });
    expect(measuredRto({ ...job, tasks: [] })).toEqual({ seconds: 300, until: '2026-01-01T10:05:00.000Z' });
  });

  it('renders a per-tenant Markdown report with RTO and RPO', () => {
    const md = renderDrillReport(
      [
        {
          workflowId: 'asrflow:failover:t:vm1',
          kind: 'test',
          tenant: 't',
          vm: 'vm1',
          vault: 'v',
          startedAt: '2026-01-01T09:59:00.000Z',
          outcome: 'succeeded',
          rto: { seconds: 240, from: job.startTime ?? '', until: '2026-01-01T10:04:00.000Z' },
          rpo: { recoveryPointId: 'rp1', recoveryPointTime: '2026-01-01T09:58:00.000Z', ageSeconds: 120 },
          jobs: [{ ...job, action: 'testFailover' }],
          cleanup: { by: 'timeout' },
        },
      ],
      'now',
    );
    expect(md).toContain('## Tenant t');
    expect(md).toContain(
      '| vm1 | test | 2026-01-01T09:59:00.000Z | succeeded | 240 | 2026-01-01T09:58:00.000Z | 120 | timeout | asrflow:failover:t:vm1 |',
    );
    expect(md).toContain('| | Start | Succeeded | 2026-01-01T10:01:00.000Z | 2026-01-01T10:04:00.000Z |');
  });

  it("keeps every table row to its header's columns, errors in a table of their own, one named clock per time column", () => {
    const failed: DrillRecord = {
      workflowId: 'asrflow:failover:t:vm2',
      kind: 'test',
      tenant: 't',
      vm: 'vm2',
      vault: 'v',
      startedAt: '2026-01-01T09:59:00.000Z',
      outcome: 'abandoned',
      reason: 'drill | postponed',
      jobs: [
        {
          ...job,
          state: 'Failed',
          action: 'testFailover',
          errors: [
            {
              code: '28031',
              message: 'Creating the test virtual machine failed.',
              possibleCauses: 'The test network has no free IP address.',
              recommendedAction: 'Free addresses in the test network, then retry.',
            },
          ],
        },
      ],
    };
    const md = renderDrillReport([failed], 'now');
    // Cells split on pipes that Markdown does not escape.
    const columns = (line: string) => line.replace(/\\\|/g, '').split('|').length - 2;
    const tables: string[][] = [];
    let inTable = false;
    for (const line of md.split('\n')) {
      if (line.startsWith('|') && !inTable) tables.push([]);
      inTable = line.startsWith('|');
      if (inTable) tables.at(-1)?.push(line);
    }
    expect(tables.length).toBe(3); // drills, job tasks, job errors
    for (const t of tables) {
      const header = columns(t[0] ?? '');
      for (const line of t) expect(columns(line), line).toBe(header);
      // Every time column names its clock.
      for (const name of (t[0] ?? '').split('|').map((c) => c.trim()))
        if (/^(started|start|end|recovery point|cleanup)\b/.test(name))
          expect(name).toMatch(/\((workflow|Site Recovery) clock\)$/);
    }
    expect(tables[2]?.[0]).toBe('| job | error code | message | possible causes | recommended action |');
    expect(md).toContain(
      '| 28031 | Creating the test virtual machine failed. | The test network has no free IP address. | Free addresses in the test network, then retry. |',
    );
    expect(tables[0]?.[0]).toContain('started (workflow clock)');
    expect(tables[1]?.[0]).toBe('| job | task | state | start (Site Recovery clock) | end (Site Recovery clock) |');
  });
});
