import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, symlinkSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startEmulator, type EmulatorHandle, type StartOptions } from '@asrflow/azure-emulator';
import { packageRoot } from '../../domain/package-root';
import { ALL_SEARCH_ATTRIBUTES } from '../../temporal/workflow/search-attributes';
import { checkSearchAttributes } from '../../temporal/register-search-attributes';
import { demoSecrets } from '../demo-secrets';
import { locateTemporalBinary } from '../temporal-binary';
import { spawnWorker, type WorkerProcess } from '../worker-process';
import { ensureClusterBinaries, type ClusterBinaries } from './binaries';
import { PortAllocator } from './ports';
import { startPostgres, type Postgres } from './postgres';
import { runJob, spawnLogged, waitFor, type ClusterProcess } from './process';

// The production topology of docker-compose.yml, as native processes on 127.0.0.1: PostgreSQL,
// the schema job, the Temporal server as one process per service (frontend, matching, the
// internal worker service and — here two — history hosts sharing the shards), the namespace job,
// the UI server and N asrflow workers. The server reads deploy/temporal/server.yaml and the two
// jobs are deploy/temporal/setup-schema.sh and setup-namespace.sh: the same files Compose uses,
// with the same environment variable names; only addresses and ports differ.

/** The files a cluster runs from, shared with docker-compose.yml (the deploy tests compare them). */
export function deployFiles(root = packageRoot()) {
  const dir = path.join(root, 'deploy', 'temporal');
  return {
    serverConfig: path.join(dir, 'server.yaml'),
    dynamicConfig: path.join(dir, 'dynamicconfig.yaml'),
    uiConfig: path.join(dir, 'ui-server.yaml'),
    setupSchema: path.join(dir, 'setup-schema.sh'),
    setupNamespace: path.join(dir, 'setup-namespace.sh'),
  };
}
export type DeployFiles = ReturnType<typeof deployFiles>;

/** The database settings of the server config, as docker-compose.yml's x-temporal-database sets them. */
export const DATABASE_ENV = {
  DB: 'postgres12',
  DBNAME: 'temporal',
  VISIBILITY_DBNAME: 'temporal_visibility',
} as const;

export const CLUSTER_NAMESPACE = 'asrflow';

export interface ClusterOptions {
  /** The cluster's folder: PostgreSQL's data, logs, the emulator's files, credentials files. Kept between runs. */
  dataDir: string;
  namespace?: string;
  /** asrflow worker processes (default 1). */
  workers?: number;
  /** History hosts sharing the shards (default 2). */
  historyHosts?: number;
  /** Also run the Azure emulator in this process, and point the workers at it. */
  emulator?: boolean | Omit<StartOptions, 'dataDir'>;
  /** Run the Temporal UI server (default true). */
  ui?: boolean;
  taskQueue?: string;
  /** Added to every worker's environment (and to `env`). */
  workerEnv?: Record<string, string>;
  /** Temporal server log level (default info; the logs go to files under `<dataDir>/logs`). */
  serverLogLevel?: string;
  /** Build the server and UI binaries if they are not cached (default true). */
  build?: boolean;
  log?: (line: string) => void;
}

export interface TemporalServices {
  frontend: ClusterProcess;
  matching: ClusterProcess;
  /** The server's internal worker service (system workflows), not an asrflow worker. */
  worker: ClusterProcess;
  history: ClusterProcess[];
}

