import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { operatorCommands } from '../domain/operator-commands';
import type { VmProtectionInput } from '../domain/onboarding';
import { progressQuery, replicationObservedSignal, type Progress, type ReplicationObservation } from '../domain/progress';
import { longRunning } from './activity-options';
import { publishDetails, renderDetails, StepRunner } from './steps';

export interface VmProtectionResult {
  vm: string;
  itemName: string;
  alreadyEnabled: boolean;
}

/**
 * One VM: enable protection exactly once, then wait for initial replication to finish. It does
 * not poll Azure itself: the tenant workflow watches the whole vault with one list call and
 * signals each VM workflow what it saw.
 */
export async function vmProtectionWorkflow(input: VmProtectionInput): Promise<VmProtectionResult> {
  let latest: ReplicationObservation | undefined;
  const title = `Protect ${input.vm.friendlyName} (${input.tenant})`;
  const steps = new StepRunner(
    (runner) => publishDetails(renderDetails(title, runner.steps, latest?.percent !== undefined ? ['', `Initial replication: ${latest.percent.toFixed(0)} %`] : [])),
    { commands: operatorCommands.vmProtection(input.tenant, input.vm.friendlyName) },
  );
  setHandler(replicationObservedSignal, (observation) => {
    latest = observation;
    publishDetails(renderDetails(title, steps.steps, observation.percent !== undefined ? ['', `Initial replication: ${observation.percent.toFixed(0)} %`] : []));
  });
  setHandler(progressQuery, (): Progress => ({
    kind: 'vm-protection',
    tenant: input.tenant,
    vm: input.vm.friendlyName,
    scenario: input.scenario,
    stage: steps.stage,
    steps: steps.steps,
    vms: [{ name: input.vm.friendlyName, state: latest?.protectedNow ? 'protected' : steps.stage === 'enable-protection' ? 'enabling' : 'replicating', ...(latest?.percent !== undefined ? { replicationPercent: latest.percent } : {}) }],
    operatorAction: steps.operatorAction,
  }));
  steps.plan([
    { name: 'enable-protection', title: `Enable protection of ${input.vm.friendlyName}` },
    { name: 'initial-replication', title: 'Initial replication' },
  ]);
  const enabled = await steps.run('enable-protection', `Enable protection of ${input.vm.friendlyName}`, () => longRunning.enableProtection(input));
  await steps.run('initial-replication', 'Initial replication', async () => {
    await condition(() => latest?.protectedNow === true);
  });
  await condition(allHandlersFinished);
  return { vm: input.vm.friendlyName, itemName: enabled?.itemName ?? input.vm.itemName, alreadyEnabled: enabled?.alreadyEnabled ?? false };
}
