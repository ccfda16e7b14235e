import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Activities } from '../../src/worker/activities';
import { MIN_PROVIDER_VERSION, type RegistrationResult, type VaultTarget } from '../../src/onboarding/contract';
import { asrflowWorkflows, timeSkippingEnvironment } from '../support/time-skipping';

// The registration wait (src/onboarding/workflows/registration.ts) through the shared vault workflow, with
// stub activities on the time-skipping test server: a VMM server that is registered only 250
// hours after the vault credentials file was first issued. ASR's files are valid for 120 hours;
// the wait must always hand out a new one before the one in hand runs out.

const HOUR = 3_600_000;
const MARGIN = 6 * HOUR; // src/onboarding/workflows/registration.ts REISSUE_MARGIN_MS

const target: VaultTarget = {
  principal: { tenantId: '00000000-0000-0000-0000-0000000000aa', credential: { type: 'default' } },
  subscriptionId: '00000000-0000-0000-0000-0000000000bb',
  resourceGroup: 'rg-asr-shared',
  vault: 'rsv-shared',
  region: 'westeurope',
};
const vmmServer = 'vmm01.fabrikam.local';
const registration: RegistrationResult = {
  fabricName: 'fabric-1',
  providerName: 'provider-1',
  providerVersion: MIN_PROVIDER_VERSION,
  connectionStatus: 'Connected',
};

/**
 * A real `awaitVmmRegistration` polls inside one heartbeating activity for up to 114 hours. On a
 * time-skipping server only timers make time pass, so the stub spends its wait as a retry delay
 * (the server jumps over it) and decides on the attempt that follows, as the real one does:
 * the registration once it exists, `undefined` once `until` has come.
 */
function waitingStub(
  serverNow: () => Promise<number>,
  registeredAt: number,
  calls: Array<{ at: number; until: number }>,
): Activities['awaitVmmRegistration'] {
  return async ({ until }) => {
    const now = await serverNow();
    if (Context.current().info.attempt === 1) calls.push({ at: now, until: Date.parse(until) });
    if (now >= registeredAt) return registration;
    if (now >= Date.parse(until)) return undefined;
    throw ApplicationFailure.create({
      type: 'StillWaiting',
      message: 'nothing registered yet',
      nextRetryDelay: Math.min(registeredAt, Date.parse(until)) - now,
      category: ApplicationFailureCategory.BENIGN,
    });
  };
}

describe('the registration wait, time skipped', () => {
  let env: TestWorkflowEnvironment;

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /**
   * The test server's clock, which skips. (Not the activity's `currentAttemptScheduledTimestampMs`:
   * the test server reports the previous attempt's there after a retry delay.)
   */
  const serverNow = () => env.currentTimeMs();

  async function register(registeredAfterHours: number) {
    const issued: Array<{ at: number; validFrom: number; validTo: number }> = [];
    const waits: Array<{ at: number; until: number }> = [];
    let start = 0;
    const activities = {
      async ensureResourceGroup() {
        start = await serverNow();
        return { id: `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}` };
      },
      async ensureVault() {
        return {
          id: `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${target.vault}`,
        };
      },
      async issueVaultCredentials() {
        const at = await serverNow();
        issued.push({ at, validFrom: at, validTo: at + 120 * HOUR });
        return {
          file: `/var/lib/asrflow/credentials/${target.vault}-${issued.length}.VaultCredentials`,
          validFrom: new Date(at).toISOString(),
          validTo: new Date(at + 120 * HOUR).toISOString(),
        };
      },
      awaitVmmRegistration: async (input: Parameters<Activities['awaitVmmRegistration']>[0]) =>
        waitingStub(serverNow, start + registeredAfterHours * HOUR, waits)(input),
    } satisfies Partial<Activities>;
    const taskQueue = `registration-${registeredAfterHours}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await asrflowWorkflows(),
      activities,
    });
    const result = await worker.runUntil(
      env.client.workflow.execute('sharedVaultWorkflow', {
        taskQueue,
        workflowId: `asrflow:vault:test-${registeredAfterHours}`,
        args: [{ target, vmmServer }],
      }),
    );
    return { result, issued, waits, start };
  }

  it('re-issues the vault credentials file before its 120 hours run out, and again after', async () => {
    const { result, issued, waits, start } = await register(250);
    expect(result).toEqual(registration);
    // 0 h, 114 h, 228 h: each file replaced 6 hours before it expires, never after.
    expect(issued).toHaveLength(3);
    for (let i = 1; i < issued.length; i++) {
      const previous = issued[i - 1]!;
      expect(issued[i]!.at).toBeLessThan(previous.validTo);
      expect(issued[i]!.at).toBeGreaterThanOrEqual(previous.validTo - MARGIN);
    }
    expect(issued[0]!.at - start).toBeLessThan(HOUR);
    // Each wait lasts until its own file's renewal time, and the last one ends with the
    // registration at 250 h, while the third file is valid.
    expect(waits.map((w) => w.until)).toEqual(issued.map((i) => i.validTo - MARGIN));
    waits.forEach((w, i) => expect(w.at - issued[i]!.at).toBeLessThan(60_000));
    const last = issued[issued.length - 1]!;
    expect(start + 250 * HOUR).toBeLessThan(last.validTo);
  });

  it('issues one file when the server registers within its validity', async () => {
    const { result, issued, waits } = await register(30);
    expect(result).toEqual(registration);
    expect(issued).toHaveLength(1);
    expect(waits).toHaveLength(1);
  });
});
