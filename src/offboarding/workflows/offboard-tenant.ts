import { allHandlersFinished, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { tenantRefusals, type OffboardTenantInput, type OffboardTenantRecord } from '../contract';
import { AsrStage } from '../../temporal/workflow/search-attributes';
import { answerProgress, isAbandoned, outcomeDetails, publishDetails, StepRunner } from '../../temporal/workflow/steps';
import { offboardingActivities } from './activities';
import { cloudsLabel } from '../../domain/vmm-placement';

/**
 * Removes a tenant's protection, in the order Site Recovery requires: every protected VM of its
 * cloud (each disabled once), its network mapping, its cloud-policy association, its policy; in
 * scenario 2 its VMM server's registration and its own vault; with `resources`, the VNets, storage
 * account and resource group asrflow created for it. Nothing starts while a VM's state forbids it
 * (refused, naming each VM); anything already gone is skipped, so running it again is a no-op.
 */
export async function offboardTenantWorkflow(input: OffboardTenantInput): Promise<OffboardTenantRecord> {
  const { tenant, vault: target, scope, names } = input;
  const record: OffboardTenantRecord = {
    tenant,
    vault: target.vault,
    outcome: 'running',
    vms: [],
    removed: [],
    kept: [],
    startedAt: new Date().toISOString(),
  };
  const title = `Offboard tenant ${tenant}`;
  const steps = new StepRunner(() => publishDetails(details()), {
    abandonable: true,
    activities: offboardingActivities,
  });
  answerProgress(steps, () => ({
    kind: 'offboarding',
    tenant,
    scenario: input.scenario,
    stage: record.outcome === 'running' ? steps.stage : record.outcome,
  }));
  const details = () =>
    outcomeDetails(title, steps, record, [
      ...(record.removed.length ? ['', `Removed: ${record.removed.join('; ')}`] : []),
      ...(record.kept.length ? ['', `Kept: ${record.kept.join('; ')}`] : []),
    ]);

  const plan = [
    { name: 'resolve', title: `Find the protected VMs of ${cloudsLabel(scope)} (vault ${target.vault})` },
    { name: 'disable-vms', title: 'Disable protection of every VM (their replicas in Azure are deleted)' },
    { name: 'network-mapping', title: `Remove the mapping of ${(scope.vmNetworks ?? [scope.vmNetwork]).join(', ')}` },
    { name: 'container-mapping', title: `Dissociate ${(scope.clouds ?? [scope.cloud]).join(', ')} from the policy` },
    { name: 'policy', title: `Delete replication policy ${names.policy}` },
    ...(input.dedicatedVault
      ? [{ name: 'vault', title: `Unregister ${scope.vmmServer} and delete vault ${target.vault}` }]
      : []),
    ...(input.resources
      ? [{ name: 'resources', title: `Delete the resources asrflow created in ${input.resources.resourceGroup}` }]
      : []),
  ];
  steps.plan(plan);
  const removed = (what: string[]) => {
    record.removed.push(...what);
    publishDetails(details());
  };

  try {
    const found = await steps.run('resolve', ({ quick }) => quick.findTenantItems({ target, scope }));
    const refusals = tenantRefusals(found.items);
    if (refusals.length > 0) {
      record.outcome = 'refused';
      record.reason = refusals.join('; ');
      for (const s of plan.slice(1)) steps.track(s.name, s.name, '', { state: 'skipped' });
    } else {
      await steps.run('disable-vms', async ({ longRunning }) => {
        await Promise.all(
          found.items.map(async (item) => {
            const sub = `disable-vms/${item.vm}`;
            steps.track('disable-vms', sub, `Disable protection of ${item.vm}`, { state: 'running' });
            await longRunning.disableVmProtection({ target, item, vm: item.vm });
            if (!record.vms.includes(item.vm)) record.vms.push(item.vm);
            steps.track('disable-vms', sub, `Disable protection of ${item.vm}`, { state: 'done' });
          }),
        );
      });
      record.vms.sort();
      const where = found.where;
      if (where) {
        removed(
          await steps.run('network-mapping', async ({ longRunning }) => {
            const all: string[] = [];
            for (const vmNetwork of scope.vmNetworks ?? [scope.vmNetwork])
              all.push(
                ...(await longRunning.removeTenantNetworkMapping({
                  target,
                  fabricName: where.fabricName,
                  vmNetwork,
                  names,
                })),
              );
            return all;
          }),
        );
        removed(
          await steps.run('container-mapping', async ({ longRunning }) => {
            const all: string[] = [];
            for (const container of [where, ...(found.others ?? [])])
              all.push(...(await longRunning.removeTenantContainerMapping({ target, ...container, names })));
            return all;
          }),
        );
      } else {
        steps.track('network-mapping', 'network-mapping', '', { state: 'skipped' });
        steps.track('container-mapping', 'container-mapping', '', { state: 'skipped' });
      }
      removed(await steps.run('policy', ({ longRunning }) => longRunning.deleteTenantPolicy({ target, names })));
      if (input.dedicatedVault)
        removed(
          await steps.run('vault', ({ longRunning }) =>
            longRunning.deleteDedicatedVault({ target, vmmServer: scope.vmmServer }),
          ),
        );
      const resources = input.resources;
      if (resources) {
        const done = await steps.run('resources', ({ longRunning }) => longRunning.deleteTenantResources(resources));
        record.kept.push(...done.kept);
        removed(done.removed);
      }
      record.outcome = 'offboarded';
      if (record.vms.length === 0 && record.removed.length === 0)
        record.reason = `nothing of tenant ${tenant} was left to remove: already offboarded`;
    }
  } catch (error) {
    if (!isAbandoned(error)) throw error;
    record.outcome = 'abandoned';
    record.reason = error.message;
  }
  record.endedAt = new Date().toISOString();
  upsertSearchAttributes([{ key: AsrStage, value: record.outcome }]);
  publishDetails(details());
  await condition(allHandlersFinished);
  return record;
}
