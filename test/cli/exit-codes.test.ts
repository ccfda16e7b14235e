import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AsrKind, AsrScenario, AsrTenant } from '../../src/temporal/workflow/search-attributes';
import { startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import { cliEntry, eventually, repoRoot, runCli } from '../support/cli';
import { createTestNamespace, demoSecrets } from '../support/stack';

// One convention for every command (src/cli/exit-codes.ts): 0 done, 1 refused or failed at run
// time, 2 bad usage or a bad plan, 130 interrupted by Ctrl-C before the work was done. Each row
// runs the built CLI as a script would and checks the code and that a person got a message,
// never a stack trace.
describe('exit codes', () => {
  let emulator: EmulatorHandle;
  let connection: Connection;
  let env: Record<string, string>;
  const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-exit-'));

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, dataDir: path.join(dir, 'emulator') });
    connection = await Connection.connect({ address: inject('temporalAddress') });
    const namespace = await createTestNamespace(connection);
    const taskQueue = `no-worker-${randomUUID()}`;
    env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: namespace,
      ASRFLOW_TASK_QUEUE: taskQueue,
      ...demoSecrets(),
    };
    // One onboarding of a tenant 'litware' that no worker runs: it stays RUNNING, so visibility
    // knows the tenant and a watch of it never ends by itself.
    const client = new Client({ connection, namespace });
    await client.workflow.start('tenantOnboardingWorkflow', {
      taskQueue,
      workflowId: `asrflow:onboard:litware`,
      args: [{}],
      typedSearchAttributes: [
        { key: AsrTenant, value: 'litware' },
        { key: AsrKind, value: 'tenant-onboarding' },
        { key: AsrScenario, value: 'dedicated-vmm' },
      ],
    });
    await eventually(async () => {
      for await (const run of client.workflow.list({ query: `AsrTenant = 'litware'` })) return run.workflowId;
      return undefined;
    }, 'visibility to list the onboarding');
  });
  afterAll(async () => {
    await connection?.close();
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const garbage = path.join(dir, 'wrong.VaultCredentials');
  writeFileSync(garbage, '<RecoveryServicesVaultCreds>not a vault of this emulator</RecoveryServicesVaultCreds>', {
    mode: 0o600,
  });

  const rows: Array<{ what: string; args: () => string[]; code: number; stderr?: RegExp; stdout?: RegExp }> = [
    {
      what: 'success',
      args: () => ['plan', 'validate', path.join(repoRoot, 'examples', 'dedicated-vmm.yaml')],
      code: 0,
      stdout: /plan OK/,
    },
    {
      what: 'usage error: unknown option',
      args: () => ['status', '--tenat', 'litware'],
      code: 2,
      stderr: /unknown option '--tenat'/,
    },
    {
      what: 'usage error: retry without a target',
      args: () => ['retry'],
      code: 2,
      stderr: /retry needs --tenant T .* or --workflow ID/,
    },
    {
      what: 'usage error: a failover of neither a VM nor a recovery plan',
      args: () => ['failover', 'test', '--tenant', 'contoso'],
      code: 2,
      stderr: /give --vm <name> \(one VM\) or --recovery-plan <name>/,
    },
    {
      what: 'usage error: a failover of a VM and a recovery plan at once',
      args: () => ['failover', 'test', '--tenant', 'contoso', '--vm', 'web01', '--recovery-plan', 'crm'],
      code: 2,
      stderr: /give --vm or --recovery-plan, not both/,
    },
    {
      what: 'bad input: a recovery plan the tenant does not have',
      args: () => [
        'failover',
        'test',
        '--tenant',
        'contoso',
        '--recovery-plan',
        'crm',
        '--plan',
        path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'),
      ],
      code: 2,
      stderr: /tenant contoso has no recoveryPlans in the plan/,
    },
    {
      what: 'bad plan',
      args: () => ['onboard', path.join(repoRoot, 'examples', 'invalid', 'many-errors.yaml')],
      code: 2,
      stderr: /nothing was started/,
    },
    {
      what: "upgrade-provider --version (asrflow's own flag)",
      args: () => [
        'emulator',
        'upgrade-provider',
        '--vmm',
        'vmm-litware.litware.local',
        '--version',
        '5.1.2250.0',
        '--data-dir',
        emulator.dataDir,
      ],
      code: 2,
      stderr:
        /--version is asrflow's own version; the Provider version is --provider-version: asrflow emulator upgrade-provider --vmm vmm-litware.litware.local --provider-version 5\.1\.2250\.0/,
    },
    {
      what: 'upgrade-provider --provider-version',
      args: () => [
        'emulator',
        'upgrade-provider',
        '--vmm',
        'vmm-litware.litware.local',
        '--provider-version',
        '5.1.2250.0',
        '--data-dir',
        emulator.dataDir,
      ],
      code: 0,
      stdout: /"ok":true/,
    },
    {
      what: 'upgrade-provider of an unknown VMM server (refused)',
      args: () => ['emulator', 'upgrade-provider', '--vmm', 'vmm-nowhere', '--data-dir', emulator.dataDir],
      code: 1,
    },
    {
      what: 'install-provider refused (wrong credentials file)',
      args: () => [
        'emulator',
        'install-provider',
        '--credentials',
        garbage,
        '--vmm',
        'vmm-litware.litware.local',
        '--data-dir',
        emulator.dataDir,
      ],
      code: 1,
      stderr: /Registration of vmm-litware\.litware\.local failed/,
    },
    {
      what: 'install-provider with a missing file (usage)',
      args: () => [
        'emulator',
        'install-provider',
        '--credentials',
        path.join(dir, 'nope'),
        '--vmm',
        'v',
        '--data-dir',
        emulator.dataDir,
      ],
      code: 2,
      stderr: /cannot read the vault credentials file/,
    },
    {
      what: 'unknown tenant for retry',
      args: () => ['retry', '--tenant', 'nosuch'],
      code: 1,
      stderr: /unknown tenant 'nosuch' \(no workflow asrflow:onboard:nosuch\): known tenants: litware/,
    },
    {
      what: 'unknown tenant for status',
      args: () => ['status', '--tenant', 'nosuch'],
      code: 1,
      stderr: /unknown tenant 'nosuch': known tenants: litware/,
    },
    {
      what: 'unknown tenant for report',
      args: () => ['report', '--tenant', 'nosuch'],
      code: 1,
      stderr: /unknown tenant 'nosuch': known tenants: litware/,
    },
    {
      what: 'status with no worker polling: answers from what Temporal stored, and says so',
      args: () => ['status', '--tenant', 'litware'],
      code: 0,
      stdout:
        /tenant litware \(asrflow:onboard:litware\): RUNNING\n[\s\S]*no worker polls task queue 'no-worker-[^']+': steps need one to answer \(start it with 'asrflow worker'\)/,
    },
    {
      what: 'Temporal unreachable: the address tried, where it came from, and the fix',
      args: () => ['status', '--address', '127.0.0.1:1'],
      code: 1,
      stderr:
        /^asrflow: cannot reach Temporal at 127\.0\.0\.1:1 \(from the --address flag\) within 3 s: .+\n {2}fix: start a local one with 'asrflow dev up' \(or 'asrflow demo'\), or point asrflow at yours with --address host:port or TEMPORAL_ADDRESS\n$/,
    },
  ];

  it.each(rows)('$what → $code', async (row) => {
    const result = await runCli(row.args(), env);
    expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(row.code);
    if (row.stderr) expect(result.stderr).toMatch(row.stderr);
    if (row.stdout) expect(result.stdout).toMatch(row.stdout);
    expect(result.stderr).not.toMatch(/\n\s+at \S+ \(/); // a message, never a stack trace
    if (row.code !== 0) expect(result.stderr).not.toBe('');
  });

  it('Ctrl-C ends a status --watch whose workflows still run with 130', async () => {
    const child = spawn(process.execPath, [cliEntry, 'status', '--tenant', 'litware', '--watch', '--interval', '0.2'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await eventually(
      async () => (stdout.includes('asrflow:onboard:litware') ? true : undefined),
      'the watch to show the onboarding',
      30_000,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
  });

  it('states the convention in the top-level --help', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain('Exit codes: 0 done; 1 refused or failed at run time');
    expect(help.stdout).toContain('130 interrupted by Ctrl-C');
  });
});
