// How the plan's rules collect what they find: a problem per value, located by its path in the
// document. Shared by the rule modules. Pure.

import type { PathSegment, RuleIssue, Severity } from './types';

/** What is wrong with one value, and how to put it right. */
export interface Problem {
  message: string;
  fix: string;
}

export type Check = (value: string) => Problem | undefined;

export const q = (value: unknown): string => `'${String(value)}'`;

export class Findings {
  readonly issues: RuleIssue[] = [];

  add(path: PathSegment[], problem: Problem, severity: Severity = 'error'): void {
    this.issues.push({ severity, path, message: problem.message, fix: problem.fix });
  }

  /** Runs a single-value check on a value that is present. */
  check<T>(path: PathSegment[], value: T | undefined, check: (value: T) => Problem | undefined): void {
    if (value === undefined) return;
    const problem = check(value);
    if (problem) this.add(path, problem);
  }
}

/** `tenants[0].storageAccount.name`: how findings name a place in the document. */
export const formatPath = (path: PathSegment[]): string =>
  path.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
