import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetworkManagementClient } from '../../src/azure/sdk';
import { SiteRecoveryManagementClient } from '../../src/azure/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { loadPlan } from '../../src/domain/plan/load';
import { progressQuery, type Progress } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { plannedWorkflows } from '../../src/onboarding/start';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { armClientOptions, createCredential } from '../support/azure-endpoint';
import { eventually, repoRoot, runCli } from '../support/cli';
import { failedEnableFault, registerWhenAsked } from '../support/litware';
import { demoSecrets, startTestStack, type TestStack } from '../support/stack';

// Onboarding states that used to last forever (issue #11): a lost enable whose job failed,
// credentials retried without end, a policy Azure refuses and a plan that could not be
// corrected, a read-first meeting an object still being created, a VNet rewritten on a rerun.
// Each ends now, either done or paused for the operator with what to change.
const example = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
const vmm = 'vmm-litware.litware.local';
const workflowId = workflowIds.tenantOnboarding('litware');
const litware = {
  tenantId: 'e0000000-0000-4000-8000-000000000001',
  subscriptionId: 'e1000000-0000-4000-8000-000000000001',
  clientId: 'e2000000-0000-4000-8000-000000000001',
};
const goodSecret = demoSecrets()['ASRFLOW_SECRET_LITWARE'] as string;

async function progress(stack: TestStack, id = workflowId): Promise<Progress | undefined> {
  return stack.client.workflow
    .getHandle(id)
    .query(progressQuery)
    .catch(() => undefined);
}

/** The step of the tenant workflow once it waits for the operator. */
async function waitingStep(stack: TestStack, step: string): Promise<Progress> {
  return eventually(
    async () => {
      const p = await progress(stack);
      return p?.steps.find((s) => s.name === step)?.state === 'waiting-for-operator' ? p : undefined;
    },
    `step ${step} to wait for the operator`,
    90_000,
    250,
    () => progress(stack),
  );
}

