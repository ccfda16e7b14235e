// Shared by the plan tests: the example plans, fake secrets, text edits that keep line numbers
// computable, and a validation entry point that needs no files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { checkCredentialReferences, type CredentialFs } from '../../src/domain/plan/credentials';
import { parsePlan, type ParseResult } from '../../src/domain/plan/parse';

export const ROOT = path.resolve(__dirname, '..', '..');
export const MULTI = 'examples/multitenant-vmm.yaml';
export const DEDICATED = 'examples/dedicated-vmm.yaml';
export const MANY_ERRORS = 'examples/invalid/many-errors.yaml';

/** Fake secret values: tests assert that none of them ever shows up in any output. */
export const FAKE_ENV: Record<string, string> = {
  ASRFLOW_SECRET_FABRIKAM_HOSTING: 'fake-fabrikam-s3cret-value',
  ASRFLOW_SECRET_CONTOSO: 'fake-contoso-s3cret-value',
  ASRFLOW_SECRET_NORTHWIND: 'fake-northwind-s3cret-value',
  ASRFLOW_SECRET_LITWARE: 'fake-litware-s3cret-value',
};

export const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

/** Replaces one occurrence of `from`, which must occur exactly once. */
export function edit(text: string, ...edits: Array<[string, string]>): string {
  return edits.reduce((acc, [from, to]) => {
    const count = acc.split(from).length - 1;
    if (count !== 1) throw new Error(`edit: expected exactly one ${JSON.stringify(from)}, found ${count}`);
    return acc.replace(from, to);
  }, text);
}

/** 1-based line of the only line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const lines = text.split('\n');
  const hits = lines.flatMap((l, i) => (l.includes(needle) ? [i + 1] : []));
  if (hits.length !== 1)
    throw new Error(`lineOf: expected one line with ${JSON.stringify(needle)}, found ${hits.length}`);
  return hits[0] as number;
}

/** 1-based column where `needle` starts on its line. */
export function columnOf(text: string, needle: string): number {
  const line = text.split('\n')[lineOf(text, needle) - 1] ?? '';
  return line.indexOf(needle) + 1;
}

const allReadable: CredentialFs = { inspect: () => ({ ok: true }) };

/** Validates plan text the way loadPlan does, with a given environment and file system. */
export function validate(
  text: string,
  file = 'plan.yaml',
  env: Record<string, string | undefined> = FAKE_ENV,
  fs: CredentialFs = allReadable,
): ParseResult {
  return parsePlan(text, file, { extraChecks: (doc) => checkCredentialReferences(doc, env, fs) });
}

/** Asserts exactly one error, and returns it. */
export function onlyError(result: ParseResult) {
  expect(result.errors.map((e) => `${e.field}: ${e.message}`)).toHaveLength(1);
  return result.errors[0]!;
}
