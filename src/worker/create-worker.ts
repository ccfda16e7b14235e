import { hostname } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { createActivities, type ActivityDeps } from './activities';
import { shareBudgetAcrossWorkers, type BudgetShare } from './budget-share';
import type { TemporalSettings } from '../temporal/config';
import { packageVersion } from '../domain/package-root';
import { AzureClientFactory } from '../azure/clients';
import { loadAzureTarget } from '../azure/target';
import { VAULT_CREDENTIALS_VALIDITY_HOURS } from '../onboarding/activities/vault-credentials-file';

export interface WorkerOptions {
  settings: TemporalSettings;
  logger: Logger;
  deps?: Partial<ActivityDeps>;
  /** How long in-flight activities get to finish on shutdown before they are cancelled. */
  shutdownGraceTime?: string;
  identity?: string;
  /** Settings source (ASRFLOW_*); the process environment by default. */
  env?: NodeJS.ProcessEnv;
}

/**
 * How long in-flight activities get after SIGINT/SIGTERM before they are cancelled. Process
 * supervisors must wait longer than this before they kill the worker (docker-compose.yml's
 * stop_grace_period; test/deploy checks the two together).
 */
export const SHUTDOWN_GRACE_TIME = '30s';

export interface RunningWorker {
  worker: Worker;
  connection: NativeConnection;
  /** Keeps this worker's share of the ARM budget current until stopped (budget-share.ts). */
  budgetShare: BudgetShare;
}

/** Builds a worker for asrflow's workflows and activities; the caller runs and stops it. */
export async function createWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  const version = packageVersion();
  const identity = options.identity ?? `asrflow-${version}/${process.pid}@${hostname()}`;
  const env = options.env ?? process.env;
  const deps: ActivityDeps = {
    logger,
    identity,
    version,
    azure: new AzureClientFactory(loadAzureTarget(env), env),
    credentialsDir: path.resolve(env.ASRFLOW_CREDENTIALS_DIR ?? path.join('.asrflow', 'credentials')),
    registrationPollMs: positiveInt(env, 'ASRFLOW_REGISTRATION_POLL_MS', 60_000),
    replicationPollMs: positiveInt(env, 'ASRFLOW_REPLICATION_POLL_MS', 30_000),
    vaultCredentialsHours: credentialsHours(env),
    provisioningWait: {
      maxWaitMs: positiveInt(env, 'ASRFLOW_PROVISIONING_WAIT_MS', 10 * 60_000),
      pollMs: positiveInt(env, 'ASRFLOW_PROVISIONING_POLL_MS', 10_000),
    },
    enableRecheckMs: positiveInt(env, 'ASRFLOW_ENABLE_RECHECK_MS', 60_000),
    ...options.deps,
  };
  const connection = await NativeConnection.connect(settings.connectionOptions);
  // The vault watcher's activities start and signal workflows over the worker's own connection.
  deps.temporal ??= {
    client: new Client({ connection, namespace: settings.namespace }),
    taskQueue: settings.taskQueue,
  };
  try {
    const worker = await Worker.create({
      connection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      // workflows.ts under tsx, workflows.js once compiled.
      workflowsPath: require.resolve('./workflows'),
      activities: createActivities(deps),
      shutdownGraceTime: options.shutdownGraceTime ?? SHUTDOWN_GRACE_TIME,
      identity,
    });
    const budgetShare = shareBudgetAcrossWorkers({
      client: deps.temporal.client,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
      identity,
      budget: deps.azure.budget,
      logger,
    });
    return { worker, connection, budgetShare };
  } catch (error) {
    await connection.close();
    throw error;
  }
}

/** ASRFLOW_VAULT_CREDENTIALS_HOURS: shorter-lived vault credentials files than ASR's 120 h, if wanted. */
function credentialsHours(env: NodeJS.ProcessEnv): number {
  const raw = env.ASRFLOW_VAULT_CREDENTIALS_HOURS;
  if (raw === undefined || raw === '') return VAULT_CREDENTIALS_VALIDITY_HOURS;
  const hours = Number(raw);
  if (!(hours > 0 && hours <= VAULT_CREDENTIALS_VALIDITY_HOURS)) {
    throw new Error(
      `ASRFLOW_VAULT_CREDENTIALS_HOURS must be a number of hours above 0 and at most ${VAULT_CREDENTIALS_VALIDITY_HOURS} (ASR's own validity): got '${raw}'`,
    );
  }
  return hours;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive whole number of milliseconds: got '${raw}'`);
  return value;
}
