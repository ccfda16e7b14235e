import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { loadPlan } from '../../src/domain/plan/load';
import type { Plan } from '../../src/domain/plan/types';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { TENANTS } from '../emulator/helpers';
import { eventually, repoRoot, runCli } from '../support/cli';
import { maybeRecordHistories } from '../support/histories';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Offboarding a whole tenant of the shared vault (the multitenant example): contoso's VMs,
// mappings, policy and — with --delete-resources — the resources asrflow created for it go;
// northwind's, the shared vault and the hoster's VMM server registration stay, as Azure would
// have them. The emulator's own state is the evidence.

interface WorldView {
  vaults: Record<
    string,
    {
      name: string;
      asr: {
        policies: Record<string, { name: string }>;
        fabrics: Record<
          string,
          {
            friendlyName: string;
            containers: Record<
              string,
              {
                friendlyName: string;
                items: Record<string, { vmName: string }>;
                mappings: Record<string, { name: string }>;
              }
            >;
            networks: Record<string, { mappings: Record<string, { name: string }> }>;
          }
        >;
      };
    }
  >;
  resourceGroups: Record<string, { subscriptionId: string; name: string }>;
  storageAccounts: Record<string, { subscriptionId: string; name: string }>;
  virtualNetworks: Record<string, { subscriptionId: string; name: string }>;
}

describe('offboarding a tenant of the shared vault', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  let plan: Plan;
  const planFile = path.join(repoRoot, 'examples', 'multitenant-vmm.yaml');
  const cli = (...args: string[]) => runCli([...args, '--plan', planFile], stack.env);

  /** What the emulator holds for the shared vault and each subscription, as sorted names. */
  const snapshot = async () => {
    const w = (await admin.state()).world as WorldView;
    const vault = Object.values(w.vaults).find((v) => v.name === 'fabrikam-asr-westeurope');
    const fabrics = Object.values(vault?.asr.fabrics ?? {});
    const containers = fabrics.flatMap((f) => Object.values(f.containers));
    const names = (records: Array<{ subscriptionId: string; name: string }>, subscription: string) =>
      records
        .filter((r) => r.subscriptionId.toLowerCase() === subscription)
        .map((r) => r.name)
        .sort();
    const ofSubscription = (subscription: string) => ({
      resourceGroups: names(Object.values(w.resourceGroups), subscription),
      storageAccounts: names(Object.values(w.storageAccounts), subscription),
      virtualNetworks: names(Object.values(w.virtualNetworks), subscription),
    });
    return {
      vault: vault?.name,
      servers: fabrics.map((f) => f.friendlyName).sort(),
      policies: Object.values(vault?.asr.policies ?? {})
        .map((p) => p.name)
        .sort(),
      items: containers.flatMap((c) => Object.values(c.items).map((i) => `${c.friendlyName}/${i.vmName}`)).sort(),
      cloudMappings: containers.flatMap((c) => Object.values(c.mappings).map((m) => m.name)).sort(),
      networkMappings: fabrics
        .flatMap((f) => Object.values(f.networks).flatMap((n) => Object.values(n.mappings).map((m) => m.name)))
        .sort(),
      contoso: ofSubscription(TENANTS.contoso.subscriptionId),
      northwind: ofSubscription(TENANTS.northwind.subscriptionId),
    };
  };

  beforeAll(async () => {
    stack = await startTestStack({ speed: 600 });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    plan = loadPlan(planFile, { checkCredentials: false }).plan;
    await onboardMultitenant(stack, admin, plan);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  it("removes contoso's protection and resources, leaves northwind and the shared vault as they were, once", async () => {
    const before = await snapshot();
    expect(before.items.filter((i) => i.startsWith('Contoso-Cloud/')).length).toBeGreaterThan(0);
    expect(before.contoso.resourceGroups.length).toBeGreaterThan(0);

    const asked = await cli('offboard', '--tenant', 'contoso', '--delete-resources');
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('Nothing was started; run again with --yes to confirm.');
    expect(await snapshot()).toEqual(before);

    const done = await cli('offboard', '--tenant', 'contoso', '--delete-resources', '--yes');
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain('Offboard tenant contoso: offboarded');
    await maybeRecordHistories(stack.client, 'offboard', [workflowIds.offboardTenant('contoso')]);
    const after = await snapshot();
    expect(after).toEqual({
      vault: 'fabrikam-asr-westeurope',
      servers: before.servers,
      policies: before.policies.filter((p) => p !== 'asrflow-contoso-policy'),
      items: before.items.filter((i) => !i.startsWith('Contoso-Cloud/')),
      cloudMappings: before.cloudMappings.filter((m) => m !== 'asrflow-contoso-cloud-mapping'),
      networkMappings: before.networkMappings.filter((m) => m !== 'asrflow-contoso-network-mapping'),
      contoso: { resourceGroups: [], storageAccounts: [], virtualNetworks: [] },
      northwind: before.northwind,
    });
    // Each of contoso's VMs was disabled once, none of northwind's.
    const disabled = Object.values((await admin.counters())['ReplicationProtectedItems_Delete'] ?? {});
    expect(disabled.map((d) => [d.label, d.count]).sort()).toEqual(
      before.items.filter((i) => i.startsWith('Contoso-Cloud/')).map((i) => [i.split('/')[1], 1]),
    );

    const again = await cli('offboard', '--tenant', 'contoso', '--delete-resources', '--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(
      'Offboard tenant contoso: nothing to do — nothing of tenant contoso was left to remove: already offboarded',
    );
    expect(await snapshot()).toEqual(after);
  });

  it("refuses while a failover of one of the tenant's VMs runs, and removes nothing", async () => {
    const before = await snapshot();
    const test = await cli('failover', 'test', '--tenant', 'northwind', '--vm', 'app01', '--cleanup-after', '1h');
    expect(test.code, test.stderr).toBe(0);
    const failoverId = workflowIds.failover('northwind', 'app01');
    // The guard reads visibility, which sees a started workflow a moment later: wait for that first.
    await eventually(async () => {
      for await (const w of stack.client.workflow.list({
        query: `AsrTenant = 'northwind' AND AsrKind = 'failover' AND ExecutionStatus = 'Running'`,
      }))
        return w.workflowId;
      return undefined;
    }, 'visibility to show the running failover');
    const refused = await cli('offboard', '--tenant', 'northwind', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `refused: workflow ${failoverId} still works on a VM of northwind; let it finish first, then offboard the tenant.`,
    );
    const after = await snapshot();
    expect(after.items).toEqual(before.items);
    expect(after.policies).toEqual(before.policies);
    expect(after.northwind).toEqual(before.northwind);
    expect((await cli('failover', 'cleanup', '--tenant', 'northwind', '--vm', 'app01')).code).toBe(0);
    await stack.client.workflow.getHandle(failoverId).result();
  });
});
