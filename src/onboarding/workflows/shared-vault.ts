import { condition, allHandlersFinished, setHandler, workflowInfo } from '@temporalio/workflow';
import { operatorCommands } from '../../domain/operator-commands';
import type { RegistrationResult, SharedVaultInput } from '../contract';
import { HANDLER_DESCRIPTIONS, progressQuery, type Progress } from '../../temporal/workflow/progress';
import { registerVmmServer } from './registration';
import { onboardingActivities } from './activities';
import { publishDetails, renderDetails, StepRunner } from '../../temporal/workflow/steps';

/**
 * Scenario 1 (multitenant VMM): the provider's one vault, in its own non-CSP subscription, and
 * the registration of the shared VMM server with it. Tenant workflows wait for the result in
 * Azure itself, so they need not know this workflow.
 */
export async function sharedVaultWorkflow(input: SharedVaultInput): Promise<RegistrationResult> {
  const { target, vmmServer } = input;
  // No tenant name reaches this workflow: its hints address it by id.
  const steps = new StepRunner(
    (runner) =>
      publishDetails(
        renderDetails(
          `Shared vault ${target.vault} (${vmmServer})`,
          runner.steps,
          runner.operatorAction ? ['', `**Next for the operator:** ${runner.operatorAction}`] : [],
        ),
      ),
    { commands: operatorCommands.workflow(workflowInfo().workflowId), activities: onboardingActivities },
  );
  setHandler(
    progressQuery,
    (): Progress => ({
      kind: 'shared-vault',
      scenario: 'multitenant-vmm',
      stage: steps.stage,
      steps: steps.steps,
      operatorAction: steps.operatorAction,
    }),
    { description: HANDLER_DESCRIPTIONS.progress },
  );
  steps.plan([
    { name: 'resource-group', title: `Resource group ${target.resourceGroup}` },
    { name: 'vault', title: `Create vault ${target.vault}` },
    { name: 'registration', title: `Register VMM server ${vmmServer}` },
    { name: 'provider-version', title: `Check the Provider version on ${vmmServer}` },
  ]);
  await steps.run('resource-group', ({ quick }) =>
    quick.ensureResourceGroup({
      principal: target.principal,
      subscriptionId: target.subscriptionId,
      resourceGroup: target.resourceGroup,
      region: target.region,
    }),
  );
  const registration = await registerVmmServer(steps, target, vmmServer);
  await condition(allHandlersFinished);
  return registration;
}
