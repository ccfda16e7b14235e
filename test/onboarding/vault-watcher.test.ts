import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { defaultEstatePath, EmulatorAdminClient, loadEstateFile, type Estate } from '@asrflow/azure-emulator';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { repoRoot, runCli } from '../support/cli';
import { registerWhenAsked } from '../support/litware';
import { startTestStack, type TestStack } from '../support/stack';

// Issue #13: in a shared vault, the replication wait costs one list of the vault's replicated
// items per interval, however many tenants wait — not one per tenant. Three tenants onboard
// into the example's shared vault; the emulator's request log shows how often the vault was read.
const POLL_MS = 250;
const TENANTS = ['contoso', 'northwind', 'tailspin'];

/** The example estate with a third CSP tenant, Tailspin, in its own cloud on the shared VMM. */
function estateWithTailspin(): Estate {
  const estate = loadEstateFile(defaultEstatePath());
  estate.tenants.push({
    name: 'tailspin',
    tenantId: 'f0000000-0000-4000-8000-000000000001',
    subscriptions: [{ id: 'f1000000-0000-4000-8000-000000000001', displayName: 'Tailspin CSP' }],
    apps: [
      {
        clientId: 'f2000000-0000-4000-8000-000000000001',
        secret: 'tailspin-test-secret-1',
        displayName: 'asrflow-tailspin',
      },
    ],
  });
  const shared = estate.vmmServers.find((v) => v.name === 'vmm01.fabrikam.local');
  const template = shared?.vms.find((vm) => vm.name === 'app01');
  if (!shared || !template) throw new Error('the example estate changed: no vmm01 or app01');
  // A slow uplink: initial replication then spans tens of intervals after the VMs are enabled.
  shared.uploadMbps = 10;
  shared.clouds.push({ name: 'Tailspin-Cloud' });
  shared.vmNetworks.push({
    name: 'Tailspin-VMNet',
    subnets: [{ name: 'Tailspin-Subnet', addressPrefix: '10.30.0.0/24' }],
  });
  for (const name of ['ts01', 'ts02'])
    shared.vms.push({
      ...template,
      name,
      cloud: 'Tailspin-Cloud',
      networks: ['Tailspin-VMNet'],
      disks: [{ name: `${name}-os.vhd`, sizeGB: 4, usedGB: 2, format: 'VHD', os: true }],
    });
  return estate;
}

