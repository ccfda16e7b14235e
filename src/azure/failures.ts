import { ApplicationFailure } from '@temporalio/common';

import { FailureType } from '../temporal/workflow/failure-types';

// Every Azure error leaves an activity as one of the failure types of src/temporal/workflow/failure-types.ts, so
// workflows decide by type alone: throttled and transient ones are retried (throttled after
// Retry-After), the other two stop retrying and pause the step until an operator fixes the cause.
export { FailureType, NON_RETRYABLE_FAILURE_TYPES } from '../temporal/workflow/failure-types';

/** What an operator needs to see about a failure; travels as the failure's details. */
export interface FailureDetails {
  /** ARM / ASR error code, e.g. AuthorizationFailed. */
  code?: string;
  statusCode?: number;
  /** ASR job errors carry these. */
  possibleCauses?: string;
  recommendedAction?: string;
  /** Our own one-line advice. */
  fix?: string;
  jobId?: string;
  /**
   * Azure's own ids of the failed request (x-ms-request-id, x-ms-correlation-request-id): what
   * Microsoft support asks for, and how a worker log line is matched with Azure's activity log.
   */
  requestId?: string;
  correlationRequestId?: string;
}

interface AzureLikeError {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  response?: { headers?: { get(name: string): string | undefined } };
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
  'ENOTFOUND',
]);
const AUTH_CODES = new Set([
  'AuthorizationFailed',
  'InvalidAuthenticationTokenTenant',
  'AuthenticationFailed',
  'InvalidAuthenticationToken',
  'LinkedAuthorizationFailed',
]);
const QUOTA_PATTERN = /quota|limit.*exceeded|exceeded.*limit/i;
/** 400 codes that refuse a value of the request (not the state of a resource, e.g. PolicyNotReady). */
const CONTENT_CODE = /^(Invalid|BadRequest$)|OutOfRange|NotSupported/;
const CONFLICT_RETRY_CODES = new Set(['AnotherOperationInProgress', 'OperationNotAllowedWhileInProgress', 'Conflict']);

