import { Client, Connection, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { operatorDecisionUpdate, progressQuery, type OperatorDecision } from '../temporal/workflow/progress';
import { EXIT, ExitCode } from './exit-codes';
import { explainNotFound, type Addressed } from './known';
import { workflowUiUrl } from '../onboarding/start';
import { ensureSearchAttributes } from '../temporal/register-search-attributes';
import { loadTemporalSettings, type TemporalSettings } from '../temporal/config';

/** The Temporal flags every workflow command takes; TEMPORAL_* settings fill what is not given. */
export interface ConnectionFlags {
  address?: string;
  namespace?: string;
  taskQueue?: string;
}

export function connectionOptions(command: Command): Command {
  return command
    .option('--address <host:port>', 'Temporal frontend (default: TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('--task-queue <name>', 'task queue (default: ASRFLOW_TASK_QUEUE or asrflow)');
}

/** Runs `fn` with a connected client and closes the connection whatever happens. */
export async function withClient<T>(
  flags: ConnectionFlags,
  fn: (client: Client, settings: TemporalSettings) => Promise<T>,
  options: { startsWorkflows?: boolean } = {},
): Promise<T> {
  const settings = loadTemporalSettings(process.env, flags);
  const connection = await connectOrExplain(settings);
  try {
    if (options.startsWorkflows) {
      const attributes = await ensureSearchAttributes(connection, settings.namespace);
      if (!attributes.ok) {
        console.error(`asrflow: ${attributes.problem}`);
        throw new ExitCode(EXIT.failure);
      }
    }
    return await fn(new Client({ connection, namespace: settings.namespace }), settings);
  } finally {
    await connection.close();
  }
}

/** How long a command waits for the Temporal frontend before it says it cannot reach it. */
const CONNECT_TIMEOUT_MS = 3_000;

/**
 * Connects, or says which address was tried, where it came from and what to do (exit 1): an
 * unreachable server is the most common first mistake, and the SDK's own error says neither.
 */
async function connectOrExplain(settings: TemporalSettings): Promise<Connection> {
  try {
    return await Connection.connect({ ...settings.connectionOptions, connectTimeout: CONNECT_TIMEOUT_MS });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.error(
      [
        `asrflow: cannot reach Temporal at ${settings.address} (from ${settings.addressSource}) within ${CONNECT_TIMEOUT_MS / 1000} s: ${reason}`,
        "  fix: start a local one with 'asrflow dev up' (or 'asrflow demo'), or point asrflow at yours with --address host:port or TEMPORAL_ADDRESS",
      ].join('\n'),
    );
    throw new ExitCode(EXIT.failure);
  }
}

/** The Temporal UI link of a workflow (ASRFLOW_TEMPORAL_UI, default http://localhost:8233). */
export function uiUrl(settings: TemporalSettings, workflowId: string): string | undefined {
  return workflowUiUrl(process.env.ASRFLOW_TEMPORAL_UI ?? 'http://localhost:8233', settings.namespace, workflowId);
}

/**
 * Sends an operator's decision (retry, skip, abandon) to a workflow's waiting step — the one
 * named, or the one that waits — and prints the workflow's answer. Nothing waiting, or a refusal
 * by the update's validator, is a run-time refusal (exit 1); so is a workflow that does not exist,
 * named with the tenants (or VMs) that do.
 */
export async function sendOperatorDecision(
  client: Client,
  target: Addressed,
  action: OperatorDecision['action'],
  options: { step?: string; reason?: string } = {},
): Promise<void> {
  const { workflowId } = target;
  const handle = client.workflow.getHandle(workflowId);
  let step = options.step;
  try {
    if (!step) {
      const progress = await handle.query(progressQuery);
      step = progress.steps.find((s) => s.state === 'waiting-for-operator')?.name;
      if (!step) {
        console.error(`asrflow: ${workflowId} has no step waiting for an operator (stage: ${progress.stage})`);
        throw new ExitCode(EXIT.failure);
      }
    }
    console.log(
      await handle.executeUpdate(operatorDecisionUpdate, {
        args: [{ step, action, ...(options.reason ? { reason: options.reason } : {}) }],
      }),
    );
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError) {
      console.error(`asrflow: ${workflowId} refused: ${error.cause?.message ?? error.message}`);
      throw new ExitCode(EXIT.failure);
    }
    if (error instanceof WorkflowNotFoundError) await explainNotFound(client, target, error);
    throw error;
  }
}
