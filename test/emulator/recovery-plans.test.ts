import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEstateFile } from '@asrflow/azure-emulator';
import { loadSpecIndex } from '../support/spec-validator';
import {
  clientsFor,
  collect,
  protectableByName,
  REGION,
  startTestEmulator,
  TENANTS,
  waitFor,
  type Clients,
  type TestEmulator,
  setUpReplication,
} from './helpers';

// Site Recovery recovery plans through the real SDK clients: create/update/delete with Azure's
// group layout and rules, and the plan's actions, each one job whose tasks follow the groups in
// order (start actions, items, end actions), with a manual action that suspends the job until
// ReplicationJobs_Resume, the per-item effects of each kind, and the refusals between a plan's
// job and its items' own operations.

const FIXTURE = path.join(__dirname, 'fixtures', 'estate-recovery-plans.yaml');
const VMM = 'vmm01.fabrikam.local';
const SUB = TENANTS.contoso.subscriptionId;
const RG = 'plans-asr-rg';
const VAULT = 'plans-asr-vault';
const TARGET_RG = 'plans-dr-rg';
const RG_ID = `/subscriptions/${SUB}/resourceGroups/${TARGET_RG}`;
const AVSET_ID = `${RG_ID}/providers/Microsoft.Compute/availabilitySets/rpt-avset`;
const POLL = { updateIntervalInMs: 50 };
const PLAN = 'rp-app';
const VMS = ['db01', 'app01', 'web01', 'rpt01'];
const MANUAL = 'Check the database';
const MANUAL_TEXT = 'Confirm that db01 accepts connections before the application tier starts.';

type Plans = Clients['asr']['replicationRecoveryPlans'];
type CreateInput = Parameters<Plans['beginCreateAndWait']>[3];
type Group = NonNullable<CreateInput['properties']['groups']>[number];
type Task = {
  name?: string;
  friendlyName?: string;
  state?: string;
  stateDescription?: string;
  taskType?: string;
  startTime?: Date;
  endTime?: Date;
  customDetails?: Record<string, unknown>;
  groupTaskCustomDetails?: Record<string, unknown>;
};
type JobError = { serviceErrorDetails?: { code?: string; message?: string }; taskId?: string };

