import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { describe, expect, inject, it } from 'vitest';
import { repoRoot, runCli } from '../support/cli';

// The brief's bar for bad input, through the built CLI: every error with file, line, field and
// a fix, exit code 2, and nothing started.
describe('asrflow onboard with a bad plan', () => {
  it('lists every error with file:line, field and fix, exits 2, and starts nothing', async () => {
    const taskQueue = `bad-plan-${randomUUID()}`;
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ASRFLOW_TASK_QUEUE: taskQueue,
    };
    const file = path.join(repoRoot, 'examples', 'invalid', 'many-errors.yaml');
    const result = await runCli(['onboard', file], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /many-errors\.yaml:\d+:\d+ tenants\[0\]\.storageAccount\.name: storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'/,
    );
    expect(result.stderr).toMatch(/\n\s+fix: /);
    expect(result.stderr).toMatch(/nothing was started/);
    expect((result.stderr.match(/^\S+many-errors\.yaml:\d+:\d+ /gm) ?? []).length).toBeGreaterThanOrEqual(5);

    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    try {
      const started = [];
      for await (const run of new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }).workflow.list({
        query: `TaskQueue = '${taskQueue}'`,
      }))
        started.push(run.workflowId);
      expect(started).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  it('names a missing plan file and exits 2', async () => {
    const result = await runCli(['plan', 'validate', '/nonexistent/plan.yaml'], {});
    expect(result.code).toBe(2);
    expect(`${result.stdout}${result.stderr}`).toContain('/nonexistent/plan.yaml');
  });
});
