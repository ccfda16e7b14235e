import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnWorker, type WorkerProcess } from '../../devstack/worker-process';
import type { CheckResult } from '../../client/doctor';
import { eventually, runCli } from '../support/cli';

// The doctor against the real dev server: one run without a worker (must fail and name the
// failing check), then with a real worker process (must be all green), then after stopping it.
describe('asrflow doctor', () => {
  const taskQueue = `doctor-${randomUUID()}`;
  const env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: inject('temporalNamespace'), ASRFLOW_TASK_QUEUE: taskQueue };
  let worker: WorkerProcess | undefined;
  afterAll(async () => {
    await worker?.stop('SIGKILL');
  });

  const doctor = async () => {
    const result = await runCli(['doctor', '--json'], env);
    return { code: result.code, checks: JSON.parse(result.stdout) as CheckResult[], stderr: result.stderr };
  };

  it('fails with exit 1 and names the worker check when no worker polls the task queue', async () => {
    const { code, checks } = await doctor();
    expect(code).toBe(1);
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName['Temporal reachable']?.ok).toBe(true);
    expect(byName['Namespace present']?.ok).toBe(true);
    expect(byName['Search attributes registered']?.ok).toBe(true);
    const polling = byName[`Worker polling task queue '${taskQueue}'`];
    expect(polling?.ok).toBe(false);
    expect(polling?.detail).toContain('no worker is polling');
    expect(polling?.fix).toContain('asrflow worker');
  });

  it('prints a human report with the failing check and a fix', async () => {
    const result = await runCli(['doctor'], env);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`FAIL  Worker polling task queue '${taskQueue}'`));
    expect(result.stdout).toMatch(/fix: start one: 'asrflow worker'/);
    expect(result.stdout).toMatch(/doctor: 2 of 5 checks failed/);
  });

  it('reports all green with a real worker running, and the worker drains on SIGTERM', async () => {
    const output: string[] = [];
    worker = spawnWorker(env, { onOutput: (line) => output.push(line) });
    const green = await eventually(async () => {
      const run = await doctor();
      return run.code === 0 ? run : undefined;
    }, 'doctor to pass with a worker running');
    expect(green.checks.every((c) => c.ok)).toBe(true);
    expect(green.checks.map((c) => c.name)).toEqual([
      'Temporal reachable',
      'Namespace present',
      'Search attributes registered',
      `Worker polling task queue '${taskQueue}'`,
      'Worker executes tasks',
    ]);
    expect(green.checks.at(-1)?.detail).toMatch(/asrflow-\d+\.\d+\.\d+\/\d+@/);

    const code = await worker.stop('SIGTERM');
    expect(code).toBe(0);
    expect(output.join('\n')).toContain('worker stopped');
  });

  it('says Temporal is unreachable, with a fix, when pointed at a closed port', async () => {
    const result = await runCli(['doctor', '--json'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    const checks = JSON.parse(result.stdout) as CheckResult[];
    expect(checks[0]).toMatchObject({ name: 'Temporal reachable', ok: false });
    expect(checks[0]?.fix).toContain('asrflow dev temporal');
    expect(checks.every((c) => !c.ok)).toBe(true);
  });
});
