/**
 * Checks HTTP bodies against the official Azure REST API specifications (Swagger 2.0, as
 * AutoRest reads them), so the emulator answers exactly what the real service documents and
 * the requests the @azure SDKs send are the ones the specs describe.
 *
 * The specs are not vendored into the repository: they live beside the checkout in
 * `shared/azure-specs` (see SOURCES.md there), or wherever ASRFLOW_AZURE_SPECS points.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { formatErrors, show } from './spec/errors';
import {
  type LocatedExample,
  type MissingExample,
  type SpecExample,
  locateExamples,
  readExample,
} from './spec/examples';
import { type PathTemplate, matches, parseTemplate, parseUrl } from './spec/paths';
import { type Mode, SchemaCompiler } from './spec/schema';
import { type SwaggerOperation, type SwaggerParameter, type SwaggerSchema, SpecFiles } from './spec/swagger';

export type { MissingExample, SpecExample } from './spec/examples';

/** The services whose operations are indexed, relative to the specs folder. */
const SERVICE_FILES = ['siterecovery/2023-06-01/service.json', 'recoveryservices/2024-04-01/vaults.json'] as const;
/** vaults.json refers to it by a path valid only in the azure-rest-api-specs tree. */
const COMMON_TYPES = 'common-types/resource-management/v3/types.json';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const REPO_ROOT = path.resolve(__dirname, '..', '..');

export interface OperationInfo {
  operationId: string;
  /** Upper-case HTTP method. */
  method: string;
  pathTemplate: string;
  /** Relative to the specs folder, e.g. `siterecovery/2023-06-01/service.json`. */
  specFile: string;
  apiVersion: string;
  /** Status codes the spec declares (`default` included). */
  statuses: string[];
  longRunning: boolean;
  /** Name of the `in: body` parameter (the key of the request body in example `parameters`). */
  bodyParameter?: string;
  /** From `x-ms-pageable`: the list property and the next-link property (null: single page). */
  pageable?: { itemName: string; nextLinkName: string | null };
}

export interface SpecIndex {
  readonly dir: string;
  /** `x-ms-examples` entries whose file is absent both as named and as a `from-*__` copy. */
  readonly missingExamples: readonly MissingExample[];
  /** Matches method + concrete URL (query ignored except api-version); undefined when none does. */
  findOperation(method: string, urlPath: string): OperationInfo | undefined;
  operations(): OperationInfo[];
  operationIds(): string[];
  /** Errors, one per line; empty means the response is what the spec declares. */
  validateResponse(method: string, urlPath: string, status: number, body: unknown): string[];
  validateRequestBody(method: string, urlPath: string, body: unknown): string[];
  /** `operationId` alone may name operations of both services (Operations_List); `specFile` narrows. */
  examplesFor(operationId: string, specFile?: string): SpecExample[];
}

/**
 * The specs folder: ASRFLOW_AZURE_SPECS, else `shared/azure-specs` beside the checkout.
 * Throws rather than letting spec checks be skipped.
 */
export function specsDir(): string {
  const configured = process.env.ASRFLOW_AZURE_SPECS;
  const dir = configured ? path.resolve(configured) : path.resolve(REPO_ROOT, '../shared/azure-specs');
  assertSpecsPresent(
    dir,
    configured ? 'from ASRFLOW_AZURE_SPECS' : 'the default, ../shared/azure-specs from the repository root',
  );
  return dir;
}

function assertSpecsPresent(dir: string, origin: string): void {
  const absent = !existsSync(dir)
    ? 'the directory does not exist'
    : [...SERVICE_FILES, COMMON_TYPES]
        .filter((f) => !existsSync(path.join(dir, f)))
        .map((f) => `${f} is missing`)
        .join('; ');
  if (absent === '') return;
  throw new Error(
    `Azure REST API specs not found at ${dir} (${origin}): ${absent}. ` +
      'These are the official Azure REST specifications (Swagger files and examples from Azure/azure-rest-api-specs) ' +
      'kept beside the checkout in shared/azure-specs; set ASRFLOW_AZURE_SPECS to their location.',
  );
}

const indexes = new Map<string, Promise<SpecIndex>>();

/** Async all the way: a missing specs folder rejects, like any other load failure. */
export async function loadSpecIndex(dir: string = specsDir()): Promise<SpecIndex> {
  const resolved = path.resolve(dir);
  let index = indexes.get(resolved);
  if (!index) {
    assertSpecsPresent(resolved, 'passed to loadSpecIndex');
    index = Index.load(resolved);
    // A failed load should not be remembered: the next caller gets the error afresh.
    index.catch(() => indexes.delete(resolved));
    indexes.set(resolved, index);
  }
  return index;
}

interface Operation {
  info: OperationInfo;
  template: PathTemplate;
  body?: { parameter: SwaggerParameter; file: string };
  responses: Map<string, { schema?: SwaggerSchema; file: string }>;
  examples: LocatedExample[];
}

class Index implements SpecIndex {
  private readonly compilers = new Map<Mode, SchemaCompiler>();
  private readonly exampleCache = new Map<string, SpecExample>();

  private constructor(
    readonly dir: string,
    private readonly specs: SpecFiles,
    private readonly ops: Operation[],
    readonly missingExamples: readonly MissingExample[],
  ) {}

