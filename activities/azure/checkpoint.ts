import { Context } from '@temporalio/activity';
import { classifyAzureError } from './failures';

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

export type Begin<T> = (options: { resumeFrom?: string; abortSignal: AbortSignal; updateIntervalInMs?: number }) => Promise<ResumablePoller<T>> | ResumablePoller<T>;

/**
 * Starts (or resumes) a long-running Azure operation, heartbeats its serialized state at once
 * and on every poll, and waits for the result. Cancellation of the activity aborts the wait,
 * not the Azure operation.
 */
export async function runCheckpointedLro<T>(operation: string, begin: Begin<T>, options: { updateIntervalInMs?: number } = {}): Promise<{ result: T; resumed: boolean }> {
  const context = Context.current();
  const checkpoint = lastCheckpoint(operation);
  const abortSignal = context.cancellationSignal;
  try {
    const begun = begin({ resumeFrom: checkpoint?.poller, abortSignal, updateIntervalInMs: options.updateIntervalInMs });
    // core-lro 3 pollers are thenables that resolve to the final result: never await those.
    const poller = 'pollUntilDone' in begun ? begun : await begun;
    const serialize = async () => (poller.serialize ? poller.serialize() : poller.toString());
    const save = async () => context.heartbeat({ kind: 'lro', operation, poller: await serialize() } satisfies LroCheckpoint);
    await save();
    poller.onProgress(() => void save());
    const result = await poller.pollUntilDone({ abortSignal });
    return { result, resumed: checkpoint !== undefined };
  } catch (error) {
    if (abortSignal.aborted) throw error;
    throw classifyAzureError(error, operation);
  }
}
