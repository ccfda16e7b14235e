import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import type { DrillRecord } from '../../src/failover/contract';
import { loadPlan } from '../../src/domain/plan/load';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { clientsFor, collect } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { maybeRecordHistories } from '../support/histories';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Per-VM target settings, end to end: the plan names a VM's name in Azure, size, NICs with
// static addresses (for failover and for test failover), licence, tags and an excluded disk;
// onboarding protects the VMs with them, test and planned failovers create Azure VMs exactly
// so, and a changed plan updates only the VM it changes, once.
describe('per-VM target settings', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let dir: string;
  const vault = { name: 'fabrikam-asr-westeurope', resourceGroup: 'fabrikam-asr-rg' };
  const example = parse(readFileSync(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), 'utf8')) as {
    tenants: Array<Record<string, unknown>>;
  };
  const crm01 = {
    name: 'crm01',
    vmSize: 'Standard_D4s_v3',
    nics: [{ ip: '10.10.0.10' }, { subnet: 'Contoso-Back', ip: '10.10.1.10', testIp: '10.10.1.20' }],
    disks: { exclude: ['crm01-data.vhdx'] },
    licenseType: 'WindowsServer',
    tags: { app: 'crm' },
  };
  const legacy = { name: 'app.01 (legacy)', azureName: 'app-01-legacy', nics: [{ ip: '10.10.0.21' }] };
  /** In the tenant's second VNet, the one its back-end VM network is mapped to. */
  const files21 = { name: 'files21', vnet: 'contoso-back-vnet', nics: [{ ip: '10.11.0.30' }] };
  /** Contoso alone, on the fixture's cloud, with two subnets and the VMs given. */
  const planWith = (name: string, vms: unknown[]): string => {
    const contoso = example.tenants[0] ?? {};
    const network = contoso['network'] as Record<string, unknown>;
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      stringify({
        ...example,
        tenants: [
          {
            ...contoso,
            // Two clouds and two VM networks, each mapped to a VNet of its own.
            vmm: { cloud: ['Contoso-Cloud', 'Contoso-Silver'], vmNetwork: 'Contoso-FrontEnd' },
            network: {
              ...network,
              subnets: [
                { name: 'Contoso-Subnet', prefix: '10.10.0.0/24' },
                { name: 'Contoso-Back', prefix: '10.10.1.0/24' },
              ],
            },
            networks: [
              {
                vnet: 'contoso-back-vnet',
                vmNetwork: 'Contoso-BackEnd',
                addressSpace: ['10.11.0.0/16'],
                subnets: [{ name: 'Back-Subnet', prefix: '10.11.0.0/24' }],
                testFailoverVnet: { name: 'contoso-back-test-vnet' },
              },
            ],
            vms: { include: vms },
            policy: undefined,
          },
        ],
      }),
    );
    return file;
  };
  const cli = (...args: string[]) => runCli(args, stack.env);
  const items = async () => {
    const { asr } = clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'fabrikam',
    );
    return collect(asr.replicationProtectedItems.list(vault.name, vault.resourceGroup));
  };
  const updates = async () =>
    Object.values((await admin.counters())['ReplicationProtectedItems_Update'] ?? {})
      .map((c) => [c.label, c.count] as const)
      .sort();
  /** Each VM network and the VNet it is mapped to, from the vault. */
  const networkMappings = async () => {
    const { asr } = clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'fabrikam',
    );
    return (await collect(asr.replicationNetworkMappings.list(vault.name, vault.resourceGroup)))
      .map((m) => [m.properties?.primaryNetworkFriendlyName, m.properties?.recoveryNetworkId?.split('/').pop()])
      .sort();
  };
  const result = (vm: string) =>
    stack.client.workflow.getHandle(workflowIds.failover('contoso', vm)).result() as Promise<DrillRecord>;

  beforeAll(async () => {
    stack = await startTestStack({
      speed: 600,
      estate: path.join(repoRoot, 'test', 'emulator', 'fixtures', 'estate-vm-settings.yaml'),
    });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    dir = mkdtempSync(path.join(tmpdir(), 'asrflow-vm-settings-'));
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('protects each VM with its settings, and writes static addresses with one update per VM that has them', async () => {
    const file = planWith('first', [crm01, legacy, 'web11', files21]);
    const validated = await cli('plan', 'validate', file);
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    await onboardMultitenant(stack, admin, loadPlan(file, { checkCredentials: false }).plan);

    const done = (await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result()) as {
      protectedVms: string[];
    };
    expect(done.protectedVms.sort()).toEqual(['app.01 (legacy)', 'crm01', 'files21', 'web11']);
    // Each cloud paired with the policy, each VM network mapped: once each.
    const counters = await admin.counters();
    const once = (op: string) => Object.values(counters[op] ?? {}).map((c) => c.count);
    expect(once('ReplicationProtectionContainerMappings_Create')).toEqual([1, 1]);
    expect(once('ReplicationNetworkMappings_Create')).toEqual([1, 1]);
    const mappings = await networkMappings();
    expect(mappings).toEqual([
      ['Contoso-BackEnd', 'contoso-back-vnet'],
      ['Contoso-FrontEnd', 'contoso-dr-vnet'],
    ]);
    const byName = new Map((await items()).map((i) => [i.properties?.friendlyName, i]));
    const details = (vm: string) =>
      byName.get(vm)?.properties?.providerSpecificDetails as {
        recoveryAzureVmName?: string;
        recoveryAzureVMSize?: string;
        licenseType?: string;
        targetVmTags?: Record<string, string>;
        azureVmDiskDetails?: Array<{ vhdName?: string }>;
        vmNics?: Array<{
          ipConfigs?: Array<{
            recoverySubnetName?: string;
            recoveryStaticIPAddress?: string;
            tfoStaticIPAddress?: string;
          }>;
        }>;
      };
    const crm = details('crm01');
    expect([crm.recoveryAzureVmName, crm.recoveryAzureVMSize, crm.licenseType, crm.targetVmTags]).toEqual([
      'crm01',
      'Standard_D4s_v3',
      'WindowsServer',
      { app: 'crm' },
    ]);
    expect(crm.azureVmDiskDetails?.map((d) => d.vhdName)).toEqual(['crm01-os.vhdx']);
    expect(
      crm.vmNics?.map((n) => [
        n.ipConfigs?.[0]?.recoverySubnetName,
        n.ipConfigs?.[0]?.recoveryStaticIPAddress,
        n.ipConfigs?.[0]?.tfoStaticIPAddress,
      ]),
    ).toEqual([
      ['Contoso-Subnet', '10.10.0.10', '10.10.0.10'],
      ['Contoso-Back', '10.10.1.10', '10.10.1.20'],
    ]);
    expect(details('app.01 (legacy)').recoveryAzureVmName).toBe('app-01-legacy');
    const files = byName.get('files21')?.properties?.providerSpecificDetails as {
      selectedRecoveryAzureNetworkId?: string;
      vmNics?: Array<{
        recoveryVMNetworkId?: string;
        tfoVMNetworkId?: string;
        ipConfigs?: Array<{ recoverySubnetName?: string; recoveryStaticIPAddress?: string }>;
      }>;
    };
    expect(files.selectedRecoveryAzureNetworkId?.split('/').pop()).toBe('contoso-back-vnet');
    const filesNic = files.vmNics?.[0];
    expect([filesNic?.recoveryVMNetworkId?.split('/').pop(), filesNic?.tfoVMNetworkId?.split('/').pop()]).toEqual([
      'contoso-back-vnet',
      'contoso-back-test-vnet',
    ]);
    expect(filesNic?.ipConfigs?.[0]).toMatchObject({
      recoverySubnetName: 'Back-Subnet',
      recoveryStaticIPAddress: '10.11.0.30',
    });
    // One update for each VM with addresses; none for web11, which has no settings.
    expect(await updates()).toEqual([
      ['app.01 (legacy)', 1],
      ['crm01', 1],
      ['files21', 1],
    ]);
    await maybeRecordHistories(stack.client, 'vm-settings', [
      workflowIds.tenantOnboarding('contoso'),
      workflowIds.vmProtection('contoso', 'crm01'),
    ]);
  });

  it('a test failover creates the Azure VM exactly as configured, and the report says so', async () => {
    const test = await cli(
      'failover',
      'test',
      '--tenant',
      'contoso',
      '--vm',
      'crm01',
      '--cleanup-after',
      '1h',
      '--plan',
      planWith('first', [crm01, legacy, 'web11', files21]),
    );
    expect(test.code, test.stderr).toBe(0);
    const testVm = await eventually(
      async () => (await admin.azureVms()).find((v) => v.purpose === 'TestFailover' && v.sourceVm.endsWith('/crm01')),
      'the test VM of crm01',
    );
    expect(testVm.name).toBe('crm01-test');
    expect(testVm.vmSize).toBe('Standard_D4s_v3');
    expect(testVm.licenseType).toBe('WindowsServer');
    expect(testVm.nics.map((n) => [n.subnet, n.privateIp, n.allocation])).toEqual([
      ['Contoso-Subnet', '10.10.0.10', 'Static'],
      ['Contoso-Back', '10.10.1.20', 'Static'],
    ]);
    expect(testVm.nics.every((n) => n.networkId.toLowerCase().endsWith('/contoso-dr-test-vnet'))).toBe(true);
    expect(testVm.disks.map((d) => [d.os, d.name.includes('data') || d.sourceVhd.includes('data')])).toEqual([
      [true, false],
    ]);
    const firstPlan = path.join(dir, 'first.yaml');
    expect((await cli('failover', 'cleanup', '--tenant', 'contoso', '--vm', 'crm01', '--plan', firstPlan)).code).toBe(
      0,
    );
    const drill = await result('crm01');
    expect(drill.outcome).toBe('succeeded');
    await maybeRecordHistories(stack.client, 'vm-settings', [workflowIds.failover('contoso', 'crm01')]);
    const report = await cli('report', '--tenant', 'contoso');
    expect(report.stdout).toContain(
      'Comes up as: name crm01 (test VM: -test); size Standard_D4s_v3; NIC 1 Contoso-Subnet 10.10.0.10 (static); NIC 2 Contoso-Back 10.10.1.20 (static); licence WindowsServer; tags app=crm.',
    );
  });

  it("fails a VM of the tenant's second cloud over, and finds nothing in a cloud that is not the tenant's", async () => {
    const firstPlan = path.join(dir, 'first.yaml');
    const since = (await admin.requests(0)).lastSeq;
    const other = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'other01', '--plan', firstPlan);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("VM 'other01' not found for tenant contoso");
    expect(other.stderr).toContain('clouds Contoso-Cloud, Contoso-Silver');
    const posts = (await admin.requests(since)).entries.filter(
      (e) => e.method === 'POST' && /\/replicationProtectedItems\//i.test(e.path),
    );
    expect(posts).toEqual([]);
    const files = await cli(
      'failover',
      'test',
      '--tenant',
      'contoso',
      '--vm',
      'files21',
      '--cleanup-after',
      '1s',
      '--plan',
      firstPlan,
    );
    expect(files.code, files.stderr).toBe(0);
    // Its test VM comes up in the test network of its own VNet, with its address.
    const filesVm = await eventually(
      async () => (await admin.azureVms()).find((v) => v.purpose === 'TestFailover' && v.sourceVm.endsWith('/files21')),
      'the test VM of files21',
    );
    expect(filesVm.nics.map((n) => [n.networkId.split('/').pop(), n.subnet, n.privateIp])).toEqual([
      ['contoso-back-test-vnet', 'Back-Subnet', '10.11.0.30'],
    ]);
    expect((await result('files21')).outcome).toBe('succeeded');

    // Offboarding finds it in the second cloud too.
    const offboard = await cli('offboard', '--tenant', 'contoso', '--vm', 'files21', '--yes', '--plan', firstPlan);
    expect(offboard.code, offboard.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.offboardVm('contoso', 'files21')).result();
    expect((await items()).map((i) => i.properties?.friendlyName)).not.toContain('files21');
  });

  it('a changed size and address: plan diff shows them, onboard updates that VM once and no other', async () => {
    // files21 was offboarded above: the changed plans leave it out.
    const changed = planWith('changed', [
      { ...crm01, vmSize: 'Standard_D8s_v3', nics: [{ ip: '10.10.0.11' }, crm01.nics[1]] },
      legacy,
      'web11',
    ]);
    const diff = await cli('plan', 'diff', changed);
    expect(diff.code, diff.stderr).toBe(0);
    expect(diff.stdout).toContain(
      'apply   vms.crm01.vmSize: Standard_D4s_v3 → Standard_D8s_v3: the protected item is updated in place',
    );
    expect(diff.stdout).toContain('apply   vms.crm01.nics:');
    const before = await updates();
    const onboard = await cli('onboard', changed);
    expect(onboard.code, onboard.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result();
    expect(await updates()).toEqual(before.map(([vm, n]) => [vm, vm === 'crm01' ? n + 1 : n]));
    const crm = (await items()).find((i) => i.properties?.friendlyName === 'crm01')?.properties
      ?.providerSpecificDetails as {
      recoveryAzureVMSize?: string;
      vmNics?: Array<{ ipConfigs?: Array<{ recoveryStaticIPAddress?: string }> }>;
    };
    expect(crm.recoveryAzureVMSize).toBe('Standard_D8s_v3');
    expect(crm.vmNics?.[0]?.ipConfigs?.[0]?.recoveryStaticIPAddress).toBe('10.10.0.11');
    await maybeRecordHistories(stack.client, 'vm-settings-changed', [
      workflowIds.tenantOnboarding('contoso'),
      workflowIds.vmProtection('contoso', 'crm01'),
    ]);

    // Disks cannot change after enable: refused, exit 2, nothing started.
    const disks = planWith('disks', [
      { ...crm01, vmSize: 'Standard_D8s_v3', nics: [{ ip: '10.10.0.11' }, crm01.nics[1]], disks: { exclude: [] } },
      legacy,
      'web11',
    ]);
    const refused = await cli('onboard', disks);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('vms.crm01.disks');
    expect(refused.stderr).toContain('cannot change them');
  });

  it('a planned failover creates the Azure VM under its name in Azure, with its static address', async () => {
    const firstPlan = path.join(dir, 'first.yaml');
    const planned = await cli(
      'failover',
      'planned',
      '--tenant',
      'contoso',
      '--vm',
      'app.01 (legacy)',
      '--yes',
      '--wait',
      '--plan',
      firstPlan,
    );
    expect(planned.code, planned.stderr).toBe(0);
    const failedOver = (await admin.azureVms()).find((v) => v.purpose === 'Failover');
    expect(failedOver?.name).toBe('app-01-legacy');
    expect(failedOver?.nics.map((n) => [n.subnet, n.privateIp, n.allocation])).toEqual([
      ['Contoso-Subnet', '10.10.0.21', 'Static'],
    ]);
    expect(failedOver?.nics[0]?.networkId.toLowerCase()).toMatch(/\/contoso-dr-vnet$/);

    // A later plan change onboards the tenant again: the failed-over VM is left as it is (it
    // never becomes Protected again while it runs in Azure), and the run ends.
    const before = await updates();
    const tagged = planWith('tagged', [
      { ...crm01, vmSize: 'Standard_D8s_v3', nics: [{ ip: '10.10.0.11' }, crm01.nics[1]] },
      legacy,
      { name: 'web11', tags: { tier: 'web' } },
    ]);
    const onboard = await cli('onboard', tagged);
    expect(onboard.code, onboard.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result();
    expect(await updates()).toEqual([...before, ['web11', 1]].sort());
    const legacyProgress = await stack.client.workflow
      .getHandle(workflowIds.vmProtection('contoso', 'app.01 (legacy)'))
      .query(progressQuery);
    expect(legacyProgress.steps.find((x) => x.name === 'initial-replication')?.warnings?.join(' ')).toMatch(
      /app\.01 \(legacy\) is Planned\w+: its protection was set up before; onboarding leaves it as it is/,
    );
    await maybeRecordHistories(stack.client, 'vm-settings-failed-over', [
      workflowIds.vmProtection('contoso', 'app.01 (legacy)'),
    ]);
  });
  it('a size the VM cannot take and a missing availability set: warned at onboarding, refused at failover', async () => {
    const contosoRg = '/subscriptions/c1000000-0000-4000-8000-000000000001/resourceGroups/contoso-dr-rg';
    const avset = `${contosoRg}/providers/Microsoft.Compute/availabilitySets/web-avset`;
    // web11 is a generation 2 VM: the A-v2 sizes run generation 1 only.
    const misplaced = planWith('misplaced', [
      { ...crm01, vmSize: 'Standard_D8s_v3', nics: [{ ip: '10.10.0.11' }, crm01.nics[1]] },
      legacy,
      { name: 'web11', tags: { tier: 'web' }, vmSize: 'Standard_A2_v2', availabilitySet: 'web-avset' },
    ]);
    expect((await cli('onboard', misplaced)).code).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result();
    const web11 = stack.client.workflow.getHandle(workflowIds.vmProtection('contoso', 'web11'));
    const warnings = (await web11.query(progressQuery)).steps.find((x) => x.name === 'apply-settings')?.warnings ?? [];
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^size Standard_A2_v2 cannot host this VM: .*generation.*; sizes that can, e\.g\. /i);
    expect(warnings[1]).toBe(
      'availability set web-avset does not exist in resource group contoso-dr-rg: a failover of web11 fails until it does; create it there (same region as the tenant) before one',
    );
    const item = async () =>
      (await items()).find((i) => i.properties?.friendlyName === 'web11')?.properties?.providerSpecificDetails as {
        recoveryAzureVMSize?: string;
        recoveryAvailabilitySetId?: string;
      };
    // The size is not written (Azure would refuse it); the set is, for when it exists.
    expect((await item()).recoveryAzureVMSize).not.toBe('Standard_A2_v2');
    expect((await item()).recoveryAvailabilitySetId).toBe(avset);

    const since = (await admin.requests(0)).lastSeq;
    const refused = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'web11', '--plan', misplaced);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the VM's availability set ${avset} does not exist in the tenant's subscription`);
    const posts = (await admin.requests(since)).entries.filter(
      (e) => e.method === 'POST' && /\/replicationProtectedItems\//i.test(e.path),
    );
    expect(posts).toEqual([]);

    // The customer creates the set; the plan names a size that can host the VM: both taken.
    const { resources } = clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'contoso',
    );
    await resources.resources.beginCreateOrUpdateByIdAndWait(avset, '2024-07-01', { location: 'westeurope' });
    const fixed = planWith('fixed', [
      { ...crm01, vmSize: 'Standard_D8s_v3', nics: [{ ip: '10.10.0.11' }, crm01.nics[1]] },
      legacy,
      { name: 'web11', tags: { tier: 'web' }, vmSize: 'Standard_D2s_v3', availabilitySet: 'web-avset' },
    ]);
    expect((await cli('onboard', fixed)).code).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.tenantOnboarding('contoso')).result();
    expect((await web11.query(progressQuery)).steps.find((x) => x.name === 'apply-settings')?.warnings).toBeUndefined();
    expect((await item()).recoveryAzureVMSize).toBe('Standard_D2s_v3');
    const test = await cli(
      'failover',
      'test',
      '--tenant',
      'contoso',
      '--vm',
      'web11',
      '--cleanup-after',
      '1s',
      '--plan',
      fixed,
    );
    expect(test.code, test.stderr).toBe(0);
    const testVm = await eventually(
      async () => (await admin.azureVms()).find((v) => v.purpose === 'TestFailover' && v.sourceVm.endsWith('/web11')),
      'the test VM of web11',
    );
    expect([testVm.vmSize, testVm.availabilitySetId]).toEqual(['Standard_D2s_v3', avset]);
  });
});