  static async load(dir: string): Promise<SpecIndex> {
    const specs = await SpecFiles.load(dir, SERVICE_FILES);
    const ops: Operation[] = [];
    const missing: MissingExample[] = [];
    for (const specFile of SERVICE_FILES) {
      const doc = specs.doc(specFile);
      const apiVersion = doc.info?.version ?? '';
      for (const [template, item] of [...Object.entries(doc.paths ?? {}), ...Object.entries(doc['x-ms-paths'] ?? {})]) {
        for (const method of HTTP_METHODS) {
          const op = item[method] as SwaggerOperation | undefined;
          if (!op) continue;
          const operationId = op.operationId ?? `${method.toUpperCase()} ${template}`;
          const examples = locateExamples(dir, operationId, specFile, op['x-ms-examples'] ?? {});
          missing.push(...examples.missing);
          const pageable = op['x-ms-pageable'];
          const body = bodyParameter(specs, specFile, [...(item.parameters ?? []), ...(op.parameters ?? [])]);
          ops.push({
            info: {
              operationId,
              method: method.toUpperCase(),
              pathTemplate: template,
              specFile,
              apiVersion,
              statuses: Object.keys(op.responses ?? {}),
              longRunning: op['x-ms-long-running-operation'] === true,
              ...(body?.parameter.name !== undefined ? { bodyParameter: body.parameter.name } : {}),
              ...(pageable
                ? { pageable: { itemName: pageable.itemName ?? 'value', nextLinkName: pageable.nextLinkName ?? null } }
                : {}),
            },
            template: parseTemplate(template),
            ...(body ? { body } : {}),
            responses: new Map(
              Object.entries(op.responses ?? {}).map(([status, response]) => {
                const { file, node } = specs.deref(specFile, response);
                return [status, { ...(node.schema ? { schema: node.schema } : {}), file }];
              }),
            ),
            examples: examples.found,
          });
        }
      }
    }
    return new Index(dir, specs, ops, missing);
  }

  findOperation(method: string, urlPath: string): OperationInfo | undefined {
    return this.match(method, urlPath)?.info;
  }

  operations(): OperationInfo[] {
    return this.ops.map((op) => op.info);
  }

  operationIds(): string[] {
    return [...new Set(this.ops.map((op) => op.info.operationId))].sort();
  }

  validateResponse(method: string, urlPath: string, status: number, body: unknown): string[] {
    const op = this.match(method, urlPath);
    if (!op) return [this.noOperation(method, urlPath)];
    const { operationId, statuses } = op.info;
    // ARM declares errors as `default`; a success status the spec does not list is a bug.
    const response = op.responses.get(String(status)) ?? (status >= 400 ? op.responses.get('default') : undefined);
    if (!response) return [`status ${status} is not declared for ${operationId} (declared: ${statuses.join(', ')})`];
    if (!response.schema) {
      return isEmpty(body) ? [] : [`status ${status} of ${operationId} declares no body, got ${show(body)}`];
    }
    if (body === undefined) return [`status ${status} of ${operationId} declares a body, got none`];
    return this.check('response', response.schema, response.file, body);
  }

  validateRequestBody(method: string, urlPath: string, body: unknown): string[] {
    const op = this.match(method, urlPath);
    if (!op) return [this.noOperation(method, urlPath)];
    const { operationId } = op.info;
    if (!op.body) return isEmpty(body) ? [] : [`${operationId} takes no request body, got ${show(body)}`];
    const { parameter, file } = op.body;
    if (isEmpty(body)) return parameter.required === true ? [`${operationId} requires a body (${parameter.name})`] : [];
    return this.check('request', parameter.schema ?? {}, file, body);
  }

  examplesFor(operationId: string, specFile?: string): SpecExample[] {
    return this.ops
      .filter((op) => op.info.operationId === operationId && (specFile === undefined || op.info.specFile === specFile))
      .flatMap((op) => op.examples)
      .map((located) => {
        let example = this.exampleCache.get(located.file);
        if (!example) {
          example = readExample(located);
          this.exampleCache.set(located.file, example);
        }
        // Callers edit examples into broken copies; the cached original must stay intact.
        return { ...structuredClone(example), title: located.title };
      });
  }

  private check(mode: Mode, schema: SwaggerSchema, file: string, body: unknown): string[] {
    let compiler = this.compilers.get(mode);
    if (!compiler) {
      compiler = new SchemaCompiler(this.specs, mode);
      this.compilers.set(mode, compiler);
    }
    const validate = compiler.compile(schema, file);
    return validate(body) ? [] : formatErrors(validate.errors, body);
  }

  private match(method: string, urlPath: string): Operation | undefined {
    const url = parseUrl(urlPath);
    const apiVersion = url.query.get('api-version');
    const wanted = method.toUpperCase();
    const specificity = (op: Operation): number => op.template.literalCount + op.template.query.length;
    const candidates = this.ops
      .filter((op) => op.info.method === wanted && matches(op.template, url))
      .sort(
        (a, b) =>
          specificity(b) - specificity(a) ||
          Number(b.info.apiVersion === apiVersion) - Number(a.info.apiVersion === apiVersion),
      );
    return candidates[0];
  }

  private noOperation(method: string, urlPath: string): string {
    const url = parseUrl(urlPath);
    const others = this.ops
      .filter((op) => matches(op.template, url))
      .map((op) => `${op.info.method} (${op.info.operationId})`);
    return others.length > 0
      ? `no ${method.toUpperCase()} operation at ${urlPath} in the specs; that path has ${others.join(', ')}`
      : `no operation in the specs matches ${method.toUpperCase()} ${urlPath}`;
  }
}

const isEmpty = (body: unknown): boolean => body === undefined || body === '';

function bodyParameter(
  specs: SpecFiles,
  specFile: string,
  parameters: SwaggerParameter[],
): { parameter: SwaggerParameter; file: string } | undefined {
  // Operation-level parameters override path-level ones of the same name and location.
  const byKey = new Map<string, { parameter: SwaggerParameter; file: string }>();
  for (const raw of parameters) {
    const { node, file } = specs.deref(specFile, raw);
    byKey.set(`${node.in}:${node.name}`, { parameter: node, file });
  }
  return [...byKey.values()].find(({ parameter }) => parameter.in === 'body');
}
