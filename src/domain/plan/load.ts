// Node-only (workflows never import it): reads a plan file, checks it completely (YAML, schema,
// rules, credential references against this machine's environment) and returns the Plan that
// `onboard` starts workflows from.

import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { checkCredentialReferences, type CredentialFs, type FileState } from './credentials';
import { PLAN_LIMITS } from './constants';
import { parsePlanBytes, type ParseResult } from './parse';
import { inspectSecretFile } from './secret-files';
import type { CredentialRef, Plan, PlanIssue } from './types';

export interface LoadPlanOptions {
  /** Environment the credential references are checked against (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** File access for the credential check (default: the real file system). */
  fs?: CredentialFs;
  /** Check that credential references resolve here (default true). */
  checkCredentials?: boolean;
}

/** A plan that failed validation; `errors` holds every problem found, `warnings` the rest. */
export class PlanError extends Error {
  constructor(
    readonly errors: PlanIssue[],
    readonly warnings: PlanIssue[] = [],
  ) {
    super(
      `invalid plan: ${errors.length} error${errors.length === 1 ? '' : 's'}${errors[0] ? ` (first: ${errors[0].field}: ${errors[0].message})` : ''}`,
    );
    this.name = 'PlanError';
  }
}

/**
 * Real file system, resolving relative paths against `baseDir`, under the credential-file rule
 * (secret-files.ts) with the allowed directories taken from `env`. Looks at metadata only.
 */
export function nodeCredentialFs(
  baseDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): CredentialFs {
  return {
    inspect(p: string): FileState {
      const { realPath: _, ...state } = inspectSecretFile(p, env, baseDir);
      return state;
    },
  };
}

/** Validates a plan file and never throws for a bad plan: the result lists every problem. */
export function validatePlanFile(file: string, options: LoadPlanOptions = {}): ParseResult {
  let bytes: Uint8Array;
  try {
    bytes = readAtMost(file, PLAN_LIMITS.bytes + 1);
  } catch (error) {
    return { plan: undefined, errors: [unreadable(file, error)], warnings: [] };
  }
  const baseDir = path.dirname(path.resolve(file));
  const env = options.env ?? process.env;
  const fs = options.fs ?? nodeCredentialFs(baseDir, env);
  const result = parsePlanBytes(bytes, file, {
    ...(options.checkCredentials === false ? {} : { extraChecks: (doc) => checkCredentialReferences(doc, env, fs) }),
  });
  return result.plan ? { ...result, plan: withAbsolutePaths(result.plan, baseDir) } : result;
}

/** Loads a plan for `onboard`: the Plan and its warnings, or a PlanError with every error. */
export function loadPlan(file: string, options: LoadPlanOptions = {}): { plan: Plan; warnings: PlanIssue[] } {
  const { plan, errors, warnings } = validatePlanFile(file, options);
  if (!plan) throw new PlanError(errors, warnings);
  return { plan, warnings };
}

/** The file's first `limit` bytes (all of it when smaller): a huge file or a device is not slurped. */
function readAtMost(file: string, limit: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    const buffer = new Uint8Array(limit);
    let length = 0;
    while (length < limit) {
      const n = readSync(fd, buffer, length, limit - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

function unreadable(file: string, error: unknown): PlanIssue {
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EISDIR'
        ? 'it is a directory'
        : code === 'EACCES'
          ? 'permission denied'
          : (error as Error).message;
  return {
    severity: 'error',
    file,
    line: 0,
    column: 0,
    field: 'plan',
    message: `cannot read plan file '${file}': ${reason}`,
    fix:
      code === 'ENOENT'
        ? `check the path (resolved: ${path.resolve(file)}); examples/ has a plan per scenario`
        : 'check the path and its permissions',
  };
}

/**
 * Workflows run elsewhere and later; a path relative to the plan file means nothing there, so
 * the plan carries absolute paths (the worker must see the same path).
 */
function withAbsolutePaths(plan: Plan, baseDir: string): Plan {
  const fix = (c: CredentialRef): CredentialRef => {
    if (c.type === 'clientSecret' && c.secretFile !== undefined)
      return { ...c, secretFile: path.resolve(baseDir, c.secretFile) };
    if (c.type === 'clientCertificate') return { ...c, certificateFile: path.resolve(baseDir, c.certificateFile) };
    return c;
  };
  const tenants = plan.tenants.map((t) => ({
    ...t,
    credential: fix(t.credential),
    vault: { ...t.vault, credential: fix(t.vault.credential) },
  }));
  return plan.scenario === 'multitenant-vmm'
    ? { ...plan, provider: { ...plan.provider, credential: fix(plan.provider.credential) }, tenants }
    : { ...plan, tenants };
}
