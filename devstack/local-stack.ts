import path from 'node:path';
import { startDevServer, type DevServer } from './temporal-server';
import { spawnWorker, type WorkerProcess } from './worker-process';

export interface LocalStackOptions {
  /** Where the stack keeps state (SQLite file, later the emulator's data). */
  dataDir: string;
  temporalPort?: number;
  uiPort?: number | false;
  taskQueue?: string;
  log?: (line: string) => void;
}

export interface LocalStack {
  temporal: DevServer;
  worker: WorkerProcess;
  /** The environment a CLI or worker needs to reach this stack. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** Temporal dev server + one worker process: what `npm run demo` and `asrflow dev up` run. */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const temporal = await startDevServer({
    port: options.temporalPort,
    uiPort: options.uiPort,
    dataDir: path.join(options.dataDir, 'temporal'),
  });
  log(`Temporal dev server on ${temporal.address}${temporal.uiUrl ? `, UI ${temporal.uiUrl}` : ''}`);
  const env: Record<string, string> = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace };
  if (options.taskQueue) env.ASRFLOW_TASK_QUEUE = options.taskQueue;
  const worker = spawnWorker(env, { onOutput: (line) => log(`worker: ${line}`) });
  return {
    temporal,
    worker,
    env,
    async stop() {
      await worker.stop();
      await temporal.stop();
    },
  };
}
