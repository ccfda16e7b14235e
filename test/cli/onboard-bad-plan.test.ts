import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

  it('refuses hostile plans (alias bomb, /proc as a secret file, a reserved range) the same way: exit 2, nothing started', async () => {
    const taskQueue = `hostile-plan-${randomUUID()}`;
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ASRFLOW_TASK_QUEUE: taskQueue,
      ASRFLOW_SECRET_LITWARE: 'fake-litware-s3cret-value',
    };
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-hostile-'));
    try {
      const dedicated = readFileSync(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), 'utf8');
      const replace = (from: string, to: string): string => {
        expect(dedicated).toContain(from);
        return dedicated.replace(from, to);
      };
      const levels = Array.from(
        { length: 8 },
        (_, i) => `l${i + 1}: &l${i + 1} [${Array(9).fill(`*l${i}`).join(', ')}]`,
      );
      const plans = {
        'bomb.yaml': `${['l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]', ...levels].join('\n')}\n`,
        'proc-secret.yaml': replace('secretEnv: ASRFLOW_SECRET_LITWARE', 'secretFile: /proc/self/environ'),
        'reserved-range.yaml': replace('addressSpace: [', 'addressSpace: [224.0.0.0/4, '),
      };
      for (const [name, text] of Object.entries(plans)) {
        const file = path.join(dir, name);
        writeFileSync(file, text);
        const result = await runCli(['onboard', file], env);
        expect(result.code, `${name}: ${result.stderr}`).toBe(2);
        expect(result.stdout).toBe('');
        expect(result.stderr).toMatch(
          new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ \\S+: .+\\n {2}fix: `, 'm'),
        );
        expect(result.stderr).toMatch(/nothing was started/);
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
