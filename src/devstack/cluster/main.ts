import path from 'node:path';
import { parseArgs } from 'node:util';
import { narrowedNotice, writeEnvFile } from '../local-stack';
import { startCluster } from './cluster';

// Runs the native production topology in the foreground until Ctrl-C:
//   node --import tsx src/devstack/cluster/main.ts [--data-dir DIR] [--workers N] [--history-hosts N]
//        [--no-emulator] [--speed X] [--no-ui]
// (`asrflow dev cluster` will call startCluster the same way.) It writes DIR/env for a CLI in
// another shell: `set -a; . DIR/env; set +a`.
const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: path.join('.asrflow', 'cluster') },
    workers: { type: 'string', default: '1' },
    'history-hosts': { type: 'string', default: '2' },
    'no-emulator': { type: 'boolean', default: false },
    speed: { type: 'string', default: '600' },
    'no-ui': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const dataDir = path.resolve(values['data-dir']);
  const cluster = await startCluster({
    dataDir,
    workers: Number(values.workers),
    historyHosts: Number(values['history-hosts']),
    emulator: values['no-emulator'] ? false : { speed: Number(values.speed) },
    ui: !values['no-ui'],
    build: !values['no-build'],
    log,
  });
  const written = writeEnvFile(cluster.env, dataDir);
  const notice = narrowedNotice(written);
  if (notice) log(notice);
  log('');
  log(`asrflow cluster ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  log(`  Temporal frontend  ${cluster.address} (namespace ${cluster.namespace})`);
  if (cluster.uiUrl) log(`  Temporal UI        ${cluster.uiUrl}`);
  log(`  PostgreSQL         ${cluster.postgres.host}:${cluster.postgres.port} (${cluster.postgres.dataDir})`);
  log(`  history hosts      ${cluster.services.history.map((h) => h.pid).join(', ')} (pids)`);
  log(`  asrflow workers    ${cluster.workers.length}`);
  if (cluster.emulator) log(`  Azure emulator     ${cluster.emulator.armEndpoint} (data ${cluster.emulator.dataDir})`);
  log(`  logs               ${cluster.logDir}`);
  log(`  CLI settings       set -a; . ${written.file}; set +a`);
  log('Ctrl-C stops everything.');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the cluster …`);
    cluster.stop().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        log(`could not stop cleanly: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
