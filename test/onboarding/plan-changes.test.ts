import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { eventually, repoRoot, runCli } from '../support/cli';
import { LITWARE_VMM, registerWhenAsked } from '../support/litware';
import { startTestStack, type TestStack } from '../support/stack';

// Issue #13, plans that change: a tenant onboarded with one plan, then the plan gains a VM and
// a shorter recovery point history. `plan diff` says what `onboard` will do, `onboard` does it
// (a new run: the new VM protected, the policy updated in place, nothing enabled twice); a
// renamed resource group is refused, and a VM dropped from the selection stays protected.
describe('onboarding a changed plan', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let dir: string;
  const id = workflowIds.tenantOnboarding('litware');
  const example = parse(readFileSync(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), 'utf8')) as {
    tenants: Array<Record<string, unknown>>;
  };
  /** The example plan with litware's section changed, written to a file of its own. */
  const planWith = (name: string, litware: Record<string, unknown>): string => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, stringify({ ...example, tenants: [{ ...example.tenants[0], ...litware }] }));
    return file;
  };
  const runs = async () => {
    const listed: string[] = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${id}'` })) listed.push(run.runId);
    return listed.length;
  };

  beforeAll(async () => {
    stack = await startTestStack();
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    dir = mkdtempSync(path.join(tmpdir(), 'asrflow-plan-changes-'));
    await admin.upgradeProvider(LITWARE_VMM);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('shows the change with plan diff, then applies it: the new VM protected, the policy updated, nothing twice', async () => {
    const first = planWith('first', { vms: { include: ['erp01'] } });
    expect((await runCli(['onboard', first], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    const done = (await stack.client.workflow.getHandle(id).result()) as TenantOnboardingResult;
    expect(done.protectedVms).toEqual(['erp01']);

    const changed = planWith('changed', {
      vms: { include: ['erp01', 'files01'] },
      policy: { recoveryPointHistoryHours: 12 },
    });
    const diff = await runCli(['plan', 'diff', changed], stack.env);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toBe(
      [
        'litware (completed): asrflow onboard starts a new run that applies the changes',
        '  apply   policy.recoveryPointHistoryHours: 24 → 12: the policy is updated in place, for every VM it protects',
        '  apply   vms.files01: added: it is protected',
        '',
      ].join('\n'),
    );
    expect(await runs()).toBe(1);

    const onboard = await runCli(['onboard', changed], stack.env);
    expect(onboard.code, onboard.stderr).toBe(0);
    expect(onboard.stdout).toContain(`${id}: onboarded with another plan — a new run applies the changes`);
    expect(onboard.stdout).toContain('apply   vms.files01: added: it is protected');
    const second = (await stack.client.workflow.getHandle(id).result()) as TenantOnboardingResult;
    expect(second.protectedVms.sort()).toEqual(['erp01', 'files01']);
    expect(await runs()).toBe(2);
    const counters = await admin.counters();
    const enables = Object.values(counters['ReplicationProtectedItems_Create'] ?? {});
    expect(enables.map((c) => [c.label, c.count]).sort()).toEqual([
      ['erp01', 1],
      ['files01', 1],
    ]);
    const updates = Object.values(counters['ReplicationPolicies_Update'] ?? {});
    expect(updates.reduce((n, c) => n + c.count, 0)).toBe(1);
    // Unchanged now: diff and onboard say so, and start nothing.
    expect((await runCli(['plan', 'diff', changed], stack.env)).stdout).toBe(
      'litware (completed): asrflow onboard changes nothing\n',
    );

    // A new resource group name cannot apply in place: refused, exit 2, nothing started.
    const renamed = planWith('renamed', {
      vms: { include: ['erp01', 'files01'] },
      policy: { recoveryPointHistoryHours: 12 },
      resourceGroup: 'litware-dr2-rg',
    });
    const refused = await runCli(['onboard', renamed], stack.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `asrflow: ${id}: resourceGroup litware-dr-rg → litware-dr2-rg: cannot change in place (failed-over VMs are created in this resource group)`,
    );
    expect(await runs()).toBe(2);

    // A VM dropped from the selection is reported with the command that unprotects it, never unprotected.
    const dropped = planWith('dropped', { vms: { include: ['files01'] }, policy: { recoveryPointHistoryHours: 12 } });
    const report = await runCli(['plan', 'diff', dropped], stack.env);
    const command = /stays protected; (asrflow offboard .*)$/m.exec(report.stdout)?.[1] ?? '';
    expect(command).toBe(`asrflow offboard --tenant litware --vm erp01 --yes --plan ${dropped}`);
    const again = await runCli(['onboard', dropped], stack.env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${id}: already completed — not redone`);
    expect(await runs()).toBe(2);
    expect(Object.values((await admin.counters())['ReplicationProtectedItems_Delete'] ?? {})).toEqual([]);
    // The printed command runs as printed.
    const offboard = await runCli(command.split(' ').slice(1), stack.env);
    expect(offboard.code, offboard.stderr).toBe(0);
    await eventually(
      async () =>
        (await stack.client.workflow.getHandle(workflowIds.offboardVm('litware', 'erp01')).describe()).status.name ===
          'COMPLETED' || undefined,
      'the offboarding of erp01',
    );
  });
});
