import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnboarding } from '../../src/onboarding/start';
import type { DrillRecord } from '../../src/failover/contract';
import { codeSpans } from '../../src/domain/operator-commands';
import { loadPlan } from '../../src/domain/plan/load';
import type { MultitenantVmmPlan } from '../../src/domain/plan/types';
import { progressQuery, type Progress } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { eventually, repoRoot, runCli } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

// Every hint a paused step shows names the command that reaches its own workflow. These tests
// take each command out of the progress query (what `asrflow status` prints) and out of the
// current details the Temporal UI renders, run it exactly as printed, and check it did what the
// hint says. Along the way: Site Recovery's possible causes in both, the worker's log line of the
// failed activity with Azure's request id, and the names a mistyped tenant gets back.

/** Splits a printed command as a POSIX shell would (bare words and single quotes are all asrflow prints). */
function shellSplit(command: string): string[] {
  const words: string[] = [];
  for (const m of command.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g))
    words.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : (m[2] ?? ''));
  return words;
}

/** The Markdown the Temporal UI shows as the workflow's "Current Details". */
async function currentDetails(handle: WorkflowHandle): Promise<string> {
  const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

/** A command a person can copy from the UI and run: plain ASCII, nothing typographic. */
function expectRunnable(span: string): void {
  expect(span, span).toMatch(/^(asrflow|DRConfigurator\.exe) [\x20-\x7e]+$/);
  expect(span, span).not.toMatch(/[–—‘’“”<>]/);
}

describe('hints name the exact command for their own workflow', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  const plan = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
  const vmm = 'vmm-litware.litware.local';
  const onboarding = () => stack.client.workflow.getHandle(workflowIds.tenantOnboarding('litware'));

  /** Waits until the workflow has a step waiting for the operator; returns its progress. */
  const waitingStep = (handle: WorkflowHandle, step: string) =>
    eventually(
      async () => {
        const p = await handle.query(progressQuery);
        return p.steps.find((s) => s.name === step)?.state === 'waiting-for-operator' ? p : undefined;
      },
      `${handle.workflowId} step ${step} to wait for the operator`,
      120_000,
      250,
      () => handle.query(progressQuery),
    );

  /** The commands of a hint, checked in both renderings: the query's text and the UI's Markdown. */
  const hintCommands = async (handle: WorkflowHandle, progress: Progress): Promise<string[]> => {
    const commands = codeSpans(progress.operatorAction ?? '');
    expect(commands.length, progress.operatorAction).toBeGreaterThan(0);
    const details = await eventually(async () => {
      const md = await currentDetails(handle);
      return commands.every((c) => md.includes(`\`${c}\``)) ? md : undefined;
    }, 'the current details to show the hint');
    for (const span of codeSpans(details)) expectRunnable(span);
    return commands;
  };

  beforeAll(async () => {
    stack = await startTestStack({ speed: 600 });
    admin = new EmulatorAdminClient(stack.emulator.adminUrl, stack.emulator.adminToken, stack.emulator.caCertPath);
    await admin.addFaults([
      {
        id: 'rg-denied',
        match: { method: 'PUT', operationId: 'ResourceGroups_CreateOrUpdate', path: 'litware-dr-rg$' },
        times: 1,
        action: {
          kind: 'status',
          status: 403,
          code: 'AuthorizationFailed',
          message: 'The client has no authorization to create litware-dr-rg.',
        },
      },
      {
        id: 'enable-fails',
        match: { operationId: 'ReplicationProtectedItems_Create' },
        times: 1,
        action: {
          kind: 'failJob',
          code: '70094',
          message: 'The replication could not be enabled on the host.',
          possibleCauses: 'The Recovery Services agent on the Hyper-V host is not running.',
          recommendedAction: 'Start the agent on the host and retry.',
        },
      },
    ]);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('onboarding: the paused step names `asrflow retry --tenant litware`, the worker logs type, message and request id, and the command runs the step again', async () => {
    expect((await runCli(['onboard', plan], stack.env)).code).toBe(0);
    const waiting = await waitingStep(onboarding(), 'resource-group');
    const [retry, ...others] = await hintCommands(onboarding(), waiting);
    expect(retry).toBe('asrflow retry --tenant litware');
    expect(others).toEqual([]);

    // The worker's log line of the failed activity: its type, its message and Azure's request id,
    // the same the emulator answered with.
    const denied = (await admin.requests(0)).entries.find((e) => e.fault?.startsWith('rg-denied'));
    expect(denied?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = await eventually(
      async () => stack.workerOutput.find((l) => l.includes('Activity failed') && l.includes(denied?.requestId ?? '?')),
      'the worker to log the failed activity',
    );
    const logged = JSON.parse(line) as {
      msg: string;
      error: { type: string; message: string; requestId: string; code: string };
    };
    expect(logged.error).toMatchObject({
      type: 'NeedsOperator',
      requestId: denied?.requestId,
      code: 'AuthorizationFailed',
    });
    expect(logged.error.message).toContain('The client has no authorization to create litware-dr-rg.');
    expect(logged.msg).toContain('NeedsOperator');

    // The terminal prints the same command without Markdown.
    const status = await runCli(['status', '--tenant', 'litware'], stack.env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`Then run ${retry}.`);
    expect(status.stdout).not.toContain('`');
    expect(status.stdout).toMatch(/error: AuthorizationFailed: .*no authorization.*\(Azure request id [0-9a-f-]{36}\)/);

    const ran = await runCli(shellSplit(retry ?? '').slice(1), stack.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("retry accepted for step 'resource-group'");
    await eventually(async () => {
      const step = (await onboarding().query(progressQuery)).steps.find((s) => s.name === 'resource-group');
      return step?.state === 'done' && step.runs === 2 ? true : undefined;
    }, 'the resource group step to run again and pass');
  });

  it('registration: the Provider command is shown verbatim in the UI', async () => {
    const asked = await eventually(async () => {
      const p = await onboarding().query(progressQuery);
      return /vault credentials file (\S+\.VaultCredentials)/.exec(p.operatorAction ?? '') ? p : undefined;
    }, 'the request to install the Provider');
    const [command] = await hintCommands(onboarding(), asked);
    const file = /vault credentials file (\S+\.VaultCredentials)/.exec(asked.operatorAction ?? '')?.[1] ?? '';
    expect(command).toBe(
      `DRConfigurator.exe /r /Credentials "${path.basename(file)}" /vmmfriendlyname ${vmm} /startvmmservice`,
    );
    // The operator, at the VMM server: a newer Provider, then the registration.
    const upgraded = await runCli(
      [
        'emulator',
        'upgrade-provider',
        '--vmm',
        vmm,
        '--provider-version',
        '5.1.2250.0',
        '--data-dir',
        stack.emulator.dataDir,
      ],
      stack.env,
    );
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(await admin.installProvider(readFileSync(file, 'utf8'), vmm)).toMatchObject({ status: 200 });
  });

  it('VM protection: the paused VM step names `asrflow retry --tenant litware --vm V`, status shows ASR’s possible causes, and the command lets the onboarding finish', async () => {
    const { vm, progress } = await eventually(
      async () => {
        for (const name of ['erp01', 'files01']) {
          const p = await stack.client.workflow
            .getHandle(workflowIds.vmProtection('litware', name))
            .query(progressQuery)
            .catch(() => undefined);
          if (p?.steps[0]?.state === 'waiting-for-operator') return { vm: name, progress: p };
        }
        return undefined;
      },
      'a VM waiting for the operator after its job failed',
      120_000,
    );
    const handle = stack.client.workflow.getHandle(workflowIds.vmProtection('litware', vm));
    const [retry, skip] = await hintCommands(handle, progress);
    expect(retry).toBe(`asrflow retry --tenant litware --vm ${vm}`);
    expect(skip).toBeUndefined(); // enabling protection cannot be skipped safely
    const details = await currentDetails(handle);
    expect(details).toContain('**Possible causes:** The Recovery Services agent on the Hyper-V host is not running.');
    expect(details).toContain('**Recommended action:** Start the agent on the host and retry.');

    const status = await eventually(async () => {
      const r = await runCli(['status', '--tenant', 'litware'], stack.env);
      return r.stdout.includes(`protection of ${vm}`) ? r : undefined;
    }, 'status to show the waiting VM');
    expect(status.stdout).toContain('possible causes: The Recovery Services agent on the Hyper-V host is not running.');
    expect(status.stdout).toContain('recommended action: Start the agent on the host and retry.');
    expect(status.stdout).toContain(`NEXT: Enable protection of ${vm} failed`);
    expect(status.stdout).toContain(`Then run ${retry}.`);

    const ran = await runCli(shellSplit(retry ?? '').slice(1), stack.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain("retry accepted for step 'enable-protection'");
    await onboarding().result();
  }, 240_000);

  it('failover: retry and cleanup run as the hints print them; ASR’s possible causes show in status and the UI', async () => {
    await admin.addFaults([
      {
        id: 'tfo-fails',
        match: { operationId: 'ReplicationProtectedItems_TestFailover' },
        times: 1,
        action: {
          kind: 'failJob',
          atTask: 1,
          code: '28031',
          message: 'Creating the test virtual machine failed.',
          possibleCauses: 'The test network has no free IP address.',
          recommendedAction: 'Free addresses in the test network, then retry.',
        },
      },
    ]);
    const started = await runCli(
      ['failover', 'test', '--tenant', 'litware', '--vm', 'erp01', '--cleanup-after', '1h', '--plan', plan],
      stack.env,
    );
    expect(started.code, started.stderr).toBe(0);
    const handle = stack.client.workflow.getHandle(workflowIds.failover('litware', 'erp01'));
    const waiting = await waitingStep(handle, 'test-failover');
    const [retry, abandon] = await hintCommands(handle, waiting);
    expect(retry).toBe('asrflow failover retry --tenant litware --vm erp01');
    expect(abandon).toBe('asrflow failover abandon --tenant litware --vm erp01');
    const details = await currentDetails(handle);
    expect(details).toContain('**Possible causes:** The test network has no free IP address.');
    expect(details).toContain('**Recommended action:** Free addresses in the test network, then retry.');
    const status = await runCli(['status', '--tenant', 'litware'], stack.env);
    expect(status.stdout).toMatch(/error: 28031: .*Creating the test virtual machine failed./);
    expect(status.stdout).toContain('possible causes: The test network has no free IP address.');
    expect(status.stdout).toContain(
      `Free addresses in the test network, then retry. Then run ${retry}, or ${abandon} to give up.`,
    );

    const retried = await runCli(shellSplit(retry ?? '').slice(1), stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    const cleanupWait = await waitingFor(handle, 'await-cleanup');
    const [cleanup] = await hintCommands(handle, cleanupWait);
    expect(cleanup).toBe('asrflow failover cleanup --tenant litware --vm erp01');
    const cleaned = await runCli(shellSplit(cleanup ?? '').slice(1), stack.env);
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const record = (await handle.result()) as DrillRecord;
    expect(record).toMatchObject({ outcome: 'succeeded', cleanup: { by: 'operator' } });
  }, 240_000);

  it('failover: abandon runs as the hint prints it', async () => {
    await admin.addFaults([
      {
        id: 'tfo-fails-again',
        match: { operationId: 'ReplicationProtectedItems_TestFailover' },
        times: 1,
        action: { kind: 'failJob', atTask: 0, possibleCauses: 'The recovery VNet is being deleted.' },
      },
    ]);
    expect(
      (await runCli(['failover', 'test', '--tenant', 'litware', '--vm', 'files01', '--plan', plan], stack.env)).code,
    ).toBe(0);
    const handle = stack.client.workflow.getHandle(workflowIds.failover('litware', 'files01'));
    const [, abandon] = await hintCommands(handle, await waitingStep(handle, 'test-failover'));
    const ran = await runCli(shellSplit(abandon ?? '').slice(1), stack.env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(((await handle.result()) as DrillRecord).outcome).toBe('abandoned');
  });

  it('the report keeps its columns with failed jobs; an unknown tenant is named with the known ones, exit 1', async () => {
    const report = await eventually(async () => {
      const r = await runCli(['report', '--tenant', 'litware'], stack.env);
      return (r.stdout.match(/\| abandoned/g) ?? []).length === 1 ? r : undefined;
    }, 'both drills in the report');
    expect(report.code).toBe(0);
    expect(report.stdout).toContain('| job | error code | message | possible causes | recommended action |');
    expect(report.stdout).toContain('The test network has no free IP address.');

    for (const args of [
      ['report', '--tenant', 'litwrae'],
      ['status', '--tenant', 'litwrae'],
      ['retry', '--tenant', 'litwrae'],
      ['skip', '--tenant', 'litwrae', '--vm', 'erp01'],
      ['failover', 'retry', '--tenant', 'litwrae', '--vm', 'erp01'],
    ]) {
      const r = await runCli(args, stack.env);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain("unknown tenant 'litwrae'");
      expect(r.stderr).toContain('known tenants: litware');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe('');
    }
    const vm = await runCli(['retry', '--tenant', 'litware', '--vm', 'erp02'], stack.env);
    expect(vm.code).toBe(1);
    expect(vm.stderr).toContain(
      "tenant litware has no protection workflow for VM 'erp02' (asrflow:protect:litware:erp02); VMs with one: erp01, files01",
    );
  });

  it('shared vault: the paused step names `asrflow retry --workflow <its id>`, which runs it again', async () => {
    const multitenant = loadPlan(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), { env: stack.env })
      .plan as MultitenantVmmPlan;
    await admin.addFaults([
      {
        id: 'provider-rg-denied',
        match: {
          method: 'PUT',
          operationId: 'ResourceGroups_CreateOrUpdate',
          path: `${multitenant.provider.resourceGroup}$`,
        },
        times: 1,
        action: { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      },
    ]);
    await startOnboarding(stack.client, multitenant, stack.taskQueue);
    const vaultId = workflowIds.sharedVault(multitenant.provider.subscriptionId, multitenant.provider.vault);
    const handle = stack.client.workflow.getHandle(vaultId);
    try {
      const [retry] = await hintCommands(handle, await waitingStep(handle, 'resource-group'));
      expect(retry).toBe(`asrflow retry --workflow ${vaultId}`);
      const ran = await runCli(shellSplit(retry ?? '').slice(1), stack.env);
      expect(ran.code, ran.stderr).toBe(0);
      await eventually(
        async () => ((await handle.query(progressQuery)).steps[0]?.state === 'done' ? true : undefined),
        'the shared vault to go on',
      );
    } finally {
      for (const id of [vaultId, ...multitenant.tenants.map((t) => workflowIds.tenantOnboarding(t.name))])
        await stack.client.workflow
          .getHandle(id)
          .terminate('test done')
          .catch(() => undefined);
    }
  });

  /** Waits for a step that waits for the operator by design (not after a failure). */
  async function waitingFor(handle: WorkflowHandle, step: string): Promise<Progress> {
    return eventually(
      async () => {
        const p = await handle.query(progressQuery);
        return p.stage === step && p.operatorAction ? p : undefined;
      },
      `${handle.workflowId} to reach ${step}`,
      120_000,
      250,
      () => handle.query(progressQuery),
    );
  }
});
