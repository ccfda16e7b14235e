/**
 * The slice of Swagger 2.0 (with AutoRest's x-ms-* extensions) this validator reads, and the
 * loaded set of spec files with `$ref` resolution between them.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export interface SwaggerSchema {
  $ref?: string;
  type?: string;
  properties?: Record<string, SwaggerSchema>;
  additionalProperties?: boolean | SwaggerSchema;
  items?: SwaggerSchema;
  allOf?: SwaggerSchema[];
  required?: string[];
  enum?: unknown[];
  format?: string;
  discriminator?: string;
  readOnly?: boolean;
  'x-nullable'?: boolean;
  'x-ms-discriminator-value'?: string;
  [keyword: string]: unknown;
}

export interface SwaggerParameter {
  $ref?: string;
  name?: string;
  in?: string;
  required?: boolean;
  schema?: SwaggerSchema;
}

export interface SwaggerResponse {
  $ref?: string;
  schema?: SwaggerSchema;
}

export interface SwaggerOperation {
  operationId?: string;
  parameters?: SwaggerParameter[];
  responses?: Record<string, SwaggerResponse>;
  'x-ms-examples'?: Record<string, { $ref?: string }>;
  'x-ms-pageable'?: { nextLinkName?: string | null; itemName?: string };
  'x-ms-long-running-operation'?: boolean;
}

export type SwaggerPathItem = Record<string, unknown> & { parameters?: SwaggerParameter[] };

export interface SwaggerDoc {
  swagger?: string;
  info?: { version?: string };
  paths?: Record<string, SwaggerPathItem>;
  'x-ms-paths'?: Record<string, SwaggerPathItem>;
  definitions?: Record<string, SwaggerSchema>;
  parameters?: Record<string, SwaggerParameter>;
  responses?: Record<string, SwaggerResponse>;
}

/** A resolved `$ref`: the spec file (relative to the specs folder) and the JSON pointer tokens in it. */
export interface RefTarget {
  file: string;
  tokens: string[];
}

const decodeToken = (token: string): string => decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~');

/** Spec files keyed by their path relative to the specs folder, posix-style. */
export class SpecFiles {
  private constructor(
    readonly dir: string,
    private readonly docs: Map<string, SwaggerDoc>,
  ) {}

  /**
   * Loads `roots` and, transitively, every file their `$ref`s point into (examples are not
   * schema files and are read separately).
   */
  static async load(dir: string, roots: readonly string[]): Promise<SpecFiles> {
    const files = new SpecFiles(dir, new Map());
    let pending = [...roots];
    while (pending.length > 0) {
      const batch = pending.filter((f) => !files.docs.has(f));
      pending = [];
      const loaded = await Promise.all(
        batch.map(
          async (file) => [file, JSON.parse(await readFile(path.join(dir, file), 'utf8')) as SwaggerDoc] as const,
        ),
      );
      for (const [file, doc] of loaded) {
        files.docs.set(file, doc);
        for (const ref of externalRefs(doc)) pending.push(files.resolveFile(file, ref));
      }
    }
    return files;
  }

  list(): string[] {
    return [...this.docs.keys()];
  }

  doc(file: string): SwaggerDoc {
    const doc = this.docs.get(file);
    if (!doc) throw new Error(`spec file ${file} was not loaded`);
    return doc;
  }

  resolve(from: string, ref: string): RefTarget {
    const hash = ref.indexOf('#');
    const filePart = hash < 0 ? ref : ref.slice(0, hash);
    const pointer = hash < 0 ? '' : ref.slice(hash + 1);
    const file = filePart === '' ? from : this.resolveFile(from, filePart);
    const tokens = pointer.split('/').slice(1).map(decodeToken);
    return { file, tokens };
  }

  /** The value a resolved reference points at, or an Error naming the dangling reference. */
  get<T>(target: RefTarget): T {
    let node: unknown = this.doc(target.file);
    for (const token of target.tokens) {
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[token] : undefined;
      if (node === undefined) throw new Error(`$ref ${target.file}#/${target.tokens.join('/')} points at nothing`);
    }
    return node as T;
  }

  /** Follows `$ref` chains on parameters and responses (schemas keep theirs: they are compiled as refs). */
  deref<T extends { $ref?: string }>(from: string, node: T): { file: string; node: T } {
    let file = from;
    let current = node;
    for (let hops = 0; current.$ref !== undefined; hops++) {
      if (hops > 20) throw new Error(`$ref cycle at ${current.$ref} in ${file}`);
      const target = this.resolve(file, current.$ref);
      file = target.file;
      current = this.get<T>(target);
    }
    return { file, node: current };
  }

  /**
   * The specs were written for the azure-rest-api-specs tree, where vaults.json reaches
   * common-types through `../../../../../common-types/...`. Only a slice of that tree is kept
   * here, so a relative path that climbs out of this folder is looked up by what remains after
   * its leading `../` (e.g. `common-types/resource-management/v3/types.json`).
   */
  private resolveFile(from: string, ref: string): string {
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(from), ref));
    if (!joined.startsWith('../') && existsSync(path.join(this.dir, joined))) return joined;
    const stripped = path.posix.normalize(ref).replace(/^(\.\.\/)+/, '');
    if (existsSync(path.join(this.dir, stripped))) return stripped;
    throw new Error(
      `${from} refers to ${ref}, which is neither ${joined} nor ${stripped} under ${this.dir}: ` +
        'the copy of the official Azure REST specs is incomplete',
    );
  }
}

function externalRefs(doc: SwaggerDoc): Set<string> {
  const refs = new Set<string>();
  const walk = (node: unknown, key: string): void => {
    if (node === null || typeof node !== 'object' || key === 'x-ms-examples') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item, '');
      return;
    }
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && !v.startsWith('#')) refs.add(v.split('#')[0] ?? v);
      else walk(v, k);
    }
  };
  walk(doc, '');
  return refs;
}
