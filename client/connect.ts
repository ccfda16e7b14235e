import { Client, Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { workflowUiUrl } from './onboarding';
import { loadTemporalSettings, type TemporalSettings } from './temporal-config';

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
export async function withClient<T>(flags: ConnectionFlags, fn: (client: Client, settings: TemporalSettings) => Promise<T>): Promise<T> {
  const settings = loadTemporalSettings(process.env, flags);
  const connection = await Connection.connect(settings.connectionOptions);
  try {
    return await fn(new Client({ connection, namespace: settings.namespace }), settings);
  } finally {
    await connection.close();
  }
}

/** The Temporal UI link of a workflow (ASRFLOW_TEMPORAL_UI, default http://localhost:8233). */
export function uiUrl(settings: TemporalSettings, workflowId: string): string | undefined {
  return workflowUiUrl(process.env.ASRFLOW_TEMPORAL_UI ?? 'http://localhost:8233', settings.namespace, workflowId);
}
