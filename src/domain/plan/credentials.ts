// Are the plan's credential references resolvable here? A variable that is set, a file that is
// allowed and readable (the rule is in secret-files.ts). This needs the environment, so it is
// kept apart from the pure rules and given its environment explicitly (load.ts passes process.env
// and the real file system). Secret values are looked at only to see whether they are empty,
// never copied, kept or printed. No Node imports.

import { matches } from './constants';
import type { PathSegment, RuleIssue } from './types';

/** What the credential-file rule (secret-files.ts) says of a file, without reading it. */
export type FileState =
  | {
      ok: true;
      /** The file's mode (e.g. '0644') when group or others may read it. */
      readableByOthers?: string;
    }
  | {
      ok: false;
      problem: 'missing' | 'not-a-file' | 'special' | 'system' | 'outside' | 'unreadable' | 'too-large';
      /** The allowed secrets directories, for the message. */
      allowed: readonly string[];
    };

/** The slice of a file system the check needs; it must not read file contents. */
export interface CredentialFs {
  inspect(path: string): FileState;
}

/**
 * Why a credential file is refused, as the end of a sentence naming it ("secret file 'x' for
 * tenant y …"), and what to do. Shared with the worker, which refuses the same files.
 */
export function fileProblem(state: Extract<FileState, { ok: false }>, file: string): { problem: string; fix: string } {
  const dirs = state.allowed.join(', ');
  const moveIt = `put the file in an allowed secrets directory (${dirs}), or set ASRFLOW_SECRETS_DIR for asrflow and the worker to the directory that holds it`;
  switch (state.problem) {
    case 'missing':
      return {
        problem: 'does not exist',
        fix: `create '${file}', or correct the path (relative paths start at the plan file's folder)`,
      };
    case 'not-a-file':
      return { problem: 'is a directory, not a file', fix: 'name the file inside it' };
    case 'special':
      return {
        problem: 'is not a regular file (a FIFO, socket or device)',
        fix: 'write the secret into a regular file and name that file',
      };
    case 'system':
      return {
        problem: 'is under /proc, /sys or /dev: never a credential file',
        fix: `write the secret into a regular file in an allowed secrets directory (${dirs})`,
      };
    case 'outside':
      return { problem: `is outside the allowed secrets directories (${dirs})`, fix: moveIt };
    case 'unreadable':
      return {
        problem: 'is not readable by this user',
        fix: `let the user running asrflow and the worker read '${file}'`,
      };
    case 'too-large':
      return {
        problem: 'is larger than 1 MiB: not a secret or a certificate',
        fix: 'name the file that holds only the secret or the PEM',
      };
  }
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
      const state = fs.inspect(p);
      if (state.ok) {
        if (state.readableByOthers)
          issues.push({
            severity: 'warning',
            path: [...path, key],
            message: `${what} file '${p}' for ${owner} can be read by other users (mode ${state.readableByOthers})`,
            fix: `chmod 600 '${p}' (or 640 with a group only the worker is in)`,
          });
        return;
      }
      const { problem, fix } = fileProblem(state, p);
      issues.push(issue([...path, key], `${what} file '${p}' for ${owner} ${problem}`, fix));
    };
    if (ref.type === 'clientSecret') {
      // Both given is one mistake, reported by the schema ("exactly one of"): not checked further.
      if (ref.secretEnv !== undefined && ref.secretFile !== undefined) return;
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
