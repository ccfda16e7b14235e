import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { inject } from 'vitest';
import { startEmulator, type EmulatorHandle, type StartOptions } from '@asrflow/azure-emulator';
import { spawnWorker, type WorkerProcess } from '../../src/devstack/worker-process';
import { demoSecrets } from '../../src/devstack/demo-secrets';

export { demoSecrets };
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { eventually } from './cli';

/** A fresh namespace, with asrflow's search attributes unless told otherwise, ready to take workflows. */
export async function createTestNamespace(
  connection: Connection,
  options: { searchAttributes?: boolean; prefix?: string } = {},
): Promise<string> {
  const namespace = `${options.prefix ?? 'test'}-${randomUUID()}`;
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('1 day') });
  await eventually(async () => {
    await connection.workflowService.describeNamespace({ namespace });
    return true;
  }, `namespace ${namespace} to exist`);
  if (options.searchAttributes !== false) await registerSearchAttributes(connection, namespace);
  return namespace;
}

/** What a worker or CLI needs to reach the run's Temporal server (one namespace and queue) and an emulator. */
export function workerEnv(
  namespace: string,
  taskQueue: string,
  emulator: Pick<EmulatorHandle, 'armEndpoint' | 'authorityHost' | 'caCertPath'>,
): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: namespace,
    ASRFLOW_TASK_QUEUE: taskQueue,
    ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
    ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
    ASRFLOW_CA_FILE: emulator.caCertPath,
  };
}

export interface TestStack {
  emulator: EmulatorHandle;
  client: Client;
  taskQueue: string;
  /** Environment for the worker and the CLI: Temporal, the emulator, the demo secrets. */
  env: Record<string, string>;
  dir: string;
  worker: WorkerProcess;
  workerOutput: string[];
  startWorker(): WorkerProcess;
  stop(): Promise<void>;
}

/**
 * The whole real stack for one test file: the HTTPS emulator in this process, a real worker
 * process against the shared dev server on its own task queue, and a Temporal client.
 */
export async function startTestStack(
  options: StartOptions & { workerEnv?: Record<string, string> } = {},
): Promise<TestStack> {
  const { workerEnv: extraEnv, ...emulatorOptions } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-stack-'));
  mkdirSync(path.join(dir, 'secrets'));
  const emulator = await startEmulator({
    port: 0,
    speed: 3600,
    dataDir: path.join(dir, 'emulator'),
    ...emulatorOptions,
  });
  const taskQueue = `stack-${randomUUID()}`;
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  // Workflow ids are business keys (asrflow:onboard:litware), so two test files onboarding the
  // same example plan would meet; a namespace of their own keeps them apart.
  const namespace = await createTestNamespace(connection);
  const env: Record<string, string> = {
    ...workerEnv(namespace, taskQueue, emulator),
    ASRFLOW_CREDENTIALS_DIR: path.join(dir, 'credentials'),
    // Credential files a test's plan names live here (the worker and the CLI allow only these).
    ASRFLOW_SECRETS_DIR: path.join(dir, 'secrets'),
    ASRFLOW_REGISTRATION_POLL_MS: '250',
    ASRFLOW_REPLICATION_POLL_MS: '250',
    // A retried enable-protection attempt looks this long for what a lost request started.
    ASRFLOW_ENABLE_RECHECK_MS: '1000',
    ASRFLOW_LOG_LEVEL: 'warn',
    ...demoSecrets(),
    ...extraEnv,
  };
  const workerOutput: string[] = [];
  const client = new Client({ connection, namespace });
  const stack: TestStack = {
    emulator,
    client,
    taskQueue,
    env,
    dir,
    workerOutput,
    worker: undefined as unknown as WorkerProcess,
    startWorker() {
      stack.worker = spawnWorker(env, { onOutput: (line) => workerOutput.push(line) });
      return stack.worker;
    },
    async stop() {
      await stack.worker?.stop('SIGKILL');
      await connection.close();
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  stack.startWorker();
  return stack;
}
