import { hostname } from 'node:os';
import path from 'node:path';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from '../activities';
import type { TemporalSettings } from '../client/temporal-config';
import { packageVersion } from '../domain/package-root';

export interface WorkerOptions {
  settings: TemporalSettings;
  logger: Logger;
  deps?: Partial<ActivityDeps>;
  /** How long in-flight activities get to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: string;
  identity?: string;
}

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
}

/** Builds a worker for asrflow's workflows and activities; the caller runs and stops it. */
export async function createWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  const version = packageVersion();
  const identity = options.identity ?? `asrflow-${version}/${process.pid}@${hostname()}`;
  const connection = await NativeConnection.connect(settings.connectionOptions);
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      // A directory: resolved to index.ts under vitest/tsx and to index.js once compiled.
      workflowsPath: path.join(__dirname, '..', 'workflows'),
      activities: createActivities({ logger, identity, version, ...options.deps }),
      shutdownGraceTime: options.shutdownGraceTime ?? '30s',
      identity,
    });
    return { worker, connection };
  } catch (error) {
    await connection.close();
    throw error;
  }
}