describe('recovery plans', () => {
  let emu: TestEmulator;
  let c: Clients;
  let fabric: string;
  let container: string;
  let vnetId: string;
  const itemIds: Record<string, string> = {};

  beforeAll(async () => {
    emu = await startTestEmulator({ estate: loadEstateFile(FIXTURE), speed: 1200, retryAfterSeconds: 1 });
    c = clientsFor(emu, 'contoso');
    const set = await setUpReplication(emu, c, {
      rg: RG,
      targetRg: TARGET_RG,
      vault: VAULT,
      subscriptionId: SUB,
      vmm: VMM,
      cloud: 'Contoso-Cloud',
      region: REGION,
      storage: 'plansdrstorage01',
      vnets: [{ name: 'plans-dr-vnet', space: '10.80.0.0/16', subnets: [['app', '10.80.1.0/24']] }],
    });
    ({ fabric, container } = set);
    vnetId = set.vnetIds[0] ?? '';
    const { storageId, policyId } = set;
    for (const vm of VMS) {
      const p = await protectableByName(c, RG, VAULT, fabric, container, vm);
      const item = await c.asr.replicationProtectedItems.beginCreateAndWait(
        VAULT,
        RG,
        fabric,
        container,
        vm,
        {
          properties: {
            policyId,
            protectableItemId: p.id ?? '',
            providerSpecificDetails: {
              instanceType: 'HyperVReplicaAzure',
              targetStorageAccountId: storageId,
              targetAzureV2ResourceGroupId: RG_ID,
              targetAzureNetworkId: vnetId,
              targetAzureSubnetId: 'app',
              targetAzureVmName: `${vm}-dr`,
              useManagedDisks: 'false',
              // rpt01's availability set does not exist yet: its failover fails at its prerequisites.
              ...(vm === 'rpt01' ? { targetAvailabilitySetId: AVSET_ID } : {}),
            },
          },
        },
        POLL,
      );
      itemIds[vm] = item.id ?? '';
    }
    // An hour later every initial replication is done.
    await emu.admin.setTime({ advanceSeconds: 3600 });
    for (const vm of VMS) await waitProtected(vm);
  });
  afterAll(async () => {
    await emu?.close();
  });

  const item = (vm: string) => c.asr.replicationProtectedItems.get(VAULT, RG, fabric, container, vm);
  const waitProtected = (vm: string) =>
    waitFor(`${vm} Protected`, async () => {
      const it = await item(vm);
      return it.properties?.protectionState === 'Protected' && it.properties.allowedOperations?.includes('TestFailover')
        ? it
        : undefined;
    });
  const plan = (name = PLAN) => c.asr.replicationRecoveryPlans.get(VAULT, RG, name);
  const ref = (vm: string) => ({ id: itemIds[vm] ?? '' });
  const azureVm = async (name: string) => (await emu.admin.azureVms()).find((v) => v.name === name);
  const jobOf = async (name = PLAN) => {
    const jobId = (await plan(name)).properties?.currentScenario?.jobId ?? '';
    return c.asr.replicationJobs.get(VAULT, RG, jobId.split('/').pop() ?? '');
  };
  const tasksOf = (job: Awaited<ReturnType<typeof jobOf>>) => (job.properties?.tasks ?? []) as Task[];
  const taskNamed = (tasks: Task[], name: string) => {
    const t = tasks.find((x) => x.name === name);
    if (!t) throw new Error(`no task ${name} in ${tasks.map((x) => x.name).join(', ')}`);
    return t;
  };
  const time = (d: Date | undefined) => d?.getTime() ?? NaN;
  const bootGroups = (...items: string[][]): Group[] =>
    items.map((vms) => ({ groupType: 'Boot', replicationProtectedItems: vms.map(ref) }));
  const createInput = (groups: Group[]): CreateInput => ({
    properties: {
      primaryFabricId: `/Subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.RecoveryServices/vaults/${VAULT}/replicationFabrics/${fabric}`,
      recoveryFabricId: 'Microsoft Azure',
      failoverDeploymentModel: 'ResourceManager',
      groups,
    },
  });
  const waitJob = (what: string, state: string, name = PLAN) =>
    waitFor(what, async () => {
      const j = await jobOf(name);
      return j.properties?.state === state ? j : undefined;
    });

  // The application plan: db01, then (after a manual check) app01, then web01.
  const appGroups = (): Group[] => [
    {
      groupType: 'Boot',
      replicationProtectedItems: [ref('db01')],
      startGroupActions: [],
      endGroupActions: [
        {
          actionName: 'Warm the cache',
          failoverTypes: ['TestFailover', 'PlannedFailover', 'UnplannedFailover'],
          failoverDirections: ['PrimaryToRecovery'],
          customDetails: {
            instanceType: 'ScriptActionDetails',
            path: '\\\\scripts\\warm.ps1',
            fabricLocation: 'Recovery',
          },
        },
      ],
    },
    {
      groupType: 'Boot',
      replicationProtectedItems: [ref('app01')],
      startGroupActions: [
        {
          actionName: MANUAL,
          failoverTypes: ['TestFailover', 'PlannedFailover'],
          failoverDirections: ['PrimaryToRecovery'],
          customDetails: { instanceType: 'ManualActionDetails', description: MANUAL_TEXT },
        },
      ],
      endGroupActions: [],
    },
    {
      groupType: 'Boot',
      replicationProtectedItems: [ref('web01')],
      startGroupActions: [],
      endGroupActions: [
        {
          actionName: 'Update DNS',
          failoverTypes: ['TestFailover', 'PlannedFailover', 'UnplannedFailover'],
          failoverDirections: ['PrimaryToRecovery'],
          customDetails: {
            instanceType: 'AutomationRunbookActionDetails',
            runbookId: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Automation/automationAccounts/ops/runbooks/update-dns`,
            fabricLocation: 'Recovery',
          },
        },
      ],
    },
  ];

  it('creates a plan as Azure stores it: Shutdown and Failover groups first, then the Boot groups', async () => {
    const created = await c.asr.replicationRecoveryPlans.beginCreateAndWait(
      VAULT,
      RG,
      PLAN,
      createInput(appGroups()),
      POLL,
    );
    expect(created.name).toBe(PLAN);
    expect(created.type).toBe('Microsoft.RecoveryServices/vaults/replicationRecoveryPlans');
    const p = created.properties;
    expect(p).toMatchObject({
      friendlyName: PLAN,
      primaryFabricFriendlyName: VMM,
      recoveryFabricId: 'Microsoft Azure',
      recoveryFabricFriendlyName: 'Microsoft Azure',
      failoverDeploymentModel: 'ResourceManager',
      replicationProviders: ['HyperVReplicaAzure'],
      allowedOperations: ['PlannedFailover', 'UnplannedFailover', 'TestFailover'],
    });
    expect(p?.primaryFabricId?.toLowerCase()).toMatch(new RegExp(`/replicationfabrics/${fabric.toLowerCase()}$`));
    expect(p?.groups?.map((g) => g.groupType)).toEqual(['Shutdown', 'Failover', 'Boot', 'Boot', 'Boot']);
    expect(p?.groups?.map((g) => g.replicationProtectedItems?.map((i) => i.id))).toEqual([
      [],
      [],
      [itemIds['db01']],
      [itemIds['app01']],
      [itemIds['web01']],
    ]);
    const vmId = (await item('db01')).properties?.providerSpecificDetails as { vmId?: string };
    expect(p?.groups?.[2]?.replicationProtectedItems?.[0]?.virtualMachineId).toBe(vmId.vmId);
    expect(p?.groups?.[3]?.startGroupActions?.[0]).toEqual({
      actionName: MANUAL,
      failoverTypes: ['TestFailover', 'PlannedFailover'],
      failoverDirections: ['PrimaryToRecovery'],
      customDetails: { instanceType: 'ManualActionDetails', description: MANUAL_TEXT },
    });
    expect(p?.currentScenario).toBeUndefined();

    expect((await plan()).properties?.groups).toEqual(p?.groups);
    expect((await collect(c.asr.replicationRecoveryPlans.list(VAULT, RG))).map((x) => x.name)).toEqual([PLAN]);
    // Creating a plan is a job of the plan, as Site Recovery shows it.
    const jobs = await collect(c.asr.replicationJobs.list(VAULT, RG));
    const createJob = jobs.find((j) => j.properties?.scenarioName === 'CreateRecoveryPlan');
    expect(createJob?.properties).toMatchObject({
      state: 'Succeeded',
      targetObjectName: PLAN,
      targetInstanceType: 'RecoveryPlan',
    });
  });

  it('refuses unknown items, an item twice, more than seven boot groups and a foreign fabric, as Azure does', async () => {
    const refused = async (name: string, input: CreateInput, code: string, message: RegExp) => {
      const p = c.asr.replicationRecoveryPlans.beginCreateAndWait(VAULT, RG, name, input, POLL);
      await expect(p, code).rejects.toMatchObject({ statusCode: 400, code });
      await expect(p, code).rejects.toThrow(message);
      await expect(plan(name)).rejects.toMatchObject({ statusCode: 404 });
    };
    const unknown = `${itemIds['db01']?.replace(/db01$/, '')}nosuchvm`;
    await refused(
      'rp-unknown',
      createInput([{ groupType: 'Boot', replicationProtectedItems: [{ id: unknown }] }]),
      'ReplicationProtectedItemNotFound',
      /nosuchvm.*was not found in the vault/,
    );
    await refused(
      'rp-twice',
      createInput(bootGroups(['db01'], ['app01', 'db01'])),
      'DuplicateReplicationProtectedItem',
      /'db01' appears more than once/,
    );
    await refused(
      'rp-eight',
      createInput(bootGroups(['db01'], ['app01'], ['web01'], [], [], [], [], [])),
      'RecoveryPlanGroupLimitExceeded',
      /at most 7 boot groups; 8 were given/,
    );
    await refused(
      'rp-shutdown-items',
      createInput([{ groupType: 'Shutdown', replicationProtectedItems: [ref('db01')] }]),
      'InvalidRecoveryPlanGroup',
      /Shutdown group cannot hold protected items/,
    );
    const foreign = createInput(bootGroups(['db01']));
    foreign.properties.primaryFabricId = foreign.properties.primaryFabricId.replace(fabric, 'nosuchfabric');
    await refused('rp-fabric', foreign, 'FabricNotFound', /nosuchfabric/);
    const classic = createInput(bootGroups(['db01']));
    classic.properties.recoveryFabricId = 'SomeOtherSite';
    await refused('rp-recovery', classic, 'InvalidRecoveryFabricId', /SomeOtherSite/);

    // The same rules for an update, which leaves the plan as it was.
    await expect(
      c.asr.replicationRecoveryPlans.beginUpdateAndWait(
        VAULT,
        RG,
        PLAN,
        { properties: { groups: bootGroups(['db01'], ['app01'], ['web01'], [], [], [], [], []) } },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 400, code: 'RecoveryPlanGroupLimitExceeded' });
    expect((await plan()).properties?.groups?.length).toBe(5);
  });

  it('updates the groups of a plan (PATCH) and keeps Azure’s layout', async () => {
    const updated = await c.asr.replicationRecoveryPlans
      .beginUpdateAndWait(VAULT, RG, 'rp-scratch', { properties: { groups: [] } }, POLL)
      .catch((e: { statusCode?: number }) => e);
    expect(updated).toMatchObject({ statusCode: 404 });
    await c.asr.replicationRecoveryPlans.beginCreateAndWait(
      VAULT,
      RG,
      'rp-scratch',
      createInput(bootGroups(['db01'])),
      POLL,
    );
    const after = await c.asr.replicationRecoveryPlans.beginUpdateAndWait(
      VAULT,
      RG,
      'rp-scratch',
      { properties: { groups: bootGroups(['web01'], ['db01', 'app01']) } },
      POLL,
    );
    expect(after.properties?.groups?.map((g) => [g.groupType, g.replicationProtectedItems?.map((i) => i.id)])).toEqual([
      ['Shutdown', []],
      ['Failover', []],
      ['Boot', [itemIds['web01']]],
      ['Boot', [itemIds['db01'], itemIds['app01']]],
    ]);
    await c.asr.replicationRecoveryPlans.beginDeleteAndWait(VAULT, RG, 'rp-scratch', POLL);
    await expect(plan('rp-scratch')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('runs a test failover group by group, suspended at the manual action until resumed', async () => {
    const poller = await c.asr.replicationRecoveryPlans.beginTestFailover(
      VAULT,
      RG,
      PLAN,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: vnetId,
          providerSpecificDetails: [{ instanceType: 'HyperVReplicaAzure', recoveryPointType: 'Latest' }],
        },
      },
      POLL,
    );
    const suspended = await waitJob('the plan job to reach the manual action', 'Suspended');
    expect(suspended.properties).toMatchObject({
      scenarioName: 'TestFailover',
      targetObjectName: PLAN,
      targetInstanceType: 'RecoveryPlan',
      allowedActions: ['Resume', 'Cancel'],
    });
    let tasks = tasksOf(suspended);
    // One task per group action and per item, in the plan's order.
    expect(tasks.map((t) => t.friendlyName)).toEqual([
      'Group 1: Test failover - db01',
      'Group 1: Post-steps - Warm the cache',
      `Group 2: Pre-steps - ${MANUAL}`,
      'Group 2: Test failover - app01',
      'Group 3: Test failover - web01',
      'Group 3: Post-steps - Update DNS',
    ]);
    expect(tasks.map((t) => t.state)).toEqual([
      'Succeeded',
      'Succeeded',
      'Suspended',
      'NotStarted',
      'NotStarted',
      'NotStarted',
    ]);
    const manual = taskNamed(tasks, MANUAL);
    expect(manual.taskType).toBe('ManualActionTaskDetails');
    expect(manual.customDetails).toMatchObject({
      instanceType: 'ManualActionTaskDetails',
      name: MANUAL,
      instructions: MANUAL_TEXT,
    });
    expect(manual.groupTaskCustomDetails).toMatchObject({ name: 'Group 2', rpGroupType: 'Boot' });
    expect(taskNamed(tasks, 'db01')).toMatchObject({
      taskType: 'VirtualMachineTaskDetails',
      customDetails: { jobTask: { targetObjectName: 'db01', jobScenarioName: 'TestFailover' } },
    });
    expect(taskNamed(tasks, 'Warm the cache').customDetails).toMatchObject({
      instanceType: 'ScriptActionTaskDetails',
      path: '\\\\scripts\\warm.ps1',
      output: 'Recorded, not run by the emulator.',
    });

    // Group 1 is done, group 2 and 3 untouched.
    expect((await item('db01')).properties?.testFailoverState).toBe('WaitingForCompletion');
    for (const vm of ['app01', 'web01']) {
      const it = (await item(vm)).properties;
      expect(it?.testFailoverState, vm).toBe('None');
      expect(it?.protectionState, vm).toBe('Protected');
    }
    expect(await azureVm('db01-dr-test')).toBeDefined();
    expect(await azureVm('app01-dr-test')).toBeUndefined();
    const running = (await plan()).properties;
    expect(running?.allowedOperations).toEqual(['CancelFailover']);
    expect(running?.currentScenario?.scenarioName).toBe('TestFailover');
    expect(running?.currentScenarioStatus).toBe('Suspended');

    // The plan's job holds its items, not yet reached ones included, and the plan itself.
    await expect(
      c.asr.replicationProtectedItems.beginTestFailoverAndWait(
        VAULT,
        RG,
        fabric,
        container,
        'web01',
        {
          properties: {
            failoverDirection: 'PrimaryToRecovery',
            networkType: 'VmNetworkAsInput',
            networkId: vnetId,
            providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
          },
        },
        POLL,
      ),
    ).rejects.toMatchObject({
      statusCode: 409,
      code: 'AnotherOperationInProgress',
      message: expect.stringMatching(/recovery plan 'rp-app'/),
    });
    await expect(c.asr.replicationRecoveryPlans.beginDeleteAndWait(VAULT, RG, PLAN, POLL)).rejects.toMatchObject({
      statusCode: 409,
      code: 'AnotherOperationInProgress',
    });
    await expect(
      c.asr.replicationRecoveryPlans.beginUpdateAndWait(
        VAULT,
        RG,
        PLAN,
        { properties: { groups: bootGroups(['db01']) } },
        POLL,
      ),
    ).rejects.toMatchObject({ statusCode: 409, code: 'AnotherOperationInProgress' });

    await c.asr.replicationJobs.beginResumeAndWait(
      VAULT,
      RG,
      suspended.name ?? '',
      { properties: { comments: 'db01 answers on 1433' } },
      POLL,
    );
    const done = await poller.pollUntilDone();
    expect(done.properties?.allowedOperations).toEqual(['TestFailoverCleanup']);
    expect(done.properties?.currentScenarioStatus).toBe('Suspended');
    expect(done.properties?.currentScenarioStatusDescription).toBe('WaitingForStopTestFailover');
    expect(done.properties?.lastTestFailoverTime).toBeInstanceOf(Date);

    const job = await jobOf();
    expect(job.properties?.state).toBe('Succeeded');
    tasks = tasksOf(job);
    expect(tasks.every((t) => t.state === 'Succeeded')).toBe(true);
    expect(taskNamed(tasks, MANUAL).customDetails).toMatchObject({ observation: 'db01 answers on 1433' });
    // Groups in order: each task starts when the one before it ended, and items take time.
    for (let i = 1; i < tasks.length; i++)
      expect(time(tasks[i]?.startTime), tasks[i]?.name).toBeGreaterThanOrEqual(time(tasks[i - 1]?.endTime));
    expect(time(taskNamed(tasks, 'app01').startTime)).toBeGreaterThanOrEqual(time(taskNamed(tasks, MANUAL).endTime));
    expect(time(taskNamed(tasks, 'web01').startTime)).toBeGreaterThanOrEqual(time(taskNamed(tasks, 'app01').endTime));
    // 260 simulated seconds per item, as the per-item test failover job's tasks take.
    const app = taskNamed(tasks, 'app01');
    expect(time(app.endTime) - time(app.startTime)).toBe(260_000);
    expect(taskNamed(tasks, 'Update DNS').customDetails).toMatchObject({
      instanceType: 'AutomationRunbookTaskDetails',
      runbookName: 'update-dns',
      jobOutput: 'Recorded, not run by the emulator.',
    });

    for (const vm of ['db01', 'app01', 'web01']) {
      const it = (await item(vm)).properties;
      expect(it?.testFailoverState, vm).toBe('WaitingForCompletion');
      expect(it?.allowedOperations, vm).toEqual(['TestFailoverCleanup']);
      expect(await azureVm(`${vm}-dr-test`), vm).toMatchObject({ purpose: 'TestFailover', networkId: vnetId });
    }
  });

  it('cleans up the test failover of the plan: the test VMs go', async () => {
    const cleaned = await c.asr.replicationRecoveryPlans.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      PLAN,
      { properties: { comments: 'drill done' } },
      POLL,
    );
    expect(cleaned.properties?.allowedOperations).toEqual(['PlannedFailover', 'UnplannedFailover', 'TestFailover']);
    expect(cleaned.properties?.currentScenario?.scenarioName).toBe('TestFailoverCleanup');
    expect(cleaned.properties?.currentScenarioStatus).toBe('Succeeded');
    // The manual action is not for cleanups: the job did not stop.
    expect(tasksOf(await jobOf()).map((t) => t.name)).toEqual(['db01', 'app01', 'web01']);
    for (const vm of ['db01', 'app01', 'web01']) {
      expect(await azureVm(`${vm}-dr-test`), vm).toBeUndefined();
      const it = (await item(vm)).properties;
      expect(it?.testFailoverState, vm).toBe('None');
      expect(it?.lastSuccessfulTestFailoverTime, vm).toBeInstanceOf(Date);
    }
  });

  it('refuses a plan action while one of its items fails over on its own', async () => {
    // Simulated time at wall-clock pace, so the item's own job surely still runs when the plan is asked.
    await emu.admin.setTime({ speed: 1 });
    const alone = await c.asr.replicationProtectedItems.beginTestFailover(
      VAULT,
      RG,
      fabric,
      container,
      'app01',
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          networkType: 'VmNetworkAsInput',
          networkId: vnetId,
          providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
        },
      },
      POLL,
    );
    await expect(
      c.asr.replicationRecoveryPlans.beginPlannedFailoverAndWait(
        VAULT,
        RG,
        PLAN,
        { properties: { failoverDirection: 'PrimaryToRecovery' } },
        POLL,
      ),
    ).rejects.toMatchObject({
      statusCode: 409,
      code: 'AnotherOperationInProgress',
      message: expect.stringMatching(/'app01'/),
    });
    await emu.admin.setTime({ speed: 1200, advanceSeconds: 600 });
    await alone.pollUntilDone();
    await c.asr.replicationProtectedItems.beginTestFailoverCleanupAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'app01',
      { properties: { comments: 'alone' } },
      POLL,
    );
    // Not allowed in the plan's state: nothing to reprotect or commit.
    await expect(c.asr.replicationRecoveryPlans.beginReprotectAndWait(VAULT, RG, PLAN, POLL)).rejects.toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
    });
    await expect(
      c.asr.replicationRecoveryPlans.beginFailoverCommitAndWait(VAULT, RG, PLAN, POLL),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
    });
  });

  it('fails the plan over (planned), commits, fails back, commits and reprotects it', async () => {
    const poller = await c.asr.replicationRecoveryPlans.beginPlannedFailover(
      VAULT,
      RG,
      PLAN,
      {
        properties: {
          failoverDirection: 'PrimaryToRecovery',
          providerSpecificDetails: [{ instanceType: 'HyperVReplicaAzure' }],
        },
      },
      POLL,
    );
    const suspended = await waitJob('the planned failover to reach the manual action', 'Suspended');
    expect(suspended.properties?.scenarioName).toBe('PlannedFailover');
    expect((await item('db01')).properties?.activeLocation).toBe('Recovery');
    expect((await item('app01')).properties?.activeLocation).toBe('Primary');
    await c.asr.replicationJobs.beginResumeAndWait(
      VAULT,
      RG,
      suspended.name ?? '',
      { properties: { comments: 'ok' } },
      POLL,
    );
    const failedOver = await poller.pollUntilDone();
    expect(failedOver.properties?.allowedOperations).toEqual(['Commit']);
    expect(failedOver.properties?.lastPlannedFailoverTime).toBeInstanceOf(Date);
    for (const vm of ['db01', 'app01', 'web01']) {
      const it = (await item(vm)).properties;
      expect(it?.protectionState, vm).toBe('PlannedFailoverCommitRequired');
      expect(it?.activeLocation, vm).toBe('Recovery');
      expect(await azureVm(`${vm}-dr`), vm).toMatchObject({ purpose: 'Failover' });
    }
    // A planned failover shuts the on-premises VMs down, as the items' own would.
    const onPrem = (await emu.admin.estate()).vmmServers.find((v) => v.name === VMM)?.vms ?? [];
    expect(
      onPrem.filter((v) => ['db01', 'app01', 'web01'].includes(v.name)).map((v) => [v.name, v.powerState]),
    ).toEqual([
      ['db01', 'Off'],
      ['app01', 'Off'],
      ['web01', 'Off'],
    ]);

    const committed = await c.asr.replicationRecoveryPlans.beginFailoverCommitAndWait(VAULT, RG, PLAN, POLL);
    expect(committed.properties?.currentScenario?.scenarioName).toBe('CommitFailover');
    expect(committed.properties?.allowedOperations).toEqual(['PlannedFailover']);
    for (const vm of ['db01', 'app01', 'web01'])
      expect((await item(vm)).properties?.protectionState, vm).toBe('PlannedFailoverStatesBegin');

    // Failback: a planned failover RecoveryToPrimary (the manual action is for PrimaryToRecovery only).
    const back = await c.asr.replicationRecoveryPlans.beginPlannedFailoverAndWait(
      VAULT,
      RG,
      PLAN,
      {
        properties: {
          failoverDirection: 'RecoveryToPrimary',
          providerSpecificDetails: [
            {
              instanceType: 'HyperVReplicaAzureFailback',
              dataSyncOption: 'ForDownTime',
              recoveryVmCreationOption: 'NoAction',
            },
          ],
        },
      },
      POLL,
    );
    expect(back.properties?.allowedOperations).toEqual(['Commit']);
    for (const vm of ['db01', 'app01', 'web01'])
      expect((await item(vm)).properties?.activeLocation, vm).toBe('Primary');
    await c.asr.replicationRecoveryPlans.beginFailoverCommitAndWait(VAULT, RG, PLAN, POLL);
    expect(await azureVm('web01-dr')).toBeUndefined();
    expect((await plan()).properties?.allowedOperations).toEqual(['ReverseReplicate']);

    const reprotected = await c.asr.replicationRecoveryPlans.beginReprotectAndWait(VAULT, RG, PLAN, POLL);
    expect(reprotected.properties?.currentScenario?.scenarioName).toBe('ReverseReplication');
    for (const vm of ['db01', 'app01', 'web01']) {
      const it = (await item(vm)).properties;
      const details = it?.providerSpecificDetails as {
        initialReplicationDetails?: { initialReplicationType?: string };
      };
      expect(details.initialReplicationDetails?.initialReplicationType, vm).toBe('Resynchronization');
      expect(it?.activeLocation, vm).toBe('Primary');
    }
    const scenarios = (await collect(c.asr.replicationJobs.list(VAULT, RG)))
      .filter((j) => j.properties?.targetObjectName === PLAN && j.properties.targetInstanceType === 'RecoveryPlan')
      .map((j) => j.properties?.scenarioName)
      .reverse();
    expect(scenarios).toEqual([
      'CreateRecoveryPlan',
      'TestFailover',
      'TestFailoverCleanup',
      'PlannedFailover',
      'CommitFailover',
      'PlannedFailover',
      'CommitFailover',
      'ReverseReplication',
    ]);
  });

  it('fails an unplanned failover at the item that cannot fail over, leaving later groups untouched', async () => {
    await emu.admin.setTime({ advanceSeconds: 3600 });
    for (const vm of ['web01', 'rpt01']) await waitProtected(vm);
    await c.asr.replicationRecoveryPlans.beginCreateAndWait(
      VAULT,
      RG,
      'rp-reports',
      createInput(bootGroups(['rpt01'], ['web01'])),
      POLL,
    );
    const input: Parameters<Plans['beginUnplannedFailoverAndWait']>[3] = {
      properties: {
        failoverDirection: 'PrimaryToRecovery',
        sourceSiteOperations: 'NotRequired',
        providerSpecificDetails: [{ instanceType: 'HyperVReplicaAzure', recoveryPointType: 'LatestProcessed' }],
      },
    };
    await expect(
      c.asr.replicationRecoveryPlans.beginUnplannedFailoverAndWait(VAULT, RG, 'rp-reports', input, POLL),
    ).rejects.toThrow(/rpt-avset/);
    const failed = await jobOf('rp-reports');
    expect(failed.properties?.state).toBe('Failed');
    const errors = (failed.properties?.errors ?? []) as JobError[];
    expect(errors[0]?.serviceErrorDetails?.code).toBe('AvailabilitySetNotFound');
    const tasks = tasksOf(failed);
    expect(tasks.map((t) => [t.name, t.state])).toEqual([
      ['rpt01', 'Failed'],
      ['web01', 'NotStarted'],
    ]);
    expect(errors[0]?.taskId).toBeDefined();
    for (const vm of ['rpt01', 'web01']) {
      const it = (await item(vm)).properties;
      expect(it?.protectionState, vm).toBe('Protected');
      expect(it?.activeLocation, vm).toBe('Primary');
    }
    expect(await azureVm('web01-dr')).toBeUndefined();
    expect((await plan('rp-reports')).properties?.currentScenarioStatus).toBe('Failed');

    // Once the availability set exists, restarting the job fails both over, in order.
    await c.resources.resources.beginCreateOrUpdateByIdAndWait(
      AVSET_ID,
      '2024-07-01',
      { location: REGION, properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 } },
      POLL,
    );
    await c.asr.replicationJobs.beginRestartAndWait(VAULT, RG, failed.name ?? '', POLL);
    const after = await plan('rp-reports');
    expect(after.properties?.lastUnplannedFailoverTime).toBeInstanceOf(Date);
    expect(after.properties?.allowedOperations).toEqual(['Commit']);
    for (const vm of ['rpt01', 'web01']) {
      expect((await item(vm)).properties?.protectionState, vm).toBe('UnplannedFailoverCommitPendingStatesBegin');
      expect(await azureVm(`${vm}-dr`), vm).toBeDefined();
    }
  });

  it('cancels a suspended test failover (failoverCancel), and a cleanup skips the items without a test VM', async () => {
    await c.asr.replicationRecoveryPlans.beginTestFailover(
      VAULT,
      RG,
      PLAN,
      { properties: { failoverDirection: 'PrimaryToRecovery', networkType: 'NoNetworkAttachAsInput' } },
      POLL,
    );
    const suspended = await waitJob('the test failover to reach the manual action', 'Suspended');
    expect((await plan()).properties?.allowedOperations).toEqual(['CancelFailover']);
    await c.asr.replicationRecoveryPlans.beginFailoverCancelAndWait(VAULT, RG, PLAN, POLL);
    const cancelled = await c.asr.replicationJobs.get(VAULT, RG, suspended.name ?? '');
    expect(cancelled.properties?.state).toBe('Cancelled');
    expect(tasksOf(cancelled).map((t) => t.state)).toEqual([
      'Succeeded',
      'Succeeded',
      'Cancelled',
      'Cancelled',
      'Cancelled',
      'Cancelled',
    ]);
    // db01 keeps its test VM; web01 (failed over by the other plan) allows only a commit.
    expect((await item('db01')).properties?.testFailoverState).toBe('WaitingForCompletion');
    expect((await item('app01')).properties?.testFailoverState).toBe('None');
    expect((await plan()).properties?.allowedOperations).toEqual([
      'PlannedFailover',
      'UnplannedFailover',
      'TestFailover',
      'TestFailoverCleanup',
      'Commit',
    ]);
    await expect(
      c.asr.replicationRecoveryPlans.beginFailoverCancelAndWait(VAULT, RG, PLAN, POLL),
    ).rejects.toMatchObject({
      statusCode: 400,
      code: 'OperationNotAllowed',
    });

    await c.asr.replicationRecoveryPlans.beginTestFailoverCleanupAndWait(VAULT, RG, PLAN, { properties: {} }, POLL);
    const tasks = tasksOf(await jobOf());
    expect(tasks.map((t) => [t.name, t.stateDescription])).toEqual([
      ['db01', 'Completed'],
      ['app01', 'Skipped'],
      ['web01', 'Skipped'],
    ]);
    expect(taskNamed(tasks, 'app01').customDetails).toMatchObject({
      skippedReasonString: 'The item has no test failover to clean up.',
    });
    expect(await azureVm('db01-dr-test')).toBeUndefined();
    expect((await item('db01')).properties?.testFailoverState).toBe('None');
  });

  it('takes an item whose protection is disabled out of its plans', async () => {
    await c.asr.replicationProtectedItems.beginDeleteAndWait(
      VAULT,
      RG,
      fabric,
      container,
      'rpt01',
      { properties: { disableProtectionReason: 'NotSpecified' } },
      POLL,
    );
    const groups = (await plan('rp-reports')).properties?.groups ?? [];
    expect(groups.map((g) => g.replicationProtectedItems?.map((i) => i.id))).toEqual([[], [], [], [itemIds['web01']]]);
  });

  it("keeps another tenant out of a tenant's recovery plans", async () => {
    const fabrikam = clientsFor(emu, 'fabrikam', SUB);
    await expect(fabrikam.asr.replicationRecoveryPlans.get(VAULT, RG, PLAN)).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenTenant',
    });
    await expect(collect(fabrikam.asr.replicationRecoveryPlans.list(VAULT, RG))).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenTenant',
    });
  });

  it('deletes a plan; counts and validates every recovery plan answer against the specification', async () => {
    await c.asr.replicationRecoveryPlans.beginDeleteAndWait(VAULT, RG, 'rp-reports', POLL);
    await expect(plan('rp-reports')).rejects.toMatchObject({ statusCode: 404 });

    const counters = await emu.admin.counters();
    expect(Object.values(counters['ReplicationRecoveryPlans_TestFailover'] ?? {})).toEqual([{ count: 2, label: PLAN }]);
    expect(Object.values(counters['ReplicationRecoveryPlans_PlannedFailover'] ?? {})).toEqual([
      { count: 2, label: PLAN },
    ]);

    const spec = await loadSpecIndex();
    const log = (await emu.admin.requests(0, true)).entries;
    const problems: string[] = [];
    const validated = new Set<string>();
    for (const e of log) {
      if (e.status === 0 || e.status >= 400) continue;
      const final = /^(.*)\/operationresults\/[^/]+$/i.exec(e.path);
      if (final && e.status === 202) continue;
      const method = final ? 'GET' : e.method;
      const target = final ? `${final[1]}${e.query}` : `${e.path}${e.query}`;
      const op = spec.findOperation(method, target);
      if (!op || !/^ReplicationRecoveryPlans_|^ReplicationJobs_/.test(op.operationId)) continue;
      const errors = spec.validateResponse(method, target, final && e.status === 200 ? 200 : e.status, e.responseBody);
      if (e.requestBody !== undefined && !final)
        errors.push(
          ...spec.validateRequestBody(e.method, `${e.path}${e.query}`, e.requestBody).map((x) => `request: ${x}`),
        );
      validated.add(op.operationId);
      for (const x of errors) problems.push(`${e.method} ${e.path} -> ${e.status} (${op.operationId}): ${x}`);
    }
    expect(problems).toEqual([]);
    for (const id of [
      'ReplicationRecoveryPlans_List',
      'ReplicationRecoveryPlans_Get',
      'ReplicationRecoveryPlans_Create',
      'ReplicationRecoveryPlans_Update',
      'ReplicationRecoveryPlans_Delete',
      'ReplicationRecoveryPlans_TestFailover',
      'ReplicationRecoveryPlans_TestFailoverCleanup',
      'ReplicationRecoveryPlans_PlannedFailover',
      'ReplicationRecoveryPlans_UnplannedFailover',
      'ReplicationRecoveryPlans_FailoverCommit',
      'ReplicationRecoveryPlans_Reprotect',
      'ReplicationRecoveryPlans_FailoverCancel',
      'ReplicationJobs_Get',
      'ReplicationJobs_Resume',
    ])
      expect(validated, `no ${id} answer was validated`).toContain(id);
  });
});
