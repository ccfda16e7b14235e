import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { failoverInputFromPlan, startFailover } from '../../src/failover/start';
import type { DrillRecord } from '../../src/failover/contract';
import { loadPlan } from '../../src/domain/plan/load';
import type { Plan } from '../../src/domain/plan/types';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { clientsFor, collect, TENANTS } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Tenants are walls, in the multitenant scenario where they share one vault and one VMM server:
// contoso and northwind each have a VM called app01 in their own cloud, and northwind has
// nw-only01, which contoso must not be able to touch — or even learn exists.
describe('failover keeps to the tenant: shared vault, shared VM names', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let plan: Plan;
  let planFile: string;
  const provider = () =>
    clientsFor(
      {
        endpoint: {
          armEndpoint: stack.emulator.armEndpoint,
          authorityHost: stack.emulator.authorityHost,
          caCertPath: stack.emulator.caCertPath,
        },
      },
      'fabrikam',
    );
  const vault = { name: 'fabrikam-asr-westeurope', resourceGroup: 'fabrikam-asr-rg' };
  const cli = (...args: string[]) => runCli([...args, '--plan', planFile], stack.env);
  /** Commands that address workflows only, without the plan. */
  const bare = (...args: string[]) => runCli(args, stack.env);

  /** The protected items of one tenant's cloud, as Site Recovery lists them. */
  const itemsOfCloud = async (cloud: string) => {
    const asr = provider().asr;
    for (const fabric of await collect(asr.replicationFabrics.list(vault.name, vault.resourceGroup))) {
      for (const c of await collect(
        asr.replicationProtectionContainers.listByReplicationFabrics(
          vault.name,
          vault.resourceGroup,
          fabric.name ?? '',
        ),
      )) {
        if (c.properties?.friendlyName === cloud)
          return collect(
            asr.replicationProtectedItems.listByReplicationProtectionContainers(
              vault.name,
              vault.resourceGroup,
              fabric.name ?? '',
              c.name ?? '',
            ),
          );
      }
    }
    throw new Error(`no cloud ${cloud}`);
  };
  /** POSTs on protected items (every failover action is one) since a request log position. */
  const itemPosts = async (since: number) =>
    (await admin.requests(since)).entries.filter(
      (e) => e.method === 'POST' && /\/replicationProtectedItems\//i.test(e.path),
    );
  const lastSeq = async () => (await admin.requests(0)).lastSeq;
  const result = (tenant: string, vm: string) =>
    stack.client.workflow.getHandle(workflowIds.failover(tenant, vm)).result() as Promise<DrillRecord>;

  beforeAll(async () => {
    stack = await startTestStack({
      speed: 600,
      estate: path.join(repoRoot, 'test', 'emulator', 'fixtures', 'estate-shared-names.yaml'),
    });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    // The example plan, with app01 selected by both tenants and nw-only01 by northwind.
    const doc = parse(readFileSync(path.join(repoRoot, 'examples', 'multitenant-vmm.yaml'), 'utf8')) as {
      tenants: Array<{ name: string; vms: { include: unknown } }>;
    };
    for (const t of doc.tenants) t.vms.include = t.name === 'contoso' ? ['web01', 'app01'] : ['app01', 'nw-only01'];
    planFile = path.join(mkdtempSync(path.join(tmpdir(), 'asrflow-isolation-')), 'plan.yaml');
    writeFileSync(planFile, stringify(doc));
    plan = loadPlan(planFile, { checkCredentials: false }).plan;
    await onboardMultitenant(stack, admin, plan);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it('refuses every failover kind on a VM only the other tenant has, exactly as for a VM that does not exist, and posts nothing', async () => {
    const since = await lastSeq();
    const kinds: string[][] = [
      ['test'],
      ['planned', '--yes'],
      ['unplanned', '--yes'],
      ['commit'],
      ['cleanup'],
      ['change-recovery-point', '--recovery-point', 'rp-1'],
      ['reprotect'],
      ['failback', '--yes'],
    ];
    for (const [kind, ...more] of kinds) {
      const foreign = await cli('failover', kind ?? '', '--tenant', 'contoso', '--vm', 'nw-only01', ...more);
      const absent = await cli('failover', kind ?? '', '--tenant', 'contoso', '--vm', 'nw-only02', ...more);
      expect(foreign.code, `${kind}: ${foreign.stderr}`).toBe(1);
      expect(foreign.stderr).toContain("VM 'nw-only01' not found for tenant contoso");
      expect(foreign.stderr).not.toMatch(/Northwind|northwind/);
      // The same answer, name for name: nothing tells contoso that nw-only01 exists elsewhere.
      expect(foreign.stderr.replaceAll('nw-only01', 'NAME')).toBe(absent.stderr.replaceAll('nw-only02', 'NAME'));
      expect(absent.code).toBe(1);
    }
    expect(await itemPosts(since)).toEqual([]);
    // Northwind's own VM is untouched and still its own to fail over.
    const nw = (await itemsOfCloud('Northwind-Cloud')).find((i) => i.properties?.friendlyName === 'nw-only01');
    expect(nw?.properties?.testFailoverState ?? 'None').toBe('None');
    expect(nw?.properties?.protectionState).toBe('Protected');
  });

  it('gives each tenant its own VM of a shared name: the test failover acts in its own cloud and network', async () => {
    const since = await lastSeq();
    const started = await cli(
      'failover',
      'test',
      '--tenant',
      'contoso',
      '--vm',
      'app01',
      '--cleanup-after',
      '1h',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const contosoItem = await eventually(async () => {
      const item = (await itemsOfCloud('Contoso-Cloud')).find((i) => i.properties?.friendlyName === 'app01');
      return item?.properties?.testFailoverState === 'WaitingForCompletion' ||
        item?.properties?.testFailoverState === 'Succeeded' ||
        item?.properties?.testFailoverState === 'InProgress'
        ? item
        : undefined;
    }, "contoso's app01 in test failover");
    const northwindItem = (await itemsOfCloud('Northwind-Cloud')).find((i) => i.properties?.friendlyName === 'app01');
    expect(northwindItem?.id).not.toBe(contosoItem.id);
    expect(northwindItem?.properties?.testFailoverState ?? 'None').toBe('None');
    // The newest recovery point is replaced by the next delta (every few hundred ms at this
    // speed), so a POST naming it may be refused and sent again with the next newest: only
    // that refusal may come before the one accepted POST.
    const posts = await itemPosts(since);
    const accepted = posts.filter((p) => p.status < 300);
    expect(accepted.map((p) => p.operationId)).toEqual(['ReplicationProtectedItems_TestFailover']);
    expect(accepted[0]?.path.toLowerCase()).toContain(`${contosoItem.id?.toLowerCase()}/testfailover`);
    const logged = (await admin.requests(since, true)).entries;
    const codeOf = (seq: number) =>
      (logged.find((e) => e.seq === seq)?.responseBody as { error?: { code?: string } } | undefined)?.error?.code;
    const refused = posts.filter((p) => p.status >= 300);
    expect(refused.map((p) => [p.path, codeOf(p.seq)])).toEqual(
      refused.map(() => [accepted[0]?.path, 'RecoveryPointNotFound']),
    );
    const body = logged.find((e) => e.seq === accepted[0]?.seq)?.requestBody as {
      properties?: { networkId?: string };
    };
    expect(body.properties?.networkId?.toLowerCase()).toBe(
      `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/contoso-dr-rg/providers/microsoft.network/virtualnetworks/contoso-dr-test-vnet`,
    );

    expect((await cli('failover', 'cleanup', '--tenant', 'contoso', '--vm', 'app01')).code).toBe(0);
    expect(await result('contoso', 'app01')).toMatchObject({ outcome: 'succeeded', tenant: 'contoso' });
  });

  it("refuses another subscription's network, from the CLI (nothing started) and in the workflow itself (nothing posted)", async () => {
    const foreignNet = `/subscriptions/${TENANTS.northwind.subscriptionId}/resourceGroups/northwind-dr-rg/providers/Microsoft.Network/virtualNetworks/northwind-dr-test-vnet`;
    const since = await lastSeq();
    const refused = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'web01', '--test-network', foreignNet);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`is not in the tenant's subscription ${TENANTS.contoso.subscriptionId}`);
    await expect(stack.client.workflow.getHandle(workflowIds.failover('contoso', 'web01')).describe()).rejects.toThrow(
      /not found/i,
    );

    // A workflow started by other means than the CLI checks it again in its preflight.
    const input = failoverInputFromPlan(plan, 'contoso', 'web01', 'test', { cleanupAfter: '1h' });
    await startFailover(
      stack.client,
      { ...input, options: { ...input.options, testNetworkId: foreignNet } },
      stack.taskQueue,
    );
    const record = await result('contoso', 'web01');
    expect(record.outcome).toBe('refused');
    expect(record.reason).toContain(`the test network ${foreignNet} is not in the tenant's subscription`);

    // An item whose own target network was pointed at another tenant's VNet is refused too.
    const asr = provider().asr;
    const item = (await itemsOfCloud('Contoso-Cloud')).find((i) => i.properties?.friendlyName === 'web01');
    const at =
      /replicationFabrics\/([^/]+)\/replicationProtectionContainers\/([^/]+)\/replicationProtectedItems\/([^/]+)$/.exec(
        item?.id ?? '',
      );
    await asr.replicationProtectedItems.beginUpdateAndWait(
      vault.name,
      vault.resourceGroup,
      at?.[1] ?? '',
      at?.[2] ?? '',
      at?.[3] ?? '',
      {
        properties: {
          selectedRecoveryAzureNetworkId: `/subscriptions/${TENANTS.northwind.subscriptionId}/resourceGroups/northwind-dr-rg/providers/Microsoft.Network/virtualNetworks/northwind-dr-vnet`,
        },
      },
    );
    const planned = await cli('failover', 'planned', '--tenant', 'contoso', '--vm', 'web01', '--yes');
    expect(planned.code).toBe(1);
    expect(planned.stderr).toContain("the item's target network");
    expect(planned.stderr).toContain(`is not in the tenant's subscription ${TENANTS.contoso.subscriptionId}`);
    expect(await itemPosts(since)).toEqual([]);
  });

  it("keeps report, status and retry to the tenant's own workflows", async () => {
    const started = await cli('failover', 'test', '--tenant', 'northwind', '--vm', 'app01', '--cleanup-after', '1h');
    expect(started.code, started.stderr).toBe(0);
    expect((await cli('failover', 'cleanup', '--tenant', 'northwind', '--vm', 'app01', '--wait')).code).toBe(0);

    const contosoReport = JSON.parse((await bare('report', '--tenant', 'contoso', '--json')).stdout) as DrillRecord[];
    expect(contosoReport.length).toBeGreaterThan(0);
    expect(new Set(contosoReport.map((r) => r.tenant))).toEqual(new Set(['contoso']));
    const northwindReport = JSON.parse(
      (await bare('report', '--tenant', 'northwind', '--json')).stdout,
    ) as DrillRecord[];
    expect(northwindReport.map((r) => [r.tenant, r.vm, r.outcome])).toEqual([['northwind', 'app01', 'succeeded']]);

    const status = JSON.parse((await bare('status', '--tenant', 'contoso', '--json')).stdout) as Array<{
      workflowId: string;
      tenant?: string;
    }>;
    expect(status.length).toBeGreaterThan(0);
    expect(status.filter((s) => s.tenant !== 'contoso' || s.workflowId.includes('northwind'))).toEqual([]);

    // contoso's operator cannot reach northwind's workflows through the VM's name.
    const retry = await bare('failover', 'retry', '--tenant', 'contoso', '--vm', 'nw-only01');
    expect(retry.code).not.toBe(0);
    expect(retry.stderr).not.toMatch(/^\s+at /m);
  });

  it('answers an unknown VM within seconds with the closest names of the tenant only, and refuses an impossible name before starting anything', async () => {
    const unknown = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'app1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("VM 'app1' not found for tenant contoso");
    expect(unknown.stderr).toContain("closest names in the tenant's cloud: app01");
    const tooLong = await cli('failover', 'test', '--tenant', 'contoso', '--vm', 'x'.repeat(1100));
    expect(tooLong.code).toBe(2);
    expect(tooLong.stderr).toContain('VMM and Hyper-V allow at most 100');
    expect(tooLong.stderr).not.toMatch(/^\s+at /m);
    const slash = await cli('failover', 'planned', '--tenant', 'contoso', '--vm', 'a/b', '--yes');
    expect(slash.code).toBe(2);
    expect(slash.stderr).toContain('"/"');
  });

  it("lists the shared vault's jobs only within a time window, never its whole 30 days", async () => {
    // By now both tenants were onboarded and failed over in the shared vault: registration waits,
    // policy creations, enable-protection checks and failover job lookups all listed its jobs.
    const lists = (await admin.requests(0)).entries.filter((e) => e.operationId === 'ReplicationJobs_List');
    expect(lists.length).toBeGreaterThan(0);
    const unfiltered = lists.filter(
      (e) => !/[?&]?\$filter=startTime eq '[^']+'/.test(decodeURIComponent(e.query.replace(/\+/g, ' '))),
    );
    expect(unfiltered.map((e) => `${e.method} ${e.path}?${e.query}`)).toEqual([]);
  });
});
