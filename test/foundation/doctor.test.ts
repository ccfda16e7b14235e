import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import { spawnWorker, type WorkerProcess } from '../../src/devstack/worker-process';
import type { CheckResult } from '../../src/cli/doctor';
import { eventually, repoRoot, runCli } from '../support/cli';
import { demoSecrets } from '../support/stack';

// The doctor against the real dev server: one run without a worker (must fail and name the
// failing check), then with a real worker process (must be all green), then after stopping it.
describe('asrflow doctor', () => {
  const taskQueue = `doctor-${randomUUID()}`;
  const plan = path.join(repoRoot, 'examples', 'multitenant-vmm.yaml');
  let env: Record<string, string>;
  let emulator: EmulatorHandle;
  let worker: WorkerProcess | undefined;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ASRFLOW_TASK_QUEUE: taskQueue,
      ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
      ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
      ASRFLOW_CA_FILE: emulator.caCertPath,
      ASRFLOW_PLAN: plan,
      ...demoSecrets(),
    };
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await emulator?.stop();
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
    expect(result.stdout).toMatch(/doctor: 2 of 9 checks failed/);
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
      'Azure endpoint reachable',
      'Credential of provider fabrikam-hosting',
      'Credential of tenant contoso',
      'Credential of tenant northwind',
    ]);
    expect(green.checks.find((c) => c.name === 'Worker executes tasks')?.detail).toMatch(/asrflow-\d+\.\d+\.\d+\/\d+@/);

    const code = await worker.stop('SIGTERM');
    expect(code).toBe(0);
    expect(output.join('\n')).toContain('worker stopped');
  });

  it('names the tenant whose credential cannot get a token, and an untrusted endpoint', async () => {
    const result = await runCli(['doctor', '--json'], { ...env, ASRFLOW_SECRET_NORTHWIND: 'not-the-secret' });
    expect(result.code).toBe(1);
    const checks = JSON.parse(result.stdout) as CheckResult[];
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toContain('Credential of tenant northwind');
    expect(failed).not.toContain('Credential of tenant contoso');
    expect(JSON.stringify(checks)).not.toContain('not-the-secret');

    const untrusted = await runCli(['doctor', '--json'], { ...env, ASRFLOW_CA_FILE: '' });
    const endpoint = (JSON.parse(untrusted.stdout) as CheckResult[]).find((c) => c.name === 'Azure endpoint reachable');
    expect(endpoint).toMatchObject({ ok: false });
    expect(endpoint?.fix).toContain('ASRFLOW_CA_FILE');
  });

  it('says Temporal is unreachable, with a fix, when pointed at a closed port', async () => {
    const result = await runCli(['doctor', '--json'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(result.code).toBe(1);
    const checks = JSON.parse(result.stdout) as CheckResult[];
    expect(checks[0]).toMatchObject({ name: 'Temporal reachable', ok: false });
    expect(checks[0]?.fix).toContain('asrflow dev temporal');
    // Every Temporal check fails with the reason; the Azure checks do not depend on Temporal.
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'Temporal reachable',
      'Namespace present',
      'Search attributes registered',
      `Worker polling task queue '${taskQueue}'`,
      'Worker executes tasks',
    ]);
  });
});
