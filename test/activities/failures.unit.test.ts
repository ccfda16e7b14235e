import { RestError, createHttpHeaders, createPipelineRequest } from '../../src/azure/sdk';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CredentialReferenceError, ReferencedCredential } from '../../src/azure/credentials';
import {
  classifyAzureError,
  FailureType,
  policyContentFailure,
  retryAfterSeconds,
  throttledRetryDelayMs,
} from '../../src/azure/failures';
import type { CredentialRef } from '../../src/domain/plan/types';
import { compareVersions, MIN_PROVIDER_VERSION } from '../../src/onboarding/contract';
import { createLogger, failureSummary, TemporalPinoLogger } from '../../src/worker/logging';

function restError(
  statusCode: number | undefined,
  code: string,
  headers: Record<string, string> = {},
  message = 'boom',
): RestError {
  const request = createPipelineRequest({ url: 'https://example.invalid/' });
  return new RestError(message, {
    code,
    statusCode,
    ...(statusCode ? { response: { status: statusCode, headers: createHttpHeaders(headers), request } } : {}),
  });
}

describe('classifying Azure errors', () => {
  it('turns 429 into a retryable throttle that waits Retry-After', () => {
    const failure = classifyAzureError(
      restError(429, 'SubscriptionRequestsThrottled', { 'retry-after': '17' }),
      'list items',
    );
    expect(failure.type).toBe(FailureType.Throttled);
    expect(failure.nonRetryable).toBe(false);
    // Retry-After, plus a random spread so throttled VMs do not all return in the same second.
    expect(failure.nextRetryDelay).toBeGreaterThanOrEqual(17_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(17_000 + 8_500);
    expect(throttledRetryDelayMs(17, () => 0)).toBe(17_000);
    expect(throttledRetryDelayMs(17, () => 0.999)).toBe(25_492);
    expect(throttledRetryDelayMs(1, () => 0.5)).toBe(1_500);
    expect(throttledRetryDelayMs(0, () => 0)).toBe(1_000);
    const spread = new Set(Array.from({ length: 50 }, () => throttledRetryDelayMs(1)));
    expect(spread.size).toBeGreaterThan(10);
    expect(failure.message).toBe('list items: boom');
  });

  it("carries Azure's request ids in the details, and the worker log line says type, message and request id", () => {
    const failure = classifyAzureError(
      restError(
        403,
        'AuthorizationFailed',
        { 'x-ms-request-id': 'req-1', 'x-ms-correlation-request-id': 'corr-1' },
        'no access',
      ),
      'create group',
    );
    expect(failure.details?.[0]).toMatchObject({
      code: 'AuthorizationFailed',
      statusCode: 403,
      requestId: 'req-1',
      correlationRequestId: 'corr-1',
    });
    expect(failureSummary(failure)).toEqual({
      type: 'NeedsOperator',
      message: 'create group: no access',
      code: 'AuthorizationFailed',
      statusCode: 403,
      requestId: 'req-1',
      correlationRequestId: 'corr-1',
    });
    const lines: string[] = [];
    const logger = new TemporalPinoLogger(
      createLogger({
        level: 'warn',
        destination: { write: (line: string) => lines.push(line) } as unknown as NodeJS.WritableStream,
      }),
    );
    logger.warn('Activity failed', { error: failure, activityType: 'ensureResourceGroup' });
    const logged = JSON.parse(lines[0] ?? '{}') as {
      msg: string;
      error: Record<string, unknown>;
      activityType: string;
    };
    expect(logged.msg).toBe('Activity failed: NeedsOperator: create group: no access (x-ms-request-id req-1)');
    expect(logged.error).toMatchObject({
      type: 'NeedsOperator',
      message: 'create group: no access',
      requestId: 'req-1',
    });
    expect(logged.activityType).toBe('ensureResourceGroup');
  });

  it('retries 5xx and network errors', () => {
    expect(classifyAzureError(restError(503, 'ServiceUnavailable'), 'x').type).toBe(FailureType.Transient);
    expect(classifyAzureError(restError(undefined, 'ECONNRESET'), 'x').type).toBe(FailureType.Transient);
    expect(classifyAzureError(restError(409, 'AnotherOperationInProgress'), 'x').nonRetryable).toBe(false);
  });

  it('sends permission, tenant and quota problems to the operator, without retrying', () => {
    for (const [status, code] of [
      [403, 'AuthorizationFailed'],
      [401, 'InvalidAuthenticationTokenTenant'],
      [400, 'QuotaExceeded'],
    ] as const) {
      const failure = classifyAzureError(restError(status, code), 'create vault');
      expect(failure.type).toBe(FailureType.NeedsOperator);
      expect(failure.nonRetryable).toBe(true);
      expect((failure.details?.[0] as { code?: string; fix?: string }).code).toBe(code);
      expect((failure.details?.[0] as { fix?: string }).fix).toBeTruthy();
    }
  });

  it('treats other 4xx answers as fatal for the step, and passes ApplicationFailures through', () => {
    expect(classifyAzureError(restError(400, 'InvalidParameter'), 'x').type).toBe(FailureType.Fatal);
    const own = ApplicationFailure.nonRetryable('mine', 'NeedsOperator');
    expect(classifyAzureError(own, 'x')).toBe(own);
  });

  it('sends credential problems to the operator with a fix naming tenant and reference, never the secret', async () => {
    const tenantId = 'e0000000-0000-4000-8000-000000000001';
    const ref = { type: 'clientSecret' as const, clientId: 'app-1', secretEnv: 'ASRFLOW_SECRET_LITWARE' };
    // Missing variable: thrown when a token is needed, inside the SDK call, so it is classified.
    const unset = new ReferencedCredential(ref, tenantId, { authorityHost: 'https://login.invalid', env: {} });
    const missing = await unset.getToken('https://management.azure.com/.default').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(CredentialReferenceError);
    const failure = classifyAzureError(missing, 'create resource group');
    expect(failure.type).toBe(FailureType.NeedsOperator);
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain(
      `ASRFLOW_SECRET_LITWARE (client secret of app app-1, tenant ${tenantId}) is not set`,
    );
    expect((failure.details?.[0] as { fix?: string }).fix).toContain(
      `set ASRFLOW_SECRET_LITWARE in the worker's environment to a valid client secret of app app-1 in tenant ${tenantId}`,
    );
    // Identity's own errors, also when wrapped by the pipeline, by name.
    for (const name of [
      'AuthenticationRequiredError',
      'AuthenticationError',
      'CredentialUnavailableError',
      'AggregateAuthenticationError',
    ]) {
      const e = Object.assign(new Error('AADSTS7000215: Invalid client secret provided.'), { name });
      expect(classifyAzureError(e, 'x').type).toBe(FailureType.NeedsOperator);
      expect(classifyAzureError(Object.assign(new Error('token failed'), { cause: e }), 'x').type).toBe(
        FailureType.NeedsOperator,
      );
    }
    // The token endpoint failing is the endpoint's trouble: retried.
    const endpoint = Object.assign(new Error('service unavailable'), { name: 'AuthenticationError', statusCode: 503 });
    expect(classifyAzureError(endpoint, 'x').type).toBe(FailureType.Transient);
    // An authority that cannot be reached is network trouble (retried), and says so without the secret.
    const secret = 'fake-litware-s3cret-value';
    const unreachable = new ReferencedCredential(ref, tenantId, {
      authorityHost: 'https://login.invalid',
      env: { ASRFLOW_SECRET_LITWARE: secret },
      maxRetries: 0,
    });
    const network = classifyAzureError(
      await unreachable.getToken('https://management.azure.com/.default').catch((e: unknown) => e),
      'x',
    );
    expect(network.type).toBe(FailureType.Transient);
    expect(JSON.stringify(network)).not.toContain(secret);
  });

  it('the worker refuses a credential file outside the rule before reading or sending it, naming the file only', async () => {
    const tenantId = 'e0000000-0000-4000-8000-000000000001';
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-worker-secrets-'));
    try {
      const secrets = path.join(dir, 'secrets');
      mkdirSync(secrets);
      const content = 'Zx8Q~worker-side-s3cret';
      writeFileSync(path.join(dir, 'outside.secret'), content, { mode: 0o600 });
      writeFileSync(path.join(secrets, 'ok.pem'), content, { mode: 0o600 });
      symlinkSync(path.join(dir, 'outside.secret'), path.join(secrets, 'link.secret'));
      const env = { ASRFLOW_SECRETS_DIR: secrets, ASRFLOW_WORKER_ONLY: content };
      const refusal = async (ref: CredentialRef) =>
        new ReferencedCredential(ref, tenantId, { authorityHost: 'https://login.invalid', env, maxRetries: 0 })
          .getToken('https://management.azure.com/.default')
          .catch((e: unknown) => e);
      for (const [file, problem] of [
        ['/proc/self/environ', 'is under /proc, /sys or /dev: never a credential file'],
        [path.join(dir, 'outside.secret'), `is outside the allowed secrets directories (${realpathSync(secrets)})`],
        [path.join(secrets, 'link.secret'), `is outside the allowed secrets directories (${realpathSync(secrets)})`],
        [secrets, 'is a directory, not a file'],
      ] as const) {
        const refs: CredentialRef[] = [
          { type: 'clientSecret', clientId: 'app-1', secretFile: file },
          { type: 'clientCertificate', clientId: 'app-1', certificateFile: file },
        ];
        for (const ref of refs) {
          const error = await refusal(ref);
          expect(error).toBeInstanceOf(CredentialReferenceError);
          const what = ref.type === 'clientSecret' ? 'secret' : 'certificate';
          expect((error as Error).message).toBe(`${what} file ${file} (app app-1, tenant ${tenantId}) ${problem}`);
          expect((error as CredentialReferenceError).fix).toMatch(/then run 'asrflow retry' for the tenant$/);
          const failure = classifyAzureError(error, 'create resource group');
          expect(failure.type).toBe(FailureType.NeedsOperator);
          expect(JSON.stringify(failure)).not.toContain(content);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says which plan field to edit when Azure refuses a policy value, and what to run then', () => {
    const refused = policyContentFailure(
      classifyAzureError(restError(400, 'InvalidRecoveryPointRetention'), 'create policy'),
      'litware',
    ) as ApplicationFailure;
    expect(refused.type).toBe(FailureType.Fatal);
    expect((refused.details?.[0] as { fix?: string }).fix).toBe(
      "edit the plan: policy.recoveryPointHistoryHours, plan-wide or in tenant 'litware''s policy (see docs/PLAN.md for the limits), then run 'asrflow onboard <plan file>' again: the running onboarding takes the corrected plan and retries this step",
    );
    // A refusal because of a resource's state is not a plan problem.
    const notReady = classifyAzureError(restError(400, 'PolicyNotReady'), 'pair');
    expect((notReady.details?.[0] as { fix?: string }).fix).toBeUndefined();
    expect(policyContentFailure(notReady, 'litware')).toBe(notReady);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(retryAfterSeconds(restError(429, 'x', { 'retry-after': 'Mon, 23 Nov 2026 10:00:30 GMT' }), now)).toBe(30);
    expect(retryAfterSeconds(restError(429, 'x'), now)).toBeUndefined();
  });
});

describe('Provider versions', () => {
  it('orders dotted versions numerically against the seed minimum', () => {
    expect(compareVersions('5.1.1200.0', MIN_PROVIDER_VERSION)).toBe(-1);
    expect(compareVersions('5.1.1256.0', MIN_PROVIDER_VERSION)).toBe(0);
    expect(compareVersions('5.1.2250.0', MIN_PROVIDER_VERSION)).toBe(1);
    expect(compareVersions('5.10.0.0', '5.9.9999.0')).toBe(1);
  });
});
