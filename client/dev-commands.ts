import path from 'node:path';
import type { Command } from 'commander';
import { startDevServer } from '../devstack/temporal-server';
import { runDemo } from './demo';
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
    .description('The main job on the embedded default: local Temporal (UI), the Azure emulator and a worker; onboards the example multitenant plan, plays the Provider installation and shows progress. Stays up until Ctrl-C.')
    .option('--exit', 'stop everything and exit after the run instead of staying up')
    .option('--port <port>', 'Temporal gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (0 = any free port)', '8233')
    .option('--speed <x>', 'emulator speed: simulated seconds per real second', '600')
    .option('--data-dir <dir>', 'state folder (emulator certificates, vault credentials files)', path.join(DEFAULT_DATA_DIR, 'demo'))
    .addHelpText('after', '\nExample:\n  $ npm run demo             # stays up; open the UI link it prints\n  $ npm run demo -- --exit   # for CI')
    .action(async (opts: { exit?: boolean; port: string; uiPort: string; speed: string; dataDir: string }) => {
      const speed = Number(opts.speed);
      if (!(speed > 0)) {
        console.error(`asrflow: --speed must be a positive number: got '${opts.speed}'`);
        throw new ExitCode(EXIT.badInput);
      }
      const code = await runDemo({
        exit: Boolean(opts.exit),
        port: parsePort(opts.port, '--port'),
        uiPort: parsePort(opts.uiPort, '--ui-port'),
        speed,
        dataDir: opts.dataDir,
        print: (text) => console.log(text),
        waitForInterrupt,
      });
      if (code !== 0) throw new ExitCode(code);
    });
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`asrflow: ${flag} must be a port number 0–65535 (0 = any free port): got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return port;
}
