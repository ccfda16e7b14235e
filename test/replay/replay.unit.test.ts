import { readdirSync } from 'node:fs';
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/cli';
import { HISTORIES_DIR, readHistory } from '../support/histories';

// Histories recorded from real onboarding and failover runs (ASRFLOW_RECORD_HISTORIES=1 npx
// vitest run test/onboarding/dedicated-vmm.test.ts test/onboarding/multitenant-vmm.test.ts
// test/failover/failover.test.ts) replayed against the workflow code as it is now: a change that would break
// running workflows fails here instead of in production.
describe('replaying recorded histories', () => {
  const files = readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();

  it('has histories of both scenarios and every workflow type', () => {
    const text = files.join('\n');
    for (const kind of [
      'dedicated-vmm--asrflow_onboard_litware',
      'multitenant-vmm--asrflow_vault_',
      'multitenant-vmm--asrflow_onboard_contoso',
      'asrflow_protect_',
      'failover-test--asrflow_failover_',
      'failover-failback--asrflow_failover_',
      'offboard--asrflow_offboard_litware_',
      'offboard--asrflow_offboard-tenant_',
      'multitenant-vmm--asrflow_watch_',
      'batches--asrflow_onboard_litware--run2',
      'plan-failover-test--asrflow_plan-failover_contoso_crm',
      'site-failover-test--asrflow_site-failover_vmm01.fabrikam.local',
    ])
      expect(text).toContain(kind);
  });

  it('replays every one of them without a determinism error', async () => {
    const histories = files.map((file) => ({ workflowId: file, history: readHistory(path.join(HISTORIES_DIR, file)) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: path.join(repoRoot, 'src', 'worker', 'workflows.ts') },
      histories,
    )) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('catches a workflow change that would break running onboardings', async () => {
    const file = files.find((f) => f.startsWith('dedicated-vmm--asrflow_onboard_litware')) as string;
    const history = readHistory(path.join(HISTORIES_DIR, file));
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: path.join(__dirname, 'fixtures', 'changed-workflows.ts') },
        history,
        file,
      ),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
