// Are the plan's credential references resolvable here? A variable that is set, a file that is
// readable. This needs the environment, so it is kept apart from the pure rules and given its
// environment explicitly (load.ts passes process.env and the real file system). Secret values are
// looked at only to see whether they are empty, never copied, kept or printed. No Node imports.

import { matches } from './constants';
import type { PathSegment, RuleIssue } from './types';

export type FileState = 'readable' | 'missing' | 'not-a-file' | 'unreadable';

/** The slice of a file system the check needs; it must not read file contents. */
export interface CredentialFs {
  fileState(path: string): FileState;
}

/** What the check needs of a plan: a document (possibly partial) or a parsed Plan both fit. */
export interface HasCredentials {
  provider?: { credential?: unknown } | undefined;
  tenants?: ReadonlyArray<{ name?: string | undefined; credential?: unknown } | undefined> | undefined;
}

export function checkCredentialReferences(
  plan: HasCredentials,
  env: Readonly<Record<string, string | undefined>>,
  fs: CredentialFs,
): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const check = (path: PathSegment[], owner: string, credential: unknown): void => {
    if (credential === null || typeof credential !== 'object') return;
    const ref = credential as Record<string, unknown>;
    const variable = (key: 'secretEnv' | 'certificatePasswordEnv', what: string): void => {
      const name = ref[key];
      // Not a variable name? The rules report it, without echoing it: it may be the secret itself.
      if (typeof name !== 'string' || !matches('envVar', name)) return;
      const value = env[name];
      if (value === undefined) {
        issues.push(
          issue(
            [...path, key],
            `environment variable ${name} (${what} for ${owner}) is not set`,
            `export ${name}=… in the environment of asrflow and of the worker`,
          ),
        );
      } else if (value.trim() === '') {
        issues.push(
          issue(
            [...path, key],
            `environment variable ${name} (${what} for ${owner}) is empty`,
            `set ${name} to the ${what}`,
          ),
        );
      }
    };
    const file = (key: 'secretFile' | 'certificateFile', what: string): void => {
      const p = ref[key];
      if (typeof p !== 'string' || p === '') return;
      const state = fs.fileState(p);
      if (state === 'readable') return;
      const problem = {
        missing: 'does not exist',
        'not-a-file': 'is not a file',
        unreadable: 'is not readable by this user',
      }[state];
      issues.push(
        issue(
          [...path, key],
          `${what} file '${p}' for ${owner} ${problem}`,
          state === 'unreadable'
            ? `let the user running asrflow and the worker read '${p}'`
            : `create '${p}', or correct the path (relative paths start at the plan file's folder)`,
        ),
      );
    };
    if (ref.type === 'clientSecret') {
      variable('secretEnv', 'client secret');
      file('secretFile', 'client secret');
    } else if (ref.type === 'clientCertificate') {
      file('certificateFile', 'certificate');
      variable('certificatePasswordEnv', 'certificate password');
    }
  };
  if (plan.provider) check(['provider', 'credential'], 'the provider', plan.provider.credential);
  (plan.tenants ?? []).forEach((t, i) => {
    if (t)
      check(['tenants', i, 'credential'], t.name !== undefined ? `tenant ${t.name}` : `tenants[${i}]`, t.credential);
  });
  return issues;
}

function issue(path: PathSegment[], message: string, fix: string): RuleIssue {
  return { severity: 'error', path, message, fix };
}
