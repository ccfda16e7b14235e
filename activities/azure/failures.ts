import { ApplicationFailure } from '@temporalio/common';

// Every Azure error leaves an activity as one of these failure types, so workflows decide by
// type alone: throttled and transient ones are retried (throttled after Retry-After), the
// other two stop retrying and pause the step until an operator fixes the cause and says retry.
export const FailureType = {
  Throttled: 'AzureThrottled',
  Transient: 'AzureTransient',
  NeedsOperator: 'NeedsOperator',
  Fatal: 'AzureFatal',
} as const;

export const NON_RETRYABLE_FAILURE_TYPES = [FailureType.NeedsOperator, FailureType.Fatal];

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

const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'REQUEST_SEND_ERROR', 'UND_ERR_SOCKET', 'ENOTFOUND']);
const AUTH_CODES = new Set(['AuthorizationFailed', 'InvalidAuthenticationTokenTenant', 'AuthenticationFailed', 'InvalidAuthenticationToken', 'LinkedAuthorizationFailed']);
const QUOTA_PATTERN = /quota|limit.*exceeded|exceeded.*limit/i;
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
  const details: FailureDetails = { code: e.code, statusCode: e.statusCode, ...(requestId ? { requestId } : {}), ...(correlationRequestId ? { correlationRequestId } : {}) };
  const status = e.statusCode;

  if (e.name === 'CredentialUnavailableError' || e.name === 'AuthenticationError' || e.name === 'AggregateAuthenticationError') {
    return nonRetryable(message, FailureType.NeedsOperator, { ...details, fix: 'check the credential reference in the plan (client id, secret or certificate) and that the app exists in this tenant' });
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
    return nonRetryable(message, FailureType.NeedsOperator, { ...details, fix: 'grant this tenant\'s app registration the needed role (Contributor on the subscription) and check that the plan pairs the right tenant with the subscription' });
  }
  if (status === 409 && CONFLICT_RETRY_CODES.has(e.code ?? '')) {
    return ApplicationFailure.create({ message, type: FailureType.Transient, details: [details] });
  }
  if (QUOTA_PATTERN.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
    return nonRetryable(message, FailureType.NeedsOperator, { ...details, fix: 'raise the quota in the subscription (or free capacity), then retry' });
  }
  return nonRetryable(message, FailureType.Fatal, details);
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