/** A copy of the example plan in the stack's folder, with text edits. */
function writePlan(stack: TestStack, ...edits: Array<[string, string]>): string {
  const file = path.join(stack.dir, 'plan.yaml');
  let text = readFileSync(example, 'utf8').replace('../schemas/', `${repoRoot}/schemas/`);
  for (const [from, to] of edits) {
    expect(text.includes(from), `plan text ${from}`).toBe(true);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  return file;
}

type World = {
  vaults: Record<
    string,
    {
      asr: {
        policies: Record<string, { applicationConsistentSnapshotFrequencyInHours: number }>;
        jobs: Record<string, { scenarioName: string; state: string }>;
      };
    }
  >;
};
async function world(admin: EmulatorAdminClient): Promise<World> {
  return (await admin.state())['world'] as World;
}

describe('onboarding states that never ended', () => {
  let stack: TestStack | undefined;
  let admin: EmulatorAdminClient | undefined;
  afterEach(async () => {
    admin?.close();
    await stack?.stop();
    stack = undefined;
    admin = undefined;
  });

  it('a lost enable whose job failed pauses the VM with ASR’s error; retry protects it, never twice', async () => {
    stack = await startTestStack({ seed: 5, workerEnv: { ASRFLOW_ENABLE_RECHECK_MS: '1000' } });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      // Azure takes the first enable request, the answer never arrives, and its job fails.
      {
        id: 'lost-enable',
        match: { method: 'PUT', operationId: 'ReplicationProtectedItems_Create' },
        action: { kind: 'drop', phase: 'after' },
        times: 1,
      },
      failedEnableFault(),
    ]);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);

    const s = stack;
    const { vm, p } = await eventually(async () => {
      for (const name of ['erp01', 'files01']) {
        const vp = await progress(s, workflowIds.vmProtection('litware', name));
        if (vp?.steps[0]?.state === 'waiting-for-operator') return { vm: name, p: vp };
      }
      return undefined;
    }, 'the VM whose lost enable failed to wait for the operator');
    expect(p.steps[0]?.lastError).toMatchObject({
      type: 'NeedsOperator',
      code: '70094',
      possibleCauses: 'The Recovery Services agent on the Hyper-V host is not running.',
      recommendedAction: 'Start the agent on the host and retry.',
    });
    expect(p.operatorAction).toContain('Start the agent on the host and retry.');
    // Both fired on the same request, whose answer was lost (status 0 in the log): this pause
    // came from the job the lost request started, not from an answer.
    expect(Object.fromEntries((await admin.faults()).map((f) => [f.id, f.fired]))).toEqual({
      'lost-enable': 1,
      'failed-enable': 1,
    });
    const creates = (await admin.requests(0)).entries.filter(
      (e) => e.operationId === 'ReplicationProtectedItems_Create',
    );
    expect(creates.filter((e) => e.status === 0)).toHaveLength(1);
    expect(creates.find((e) => e.status === 0)?.fault).toContain('failed-enable');

    const retried = await runCli(['retry', '--tenant', 'litware', '--vm', vm], stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    // Accepted once more only after the operator's retry; one protected item per VM.
    const counters = await admin.counters();
    const enables = Object.fromEntries(
      Object.values(counters['ReplicationProtectedItems_Create'] ?? {}).map((c) => [c.label, c.count]),
    );
    expect(enables).toEqual({ erp01: vm === 'erp01' ? 2 : 1, files01: vm === 'files01' ? 2 : 1 });
    const jobs = Object.values((await world(admin)).vaults)
      .flatMap((v) => Object.values(v.asr.jobs))
      .filter((j) => j.scenarioName === 'EnableDr');
    expect(jobs.map((j) => j.state).sort()).toEqual(['Failed', 'Succeeded', 'Succeeded']);
  }, 180_000);

  it('an enable request lost before Azure took it is looked for, then sent again: one protection per VM', async () => {
    // The retry looks for 5 s: the item at each look, the vault's (paged, shared) job list only at
    // the first and the last.
    stack = await startTestStack({ seed: 6, workerEnv: { ASRFLOW_ENABLE_RECHECK_MS: '5000' } });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'never-arrived',
        match: { method: 'PUT', operationId: 'ReplicationProtectedItems_Create' },
        action: { kind: 'drop', phase: 'before' },
        times: 1,
      },
      // The second request that gets through is taken, but its answer is lost.
      {
        id: 'answer-lost',
        match: { method: 'PUT', operationId: 'ReplicationProtectedItems_Create' },
        action: { kind: 'drop', phase: 'after' },
        after: 1,
        times: 1,
      },
    ]);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);

    const { entries } = await admin.requests(0);
    const puts = entries.filter((e) => e.operationId === 'ReplicationProtectedItems_Create');
    expect(puts.filter((e) => e.fault?.includes('never-arrived'))).toHaveLength(1);
    expect(puts.filter((e) => e.fault?.includes('answer-lost'))).toHaveLength(1);
    // Three PUTs: the lost one was sent again, the one Azure took was not.
    expect(puts).toHaveLength(3);
    const lost = puts.find((e) => e.fault?.includes('never-arrived'));
    const jobLists = entries.filter((e) => e.operationId === 'ReplicationJobs_List' && e.seq > (lost?.seq ?? 0));
    expect(jobLists).toHaveLength(2);
    const counters = await admin.counters();
    expect(
      Object.values(counters['ReplicationProtectedItems_Create'] ?? {})
        .map((c) => [c.label, c.count])
        .sort(),
    ).toEqual([
      ['erp01', 1],
      ['files01', 1],
    ]);
  }, 180_000);

  it('a VM whose item disappears during initial replication pauses; retry enables it again', async () => {
    stack = await startTestStack({ seed: 12 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    // Everything up to the preflight at ×3600; from there ×30, so initial replication lasts long
    // enough (minutes) to take the item away in the middle of it.
    await admin.addFaults([
      {
        id: 'slow-preflight',
        match: { operationId: 'ReplicationProtectableItems_ListByReplicationProtectionContainers' },
        action: { kind: 'delay', ms: 3000 },
        times: 1,
      },
    ]);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    await eventually(
      async () => ((await progress(stack!))?.stage === 'preflight' ? true : undefined),
      'preflight',
      60_000,
      50,
    );
    await admin.setTime({ speed: 30 });
    const s = stack;
    const erp01 = workflowIds.vmProtection('litware', 'erp01');
    await eventually(
      async () => {
        // The VM's workflow waits in initial replication; its progress is the tenant's to show.
        const p = await progress(s, erp01);
        const tenant = await progress(s);
        const percent = tenant?.vms?.find((v) => v.name === 'erp01')?.replicationPercent ?? 0;
        return p?.steps[1]?.state === 'running' && percent > 0 ? true : undefined;
      },
      'erp01 in initial replication',
      90_000,
    );

    // Someone disables protection of erp01 in the vault (the job removes the item).
    const endpoint = {
      armEndpoint: stack.emulator.armEndpoint,
      authorityHost: stack.emulator.authorityHost,
      caCertPath: stack.emulator.caCertPath,
    };
    const asr = new SiteRecoveryManagementClient(
      createCredential(endpoint, { ...litware, clientSecret: goodSecret }),
      litware.subscriptionId,
      armClientOptions(endpoint),
    );
    const items = [];
    for await (const item of asr.replicationProtectedItems.list('litware-asr-vault', 'litware-dr-rg')) items.push(item);
    const item = items.find((i) => i.properties?.friendlyName === 'erp01');
    const [, fabric, container] =
      /replicationFabrics\/([^/]+)\/replicationProtectionContainers\/([^/]+)\//.exec(item?.id ?? '') ?? [];
    await asr.replicationProtectedItems.beginDeleteAndWait(
      'litware-asr-vault',
      'litware-dr-rg',
      fabric as string,
      container as string,
      item?.name as string,
      { properties: { disableProtectionReason: 'NotSpecified' } },
      { updateIntervalInMs: 250 },
    );

    const paused = await eventually(
      async () => {
        const p = await progress(s, erp01);
        return p?.steps[1]?.state === 'waiting-for-operator' ? p : undefined;
      },
      'erp01 to wait for the operator',
      60_000,
      250,
      () => progress(s, erp01),
    );
    expect(paused.steps[1]?.lastError).toMatchObject({
      type: 'NeedsOperator',
      message: 'replication of erp01 failed: the protected item was removed',
    });
    expect(paused.vms?.[0]?.state).toBe('waiting-for-operator');
    expect((await progress(stack))?.vms?.find((v) => v.name === 'erp01')?.state).toBe('waiting-for-operator');

    await admin.setTime({ speed: 3600 });
    const retried = await runCli(['retry', '--tenant', 'litware', '--vm', 'erp01'], stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const counters = await admin.counters();
    expect(
      Object.fromEntries(
        Object.values(counters['ReplicationProtectedItems_Create'] ?? {}).map((c) => [c.label, c.count]),
      ),
    ).toEqual({ erp01: 2, files01: 1 });
  }, 240_000);

  it('a wrong client secret pauses the first step naming tenant and reference; fixed, retry re-reads it and finishes', async () => {
    stack = await startTestStack({ seed: 7 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    const secretFile = path.join(stack.dir, 'secrets', 'litware.secret');
    const wrongSecret = 'not-the-litware-secret';
    writeFileSync(secretFile, `${wrongSecret}\n`, { mode: 0o600 });
    const plan = writePlan(stack, ['secretEnv: ASRFLOW_SECRET_LITWARE', `secretFile: ${secretFile}`]);
    expect((await runCli(['onboard', plan], stack.env)).code).toBe(0);

    const waiting = await waitingStep(stack, 'resource-group');
    const error = waiting.steps[0]?.lastError;
    expect(error?.type).toBe('NeedsOperator');
    expect(error?.message).toContain(`tenant ${litware.tenantId}`);
    expect(error?.message).toContain(`file ${secretFile}`);
    expect(error?.fix).toContain(`into ${secretFile}`);
    expect(JSON.stringify(waiting)).not.toContain(wrongSecret);
    // Paused, not retrying: no attempt of the step's activity is left running or scheduled,
    // and the token endpoint was asked once per attempt the SDK made, not in a loop.
    const pending = (await stack.client.workflow.getHandle(workflowId).describe()).raw.pendingActivities ?? [];
    expect(pending).toHaveLength(0);
    const tokenRequests = (await admin.requests(0)).entries.filter((e) =>
      e.path.includes(`${litware.tenantId}/oauth2/v2.0/token`),
    );
    expect(tokenRequests.length).toBeGreaterThan(0);
    expect(tokenRequests.length).toBeLessThanOrEqual(4);
    expect(tokenRequests.every((e) => e.status === 401 || e.status === 400)).toBe(true);

    // The operator puts the right secret in the file: the same worker reads it on the retry.
    writeFileSync(secretFile, `${goodSecret}\n`, { mode: 0o600 });
    const retried = await runCli(['retry', '--tenant', 'litware'], stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    await registerWhenAsked(stack);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const output = stack.workerOutput.join('\n');
    expect(output).not.toContain(goodSecret);
    expect(output).not.toContain(wrongSecret);
  }, 180_000);

  it('a policy Azure refuses pauses with "edit the plan"; onboard with the corrected plan carries it into the running workflow', async () => {
    stack = await startTestStack({ seed: 8 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'refused-policy',
        match: { method: 'PUT', operationId: 'ReplicationPolicies_Create' },
        action: {
          kind: 'status',
          status: 400,
          code: 'InvalidParameter',
          message: 'The value of applicationConsistentSnapshotFrequencyInHours is not supported for this vault.',
        },
        times: 1,
      },
    ]);
    const plan = writePlan(stack);
    expect((await runCli(['onboard', plan], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);

    const waiting = await waitingStep(stack, 'policy');
    expect(waiting.steps.find((s) => s.name === 'policy')?.lastError).toMatchObject({
      type: 'AzureFatal',
      code: 'InvalidParameter',
    });
    expect(waiting.operatorAction).toContain(
      "edit the plan: the policy (replicationInterval, recoveryPointHistoryHours, appConsistentFrequencyHours, initialReplicationStart), plan-wide or in tenant 'litware''s policy",
    );
    expect(waiting.operatorAction).toContain("then run 'asrflow onboard <plan file>' again");

    // A change the running onboarding cannot take is refused, with the reason and exit code 2.
    writePlan(stack, ['name: litwaredr', 'name: litwaredr2']);
    const refused = await runCli(['onboard', plan], stack.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "storageAccount cannot change any more: step 'storage-account' already ran with the old value",
    );

    // The corrected policy is taken over, and the waiting step is retried with it.
    writePlan(stack, ['tenants:\n', 'policy:\n  appConsistentFrequencyHours: 2\n\ntenants:\n']);
    const replanned = await runCli(['onboard', plan], stack.env);
    expect(replanned.code, replanned.stderr).toBe(0);
    expect(replanned.stdout).toContain('already running — took the changed plan');
    expect(replanned.stdout).toContain('changed: policy; retried the waiting step policy with it');
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const policies = Object.values((await world(admin)).vaults).flatMap((v) => Object.values(v.asr.policies));
    expect(policies.map((p) => p.applicationConsistentSnapshotFrequencyInHours)).toEqual([2]);
  }, 180_000);

  it('a policy still being created is waited for, bounded, then paused for the operator — never paired too early', async () => {
    stack = await startTestStack({
      seed: 9,
      workerEnv: { ASRFLOW_PROVISIONING_WAIT_MS: '3000', ASRFLOW_PROVISIONING_POLL_MS: '250' },
    });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'slow-cloud',
        match: { operationId: 'ReplicationProtectionContainers_ListByReplicationFabrics' },
        action: { kind: 'delay', ms: 3000 },
        times: 1,
      },
      {
        id: 'lost-policy',
        match: { method: 'PUT', operationId: 'ReplicationPolicies_Create' },
        action: { kind: 'drop', phase: 'after' },
        times: 1,
      },
    ]);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    // While the cloud is looked up, slow Site Recovery down: the policy's 30 s creation job
    // then lasts hours of real time, longer than the worker's (shortened) wait.
    await eventually(
      async () => ((await progress(stack!))?.stage === 'cloud' ? true : undefined),
      'the cloud step',
      60_000,
      50,
    );
    await admin.setTime({ speed: 0.001 });

    const waiting = await waitingStep(stack, 'policy');
    const error = waiting.steps.find((s) => s.name === 'policy')?.lastError;
    expect(error).toMatchObject({ type: 'NeedsOperator', code: 'ProvisioningNotFinished' });
    expect(error?.message).toMatch(
      /^replication policy asrflow-litware-policy is still being created \(job \S+ InProgress\) after \d+ s of waiting$/,
    );
    expect(waiting.operatorAction).toContain('follow its job in the vault');

    await admin.setTime({ speed: 3600 });
    const retried = await runCli(['retry', '--tenant', 'litware'], stack.env);
    expect(retried.code, retried.stderr).toBe(0);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const { entries } = await admin.requests(0);
    // The cloud was paired once, after the policy existed: no PolicyNotReady refusal on the way.
    const pairings = entries.filter((e) => e.operationId === 'ReplicationProtectionContainerMappings_Create');
    expect(pairings).toHaveLength(1);
    expect(pairings[0]?.status).toBeLessThan(300);
    const counters = await admin.counters();
    expect(Object.values(counters['ReplicationPolicies_Create'] ?? {}).map((c) => c.count)).toEqual([1]);
  }, 180_000);

  it('a rerun reads the VNet first and leaves the customer’s changes alone: no PUT', async () => {
    stack = await startTestStack({ seed: 10 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);
    await registerWhenAsked(stack);
    await stack.client.workflow.getHandle(workflowId).result();

    // The customer adds a subnet to the recovery VNet.
    const endpoint = {
      armEndpoint: stack.emulator.armEndpoint,
      authorityHost: stack.emulator.authorityHost,
      caCertPath: stack.emulator.caCertPath,
    };
    const network = new NetworkManagementClient(
      createCredential(endpoint, { ...litware, clientSecret: goodSecret }),
      litware.subscriptionId,
      armClientOptions(endpoint),
    );
    const before = await network.virtualNetworks.get('litware-dr-rg', 'litware-dr-vnet');
    await network.virtualNetworks.beginCreateOrUpdateAndWait(
      'litware-dr-rg',
      'litware-dr-vnet',
      { ...before, subnets: [...(before.subnets ?? []), { name: 'customer-subnet', addressPrefix: '10.30.9.0/24' }] },
      { updateIntervalInMs: 100 },
    );

    // The same tenant onboarded again (a second run of the workflow on the same Azure state).
    const since = (await admin.requests(0)).lastSeq;
    const { plan } = loadPlan(example, { checkCredentials: false });
    const start = plannedWorkflows(plan).find((w) => w.kind === 'tenant-onboarding')!;
    const rerun = await stack.client.workflow.start('tenantOnboardingWorkflow', {
      taskQueue: stack.taskQueue,
      workflowId: `${workflowId}:rerun`,
      args: start.args,
    });
    const result = (await rerun.result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);

    const { entries } = await admin.requests(since);
    expect(
      entries.filter((e) => e.method === 'GET' && /virtualNetworks\/litware-dr-vnet$/i.test(e.path)),
    ).not.toHaveLength(0);
    expect(entries.filter((e) => e.method === 'PUT' && /virtualNetworks\//i.test(e.path))).toEqual([]);
    const vnet = await network.virtualNetworks.get('litware-dr-rg', 'litware-dr-vnet');
    expect((vnet.subnets ?? []).map((s) => s.name).sort()).toEqual(['Litware-Subnet', 'customer-subnet']);
  }, 180_000);

  it('skips the one step declared safe to skip as its hint says; a required step refuses skip', async () => {
    stack = await startTestStack({ seed: 13 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await admin.upgradeProvider(vmm);
    await admin.addFaults([
      {
        id: 'rg-denied',
        match: { method: 'PUT', operationId: 'ResourceGroups_CreateOrUpdate', path: 'litware-dr-rg$' },
        times: 1,
        action: { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      },
      {
        id: 'test-vnet-denied',
        match: { method: 'PUT', path: 'virtualNetworks/litware-dr-test-vnet$' },
        times: 1,
        action: { kind: 'status', status: 403, code: 'AuthorizationFailed' },
      },
    ]);
    expect((await runCli(['onboard', example], stack.env)).code).toBe(0);

    // A required step: its hint offers retry only, and skip is refused (exit 1), the step still waits.
    const first = await waitingStep(stack, 'resource-group');
    expect(first.operatorAction).not.toContain('asrflow skip');
    const refused = await runCli(['skip', '--tenant', 'litware'], stack.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("step 'resource-group' cannot be skipped safely");
    expect((await runCli(['retry', '--tenant', 'litware'], stack.env)).code).toBe(0);

    // The test failover network: its hint offers skip, and skip as printed lets onboarding go on.
    const second = await waitingStep(stack, 'test-network');
    const skip = /`(asrflow skip [^`]+)`/.exec(second.operatorAction ?? '')?.[1];
    expect(skip).toBe('asrflow skip --tenant litware');
    const skipped = await runCli((skip ?? '').split(' ').slice(1), stack.env);
    expect(skipped.code, skipped.stderr).toBe(0);
    await registerWhenAsked(stack);
    const result = (await stack.client.workflow.getHandle(workflowId).result()) as TenantOnboardingResult;
    expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
    const done = await progress(stack);
    expect(done?.steps.find((s) => s.name === 'test-network')?.state).toBe('skipped');
    expect(done?.steps.filter((s) => s.name !== 'test-network').every((s) => s.state === 'done')).toBe(true);
  }, 180_000);
});
