import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

// Activity settings by kind of Azure work. Transient and throttled failures retry without
// limit (throttled ones after Retry-After, set by the activity); NeedsOperator and AzureFatal
// never retry on their own: the step waits for a person instead.
const NON_RETRYABLE = ['NeedsOperator', 'AzureFatal'];
const retry: ActivityOptions['retry'] = { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '2m', nonRetryableErrorTypes: NON_RETRYABLE };

/** Quick ARM reads and synchronous PUTs. */
export const quick = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });

/**
 * Begin-style calls that heartbeat their serialized poller (on every poll and every 5 s) and
 * wait for it; a worker that dies mid-wait is noticed within the heartbeat timeout.
 */
export const longRunning = proxyActivities<Activities>({ startToCloseTimeout: '4h', heartbeatTimeout: '20s', retry });

/** Waits that poll Azure inside the activity (registration, replication): cheap on history. */
export const waiting = proxyActivities<Activities>({ startToCloseTimeout: '6h', heartbeatTimeout: '45s', retry });
