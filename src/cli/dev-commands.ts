import path from 'node:path';
import type { Command } from 'commander';
import { PortInUseError } from '../devstack/free-port';
import { EXIT, ExitCode } from './exit-codes';
import { waitForInterrupt } from './interrupt';

const DEFAULT_DATA_DIR = '.asrflow';

export function registerDevCommands(program: Command): void {
  const dev = program.command('dev').description('Run the local stack for development and dry runs.');
  dev
    .command('temporal')
    .description(
      'Run a local Temporal dev server (SQLite persistence, Web UI, asrflow search attributes) until Ctrl-C.',
    )
    .option('--port <port>', 'gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Web UI port (0 = any free port)', '8233')
    .option('--headless', 'no Web UI')
    .option('--data-dir <dir>', 'where the SQLite file lives', path.join(DEFAULT_DATA_DIR, 'temporal'))
    .option('--in-memory', 'keep no state on disk')
    .addHelpText(
      'after',
      '\nExample:\n  $ asrflow dev temporal --port 7233 --ui-port 8233\n  $ TEMPORAL_ADDRESS=127.0.0.1:7233 asrflow worker',
    )
    .action(async (opts: { port: string; uiPort: string; headless?: boolean; dataDir: string; inMemory?: boolean }) => {
      const port = parsePort(opts.port, '--port');
      const uiPort = opts.headless ? false : parsePort(opts.uiPort, '--ui-port');
      // Each command loads what it runs only when it runs: `asrflow --help` stays fast.
      const { startDevServer } = await import('../devstack/temporal-server.js');
      const server = await badPortIsBadInput(() =>
        startDevServer({ port, uiPort, dataDir: opts.inMemory ? undefined : opts.dataDir }),
      );
      console.log(
        JSON.stringify({
          address: server.address,
          namespace: server.namespace,
          uiUrl: server.uiUrl ?? null,
          dbFile: server.dbFile ?? null,
        }),
      );
      console.error(
        `Temporal dev server ready on ${server.address}${server.uiUrl ? ` — UI ${server.uiUrl}` : ''}. Ctrl-C to stop.`,
      );
      await waitForInterrupt();
      await server.stop();
    });

  dev
    .command('up')
    .description(
      'Run the whole local stack until Ctrl-C: Temporal dev server (UI), the HTTPS Azure emulator and a worker, all on 127.0.0.1; writes the environment the CLI needs to a file.',
    )
    .option('--port <port>', 'Temporal gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (0 = any free port)', '8233')
    .option('--speed <x>', 'emulator speed: simulated seconds per real second', '60')
    .option(
      '--data-dir <dir>',
      'state folder (emulator certificates, vault credentials files, the env file); Temporal keeps its state in memory',
      path.join(DEFAULT_DATA_DIR, 'dev'),
    )
    .addHelpText(
      'after',
      [
        '',
        'Example:',
        '  $ asrflow dev up                                   # in one terminal',
        "  $ set -a; . .asrflow/dev/env; set +a               # in another: the stack's settings",
        '  $ asrflow doctor --plan examples/multitenant-vmm.yaml',
        '  $ asrflow onboard examples/multitenant-vmm.yaml --watch',
        '  $ asrflow emulator install-provider --data-dir .asrflow/dev/emulator --vmm vmm01.fabrikam.local \\',
        '        --credentials .asrflow/dev/credentials/<file>.VaultCredentials   # play the operator',
      ].join('\n'),
    )
    .action(async (opts: { port: string; uiPort: string; speed: string; dataDir: string }) => {
      const speed = parseSpeed(opts.speed);
      const port = parsePort(opts.port, '--port');
      const uiPort = parsePort(opts.uiPort, '--ui-port');
      const { narrowedNotice, startLocalStack, writeEnvFile } = await import('../devstack/local-stack.js');
      const stack = await badPortIsBadInput(() =>
        startLocalStack({
          dataDir: opts.dataDir,
          temporalPort: port,
          uiPort,
          speed,
          log: (line) => console.error(line),
        }),
      );
      try {
        const written = writeEnvFile(stack.env, opts.dataDir);
        const envFile = written.file;
        const notice = narrowedNotice(written);
        if (notice) console.error(notice);
        console.log(
          JSON.stringify({
            temporalAddress: stack.temporal.address,
            namespace: stack.temporal.namespace,
            uiUrl: stack.temporal.uiUrl ?? null,
            armEndpoint: stack.emulator.armEndpoint,
            emulatorDataDir: stack.emulator.dataDir,
            envFile,
          }),
        );
        console.error(
          [
            `Local stack ready. Temporal ${stack.temporal.address}${stack.temporal.uiUrl ? `, UI ${stack.temporal.uiUrl}` : ''}; Azure emulator ${stack.emulator.armEndpoint} (×${speed}); one worker.`,
            `In another shell: set -a; . ${envFile}; set +a   — then asrflow doctor / onboard / status / failover work against it.`,
            'Ctrl-C stops everything.',
          ].join('\n'),
        );
        await waitForInterrupt();
      } finally {
        await stack.stop();
      }
    });

  dev
    .command('cluster')
    .description(
      'Run the production topology natively until Ctrl-C: PostgreSQL, the Temporal server as one process per service (frontend, matching, worker, N history hosts) from deploy/temporal/server.yaml, the Temporal UI, the HTTPS Azure emulator and N asrflow workers, all on 127.0.0.1; writes the environment the CLI needs to a file. The server binaries are built from their Go modules into ~/.cache/asrflow the first time (minutes).',
    )
    .option('--workers <n>', 'asrflow worker processes', '3')
    .option('--history-hosts <n>', 'Temporal history hosts sharing the shards', '2')
    .option('--speed <x>', 'emulator speed: simulated seconds per real second', '600')
    .option(
      '--data-dir <dir>',
      "state folder (PostgreSQL's data, logs, emulator certificates, vault credentials files, the env file); kept between runs",
      path.join(DEFAULT_DATA_DIR, 'cluster'),
    )
    .option('--no-ui', 'no Temporal UI server (and no UI build)')
    .addHelpText(
      'after',
      [
        '',
        'Example:',
        '  $ asrflow dev cluster --workers 3 --history-hosts 2   # in one terminal',
        "  $ set -a; . .asrflow/cluster/env; set +a               # in another: the cluster's settings",
        '  $ asrflow onboard examples/multitenant-vmm.yaml --watch',
        '',
        'PostgreSQL refuses to run as root: as root, it runs as the account `postgres` (ASRFLOW_POSTGRES_OS_USER',
        'names another), which must be able to reach --data-dir. Logs of every process: <data-dir>/logs.',
      ].join('\n'),
    )
    .action(async (opts: { workers: string; historyHosts: string; speed: string; dataDir: string; ui: boolean }) => {
      const workers = parseCount(opts.workers, '--workers', 0);
      const historyHosts = parseCount(opts.historyHosts, '--history-hosts', 1);
      const speed = parseSpeed(opts.speed);
      const dataDir = path.resolve(opts.dataDir);
      const started = Date.now();
      const { startCluster } = await import('../devstack/cluster/cluster.js');
      const { narrowedNotice, writeEnvFile } = await import('../devstack/local-stack.js');
      const cluster = await startCluster({
        dataDir,
        workers,
        historyHosts,
        emulator: { speed },
        ui: opts.ui,
        log: (line) => console.error(line),
      });
      try {
        const written = writeEnvFile(cluster.env, dataDir);
        const notice = narrowedNotice(written);
        if (notice) console.error(notice);
        console.log(
          JSON.stringify({
            temporalAddress: cluster.address,
            namespace: cluster.namespace,
            uiUrl: cluster.uiUrl ?? null,
            postgres: `${cluster.postgres.host}:${cluster.postgres.port}`,
            historyHosts: cluster.services.history.map((h) => h.pid),
            workers: cluster.workers.map((w) => w.child.pid ?? null),
            armEndpoint: cluster.emulator?.armEndpoint ?? null,
            logDir: cluster.logDir,
            envFile: written.file,
          }),
        );
        console.error(
          [
            `Cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s. Temporal ${cluster.address}${cluster.uiUrl ? `, UI ${cluster.uiUrl}` : ''}; ${historyHosts} history host(s); ${workers} worker(s); Azure emulator ${cluster.emulator?.armEndpoint ?? '-'} (×${speed}).`,
            `In another shell: set -a; . ${written.file}; set +a   — then asrflow doctor / onboard / status / failover work against it.`,
            'Ctrl-C stops everything.',
          ].join('\n'),
        );
        await waitForInterrupt();
      } finally {
        console.error('stopping the cluster …');
        await cluster.stop();
      }
    });

  program
    .command('demo')
    .description(
      'The main job on the embedded default: local Temporal (UI), the Azure emulator and a worker; onboards the example multitenant plan, plays the Provider installation and shows progress. Stays up until Ctrl-C.',
    )
    .option('--exit', 'stop everything and exit after the run instead of staying up')
    .option('--port <port>', 'Temporal gRPC port (0 = any free port)', '7233')
    .option('--ui-port <port>', 'Temporal Web UI port (0 = any free port)', '8233')
    .option('--speed <x>', 'emulator speed: simulated seconds per real second', '600')
    .option(
      '--data-dir <dir>',
      'state folder (emulator certificates, vault credentials files)',
      path.join(DEFAULT_DATA_DIR, 'demo'),
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ npm run demo             # stays up; open the UI link it prints\n  $ npm run demo -- --exit   # for CI',
    )
    .action(async (opts: { exit?: boolean; port: string; uiPort: string; speed: string; dataDir: string }) => {
      const speed = parseSpeed(opts.speed);
      const { runDemo } = await import('./demo.js');
      const code = await badPortIsBadInput(() =>
        runDemo({
          exit: Boolean(opts.exit),
          port: parsePort(opts.port, '--port'),
          uiPort: parsePort(opts.uiPort, '--ui-port'),
          speed,
          dataDir: opts.dataDir,
          print: (text) => console.log(text),
          waitForInterrupt,
        }),
      );
      if (code !== 0) throw new ExitCode(code);
    });
}

/** A port the user chose that is taken is their input to change: exit 2 with the fix. */
async function badPortIsBadInput<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    console.error(`asrflow: ${error.message}`);
    throw new ExitCode(EXIT.badInput);
  }
}

function parseSpeed(value: string): number {
  const speed = Number(value);
  if (!(speed > 0)) {
    console.error(`asrflow: --speed must be a positive number: got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return speed;
}

function parseCount(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > 16) {
    console.error(`asrflow: ${flag} must be a whole number ${min}–16: got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return n;
}

function parsePort(value: string, flag: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`asrflow: ${flag} must be a port number 0–65535 (0 = any free port): got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return port;
}