export interface Cluster {
  /** The frontend, host:port. */
  address: string;
  namespace: string;
  uiUrl?: string;
  postgres: Postgres;
  services: TemporalServices;
  ui?: ClusterProcess;
  emulator?: EmulatorHandle;
  workers: WorkerProcess[];
  /** What a CLI or worker needs to reach this cluster (with the emulator: its endpoints and demo secrets). */
  env: Record<string, string>;
  files: DeployFiles;
  binaries: ClusterBinaries;
  logDir: string;
  /** Milliseconds per start phase. */
  timings: Record<string, number>;
  /** Starts one more asrflow worker (after one was killed, say). */
  startWorker(): WorkerProcess;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

interface ServicePorts {
  grpc: number;
  membership: number;
}

/** The environment that renders server.yaml for one service process. */
function serverEnv(
  base: Record<string, string>,
  ports: {
    frontend: ServicePorts & { http: number };
    matching: ServicePorts;
    worker: ServicePorts;
    history: ServicePorts;
  },
): Record<string, string> {
  return {
    ...base,
    // deploy/temporal/server.yaml's default is 4. With two history hosts on ports that change
    // every start, the membership ring gave one host all 4 shards in about one start in eight;
    // with 16 both hosts own shards. (A cluster's shard count is fixed when its database is made:
    // this one is made new at every start.)
    NUM_HISTORY_SHARDS: '16',
    FRONTEND_GRPC_PORT: String(ports.frontend.grpc),
    FRONTEND_HTTP_PORT: String(ports.frontend.http),
    FRONTEND_MEMBERSHIP_PORT: String(ports.frontend.membership),
    MATCHING_GRPC_PORT: String(ports.matching.grpc),
    MATCHING_MEMBERSHIP_PORT: String(ports.matching.membership),
    WORKER_GRPC_PORT: String(ports.worker.grpc),
    WORKER_MEMBERSHIP_PORT: String(ports.worker.membership),
    HISTORY_GRPC_PORT: String(ports.history.grpc),
    HISTORY_MEMBERSHIP_PORT: String(ports.history.membership),
  };
}

function minimalEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    LANG: 'C.UTF-8',
  };
}

