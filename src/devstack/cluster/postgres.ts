import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { stopProcess, waitFor } from './process';

// PostgreSQL for the native cluster: a private data directory, one server on 127.0.0.1 and a
// free port, no Unix socket, password (SCRAM) authentication for the one role Temporal uses.
//
// PostgreSQL refuses to run as root. When asrflow runs as root (CI containers, this machine),
// the server runs as an unprivileged system account instead — by default `postgres`, which the
// Debian/Ubuntu package creates for exactly this purpose (ASRFLOW_POSTGRES_OS_USER names another).
// Node starts it with that uid/gid (libuv also drops root's supplementary groups), so no
// runuser/sudo is needed. The data directory is owned by that account; the cluster's own folder
// is made traversable (0711, no listing) so the account can reach it, and a folder above it that
// the account cannot enter (/root, a 0700 mkdtemp) is reported rather than opened up. `nobody`
// would work too but is shared by unrelated daemons, and files owned by it are everyone's.

export const POSTGRES_USER = 'temporal';

export interface PostgresOptions {
  /** Folder of this cluster; the data directory is `<dir>/postgresql`. */
  dir: string;
  port: number;
  env?: NodeJS.ProcessEnv;
  /** Where the server's log goes. */
  logFile: string;
}

export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  pid: number;
  /** The OS account the server runs as. */
  osUser: string;
  /** Runs one SQL statement with psql against `database` (default temporal); the rows, `|`-separated. */
  query(sql: string, database?: string): Promise<string[]>;
  stop(): Promise<void>;
}

interface Account {
  name: string;
  uid: number;
  gid: number;
}

/** PostgreSQL's server programs: $ASRFLOW_POSTGRES_BIN_DIR, the newest Debian install, or PATH. */
export function postgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ASRFLOW_POSTGRES_BIN_DIR) return env.ASRFLOW_POSTGRES_BIN_DIR;
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && Number(v) >= 12 && existsSync(path.join(debian, v, 'bin', 'postgres')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(debian, versions[0], 'bin');
  }
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error(
    'PostgreSQL 12 or later was not found (no initdb/postgres under /usr/lib/postgresql/*/bin or on PATH). ' +
      'Install it (Debian/Ubuntu: apt-get install -y postgresql) or set ASRFLOW_POSTGRES_BIN_DIR.',
  );
}

function lookupAccount(name: string): Account {
  const result = spawnSync('getent', ['passwd', name], { encoding: 'utf8' });
  const fields = result.stdout.trim().split(':');
  if (result.status !== 0 || fields.length < 4) {
    throw new Error(
      `PostgreSQL refuses to run as root, and the account '${name}' it would run as does not exist. ` +
        "Install PostgreSQL from the distribution (its package creates 'postgres'), create an unprivileged account " +
        'and name it in ASRFLOW_POSTGRES_OS_USER, or run asrflow as a normal user.',
    );
  }
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** Fails, naming the folder, when `account` cannot walk down to `dir`. */
function assertReachable(dir: string, account: Account): void {
  let current = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
    const st = statSync(current);
    const mode = st.mode;
    const ok =
      (st.uid === account.uid && (mode & 0o100) !== 0) ||
      (st.gid === account.gid && (mode & 0o010) !== 0) ||
      (mode & 0o001) !== 0;
    if (!ok) {
      throw new Error(
        `PostgreSQL runs as '${account.name}' (it refuses root), which cannot enter ${current} (mode ${(mode & 0o777).toString(8)}) ` +
          `on the way to ${dir}. Choose a data directory it can reach (e.g. under /tmp or /var/tmp) or set ASRFLOW_POSTGRES_OS_USER.`,
      );
    }
  }
}

function runAs(account: Account | undefined, command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
  });
  if (result.status !== 0) {
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout || result.error?.message}`,
    );
  }
}

/** Starts PostgreSQL (initialising its data directory the first time) and waits until it accepts connections. */
export async function startPostgres(options: PostgresOptions): Promise<Postgres> {
  const env = options.env ?? process.env;
  const bin = postgresBinDir(env);
  const isRoot = process.getuid?.() === 0;
  const account = isRoot ? lookupAccount(env.ASRFLOW_POSTGRES_OS_USER || 'postgres') : undefined;
  const dataDir = path.join(options.dir, 'postgresql');
  const passwordFile = path.join(options.dir, 'postgres-password');
  mkdirSync(options.dir, { recursive: true });
  if (account) {
    chmodSync(options.dir, 0o711);
    assertReachable(dataDir, account);
  }

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    // initdb reads the superuser's password from a file, which must be readable by the account.
    const pwfile = path.join(options.dir, 'initdb-pwfile');
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (account) {
      chownSync(dataDir, account.uid, account.gid);
      chownSync(pwfile, account.uid, account.gid);
    }
    try {
      runAs(
        account,
        path.join(bin, 'initdb'),
        [
          '--pgdata',
          dataDir,
          '--username',
          POSTGRES_USER,
          `--pwfile=${pwfile}`,
          '--auth=scram-sha-256',
          '--encoding=UTF8',
          '--locale=C',
        ],
        options.dir,
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const password = readFileSync(passwordFile, 'utf8').trim();

  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      path.join(bin, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(options.port),
        '-c',
        'listen_addresses=127.0.0.1',
        // TCP only: no socket in /var/run/postgresql, which may not exist or be writable.
        '-c',
        'unix_socket_directories=',
        // Five Temporal processes with pools of 20 + 10 connections each, and the tools.
        '-c',
        'max_connections=250',
      ],
      {
        cwd: options.dir,
        env: { PATH: env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
        stdio: ['ignore', log, log],
        ...(account ? { uid: account.uid, gid: account.gid } : {}),
      },
    );
  } finally {
    closeSync(log);
  }
  const stop = () => stopProcess(child, 'SIGINT', 30_000);
  try {
    await waitFor(
      async () =>
        spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(options.port), '-t', '2'])
          .status === 0,
      { what: `PostgreSQL on 127.0.0.1:${options.port}`, timeoutMs: 60_000, child, logFile: options.logFile },
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    host: '127.0.0.1',
    port: options.port,
    user: POSTGRES_USER,
    password,
    dataDir,
    pid: child.pid ?? -1,
    osUser: account?.name ?? 'the current user',
    query: (sql, database = 'temporal') =>
      new Promise((resolve, reject) => {
        execFile(
          path.join(bin, 'psql'),
          ['-h', '127.0.0.1', '-p', String(options.port), '-U', POSTGRES_USER, '-d', database, '-tAX', '-c', sql],
          { env: { PATH: env.PATH ?? '/usr/bin:/bin', PGPASSWORD: password, PGCONNECT_TIMEOUT: '5' }, timeout: 15_000 },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`psql: ${stderr.trim() || error.message}`));
            else resolve(stdout.split('\n').filter((line) => line !== ''));
          },
        );
      }),
    stop,
  };
}
