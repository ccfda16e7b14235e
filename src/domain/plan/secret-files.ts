// Node-only (workflows never import it): the rule for files a plan names as credentials
// (`secretFile`, `certificateFile`), applied where `plan validate` checks the plan (load.ts) and
// where the worker reads the file (src/azure/credentials.ts), so that both refuse the same files.
//
// The rule (docs/PLAN.md, "Credential files"):
//   - the file, symbolic links resolved, is inside an allowed secrets directory: those listed in
//     ASRFLOW_SECRETS_DIR (separated by ':'), by default /run/secrets (Docker and Kubernetes
//     secrets) and .asrflow/secrets under the working directory;
//   - never under /proc, /sys or /dev, whatever the allowed directories;
//   - a regular file (not a directory, FIFO, socket or device), readable, at most 1 MiB;
//   - readable by group or others is allowed, with a warning (plan validate).
// A plan comes from whoever wrote it; without this a plan naming /proc/self/environ would have
// the worker send the worker's environment to Entra ID as a tenant's client secret.
// Nothing here returns or prints a file's content except readSecretFile, to its caller.

import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, accessSync } from 'node:fs';
import path from 'node:path';
import type { FileState } from './credentials';

export const SECRETS_DIR_ENV = 'ASRFLOW_SECRETS_DIR';
/** Relative entries are resolved against the working directory (of asrflow, of the worker). */
export const DEFAULT_SECRETS_DIRS = ['/run/secrets', path.join('.asrflow', 'secrets')] as const;
/** A client secret is a few dozen bytes, a PEM with its chain a few kilobytes. */
export const SECRET_FILE_MAX_BYTES = 1024 * 1024;
const SYSTEM_DIRS = ['/proc', '/sys', '/dev'];

/** The allowed secrets directories, absolute and with symbolic links resolved where they exist. */
export function allowedSecretDirs(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): string[] {
  const listed = (env[SECRETS_DIR_ENV] ?? '')
    .split(path.delimiter)
    .map((d) => d.trim())
    .filter((d) => d !== '');
  return (listed.length > 0 ? listed : [...DEFAULT_SECRETS_DIRS]).map((d) => real(path.resolve(cwd, d)));
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

const inside = (dir: string, p: string): boolean => {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

/** Checks `file` (absolute, or relative to `baseDir`) against the rule, reading metadata only. */
export function inspectSecretFile(
  file: string,
  env: Readonly<Record<string, string | undefined>>,
  baseDir: string = process.cwd(),
): FileState & { realPath?: string } {
  const allowed = allowedSecretDirs(env);
  const fail = (problem: Extract<FileState, { ok: false }>['problem']): FileState => ({ ok: false, problem, allowed });
  let resolved: string;
  try {
    resolved = realpathSync(path.resolve(baseDir, file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code === 'EACCES' ? 'unreadable' : 'missing');
  }
  if (SYSTEM_DIRS.some((d) => inside(d, resolved))) return fail('system');
  if (!allowed.some((d) => inside(d, resolved))) return fail('outside');
  let stats;
  try {
    stats = statSync(resolved);
  } catch {
    return fail('missing');
  }
  if (stats.isDirectory()) return fail('not-a-file');
  if (!stats.isFile()) return fail('special');
  if (stats.size > SECRET_FILE_MAX_BYTES) return fail('too-large');
  try {
    accessSync(resolved, constants.R_OK);
  } catch {
    return fail('unreadable');
  }
  const loose = stats.mode & 0o044;
  return {
    ok: true,
    realPath: resolved,
    ...(loose ? { readableByOthers: `0${(stats.mode & 0o777).toString(8)}` } : {}),
  };
}

/** Why a credential file was refused, in the words of FileState. */
export class SecretFileError extends Error {
  override name = 'SecretFileError';
  constructor(readonly state: Extract<FileState, { ok: false }>) {
    super(state.problem);
  }
}

/**
 * Reads a credential file under the rule, for the worker. The file is opened without following
 * a final symbolic link and without blocking (a FIFO swapped in after the check), and checked
 * again on the open descriptor, so what is read is what was checked.
 */
export function readSecretFile(file: string, env: Readonly<Record<string, string | undefined>>): Buffer {
  const state = inspectSecretFile(file, env);
  if (!state.ok) throw new SecretFileError(state);
  const allowed = allowedSecretDirs(env);
  let fd: number;
  try {
    fd = openSync(state.realPath as string, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new SecretFileError({ ok: false, problem: code === 'ENOENT' ? 'missing' : 'unreadable', allowed });
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new SecretFileError({ ok: false, problem: 'special', allowed });
    if (stats.size > SECRET_FILE_MAX_BYTES) throw new SecretFileError({ ok: false, problem: 'too-large', allowed });
    const buffer = Buffer.alloc(SECRET_FILE_MAX_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > SECRET_FILE_MAX_BYTES) throw new SecretFileError({ ok: false, problem: 'too-large', allowed });
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}
