import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EmulatorAdminClient, startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import { demoSecrets } from './demo-secrets';
import { startDevServer, type DevServer } from './temporal-server';
import { spawnWorker, type WorkerProcess } from './worker-process';

export interface LocalStackOptions {
  /** Where the stack keeps its files (emulator certificates, vault credentials files). */
  dataDir: string;
  /** Keep Temporal's state in SQLite under dataDir; otherwise every run starts empty. */
  persistTemporal?: boolean;
  temporalPort?: number;
  uiPort?: number | false;
  taskQueue?: string;
  /** Simulated seconds per real second in the emulator. */
  speed?: number;
  /** How often the worker looks at Azure while waiting (registration, replication). */
  pollMs?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  temporal: DevServer;
  emulator: EmulatorHandle;
  worker: WorkerProcess;
  /** The environment a CLI or worker needs to reach this stack (includes the demo secrets). */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The embedded default, all on 127.0.0.1: a Temporal dev server, the Azure emulator (in this
 * process) and one worker process configured for both. What `npm run demo` runs.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  const temporal = await startDevServer({
    port: options.temporalPort,
    uiPort: options.uiPort,
    ...(options.persistTemporal ? { dataDir: path.join(options.dataDir, 'temporal') } : {}),
  });
  log(`Temporal dev server on ${temporal.address}${temporal.uiUrl ? `, UI ${temporal.uiUrl}` : ''}`);
  let emulator: EmulatorHandle;
  try {
    emulator = await startEmulator({
      port: 0,
      speed: options.speed ?? 600,
      dataDir: path.join(options.dataDir, 'emulator'),
    });
  } catch (error) {
    await temporal.stop();
    throw error;
  }
  log(`Azure emulator on ${emulator.armEndpoint} (speed ×${options.speed ?? 600})`);
  const poll = String(options.pollMs ?? 1_000);
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: temporal.namespace,
    ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
    ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
    ASRFLOW_CA_FILE: emulator.caCertPath,
    // `asrflow emulator …` in a shell that sourced the env file finds this emulator without --data-dir.
    ASRFLOW_EMULATOR_DATA_DIR: path.resolve(emulator.dataDir),
    ASRFLOW_CREDENTIALS_DIR: path.resolve(options.dataDir, 'credentials'),
    ASRFLOW_REGISTRATION_POLL_MS: poll,
    ASRFLOW_REPLICATION_POLL_MS: poll,
    ...(temporal.uiUrl ? { ASRFLOW_TEMPORAL_UI: temporal.uiUrl } : {}),
    ...(options.taskQueue ? { ASRFLOW_TASK_QUEUE: options.taskQueue } : {}),
    ASRFLOW_LOG_LEVEL: process.env.ASRFLOW_LOG_LEVEL ?? 'warn',
    ...demoSecrets(),
  };
  const worker = spawnWorker(env, { onOutput: (line) => log(`worker: ${line}`) });
  return {
    temporal,
    emulator,
    worker,
    env,
    async stop() {
      await worker.stop();
      await emulator.stop();
      await temporal.stop();
    },
  };
}

/**
 * Plays the operator's on-premises step against the stack's emulator: installs the ASR Provider
 * on `vmm` with a vault credentials file (what `asrflow emulator install-provider` does).
 */
export async function installProvider(
  stack: Pick<LocalStack, 'emulator'>,
  credentialsXml: string,
  vmm: string,
): Promise<{ status: number; body: unknown }> {
  const admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
  try {
    return await admin.installProvider(credentialsXml, vmm);
  } finally {
    admin.close();
  }
}

export interface WrittenEnvFile {
  file: string;
  /** The file's permission bits before, when they let others than the owner read it (now 0600). */
  narrowedFrom?: number;
}

/**
 * Writes the stack's environment as a shell file (`set -a; . FILE; set +a`) for a CLI in another
 * shell. It carries the emulator's demo app secrets, valid nowhere else, so it is the
 * operator's alone (0600) and its values are never echoed.
 */
export function writeEnvFile(env: Record<string, string>, dataDir: string): WrittenEnvFile {
  mkdirSync(dataDir, { recursive: true });
  const file = path.resolve(dataDir, 'env');
  const quote = (value: string) => `'${value.replace(/'/g, "'\\''")}'`;
  // writeFileSync's mode applies only to a new file: one left 0644 by an earlier run or by hand
  // would keep its mode and show the secrets to every user of the machine. Narrow it first,
  // before the secrets are written.
  let before: number | undefined;
  try {
    before = statSync(file).mode & 0o777;
  } catch {
    before = undefined;
  }
  if (before !== undefined && before !== 0o600) chmodSync(file, 0o600);
  writeFileSync(
    file,
    `${Object.entries(env)
      .map(([key, value]) => `${key}=${quote(value)}`)
      .join('\n')}\n`,
    { mode: 0o600 },
  );
  return { file, ...(before !== undefined && (before & 0o077) !== 0 ? { narrowedFrom: before } : {}) };
}

/** The line that tells a person their env file was readable by others and no longer is. */
export function narrowedNotice(written: WrittenEnvFile): string | undefined {
  if (written.narrowedFrom === undefined) return undefined;
  return `${written.file} was mode 0${written.narrowedFrom.toString(8)} (readable by others); narrowed it to 0600, since it holds secrets.`;
}
