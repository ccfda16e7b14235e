import path from 'node:path';
import type { Command } from 'commander';
import { startDevServer } from '../devstack/temporal-server';
import { startLocalStack } from '../devstack/local-stack';
import { loadTemporalSettings, type TemporalSettings } from './temporal-config';
import { formatResults, runDoctor, type CheckResult } from './doctor';
import { EXIT, ExitCode } from './exit-codes';

const DEFAULT_DATA_DIR = '.asrflow';

function waitForInterrupt(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('Run the local stack for development and dry runs.');
  dev
    .command('temporal')
    .description('Run a local Temporal dev server (SQLite persistence, Web UI, asrflow search attributes) until Ctrl-C.')
    .option('--port <port>', 'gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Web UI port (0 = any free port)', '8233')
    .option('--headless', 'no Web UI')
    .option('--data-dir <dir>', 'where the SQLite file lives', path.join(DEFAULT_DATA_DIR, 'temporal'))
    .option('--in-memory', 'keep no state on disk')
    .addHelpText('after', '\nExample:\n  $ asrflow dev temporal --port 7233 --ui-port 8233\n  $ TEMPORAL_ADDRESS=127.0.0.1:7233 asrflow worker')
    .action(async (opts: { port: string; uiPort: string; headless?: boolean; dataDir: string; inMemory?: boolean }) => {
      const port = parsePort(opts.port, '--port');
      const uiPort = opts.headless ? false : parsePort(opts.uiPort, '--ui-port');
      const server = await startDevServer({ port, uiPort, dataDir: opts.inMemory ? undefined : opts.dataDir });
      console.log(JSON.stringify({ address: server.address, namespace: server.namespace, uiUrl: server.uiUrl ?? null, dbFile: server.dbFile ?? null }));
      console.error(`Temporal dev server ready on ${server.address}${server.uiUrl ? ` — UI ${server.uiUrl}` : ''}. Ctrl-C to stop.`);
      await waitForInterrupt();
      await server.stop();
    });

  program
    .command('demo')
    .description('Start the local stack (Temporal dev server + worker) and check it with doctor; stays up until Ctrl-C.')
    .option('--exit', 'stop everything and exit after the run instead of staying up')
    .option('--port <port>', 'Temporal gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (0 = any free port)', '8233')
    .option('--data-dir <dir>', 'state folder', DEFAULT_DATA_DIR)
    .addHelpText('after', '\nExample:\n  $ npm run demo             # stays up; open the UI link it prints\n  $ npm run demo -- --exit   # for CI')
    .action(async (opts: { exit?: boolean; port: string; uiPort: string; dataDir: string }) => {
      const stack = await startLocalStack({
        dataDir: opts.dataDir,
        temporalPort: parsePort(opts.port, '--port'),
        uiPort: parsePort(opts.uiPort, '--ui-port'),
        log: (line) => console.error(line),
      });
      let results: CheckResult[];
      try {
        results = await waitUntilHealthy(loadTemporalSettings({ ...process.env, ...stack.env }));
        console.log(formatResults(results, Boolean(process.stdout.isTTY)));
        if (stack.temporal.uiUrl) console.log(`Temporal UI: ${stack.temporal.uiUrl}`);
        if (!opts.exit) {
          console.error('The stack stays up for exploring; Ctrl-C to stop.');
          await waitForInterrupt();
        }
      } finally {
        await stack.stop();
      }
      if (!results.every((r) => r.ok)) throw new ExitCode(EXIT.failure);
    });
}

/** The worker bundles its workflows before it polls: re-run doctor until green, bounded. */
async function waitUntilHealthy(settings: TemporalSettings, timeoutMs = 120_000): Promise<CheckResult[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const results = await runDoctor({ settings });
    if (results.every((r) => r.ok) || Date.now() > deadline) return results;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`asrflow: ${flag} must be a port number 0–65535 (0 = any free port): got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return port;
}