async function frontendAnswers(address: string, namespace?: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2_000 });
  try {
    if (namespace) await connection.workflowService.describeNamespace({ namespace });
    else await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/**
 * Starts the whole topology and resolves once the namespace is ready and the workers are
 * started. On failure everything already started is stopped again.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const logDir = path.join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const files = deployFiles();
  const namespace = options.namespace ?? CLUSTER_NAMESPACE;
  const timings: Record<string, number> = {};
  const cleanups: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    while (cleanups.length > 0) {
      const cleanup = cleanups.pop();
      await cleanup?.().catch((error: unknown) => log(`while stopping: ${String(error)}`));
    }
  };
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    const value = await fn();
    timings[name] = Date.now() - started;
    log(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return value;
  };

  try {
    const binaries = await phase('binaries', () =>
      ensureClusterBinaries({ build: options.build, ui: options.ui !== false, log }),
    );
    if (spawnSync('nc', ['-h'], { stdio: 'ignore' }).error) {
      throw new Error(
        "setup-schema.sh waits for PostgreSQL with 'nc', which is not installed (Debian/Ubuntu: apt-get install -y netcat-openbsd)",
      );
    }
    const temporalCli = locateTemporalBinary({ log });
    const ports = new PortAllocator();

    const postgres = await phase('postgresql', async () =>
      startPostgres({ dir: dataDir, port: await ports.any(), logFile: path.join(logDir, 'postgresql.log') }),
    );
    cleanups.push(() => postgres.stop());
    log(`PostgreSQL on ${postgres.host}:${postgres.port} (runs as ${postgres.osUser}), data in ${postgres.dataDir}`);

    const database: Record<string, string> = {
      ...DATABASE_ENV,
      POSTGRES_SEEDS: postgres.host,
      DB_PORT: String(postgres.port),
      POSTGRES_USER: postgres.user,
      POSTGRES_PWD: postgres.password,
    };

    await phase('schema', () =>
      runJob('temporal-schema', 'sh', [files.setupSchema], {
        env: {
          ...minimalEnv(),
          PATH: `${path.dirname(binaries.sqlTool)}${path.delimiter}${process.env.PATH ?? ''}`,
          ...database,
          TEMPORAL_SCHEMA_DIR: binaries.schemaDir,
        },
        logFile: path.join(logDir, 'temporal-schema.log'),
        timeoutMs: 180_000,
      }),
    );

    const services = await phase('temporal', async () => {
      const frontend = { grpc: await ports.any(), http: await ports.any(), membership: await ports.membership() };
      const matching = { grpc: await ports.any(), membership: await ports.membership() };
      const worker = { grpc: await ports.any(), membership: await ports.membership() };
      const history: ServicePorts[] = [];
      for (let i = 0; i < (options.historyHosts ?? 2); i++)
        history.push({ grpc: await ports.any(), membership: await ports.membership() });
      const base = {
        ...minimalEnv(),
        ...database,
        BIND_ON_IP: HOST,
        LOG_LEVEL: options.serverLogLevel ?? 'info',
        DYNAMIC_CONFIG_FILE_PATH: files.dynamicConfig,
      };
      const start = (name: string, service: string, own: ServicePorts, historyPorts: ServicePorts) => {
        const proc = spawnLogged(
          name,
          binaries.temporalServer,
          ['--config-file', files.serverConfig, '--allow-no-auth', 'start', '--service', service],
          {
            env: serverEnv(base, { frontend, matching, worker, history: historyPorts }),
            logFile: path.join(logDir, `${name}.log`),
            cwd: dataDir,
          },
        );
        proc.address = `${HOST}:${own.grpc}`;
        proc.membershipPort = own.membership;
        return proc;
      };
      const all: ClusterProcess[] = [];
      // Stopped together: each drains on SIGTERM, and one at a time would add up.
      cleanups.push(async () => {
        await Promise.all(all.map((p) => p.stop('SIGTERM', 30_000)));
      });
      // The time by the database's clock (UTC, as the server records membership) before any start.
      const since = (await postgres.query("SELECT (now() AT TIME ZONE 'UTC')::text"))[0] ?? '1970-01-01';
      // On a new database every process would create the cluster metadata record at start, and
      // all but one lose that race and exit: the first history host starts alone until it exists.
      const first = history[0] as ServicePorts;
      const historyProcs = [start('temporal-history-1', 'history', first, first)];
      all.push(...historyProcs);
      await waitFor(async () => (await postgres.query('SELECT count(*) FROM cluster_metadata_info'))[0] !== '0', {
        what: 'the cluster metadata record',
        timeoutMs: 60_000,
        processes: all,
      });
      historyProcs.push(
        ...history.slice(1).map((ports, i) => start(`temporal-history-${i + 2}`, 'history', ports, ports)),
      );
      const started: TemporalServices = {
        history: historyProcs,
        matching: start('temporal-matching', 'matching', matching, first),
        worker: start('temporal-worker', 'worker', worker, first),
        frontend: start('temporal-frontend', 'frontend', frontend, first),
      };
      all.push(...historyProcs.slice(1), started.matching, started.worker, started.frontend);
      const address = `${HOST}:${frontend.grpc}`;
      // Ready: every process has joined the membership ring (its row in cluster_membership, by
      // its own port, from this start) and the frontend answers.
      const membershipPorts = all.map((p) => p.membershipPort as number);
      await waitFor(
        async () => {
          const joined = await postgres.query(
            `SELECT count(DISTINCT rpc_port) FROM cluster_membership WHERE rpc_port IN (${membershipPorts.join(',')}) ` +
              `AND session_start >= '${since}'`,
          );
          return Number(joined[0]) === all.length && (await frontendAnswers(address));
        },
        {
          what: `every Temporal service in the membership ring and the frontend on ${address}`,
          timeoutMs: 120_000,
          processes: all,
        },
      );
      return { services: started, address };
    });
    const address = services.address;
    log(`Temporal frontend on ${address}; history hosts: ${services.services.history.length}`);

    await phase('namespace', async () => {
      await runJob('temporal-setup', 'sh', [files.setupNamespace], {
        env: {
          ...minimalEnv(),
          PATH: `${path.dirname(temporalCli)}${path.delimiter}${process.env.PATH ?? ''}`,
          TEMPORAL_ADDRESS: address,
          ASRFLOW_NAMESPACE: namespace,
          ASRFLOW_NAMESPACE_RETENTION: '30d',
          ASRFLOW_SEARCH_ATTRIBUTES: ALL_SEARCH_ATTRIBUTES.map((k) => k.name).join(' '),
        },
        logFile: path.join(logDir, 'temporal-setup.log'),
        timeoutMs: 180_000,
      });
      // The namespace and its search attributes, as every frontend sees them.
      await waitFor(
        async () => {
          if (!(await frontendAnswers(address, namespace))) return false;
          const connection = await Connection.connect({ address });
          try {
            const status = await checkSearchAttributes(connection, namespace);
            return status.missing.length === 0 && status.wrongType.length === 0;
          } finally {
            await connection.close();
          }
        },
        { what: `namespace ${namespace} with asrflow's search attributes`, timeoutMs: 60_000 },
      );
    });

    let ui: ClusterProcess | undefined;
    let uiUrl: string | undefined;
    const uiServer = binaries.uiServer;
    if (options.ui !== false && uiServer) {
      ui = await phase('ui', async () => {
        const port = await ports.any();
        // The UI server reads <root>/<config>/<env>.yaml; the folder holds deploy/temporal/ui-server.yaml
        // under the name the image uses.
        const configDir = path.join(dataDir, 'ui-config');
        mkdirSync(configDir, { recursive: true });
        rmSync(path.join(configDir, 'docker.yaml'), { force: true });
        symlinkSync(files.uiConfig, path.join(configDir, 'docker.yaml'));
        const proc = spawnLogged(
          'temporal-ui',
          uiServer,
          ['--root', dataDir, '--config', 'ui-config', '--env', 'docker', 'start'],
          {
            env: {
              ...minimalEnv(),
              TEMPORAL_ADDRESS: address,
              TEMPORAL_UI_HOST: HOST,
              TEMPORAL_UI_PORT: String(port),
              TEMPORAL_DEFAULT_NAMESPACE: namespace,
              TEMPORAL_CORS_ORIGINS: `http://${HOST}:${port},http://localhost:${port}`,
              // Plain http on loopback: a Secure cookie would not be sent back.
              TEMPORAL_CSRF_COOKIE_INSECURE: 'true',
            },
            logFile: path.join(logDir, 'temporal-ui.log'),
            cwd: dataDir,
          },
        );
        cleanups.push(() => proc.stop('SIGTERM', 10_000));
        uiUrl = `http://${HOST}:${port}`;
        await waitFor(async () => (await fetch(`${uiUrl}/api/v1/settings`)).ok, {
          what: `the Temporal UI on ${uiUrl}`,
          timeoutMs: 30_000,
          child: proc.child,
          logFile: proc.logFile,
        });
        return proc;
      });
      log(`Temporal UI on ${uiUrl}`);
    }

    let emulator: EmulatorHandle | undefined;
    if (options.emulator) {
      const emulatorOptions = options.emulator === true ? {} : options.emulator;
      emulator = await phase('emulator', () =>
        startEmulator({ port: 0, speed: 600, ...emulatorOptions, dataDir: path.join(dataDir, 'emulator') }),
      );
      const started = emulator;
      cleanups.push(() => started.stop());
      log(`Azure emulator on ${emulator.armEndpoint}`);
    }

    const env: Record<string, string> = {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: namespace,
      ASRFLOW_CREDENTIALS_DIR: path.join(dataDir, 'credentials'),
      ...(uiUrl ? { ASRFLOW_TEMPORAL_UI: uiUrl } : {}),
      ...(options.taskQueue ? { ASRFLOW_TASK_QUEUE: options.taskQueue } : {}),
      ...(emulator
        ? {
            ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
            ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
            ASRFLOW_CA_FILE: emulator.caCertPath,
            ...demoSecrets(),
          }
        : {}),
      ASRFLOW_LOG_LEVEL: process.env.ASRFLOW_LOG_LEVEL ?? 'info',
      ...options.workerEnv,
    };

    const workers: WorkerProcess[] = [];
    const logs: WriteStream[] = [];
    cleanups.push(async () => {
      for (const stream of logs) stream.end();
    });
    const startWorker = (): WorkerProcess => {
      const n = workers.length + 1;
      const stream = createWriteStream(path.join(logDir, `asrflow-worker-${n}.log`), { flags: 'a' });
      logs.push(stream);
      const worker = spawnWorker(env, { onOutput: (line) => stream.write(`${line}\n`) });
      workers.push(worker);
      return worker;
    };
    // Workers drain in-flight activities on SIGTERM (up to their grace time) before they exit.
    cleanups.push(async () => {
      await Promise.all(workers.map((w) => w.stop('SIGTERM')));
    });
    await phase('workers', async () => {
      for (let i = 0; i < (options.workers ?? 1); i++) startWorker();
    });

    return {
      address,
      namespace,
      uiUrl,
      postgres,
      services: services.services,
      ui,
      emulator,
      workers,
      env,
      files,
      binaries,
      logDir,
      timings,
      startWorker,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
