import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { offboardInputFromPlan, startVmOffboarding } from '../../src/offboarding/start';
import { loadPlan } from '../../src/domain/plan/load';
import type { Plan } from '../../src/domain/plan/types';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { clientsFor, collect, type Clients } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { maybeRecordHistories } from '../support/histories';
import { onboardDedicated } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Offboarding one VM of litware (the dedicated-VMM example), end to end: the CLI asks for --yes,
// the workflow disables protection once (the emulator counts it), leaves the other VM alone, says
// so when there is nothing (left) to do, answers another tenant's VM like a VM that exists
// nowhere, waits for nothing while a failover runs, and survives a worker killed mid-job.
describe('offboarding a VM', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let azure: Clients;
  let plan: Plan;
  const planFile = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
  const vmm = 'vmm-litware.litware.local';
  const cli = (...args: string[]) => runCli([...args, '--plan', planFile], stack.env);
  const offboard = (vm: string, ...more: string[]) => cli('offboard', '--tenant', 'litware', '--vm', vm, ...more);
  const vault = () => plan.tenants[0]?.vault ?? { name: '', resourceGroup: '' };
  const items = async () =>
    (await collect(azure.asr.replicationProtectedItems.list(vault().name, vault().resourceGroup))).map((i) => ({
      id: (i.id ?? '').toLowerCase(),
      vm: i.properties?.friendlyName ?? '',
      state: i.properties?.protectionState ?? '',
    }));
  const disables = async (itemId: string) =>
    (await admin.counters())['ReplicationProtectedItems_Delete']?.[itemId]?.count ?? 0;
  const removePosts = async (since: number) =>
    (await admin.requests(since)).entries.filter((e) => e.method === 'POST' && /\/remove$/i.test(e.path));
  const lastSeq = async () => (await admin.requests(0)).lastSeq;

  beforeAll(async () => {
    stack = await startTestStack({ speed: 600 });
    admin = new EmulatorAdminClient(stack.emulator.adminUrl, stack.emulator.adminToken, stack.emulator.caCertPath);
    azure = clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'litware',
    );
    plan = loadPlan(planFile, { checkCredentials: false }).plan;
    await onboardDedicated(stack, admin, plan);
    expect((await items()).map((i) => [i.vm, i.state]).sort()).toEqual([
      ['erp01', 'Protected'],
      ['files01', 'Protected'],
    ]);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('says what it would do without --yes, and starts nothing', async () => {
    const since = await lastSeq();
    const asked = await offboard('files01');
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain(
      'offboarding files01 (litware) would disable its protection in vault litware-asr-vault',
    );
    expect(asked.stderr).toContain('Nothing was started; run again with --yes to confirm.');
    await expect(
      stack.client.workflow.getHandle(workflowIds.offboardVm('litware', 'files01')).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await removePosts(since)).toEqual([]);
  });

  it('disables protection of one VM once, leaves the other alone, and says so when run again', async () => {
    const files01 = (await items()).find((i) => i.vm === 'files01');
    if (!files01) throw new Error('files01 is not protected');
    const done = await offboard('files01', '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Offboard files01 (litware): protection disabled');
    await maybeRecordHistories(stack.client, 'offboard', [workflowIds.offboardVm('litware', 'files01')]);
    expect((await items()).map((i) => [i.vm, i.state])).toEqual([['erp01', 'Protected']]);
    expect(await disables(files01.id)).toBe(1);

    const again = await offboard('files01', '--yes', '--json');
    expect(again.code, again.stderr).toBe(0);
    const { record } = JSON.parse(again.stdout) as { record: { outcome: string; reason: string } };
    expect(record.outcome).toBe('not-protected');
    expect(record.reason).toContain("files01 is not a protected VM of tenant litware's cloud");
    expect(await disables(files01.id)).toBe(1);
  });

  it("answers another tenant's VM exactly as a VM that exists nowhere, and posts nothing", async () => {
    // web01 is contoso's, on the hoster's shared VMM server: litware's vault and cloud never saw it.
    const since = await lastSeq();
    const foreign = await offboard('web01', '--yes');
    const absent = await offboard('wob01', '--yes');
    expect(foreign.code).toBe(0);
    expect(foreign.stdout).toContain("web01 is not a protected VM of tenant litware's cloud");
    const same = (text: string, name: string) => text.replaceAll(name, 'NAME').replace(/\n {2}http\S+/g, '');
    expect(same(foreign.stdout, 'web01')).toBe(same(absent.stdout, 'wob01'));
    expect(await removePosts(since)).toEqual([]);
  });

  it('returns at once with --no-wait, naming the command that follows it, which runs as printed', async () => {
    const started = await offboard('wob01', '--yes', '--no-wait');
    expect(started.code, started.stderr).toBe(0);
    const follow = /Follow it with: (asrflow .+)$/m.exec(started.stdout)?.[1];
    expect(follow).toBe('asrflow status --tenant litware');
    const args = (follow ?? '').split(' ').slice(1);
    const shown = await eventually(async () => {
      const status = await runCli(args, stack.env);
      return status.code === 0 &&
        status.stdout.includes(`offboarding of wob01 (${workflowIds.offboardVm('litware', 'wob01')})`)
        ? status
        : undefined;
    }, 'status to show the offboarding');
    expect(shown.stdout).toMatch(/offboarding of wob01 .*: COMPLETED, stage not-protected/);
  });

  it('is refused while a failover of the VM runs, and posts nothing', async () => {
    const test = await cli('failover', 'test', '--tenant', 'litware', '--vm', 'erp01', '--cleanup-after', '1h');
    expect(test.code, test.stderr).toBe(0);
    const since = await lastSeq();
    const refused = await offboard('erp01', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `refused: a failover of erp01 runs (workflow ${workflowIds.failover('litware', 'erp01')}); let it finish first, then offboard erp01.`,
    );
    expect(await removePosts(since)).toEqual([]);
    const cleanup = await cli('failover', 'cleanup', '--tenant', 'litware', '--vm', 'erp01');
    expect(cleanup.code, cleanup.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.failover('litware', 'erp01')).result();
  });

  it('finishes after its worker is killed while Site Recovery disables the VM, asking once', async () => {
    const erp01 = (await items()).find((i) => i.vm === 'erp01');
    if (!erp01) throw new Error('erp01 is not protected');
    await admin.setTime({ speed: 20 }); // the 90 s DisableDr job now takes 4.5 s of real time
    const handle = await startVmOffboarding(
      stack.client,
      offboardInputFromPlan(plan, 'litware', 'erp01'),
      stack.taskQueue,
    );
    await eventually(
      async () => ((await disables(erp01.id)) === 1 ? true : undefined),
      'Site Recovery to accept the request',
      30_000,
      50,
    );
    await stack.worker.stop('SIGKILL');
    stack.startWorker();
    await admin.setTime({ speed: 600 });
    const record = await handle.result();
    expect(record).toMatchObject({ tenant: 'litware', vm: 'erp01', outcome: 'offboarded' });
    expect(record.jobName).toMatch(/\S/);
    expect(await items()).toEqual([]);
    expect(await disables(erp01.id)).toBe(1);
  });

  it('then offboards the tenant: its VMM server unregistered, its own vault and the resources asrflow created deleted', async () => {
    const done = await cli('offboard', '--tenant', 'litware', '--delete-resources', '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Offboard tenant litware: offboarded');
    for (const removed of [
      'replication policy asrflow-litware-policy',
      `registration of ${vmm}`,
      'vault litware-asr-vault',
      'resource group litware-dr-rg',
    ])
      expect(done.stdout).toContain(`removed: ${removed}`);
    const world = (await admin.state()).world as {
      vaults: Record<string, { name: string }>;
      resourceGroups: Record<string, { name: string }>;
    };
    expect(Object.values(world.vaults).map((v) => v.name)).not.toContain('litware-asr-vault');
    expect(Object.values(world.resourceGroups).map((g) => g.name)).not.toContain('litware-dr-rg');
    const estate = (await admin.estate()) as { vmmServers: Array<{ name: string; registeredWith: string | null }> };
    expect(estate.vmmServers.find((v) => v.name === vmm)?.registeredWith).toBeNull();
  });
});
