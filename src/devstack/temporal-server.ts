import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../temporal/workflow/search-attributes';
import { DEFAULT_NAMESPACE } from '../temporal/defaults';
import { assertPortFree, freePort } from './free-port';
import { locateTemporalBinary } from './temporal-binary';

export interface DevServerOptions {
  /** Path to the `temporal` binary; located (and installed if need be) when absent. */
  binary?: string;
  /** gRPC port; 0 or absent picks a free one. */
  port?: number;
  /** Web UI port; 0 or absent picks a free one; false runs headless. */
  uiPort?: number | false;
  /** Folder for the SQLite file; absent keeps state in memory only. */
  dataDir?: string;
  namespace?: string;
  /** How long to wait for the server to answer. */
  readyTimeoutMs?: number;
  /** Receives the server's own log lines (stderr), for debugging. */
  onLog?: (line: string) => void;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  dbFile?: string;
  pid: number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Starts `temporal server start-dev` bound to 127.0.0.1, with the project's search
 * attributes registered, and resolves once the frontend answers. Ports that were picked
 * free can be taken by someone else before the server binds them, so a start that fails
 * that way is retried on new ports.
 */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const attempts = options.port || options.uiPort ? 1 : 3;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      lastError = error;
      if (!(error instanceof DevServerExitedError)) throw error;
    }
  }
  throw lastError;
}

class DevServerExitedError extends Error {}

async function startOnce(options: DevServerOptions): Promise<DevServer> {
  const binary = options.binary ?? locateTemporalBinary();
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  if (options.port) await assertPortFree(options.port, '--port');
  if (options.uiPort) await assertPortFree(options.uiPort, '--ui-port');
  const port = options.port || (await freePort());
  const uiPort = options.uiPort === false ? undefined : options.uiPort || (await freePort());
  const args = [
    'server',
    'start-dev',
    '--ip',
    HOST,
    '--port',
    String(port),
    '--http-port',
    String(await freePort()),
    '--metrics-port',
    String(await freePort()),
    '--log-level',
    'warn',
  ];
  if (uiPort === undefined) args.push('--headless');
  else args.push('--ui-port', String(uiPort), '--ui-ip', HOST, '--ui-disable-news-fetch');
  if (namespace !== DEFAULT_NAMESPACE) args.push('--namespace', namespace);
  let dbFile: string | undefined;
  if (options.dataDir) {
    mkdirSync(options.dataDir, { recursive: true });
    dbFile = path.join(options.dataDir, 'temporal.db');
    args.push('--db-filename', dbFile);
  }
  for (const flag of searchAttributeFlags()) args.push('--search-attribute', flag);

  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      output.push(line);
      if (output.length > 50) output.shift();
      options.onLog?.(line);
    }
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) =>
      reject(
        new DevServerExitedError(
          `temporal server start-dev exited (${code ?? signal}) before it was ready:\n${output.slice(-15).join('\n')}`,
        ),
      ),
    );
    child.once('error', (error) => reject(new Error(`could not run ${binary}: ${error.message}`)));
  });
  exited.catch(() => undefined);

  const address = `${HOST}:${port}`;
  // A server that died must also end the readiness polling, or it keeps the process alive.
  const giveUp = new AbortController();
  try {
    await Promise.race([waitUntilServing(address, namespace, options.readyTimeoutMs ?? 60_000, giveUp.signal), exited]);
  } catch (error) {
    giveUp.abort();
    await stopChild(child);
    throw error;
  }
  return {
    address,
    namespace,
    uiUrl: uiPort === undefined ? undefined : `http://${HOST}:${uiPort}`,
    dbFile,
    pid: child.pid ?? -1,
    stop: () => stopChild(child),
  };
}

async function waitUntilServing(
  address: string,
  namespace: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } finally {
        await connection.close();
      }
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`Temporal dev server at ${address} did not answer within ${timeoutMs} ms: ${String(lastError)}`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
