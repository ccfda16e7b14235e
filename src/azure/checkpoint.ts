import { Context } from '@temporalio/activity';
import { classifyAzureError, needsOperator, type FailureDetails } from './failures';

/**
 * What a begin-style activity heartbeats before it waits: the serialized poller. A retried
 * attempt (worker crash, timeout) finds it in heartbeatDetails and resumes polling the same
 * Azure operation instead of issuing it a second time.
 */
export interface LroCheckpoint {
  kind: 'lro';
  /** Which operation the poller belongs to, so a checkpoint is never resumed for another. */
  operation: string;
  poller: string;
}

export function lastCheckpoint(operation: string): LroCheckpoint | undefined {
  const details = Context.current().info.heartbeatDetails as Partial<LroCheckpoint> | undefined;
  if (details?.kind === 'lro' && details.operation === operation && typeof details.poller === 'string') {
    return details as LroCheckpoint;
  }
  return undefined;
}

/**
 * The part of a poller this needs. Structural, because the classic SDKs (core-lro 2) and the
 * newer modular ones (core-lro 3, e.g. @azure/arm-storage 20) ship different poller types.
 */
export interface ResumablePoller<T> {
  onProgress(callback: (state: unknown) => void): unknown;
  pollUntilDone(options?: { abortSignal?: AbortSignal }): Promise<T>;
  /** core-lro 3 */
  serialize?: () => Promise<string>;
  /** core-lro 2 */
  toString(): string;
}

export type Begin<T> = (options: {
  resumeFrom?: string;
  abortSignal: AbortSignal;
  updateIntervalInMs?: number;
}) => Promise<ResumablePoller<T>> | ResumablePoller<T>;

/**
 * Starts (or resumes) a long-running Azure operation, heartbeats its serialized state at once
 * and on every poll, and waits for the result. Cancellation of the activity aborts the wait,
 * not the Azure operation.
 */
const HEARTBEAT_EVERY_MS = 5_000;

export interface LroOptions {
  updateIntervalInMs?: number;
  /** Reads why the operation failed (its ASR job's error) when it ends in Failed. */
  explainFailure?: () => Promise<(FailureDetails & { message?: string }) | undefined>;
}

/** core-lro reports an operation that ended Failed with this plain Error. */
function isFailedOperation(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('The long-running operation has failed');
}

export async function runCheckpointedLro<T>(
  operation: string,
  begin: Begin<T>,
  options: LroOptions = {},
): Promise<{ result: T; resumed: boolean }> {
  const context = Context.current();
  const checkpoint = lastCheckpoint(operation);
  const abortSignal = context.cancellationSignal;
  try {
    const begun = begin({
      resumeFrom: checkpoint?.poller,
      abortSignal,
      updateIntervalInMs: options.updateIntervalInMs,
    });
    // core-lro 3 pollers are thenables that resolve to the final result: never await those.
    // The first request may wait its turn in the worker's ARM budget for longer than the
    // heartbeat timeout: beat meanwhile, repeating what the last attempt saved (nothing new yet).
    const waiting = setInterval(() => context.heartbeat(context.info.heartbeatDetails), HEARTBEAT_EVERY_MS);
    let poller: Awaited<typeof begun>;
    try {
      poller = 'pollUntilDone' in begun ? begun : await begun;
    } finally {
      clearInterval(waiting);
    }
    const serialize = async () => (poller.serialize ? poller.serialize() : poller.toString());
    const save = async () =>
      context.heartbeat({ kind: 'lro', operation, poller: await serialize() } satisfies LroCheckpoint);
    await save();
    poller.onProgress(() => void save());
    // Azure may ask for 30 s between polls; a heartbeat on a timer too lets the heartbeat
    // timeout stay short, so a dead worker's operation is picked up again quickly.
    const beat = setInterval(() => void save(), HEARTBEAT_EVERY_MS);
    try {
      const result = await poller.pollUntilDone({ abortSignal });
      return { result, resumed: checkpoint !== undefined };
    } finally {
      clearInterval(beat);
    }
  } catch (error) {
    if (abortSignal.aborted) throw error;
    if (isFailedOperation(error)) {
      // Azure finished the operation and it failed: retrying the poll cannot change that, and
      // re-issuing it blindly could repeat the damage. A person reads the cause and says retry.
      // Reading the job's error can fail for a moment too: then the attempt is retried (it
      // resumes the poller, which reports the failure again) rather than losing ASR's reason.
      let details: Awaited<ReturnType<NonNullable<LroOptions['explainFailure']>>>;
      try {
        details = await options.explainFailure?.();
      } catch (explaining) {
        throw classifyAzureError(explaining, `${operation} failed; reading why`);
      }
      throw needsOperator(`${operation} failed: ${details?.message ?? (error as Error).message}`, { ...details });
    }
    throw classifyAzureError(error, operation);
  }
}
