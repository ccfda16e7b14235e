import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cacheDir } from '../temporal-binary';

// The production topology runs the Temporal server and the UI server as release binaries. Nothing
// may be downloaded here but packages from registries, so they are built from their Go modules
// (the Go module proxy) with `go install`, once per user and version, into asrflow's cache
// (~/.cache/asrflow, as the Temporal CLI). The first build of the server is long (5 min and
// 2.5 GB of memory on two idle cores, up to 13 min on busy ones; docs/PERFORMANCE.md); later
// runs find the binaries at once.

export const TEMPORAL_SERVER_VERSION = '1.32.0';
export const TEMPORAL_UI_SERVER_VERSION = '2.54.1';

const SERVER_MODULE = 'go.temporal.io/server';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

export interface ClusterBinaries {
  /** `temporal-server` (go.temporal.io/server/cmd/server). */
  temporalServer: string;
  /** `temporal-sql-tool` (go.temporal.io/server/cmd/tools/sql), named as in the admin-tools image. */
  sqlTool: string;
  /** The server release's SQL schemas: `<dir>/postgresql/v12/{temporal,visibility}/versioned`. */
  schemaDir: string;
  /** The Temporal UI server (github.com/temporalio/ui-server/v2/cmd/server), when it was asked for. */
  uiServer?: string;
}

export interface BinaryOptions {
  env?: NodeJS.ProcessEnv;
  /** Build what is missing (default true); otherwise fail saying how to build it. */
  build?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Niceness of the build (default 19: it must not starve whatever else the machine runs). */
  nice?: number;
  /** Also the UI server (default true). */
  ui?: boolean;
}

interface BuildSpec {
  what: string;
  module: string;
  version: string;
  /** Package path inside the module → the name the binary gets in the cache. */
  commands: Record<string, string>;
  /** Copied from the module's source into the cache beside bin/. */
  copy?: Array<{ from: string; to: string }>;
}

const SERVER_BUILD: BuildSpec = {
  what: `the Temporal server ${TEMPORAL_SERVER_VERSION}`,
  module: SERVER_MODULE,
  version: TEMPORAL_SERVER_VERSION,
  commands: { 'cmd/server': 'temporal-server', 'cmd/tools/sql': 'temporal-sql-tool' },
  copy: [{ from: 'schema/postgresql', to: 'schema/postgresql' }],
};

const UI_BUILD: BuildSpec = {
  what: `the Temporal UI server ${TEMPORAL_UI_SERVER_VERSION}`,
  module: UI_MODULE,
  version: TEMPORAL_UI_SERVER_VERSION,
  commands: { 'cmd/server': 'temporal-ui-server' },
};

/** Where a build of `spec` lives in the cache (versioned, so a bump builds afresh). */
function targetDir(spec: BuildSpec, env: NodeJS.ProcessEnv): string {
  const name = spec.module === SERVER_MODULE ? 'temporal-server' : 'temporal-ui-server';
  return path.join(cacheDir(env), `${name}-${spec.version}`);
}

function complete(spec: BuildSpec, dir: string): boolean {
  return Object.values(spec.commands).every((name) => existsSync(path.join(dir, 'bin', name)));
}

/** What the cache holds, without building: the paths, or undefined when something is missing. */
export function cachedClusterBinaries(
  env: NodeJS.ProcessEnv = process.env,
  withUi = true,
): ClusterBinaries | undefined {
  const server = targetDir(SERVER_BUILD, env);
  const ui = targetDir(UI_BUILD, env);
  if (!complete(SERVER_BUILD, server) || (withUi && !complete(UI_BUILD, ui))) return undefined;
  return {
    temporalServer: path.join(server, 'bin', 'temporal-server'),
    sqlTool: path.join(server, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(server, 'schema'),
    ...(withUi ? { uiServer: path.join(ui, 'bin', 'temporal-ui-server') } : {}),
  };
}

/**
 * The cluster's binaries, built into the cache first if they are missing (server before UI: the
 * UI build then reuses the server build's cache of shared packages). Safe to run from two
 * processes at once: each builds into a scratch folder that is renamed into place.
 */
export async function ensureClusterBinaries(options: BinaryOptions = {}): Promise<ClusterBinaries> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const withUi = options.ui ?? true;
  for (const spec of withUi ? [SERVER_BUILD, UI_BUILD] : [SERVER_BUILD]) {
    const dir = targetDir(spec, env);
    if (complete(spec, dir)) continue;
    if (options.build === false) {
      throw new Error(
        `${spec.what} is not built (${dir} is missing or incomplete). Build it with ` +
          '`node --import tsx src/devstack/cluster/build.ts` (Go 1.25 or later; 5–13 min the first time).',
      );
    }
    await buildInto(spec, dir, env, log, options.nice ?? 19);
  }
  const binaries = cachedClusterBinaries(env, withUi);
  if (!binaries) throw new Error(`the cluster's binaries are still missing from ${cacheDir(env)} after the build`);
  return binaries;
}

