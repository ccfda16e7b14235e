import { ApplicationFailure, workflowInfo } from '@temporalio/workflow';
import { FailureType } from '../../temporal/workflow/failure-types';
import { compareVersions, MIN_PROVIDER_VERSION, type RegistrationResult, type VaultTarget } from '../contract';
import { inlineCode } from '../../domain/operator-commands';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import type { OnboardingSteps } from './activities';

/**
 * Re-issue credentials this long before they expire, so a file in hand is always valid: 6 hours
 * of ASR's 120, or a twentieth of a shorter validity the worker was configured for.
 */
const REISSUE_MARGIN_MS = 6 * 3_600_000;
function reissueAt(issued: { validFrom?: string; validTo: string }): number {
  const to = Date.parse(issued.validTo);
  const margin = issued.validFrom
    ? Math.min(REISSUE_MARGIN_MS, (to - Date.parse(issued.validFrom)) / 20)
    : REISSUE_MARGIN_MS;
  return to - margin;
}

/**
 * The seed's manual step: a person installs the ASR Provider on the VMM server and registers it
 * with the vault credentials file. Writes the file, says where it is and what to run, waits
 * (days if need be) and re-issues the file before its 120 hours run out. Used by the shared
 * vault (scenario 1) and by each tenant's own vault (scenario 2).
 */
export async function registerVmmServer(
  steps: OnboardingSteps,
  target: VaultTarget,
  vmmServer: string,
): Promise<RegistrationResult> {
  await steps.run('vault', ({ longRunning }) => longRunning.ensureVault(target));
  // Kept across operator retries: a file that is still valid is not issued again.
  let issued: { file: string; validFrom?: string; validTo: string } | undefined;
  let result = await steps.run('registration', async ({ longRunning, waiting }) => {
    for (;;) {
      if (!issued || Date.now() >= reissueAt(issued)) issued = await longRunning.issueVaultCredentials(target);
      const fileName = issued.file.split(/[\\/]/).pop() ?? issued.file;
      steps.hint(
        'registration',
        `Install the Azure Site Recovery Provider (${MIN_PROVIDER_VERSION} or later) on ${vmmServer} and register it with the vault credentials file ${issued.file} ` +
          `— copy it to ${vmmServer} and run, in that folder, ${inlineCode(`DRConfigurator.exe /r /Credentials "${fileName}" /vmmfriendlyname ${vmmServer} /startvmmservice`)}. ` +
          `The file is valid until ${issued.validTo}; asrflow notices the registration by itself.`,
      );
      const until = new Date(reissueAt(issued)).toISOString();
      const registered = await waiting.awaitVmmRegistration({
        target,
        vmmServer,
        since: new Date().toISOString(),
        until,
      });
      if (registered) {
        steps.hint('registration', undefined);
        return registered;
      }
    }
  });
  let checks = 0;
  await steps.run('provider-version', async ({ waiting }) => {
    // After an operator's retry, look again: they have upgraded the Provider in between.
    if (checks++ > 0)
      result =
        (await waiting.awaitVmmRegistration({
          target,
          vmmServer,
          since: new Date().toISOString(),
          until: new Date().toISOString(),
        })) ?? result;
    const version = result?.providerVersion ?? '0';
    if (compareVersions(version, MIN_PROVIDER_VERSION) < 0) {
      throw ApplicationFailure.create({
        message: `${vmmServer} runs ASR Provider ${version}; ${MIN_PROVIDER_VERSION} or later is required`,
        type: FailureType.NeedsOperator,
        nonRetryable: true,
        details: [{ fix: `install the latest Provider on ${vmmServer} by hand (it does not update itself)` }],
      });
    }
  });
  return result;
}

/** Scenario 1 tenants wait for the provider's shared registration instead of making one. */
export async function awaitSharedRegistration(
  steps: OnboardingSteps,
  target: VaultTarget,
  vmmServer: string,
): Promise<RegistrationResult> {
  const result = await steps.run('shared-registration', async ({ waiting }) => {
    for (;;) {
      steps.hint(
        'shared-registration',
        `waiting for the provider's onboarding of the shared vault ${target.vault} (workflow ${workflowIds.sharedVault(target.subscriptionId, target.vault)}) and the registration of ${vmmServer}; ${inlineCode('asrflow status')} shows what it waits for`,
      );
      const until = new Date(Date.now() + 24 * 3_600_000).toISOString();
      const registered = await waiting.awaitVmmRegistration({
        target,
        vmmServer,
        since: new Date(workflowInfo().startTime).toISOString(),
        until,
      });
      if (registered) {
        steps.hint('shared-registration', undefined);
        return registered;
      }
    }
  });
  return result;
}