describe('one vault watcher for every tenant of a shared vault', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let planFile: string;

  beforeAll(async () => {
    stack = await startTestStack({
      speed: 600,
      estate: estateWithTailspin(),
      workerEnv: { ASRFLOW_SECRET_TAILSPIN: 'tailspin-test-secret-1', ASRFLOW_REPLICATION_POLL_MS: String(POLL_MS) },
    });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    const plan = parse(readFileSync(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), 'utf8')) as {
      tenants: Array<Record<string, unknown>>;
    };
    const northwind = plan.tenants.find((t) => t.name === 'northwind') as Record<string, unknown>;
    plan.tenants.push({
      ...northwind,
      name: 'tailspin',
      tenantId: 'f0000000-0000-4000-8000-000000000001',
      subscriptionId: 'f1000000-0000-4000-8000-000000000001',
      credential: {
        type: 'clientSecret',
        clientId: 'f2000000-0000-4000-8000-000000000001',
        secretEnv: 'ASRFLOW_SECRET_TAILSPIN',
      },
      resourceGroup: 'tailspin-dr-rg',
      storageAccount: { name: 'tailspindr' },
      network: {
        vnet: 'tailspin-dr-vnet',
        addressSpace: ['10.30.0.0/16'],
        subnets: [{ name: 'Tailspin-Subnet', prefix: '10.30.0.0/24' }],
        testFailoverVnet: { name: 'tailspin-dr-test-vnet' },
      },
      vmm: { cloud: 'Tailspin-Cloud', vmNetwork: 'Tailspin-VMNet' },
      vms: { include: ['ts01', 'ts02'] },
    });
    planFile = path.join(mkdtempSync(path.join(tmpdir(), 'asrflow-watch-')), 'three-tenants.yaml');
    writeFileSync(planFile, stringify(plan));
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('lists the shared vault once per interval for all three tenants, and protects every VM once', async () => {
    const started = await runCli(['onboard', planFile], stack.env);
    expect(started.code, started.stderr).toBe(0);
    const vaultId = workflowIds.sharedVault('a1000000-0000-4000-8000-000000000001', 'fabrikam-asr-westeurope');
    await registerWhenAsked(stack, vaultId, 'vmm01.fabrikam.local');

    const results = await Promise.all(
      TENANTS.map(
        (t) =>
          stack.client.workflow.getHandle(workflowIds.tenantOnboarding(t)).result() as Promise<TenantOnboardingResult>,
      ),
    );
    expect(results.map((r) => [r.tenant, r.protectedVms.sort()])).toEqual([
      ['contoso', ['sql01', 'web01', 'web02']],
      ['northwind', ['app01', 'app02']],
      ['tailspin', ['ts01', 'ts02']],
    ]);
    const enables = Object.values((await admin.counters())['ReplicationProtectedItems_Create'] ?? {});
    expect(enables.map((c) => [c.label, c.count]).sort()).toEqual(
      ['app01', 'app02', 'sql01', 'ts01', 'ts02', 'web01', 'web02'].map((vm) => [vm, 1]),
    );

    // No VM followed its own enable-protection operation: the watcher's looks tell them all.
    const world = (await admin.state()).world as {
      operations: Record<string, { id: string; resultPath?: string }>;
    };
    const enableOps = Object.values(world.operations)
      .filter((o) => /\/replicationProtectedItems\/[^/]+$/i.test(o.resultPath ?? ''))
      .map((o) => o.id.toLowerCase());
    expect(enableOps.length).toBeGreaterThanOrEqual(7);
    const requests = (await admin.requests(0)).entries;
    const polls = requests.filter(
      (e) => e.method === 'GET' && enableOps.some((id) => e.path.toLowerCase().endsWith(`/${id}`)),
    );
    expect(polls).toEqual([]);

    // Every list of the shared vault's replicated items, in order: the watcher's looks.
    const lists = requests.filter(
      (e) => e.method === 'GET' && /\/vaults\/fabrikam-asr-westeurope\/replicationProtectedItems$/i.test(e.path),
    );
    const times = lists.map((e) => Date.parse(e.time));
    const span = (times.at(-1) ?? 0) - (times[0] ?? 0);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    // Three tenants polling on their own would look about three times per interval: back to back.
    // The watcher looks once per interval; a new watch session (its items all done, new ones
    // came) looks at once, so a short gap can only open at a session's start.
    const backToBack = gaps.filter((g) => g < POLL_MS / 2).length;
    expect(lists.length).toBeGreaterThan(10);
    expect(backToBack).toBeLessThanOrEqual(TENANTS.length);
    expect(lists.length).toBeLessThanOrEqual(Math.floor(span / POLL_MS) + 1 + TENANTS.length);
    // The looks were the watcher's (the provider's identity), and the tenants asked it to look.
    const watcher = stack.client.workflow.getHandle(
      workflowIds.vaultWatch('a1000000-0000-4000-8000-000000000001', 'fabrikam-asr-rg', 'fabrikam-asr-westeurope'),
    );
    expect((await watcher.describe()).status.name).toBe('RUNNING');
    expect(new Set(lists.map((e) => e.tenantId))).toEqual(new Set(['a0000000-0000-4000-8000-000000000001']));
    for (const tenant of TENANTS) {
      const history = await stack.client.workflow.getHandle(workflowIds.tenantOnboarding(tenant)).fetchHistory();
      const activities = (history.events ?? [])
        .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
        .filter((name): name is string => Boolean(name));
      expect(activities).toContain('watchVault');
      expect(activities).not.toContain('observeReplication');
    }
  });
});
