import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { cleanupUpdate, type PlanDrillRecord } from '../../src/failover/contract';
import { loadPlan } from '../../src/domain/plan/load';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { clientsFor, collect } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { maybeRecordHistories } from '../support/histories';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Recovery plans end to end: the plan file's plan becomes Site Recovery's recovery plan in the
// shared vault (once), a test failover of it runs group by group and waits at the manual
// action until `continue`, a VM of it cannot fail over alone meanwhile (nor the plan while one
// does), cleanup removes every test VM, and the report has the plan's evidence.
describe('recovery plans', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let file: string;
  const vault = { name: 'fabrikam-asr-westeurope', resourceGroup: 'fabrikam-asr-rg' };
  const cli = (...args: string[]) => runCli(args, stack.env);
  const planId = workflowIds.planFailover('contoso', 'crm');
  const asr = () =>
    clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'fabrikam',
    ).asr;
  const testVms = async () =>
    (await admin.azureVms())
      .filter((v) => v.purpose === 'TestFailover')
      .map((v) => v.sourceVm.split('/').pop())
      .sort();
  const count = async (op: string) =>
    Object.values((await admin.counters())[op] ?? {}).reduce((n, c) => n + c.count, 0);

  beforeAll(async () => {
    stack = await startTestStack({ speed: 600 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-recovery-plans-'));
    const example = parse(readFileSync(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), 'utf8')) as {
      tenants: Array<Record<string, unknown>>;
    };
    const [contoso, ...others] = example.tenants;
    file = path.join(dir, 'plan.yaml');
    writeFileSync(
      file,
      stringify({
        ...example,
        tenants: [
          {
            ...contoso,
            recoveryPlans: [
              {
                name: 'crm',
                rto: '2h',
                rpo: '1h',
                groups: [
                  { vms: ['sql01'] },
                  { before: 'Check that SQL Server accepts connections', vms: ['web01'] },
                  { vms: ['web02'] },
                ],
              },
            ],
          },
          ...others,
        ],
      }),
    );
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('onboarding creates the recovery plan in the vault once, with its groups and manual action', async () => {
    expect((await cli('plan', 'validate', file)).code).toBe(0);
    await onboardMultitenant(stack, admin, loadPlan(file, { checkCredentials: false }).plan);
    const plan = await asr().replicationRecoveryPlans.get(vault.name, vault.resourceGroup, 'asrflow-contoso-crm');
    const boot = (plan.properties?.groups ?? []).filter((g) => g.groupType === 'Boot');
    const items = await collect(asr().replicationProtectedItems.list(vault.name, vault.resourceGroup));
    const vmOf = (id: string | undefined) => items.find((i) => i.id === id)?.properties?.friendlyName;
    expect(boot.map((g) => (g.replicationProtectedItems ?? []).map((i) => vmOf(i.id)))).toEqual([
      ['sql01'],
      ['web01'],
      ['web02'],
    ]);
    expect(boot[1]?.startGroupActions?.map((a) => (a.customDetails as { description?: string }).description)).toEqual([
      'Check that SQL Server accepts connections',
    ]);
    expect(await count('ReplicationRecoveryPlans_Create')).toBe(1);

    // The same plan again: the recovery plan is read, not written.
    const again = await cli('onboard', file);
    expect(again.code, again.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result();
    expect([await count('ReplicationRecoveryPlans_Create'), await count('ReplicationRecoveryPlans_Update')]).toEqual([
      1, 0,
    ]);
    await maybeRecordHistories(stack.client, 'recovery-plans', [workflowIds.tenantOnboarding('contoso')]);
  });

  it('a test failover runs group by group, waits at the manual action until continue, and cleans up', async () => {
    const started = await cli('failover', 'test', '--tenant', 'contoso', '--recovery-plan', 'crm', '--plan', file);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(
      'Clean up with: asrflow failover cleanup --tenant contoso --recovery-plan crm (automatic after 24h)',
    );
    const handle = stack.client.workflow.getHandle(planId);
    const waiting = await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.operatorAction?.includes('failover continue') ? p : undefined;
    }, 'the plan waiting at its manual action');
    expect(waiting.operatorAction).toContain('Check that SQL Server accepts connections');
    // Group 1 is up; groups 2 and 3 wait for the operator.
    expect(await testVms()).toEqual(['sql01']);

    // Meanwhile a VM of the plan cannot fail over alone.
    const alone = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'web01', '--plan', file);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('web01 fails over with its recovery plan crm');

    const continued = await cli(
      'failover',
      'continue',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--comments',
      'SQL Server answers',
    );
    expect(continued.code, continued.stderr).toBe(0);
    await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.steps.find((s) => s.name === 'await-cleanup')?.state === 'running' ? p : undefined;
    }, 'the plan waiting for its cleanup');
    expect(await testVms()).toEqual(['sql01', 'web01', 'web02']);

    const cleaned = await cli('failover', 'cleanup', '--tenant', 'contoso', '--recovery-plan', 'crm');
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const record = (await handle.result()) as PlanDrillRecord;
    expect(record.outcome).toBe('succeeded');
    expect(await testVms()).toEqual([]);
    // The groups ran in order: each VM came up after the one before it was running.
    const [sql, web1, web2] = ['sql01', 'web01', 'web02'].map((vm) => record.vms.find((v) => v.vm === vm));
    expect(sql?.endedAt && web1?.startedAt && sql.endedAt <= web1.startedAt).toBe(true);
    expect(web1?.endedAt && web2?.startedAt && web1.endedAt <= web2.startedAt).toBe(true);
    expect(record.manualActions).toEqual([
      expect.objectContaining({ group: 2, when: 'before', text: 'Check that SQL Server accepts connections' }),
    ]);
    expect(record.manualActions[0]?.by).toBeTruthy();
    expect(record.rto?.targetSeconds).toBe(7200);
    expect(record.rto?.seconds).toBeGreaterThan(0);
    expect(record.vms.every((v) => v.rpo !== undefined)).toBe(true);
    expect(record.cleanup?.by).toBe('operator');
    await maybeRecordHistories(stack.client, 'plan-failover-test', [planId]);

    // Visibility lists a finished workflow a moment after it ends.
    const report = await eventually(async () => {
      const r = await cli('report', '--tenant', 'contoso');
      return r.code === 0 && r.stdout.includes('### Recovery plans') ? r : undefined;
    }, 'the report with the plan');
    expect(report.stdout).toContain('### Recovery plans');
    expect(report.stdout).toContain('#### Recovery plan crm: test started');
    expect(report.stdout).toMatch(/\| 2 \| before \| Check that SQL Server accepts connections \| \S+ \|/);
  });

  it('refuses the plan while one of its VMs fails over alone', async () => {
    const alone = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'web02', '--plan', file);
    expect(alone.code, alone.stderr).toBe(0);
    const plan = await cli('failover', 'test', '--tenant', 'contoso', '--recovery-plan', 'crm', '--plan', file);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain('refused: VM web02 of recovery plan crm fails over alone');
    expect((await cli('failover', 'cleanup', '--tenant', 'contoso', '--vm', 'web02', '--wait')).code).toBe(0);
  });

  it('a scheduled drill runs by itself, cleans up and is in the report; a second one while it runs is skipped', async () => {
    const drills = async () =>
      JSON.parse((await cli('drill', 'list', '--tenant', 'contoso', '--json')).stdout) as Array<{
        plan: string;
        running: number;
        skipped: number;
        paused: boolean;
        lastWorkflowId?: string;
      }>;
    const scheduled = await cli(
      'drill',
      'schedule',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--every',
      '30d',
      '--keep-for',
      '1h',
      // The first drill is due in a few seconds: the schedule's own time fires it.
      '--at',
      new Date(Date.now() + 4000).toISOString(),
      '--plan',
      file,
    );
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.stdout).toContain('scheduled, a test failover of crm every 30d; next drill ');
    expect(scheduled.stdout).toContain('Run one now with: asrflow drill run-now --tenant contoso --recovery-plan crm');
    const running = await eventually(async () => (await drills()).find((d) => d.running > 0), 'the drill running');
    // A second drill while the first runs is skipped, never started.
    expect((await cli('drill', 'run-now', '--tenant', 'contoso', '--recovery-plan', 'crm')).code).toBe(0);
    await eventually(async () => (await drills()).find((d) => d.skipped > 0), 'the second drill skipped');

    // The drill keeps its test VMs up for --keep-for (1h here); ended early through its update.
    const drill = stack.client.workflow.getHandle(running.lastWorkflowId ?? '');
    await eventually(async () => {
      const p = await drill.query(progressQuery);
      return p.steps.find((x) => x.name === 'await-cleanup')?.state === 'running' ? true : undefined;
    }, 'the drill waiting for its cleanup');
    expect(await testVms()).toEqual(['sql01', 'web01', 'web02']);
    await drill.executeUpdate(cleanupUpdate, { args: [{ reason: 'drill checked' }] });
    const record = (await drill.result()) as PlanDrillRecord;
    expect(record.outcome, record.reason).toBe('succeeded');
    expect(record.drillSchedule).toBe('asrflow:drill:contoso:crm');
    expect(record.manualActions.map((m) => m.by)).toEqual(['scheduled drill (continued automatically)']);
    expect(record.cleanup?.by).toBe('operator');
    expect(record.rto?.seconds).toBeGreaterThan(0);
    expect(record.vms.map((v) => [v.vm, v.rpo !== undefined])).toEqual([
      ['sql01', true],
      ['web01', true],
      ['web02', true],
    ]);
    expect(await testVms()).toEqual([]);
    const report = await eventually(async () => {
      const r = await cli('report', '--tenant', 'contoso');
      return r.stdout.includes(record.workflowId) ? r : undefined;
    }, 'the report with the drill');
    expect(report.stdout).toContain('scheduled drill (continued automatically)');

    expect((await cli('drill', 'pause', '--tenant', 'contoso', '--recovery-plan', 'crm')).code).toBe(0);
    await eventually(async () => ((await drills())[0]?.paused ? true : undefined), 'the schedule paused');
    expect((await cli('drill', 'delete', '--tenant', 'contoso', '--recovery-plan', 'crm')).code).toBe(0);
    await eventually(async () => ((await drills()).length === 0 ? true : undefined), 'the schedule gone from the list');
    const gone = await cli('drill', 'run-now', '--tenant', 'contoso', '--recovery-plan', 'crm');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no drill is scheduled for recovery plan crm of tenant contoso');
  });

  it('a planned failover of the plan needs --yes; then commit, and a failback that commits and reprotects', async () => {
    const unconfirmed = await cli(
      'failover',
      'planned',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--plan',
      file,
    );
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('Nothing was started; run again with --yes to confirm.');
    const handle = stack.client.workflow.getHandle(planId);
    const planned = await cli(
      'failover',
      'planned',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--yes',
      '--plan',
      file,
    );
    expect(planned.code, planned.stderr).toBe(0);
    await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.operatorAction?.includes('failover continue') ? p : undefined;
    }, 'the planned failover waiting at the manual action');
    expect((await cli('failover', 'continue', '--tenant', 'contoso', '--recovery-plan', 'crm')).code).toBe(0);
    expect(((await handle.result()) as PlanDrillRecord).outcome).toBe('succeeded');
    const failedOver = (await admin.azureVms()).filter((v) => v.purpose === 'Failover').map((v) => v.name);
    expect(failedOver.sort()).toEqual(['sql01', 'web01', 'web02']);

    // Commit starts no VM: the manual action does not stop it.
    const commit = await cli(
      'failover',
      'commit',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--wait',
      '--plan',
      file,
    );
    expect(commit.code, commit.stderr).toBe(0);

    // Failback: planned failover to the primary site (the manual action again), commit, reprotect.
    const failback = await cli(
      'failover',
      'failback',
      '--tenant',
      'contoso',
      '--recovery-plan',
      'crm',
      '--yes',
      '--plan',
      file,
    );
    expect(failback.code, failback.stderr).toBe(0);
    await eventually(async () => {
      const p = await handle.query(progressQuery);
      return p.operatorAction?.includes('failover continue') ? p : undefined;
    }, 'the failback waiting at the manual action');
    expect((await cli('failover', 'continue', '--tenant', 'contoso', '--recovery-plan', 'crm')).code).toBe(0);
    const back = (await handle.result()) as PlanDrillRecord;
    expect(back.outcome, back.reason).toBe('succeeded');
    expect(back.jobs.map((j) => j.action)).toEqual(['failback', 'failoverCommit', 'reProtect']);
    const items = await collect(asr().replicationProtectedItems.list(vault.name, vault.resourceGroup));
    const contoso = items.filter((i) => ['sql01', 'web01', 'web02'].includes(i.properties?.friendlyName ?? ''));
    expect(contoso.map((i) => [i.properties?.activeLocation, i.properties?.protectionState])).toEqual([
      ['Primary', 'Protected'],
      ['Primary', 'Protected'],
      ['Primary', 'Protected'],
    ]);
  });
});
