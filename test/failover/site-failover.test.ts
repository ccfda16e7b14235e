import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import type { SiteFailoverRecord } from '../../src/failover/contract';
import { loadPlan } from '../../src/domain/plan/load';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { eventually, repoRoot, runCli } from '../support/cli';
import { maybeRecordHistories } from '../support/histories';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// A site's disaster: three tenants on the hoster's shared VMM server and vault, each with a
// recovery plan. One command fails every plan over, each tenant in its own scope and with its
// own credential (the emulator's log shows each tenant's token), and one parent workflow
// shows them all.
describe('site failover', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let file: string;
  const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-site-'));
  const cli = (...args: string[]) => runCli(args, stack.env);
  const TAILSPIN = {
    tenantId: 'f0000000-0000-4000-8000-000000000001',
    subscriptionId: 'f1000000-0000-4000-8000-000000000001',
    clientId: 'f2000000-0000-4000-8000-000000000001',
    secret: 'tailspin-demo-secret-1',
  };

  beforeAll(async () => {
    // The demo estate with a third tenant on the shared VMM server: Tailspin, one VM.
    const estate = parse(
      readFileSync(path.join(repoRoot, 'packages', 'azure-emulator', 'examples', 'estate.yaml'), 'utf8'),
    ) as {
      tenants: Array<Record<string, unknown>>;
      vmmServers: Array<{
        name: string;
        clouds: Array<{ name: string }>;
        vmNetworks: Array<{ name: string; subnets: unknown[] }>;
        vms: Array<Record<string, unknown>>;
      }>;
    };
    estate.tenants.push({
      name: 'tailspin',
      tenantId: TAILSPIN.tenantId,
      subscriptions: [{ id: TAILSPIN.subscriptionId, displayName: 'Tailspin CSP' }],
      apps: [{ clientId: TAILSPIN.clientId, secret: TAILSPIN.secret, displayName: 'asrflow-tailspin' }],
    });
    const shared = estate.vmmServers.find((s) => s.name === 'vmm01.fabrikam.local');
    if (!shared) throw new Error('the demo estate has no vmm01.fabrikam.local');
    shared.clouds.push({ name: 'Tailspin-Cloud' });
    shared.vmNetworks.push({
      name: 'Tailspin-VMNet',
      subnets: [{ name: 'Tailspin-Subnet', addressPrefix: '10.30.0.0/24' }],
    });
    const web01 = shared.vms.find((v) => v.name === 'web01');
    shared.vms.push({
      ...web01,
      name: 'tweb01',
      cloud: 'Tailspin-Cloud',
      networks: ['Tailspin-VMNet'],
      disks: [{ name: 'tweb01-os.vhdx', sizeGB: 6, usedGB: 3, format: 'VHDX', os: true }],
    });
    const estateFile = path.join(dir, 'estate.yaml');
    writeFileSync(estateFile, stringify(estate));
    stack = await startTestStack({
      speed: 600,
      estate: estateFile,
      workerEnv: { ASRFLOW_SECRET_TAILSPIN: TAILSPIN.secret },
    });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);

    const example = parse(readFileSync(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), 'utf8')) as {
      tenants: Array<Record<string, unknown>>;
    };
    const [contoso, northwind] = example.tenants;
    file = path.join(dir, 'plan.yaml');
    writeFileSync(
      file,
      stringify({
        ...example,
        tenants: [
          {
            ...contoso,
            recoveryPlans: [{ name: 'crm', groups: [{ vms: ['sql01'] }, { vms: ['web01', 'web02'] }] }],
          },
          { ...northwind, recoveryPlans: [{ name: 'app', groups: [{ vms: ['app01', 'app02'] }] }] },
          {
            name: 'tailspin',
            tenantId: TAILSPIN.tenantId,
            subscriptionId: TAILSPIN.subscriptionId,
            credential: { type: 'clientSecret', clientId: TAILSPIN.clientId, secretEnv: 'ASRFLOW_SECRET_TAILSPIN' },
            region: 'westeurope',
            resourceGroup: 'tailspin-dr-rg',
            storageAccount: { name: 'tailspindr' },
            network: {
              vnet: 'tailspin-dr-vnet',
              addressSpace: ['10.30.0.0/16'],
              subnets: [{ name: 'Tailspin-Subnet', prefix: '10.30.0.0/24' }],
              testFailoverVnet: { name: 'tailspin-dr-test-vnet' },
            },
            vmm: { cloud: 'Tailspin-Cloud', vmNetwork: 'Tailspin-VMNet' },
            vms: { include: ['tweb01'] },
            recoveryPlans: [{ name: 'web', groups: [{ vms: ['tweb01'] }] }],
          },
        ],
      }),
    );
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it("fails every tenant's recovery plan on the shared VMM server over, each with its own credential", async () => {
    const validated = await cli('plan', 'validate', file);
    expect(validated.code, validated.stdout + validated.stderr).toBe(0);
    await onboardMultitenant(stack, admin, loadPlan(file, { checkCredentials: false }).plan);

    const since = (await admin.requests(0)).lastSeq;
    const started = await cli(
      'failover',
      'test',
      '--site',
      'vmm01.fabrikam.local',
      '--concurrency',
      '2',
      '--cleanup-after',
      '1h',
      '--plan',
      file,
    );
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain('contoso: crm; northwind: app; tailspin: web (2 tenants at a time)');
    expect(started.stdout).toContain('Clean up with: asrflow failover cleanup --site vmm01.fabrikam.local');
    const site = stack.client.workflow.getHandle(workflowIds.siteFailover('vmm01.fabrikam.local'));
    // Every plan's test VMs up: each plan waits for its cleanup.
    await eventually(async () => {
      const waiting = await Promise.all(
        [
          ['contoso', 'crm'],
          ['northwind', 'app'],
          ['tailspin', 'web'],
        ].map(async ([tenant, plan]) => {
          try {
            const p = await stack.client.workflow
              .getHandle(workflowIds.planFailover(tenant ?? '', plan ?? ''))
              .query(progressQuery);
            return p.steps.find((s) => s.name === 'await-cleanup')?.state === 'running';
          } catch {
            return false;
          }
        }),
      );
      return waiting.every(Boolean) ? true : undefined;
    }, 'every plan of the site waiting for its cleanup');
    const testVms = (await admin.azureVms())
      .filter((v) => v.purpose === 'TestFailover')
      .map((v) => v.sourceVm.split('/').pop())
      .sort();
    expect(testVms).toEqual(['app01', 'app02', 'sql01', 'tweb01', 'web01', 'web02']);

    // Each tenant's own token read its own test network; the shared vault saw the hoster's.
    const entries = (await admin.requests(since)).entries.filter((e) => e.method === 'GET');
    const tokensOf = (sub: string) =>
      new Set(entries.filter((e) => e.path.toLowerCase().includes(`/subscriptions/${sub}/`)).map((e) => e.tenantId));
    expect([...tokensOf('c1000000-0000-4000-8000-000000000001')]).toEqual(['c0000000-0000-4000-8000-000000000001']);
    expect([...tokensOf('d1000000-0000-4000-8000-000000000001')]).toEqual(['d0000000-0000-4000-8000-000000000001']);
    expect([...tokensOf(TAILSPIN.subscriptionId)]).toEqual([TAILSPIN.tenantId]);
    expect([...tokensOf('a1000000-0000-4000-8000-000000000001')]).toEqual(['a0000000-0000-4000-8000-000000000001']);

    // The printed command, as printed.
    const printed = /Clean up with: (asrflow failover cleanup [^(\n]+?) \(automatic/.exec(started.stdout)?.[1] ?? '';
    expect(printed).toBe(`asrflow failover cleanup --site vmm01.fabrikam.local --plan ${file}`);
    const cleaned = await cli(...printed.split(' ').slice(1));
    expect(cleaned.code, cleaned.stderr).toBe(0);
    const record = (await site.result()) as SiteFailoverRecord;
    expect(record.outcome).toBe('succeeded');
    expect(record.plans.map((p) => [p.tenant, p.plan, p.outcome])).toEqual([
      ['contoso', 'crm', 'succeeded'],
      ['northwind', 'app', 'succeeded'],
      ['tailspin', 'web', 'succeeded'],
    ]);
    expect((await admin.azureVms()).filter((v) => v.purpose === 'TestFailover')).toEqual([]);
    await maybeRecordHistories(stack.client, 'site-failover-test', [workflowIds.siteFailover('vmm01.fabrikam.local')]);

    const unknown = await cli('failover', 'test', '--site', 'vmm99.fabrikam.local', '--plan', file);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(
      "no tenant of the plan is on 'vmm99.fabrikam.local'; sites (VMM servers and shared vaults): vmm01.fabrikam.local, fabrikam-asr-westeurope",
    );
  });
});
