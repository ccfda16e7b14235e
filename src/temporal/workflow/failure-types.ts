// The failure types every activity failure leaves as, and the one list of those no retry policy
// retries. Pure, so workflows (retry policies, failures they raise) and the Azure gateway (which
// classifies SDK errors into them) share it instead of retyping the strings.

export const FailureType = {
  /** ARM said 429: retried after its Retry-After. */
  Throttled: 'AzureThrottled',
  /** 5xx, timeouts, dropped connections: retried with backoff. */
  Transient: 'AzureTransient',
  /** A person must fix something (rights, quota, a credential, a failed job): the step waits. */
  NeedsOperator: 'NeedsOperator',
  /** Azure refused the request as it is: retrying the same request cannot help; the step waits. */
  Fatal: 'AzureFatal',
} as const;

export type FailureTypeName = (typeof FailureType)[keyof typeof FailureType];

/** What every retry policy of asrflow's activities never retries on its own. */
export const NON_RETRYABLE_FAILURE_TYPES: string[] = [FailureType.NeedsOperator, FailureType.Fatal];