/** Seconds from a Retry-After header (delta-seconds or HTTP date), if there is one. */
export function retryAfterSeconds(error: AzureLikeError, now = Date.now()): number | undefined {
  const value = error.response?.headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * The wait before retrying a throttled call: Retry-After, plus up to half of it again (at least
 * a second) at random. Many VMs throttled by the same bucket would otherwise all come back in the
 * same second and be throttled together again.
 */
export function throttledRetryDelayMs(retryAfter: number, random: () => number = Math.random): number {
  const base = Math.max(1, retryAfter) * 1000;
  return Math.round(base + random() * Math.max(1000, base / 2));
}

/** Turns whatever an Azure SDK call threw into one of asrflow's failure types. */
export function classifyAzureError(error: unknown, doing: string): ApplicationFailure {
  if (error instanceof ApplicationFailure) return error;
  const e = (error ?? {}) as AzureLikeError;
  const message = `${doing}: ${e.message ?? String(error)}`;
  const requestId = e.response?.headers?.get('x-ms-request-id');
  const correlationRequestId = e.response?.headers?.get('x-ms-correlation-request-id');
  const details: FailureDetails = {
    code: e.code,
    statusCode: e.statusCode,
    ...(requestId ? { requestId } : {}),
    ...(correlationRequestId ? { correlationRequestId } : {}),
  };
  const status = e.statusCode;

  // A wrong, expired or missing secret does not heal by itself: retrying only spends token
  // requests. The operator fixes the reference and says retry (the secret is read again then).
  const credential = credentialRefusal(error);
  if (credential) {
    return nonRetryable(`${doing}: ${credential.message ?? 'the credential was refused'}`, FailureType.NeedsOperator, {
      ...details,
      code: details.code ?? credential.name,
      fix:
        credential.fix ??
        'check the credential reference in the plan (client id, secret or certificate) and that the app exists in this tenant, then retry',
    });
  }
  if (status === 429) {
    const wait = retryAfterSeconds(e);
    return ApplicationFailure.create({
      message,
      type: FailureType.Throttled,
      details: [details],
      ...(wait !== undefined ? { nextRetryDelay: throttledRetryDelayMs(wait) } : {}),
    });
  }
  if (status === undefined || status >= 500 || status === 408 || TRANSIENT_NETWORK_CODES.has(e.code ?? '')) {
    return ApplicationFailure.create({ message, type: FailureType.Transient, details: [details] });
  }
  if (status === 401 || status === 403 || AUTH_CODES.has(e.code ?? '')) {
    return nonRetryable(message, FailureType.NeedsOperator, {
      ...details,
      fix: "grant this tenant's app registration the needed role (Contributor on the subscription) and check that the plan pairs the right tenant with the subscription",
    });
  }
  if (status === 409 && CONFLICT_RETRY_CODES.has(e.code ?? '')) {
    return ApplicationFailure.create({ message, type: FailureType.Transient, details: [details] });
  }
  if (QUOTA_PATTERN.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return nonRetryable(message, FailureType.NeedsOperator, {
      ...details,
      fix: 'raise the quota in the subscription (or free capacity), then retry',
    });
  }
  if (status === 400 && CONTENT_CODE.test(e.code ?? '')) {
    // Azure refused what the request says (a value out of range, a wrong name): the same request
    // fails again; the value comes from the plan, so the plan is where to correct it.
    return nonRetryable(message, FailureType.Fatal, {
      ...details,
      fix: `Azure refused a value of the request${e.code ? ` (${e.code})` : ''}: correct it in the plan, then run 'asrflow onboard <plan file>' again (a running onboarding takes the corrected plan and retries the step)`,
    });
  }
  return nonRetryable(message, FailureType.Fatal, details);
}

/** The plan fields behind the policy request's fields, by the code Site Recovery refuses them with. */
const POLICY_FIELD_BY_CODE: Record<string, string> = {
  InvalidReplicationInterval: 'replicationInterval',
  InvalidRecoveryPointRetention: 'recoveryPointHistoryHours',
  InvalidAppConsistentFrequency: 'appConsistentFrequencyHours',
  InvalidReplicationStartTime: 'initialReplicationStart',
};

/**
 * A policy refused for its content names the plan field to edit, where (plan-wide or the
 * tenant's override) and what to run then; other failures pass unchanged.
 */
export function policyContentFailure(error: unknown, tenant: string): unknown {
  if (!(error instanceof ApplicationFailure) || error.type !== FailureType.Fatal) return error;
  const details = (error.details?.[0] ?? {}) as FailureDetails;
  if (details.statusCode !== 400 || !CONTENT_CODE.test(details.code ?? '')) return error;
  const field = details.code ? POLICY_FIELD_BY_CODE[details.code] : undefined;
  const what = field
    ? `policy.${field}`
    : 'the policy (replicationInterval, recoveryPointHistoryHours, appConsistentFrequencyHours, initialReplicationStart)';
  return nonRetryable(error.message, FailureType.Fatal, {
    ...details,
    fix: `edit the plan: ${what}, plan-wide or in tenant '${tenant}''s policy (see docs/PLAN.md for the limits), then run 'asrflow onboard <plan file>' again: the running onboarding takes the corrected plan and retries this step`,
  });
}

/**
 * The token endpoint could not be reached or answered 5xx / 429: the endpoint's trouble, not the
 * reference's (MSAL reports an unreachable authority as CredentialUnavailableError).
 */
export function isTokenEndpointTrouble(error: { statusCode?: number; message?: string; code?: string }): boolean {
  if (error.statusCode !== undefined) return error.statusCode >= 500 || error.statusCode === 429;
  return /endpoints_resolution|network_error|ECONNRESET|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|socket hang up|timed? ?out/i.test(
    `${error.code ?? ''} ${error.message ?? ''}`,
  );
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialReferenceError',
  'CredentialUnavailableError',
  'AuthenticationError',
  'AggregateAuthenticationError',
  'AuthenticationRequiredError',
]);

/** The credential error in an error or its causes (the SDK may wrap what getToken threw). */
function credentialRefusal(error: unknown): { name?: string; message?: string; fix?: string } | undefined {
  for (
    let e = error as
        { name?: string; message?: string; fix?: string; statusCode?: number; cause?: unknown } | undefined,
      depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (!CREDENTIAL_ERRORS.has(e.name ?? '')) continue;
    if (e.name !== 'CredentialReferenceError' && isTokenEndpointTrouble(e)) return undefined;
    return e;
  }
  return undefined;
}

export function needsOperator(message: string, details: FailureDetails): ApplicationFailure {
  return nonRetryable(message, FailureType.NeedsOperator, details);
}

function nonRetryable(message: string, type: string, details: FailureDetails): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true, details: [details] });
}

/** Runs an Azure call and rethrows its failure classified. */
export async function azureCall<T>(doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw classifyAzureError(error, doing);
  }
}
