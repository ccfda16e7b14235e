/**
 * Reading the `x-ms-examples` files of an operation. The shared copy of the specs lacks some
 * example files of the target api-version; where one is missing, the copy taken from another
 * stable version sits beside it as `from-<version>__<same name>` (see SOURCES.md there).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface SpecExample {
  /** The key under `x-ms-examples`. */
  title: string;
  /** Absolute path of the example file read. */
  file: string;
  /** The api-version folder the file was copied from, when it is a `from-<version>__` copy. */
  copiedFrom?: string;
  parameters: Record<string, unknown>;
  responses: Record<string, { body?: unknown; headers?: unknown }>;
}

export interface MissingExample {
  operationId: string;
  specFile: string;
  title: string;
  /** The `$ref` as written in the spec. */
  ref: string;
  /** Absolute path expected (neither it nor a `from-*__` copy exists). */
  expected: string;
}

export interface LocatedExample {
  title: string;
  file: string;
  copiedFrom?: string;
}

/** Where each `x-ms-examples` entry of an operation lives, and which are absent both ways. */
export function locateExamples(
  specsDir: string,
  operationId: string,
  specFile: string,
  refs: Record<string, { $ref?: string }>,
): { found: LocatedExample[]; missing: MissingExample[] } {
  const found: LocatedExample[] = [];
  const missing: MissingExample[] = [];
  for (const [title, { $ref }] of Object.entries(refs)) {
    if ($ref === undefined) continue;
    const located = locateExample(specsDir, specFile, $ref);
    if (located) found.push({ title, ...located });
    else
      missing.push({
        operationId,
        specFile,
        title,
        ref: $ref,
        expected: path.resolve(specsDir, path.dirname(specFile), $ref),
      });
  }
  return { found, missing };
}

/** Finds an example file, falling back to a `from-<version>__` copy of the same name. */
function locateExample(
  specsDir: string,
  specFile: string,
  ref: string,
): { file: string; copiedFrom?: string } | undefined {
  const wanted = path.resolve(specsDir, path.dirname(specFile), ref);
  if (existsSync(wanted)) return { file: wanted };
  const folder = path.dirname(wanted);
  const suffix = `__${path.basename(wanted)}`;
  const copies = existsSync(folder)
    ? readdirSync(folder)
        .filter((name) => name.startsWith('from-') && name.endsWith(suffix))
        .sort()
    : [];
  // Several copies would mean several source versions; the newest sorts last.
  const copy = copies.at(-1);
  if (copy === undefined) return undefined;
  return { file: path.join(folder, copy), copiedFrom: copy.slice('from-'.length, -suffix.length) };
}

export function readExample(located: LocatedExample): SpecExample {
  const json = JSON.parse(readFileSync(located.file, 'utf8')) as Partial<SpecExample>;
  return { ...located, parameters: json.parameters ?? {}, responses: json.responses ?? {} };
}