function goBinary(env: NodeJS.ProcessEnv): string {
  const probe = spawnSync('go', ['version'], { env, encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      "the Temporal server and UI server are built from their Go modules, and no 'go' was found on PATH " +
        `(${probe.error?.message ?? probe.stderr.trim()}). Install Go 1.25 or later (Debian 12's golang-go, 1.19, is too ` +
        'old; with Go 1.21+ GOTOOLCHAIN=auto fetches the toolchain the module needs), or put the binaries in the cache yourself.',
    );
  }
  return 'go';
}

function goEnv(go: string, name: string, env: NodeJS.ProcessEnv): string {
  return spawnSync(go, ['env', name], { env, encoding: 'utf8' }).stdout.trim();
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

async function buildInto(
  spec: BuildSpec,
  dir: string,
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
  nice: number,
): Promise<void> {
  const go = goBinary(env);
  const scratch = `${dir}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(path.join(scratch, 'bin'), { recursive: true });
  const packages = Object.keys(spec.commands).map((p) => `${spec.module}/${p}@v${spec.version}`);
  // Static binaries (the server's SQLite driver is pure Go), no local paths inside them. GOFLAGS
  // from the caller's environment (e.g. -mod=mod) would not apply to `go install pkg@version`;
  // -trimpath is passed explicitly so the build cache is shared with `.ci/run`'s build.
  const buildEnv: NodeJS.ProcessEnv = {
    ...env,
    GOBIN: path.join(scratch, 'bin'),
    CGO_ENABLED: '0',
    GOFLAGS: '-buildvcs=false',
    GOTOOLCHAIN: env.GOTOOLCHAIN ?? 'local',
  };
  const args = ['install', '-v', '-trimpath', ...packages];
  const started = Date.now();
  log(`asrflow: building ${spec.what} with \`go ${args.join(' ')}\` into ${dir}`);
  log(
    'asrflow: the first build takes minutes (the server: 5 min on two idle cores, 2.5 GB of memory); later runs reuse it',
  );
  const useNice = nice > 0 && spawnSync('nice', ['true']).status === 0;
  const [command, commandArgs] = useNice ? ['nice', ['-n', String(nice), go, ...args]] : [go, args];
  let compiled = 0;
  let downloading = 0;
  let lastReport = Date.now();
  const tail: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(command, commandArgs, { env: buildEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (line.startsWith('go: downloading')) downloading++;
      else if (!line.startsWith('#') && !line.includes(' ')) compiled++;
      if (Date.now() - lastReport >= 15_000) {
        lastReport = Date.now();
        log(
          `asrflow: building ${spec.what}: ${compiled} packages built` +
            `${downloading ? `, ${downloading} modules downloaded` : ''} (${formatDuration(Date.now() - started)})`,
        );
      }
    };
    let pending = '';
    const split = (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line) onLine(line);
    };
    // `go install -v` names each package on stderr as it is built.
    child.stdout.on('data', split);
    child.stderr.on('data', split);
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`building ${spec.what} failed (go install exited ${code}):\n${tail.join('\n')}`);
  }
  for (const [pkg, name] of Object.entries(spec.commands)) {
    renameSync(path.join(scratch, 'bin', path.basename(pkg)), path.join(scratch, 'bin', name));
  }
  if (spec.copy?.length) {
    const source = path.join(goEnv(go, 'GOMODCACHE', env), `${spec.module}@v${spec.version}`);
    for (const { from, to } of spec.copy) cpSync(path.join(source, from), path.join(scratch, to), { recursive: true });
  }
  const took = Date.now() - started;
  writeFileSync(
    path.join(scratch, 'build.json'),
    `${JSON.stringify(
      {
        module: spec.module,
        version: spec.version,
        go: spawnSync(go, ['version'], { env, encoding: 'utf8' }).stdout.trim(),
        builtAt: new Date().toISOString(),
        seconds: Math.round(took / 1000),
      },
      null,
      2,
    )}\n`,
  );
  if (existsSync(dir)) {
    // Another process finished first (or an incomplete copy is in the way): keep a complete one.
    if (complete(spec, dir)) {
      rmSync(scratch, { recursive: true, force: true });
      return;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  renameSync(scratch, dir);
  log(`asrflow: built ${spec.what} in ${formatDuration(took)}`);
}

/** How long the cached build took (build.json), for reports. */
export function recordedBuildSeconds(env: NodeJS.ProcessEnv = process.env): Record<string, number> {
  const out: Record<string, number> = {};
  for (const spec of [SERVER_BUILD, UI_BUILD]) {
    try {
      const info = JSON.parse(readFileSync(path.join(targetDir(spec, env), 'build.json'), 'utf8')) as {
        seconds: number;
      };
      out[spec.what] = info.seconds;
    } catch {
      // not built yet, or built by hand
    }
  }
  return out;
}
