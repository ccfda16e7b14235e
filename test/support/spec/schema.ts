/**
 * Translates Swagger 2.0 schemas, as AutoRest reads them, into JSON Schema that Ajv compiles.
 *
 * What needs translating (plain Ajv on the raw spec would get each of these wrong):
 * - Polymorphism. `discriminator: "instanceType"` on a base and `allOf: [{$ref: base}]` plus
 *   `x-ms-discriminator-value` on each derived definition mean: wherever the base is referenced,
 *   the body's discriminator value picks the derived definition to validate against. Every
 *   definition therefore gets two compiled forms: its *exact* form under `definitions/NAME`
 *   (what `allOf` inheritance refers to) and, when it belongs to a hierarchy, a *dispatching*
 *   form under `$defs/NAME` (what every other `$ref` refers to).
 * - `x-nullable: true` is the only way to allow null.
 * - `readOnly` properties are set by the service, so in requests they are never required.
 * - `format`: only the formats whose JSON Schema meaning matches AutoRest's are checked;
 *   int32/int64/double/duration/arm-id/... would either fail as unknown or mean something else.
 * - `x-ms-*`, `discriminator`, `readOnly`, `description`, `default` are dropped rather than
 *   passed through, and any keyword not understood here throws, so Ajv can run with
 *   strictSchema and nothing in the specs is silently ignored.
 */
import Ajv, { type AnySchemaObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { type SpecFiles, type SwaggerSchema } from './swagger';

export type Mode = 'request' | 'response';

type JsonSchema = AnySchemaObject;

const CHECKED_FORMATS = ['date-time', 'uuid'] as const;

/** Annotations and AutoRest hints that carry no constraint on the JSON. */
const IGNORED = new Set([
  'description',
  'title',
  'default',
  'example',
  'readOnly',
  'externalDocs',
  'xml',
  'discriminator',
]);

/** Constraint keywords whose Swagger 2.0 meaning is the JSON Schema one. */
const PASSED_THROUGH = new Set([
  'type',
  'enum',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
]);

const fileUri = (file: string): string => `https://azure-specs.invalid/${file}`;

const defKey = (file: string, name: string): string => `${file}#${name}`;

/** The inheritance graph of every definition in the loaded files. */
class Hierarchy {
  private readonly parents = new Map<string, string[]>();
  private readonly children = new Map<string, string[]>();

  constructor(private readonly specs: SpecFiles) {
    for (const file of specs.list()) {
      for (const [name, def] of Object.entries(specs.doc(file).definitions ?? {})) {
        for (const part of def.allOf ?? []) {
          if (part.$ref === undefined) continue;
          const parent = this.definitionKey(file, part.$ref);
          const key = defKey(file, name);
          this.parents.set(key, [...(this.parents.get(key) ?? []), parent]);
          this.children.set(parent, [...(this.children.get(parent) ?? []), key]);
        }
      }
    }
  }

  definitionKey(from: string, ref: string): string {
    const target = this.specs.resolve(from, ref);
    const [section, name, ...rest] = target.tokens;
    if (section !== 'definitions' || name === undefined || rest.length > 0) {
      throw new Error(`schema $ref ${ref} in ${from} does not point at a definition`);
    }
    this.definition(defKey(target.file, name));
    return defKey(target.file, name);
  }

  definition(key: string): SwaggerSchema {
    const [file = '', name = ''] = key.split('#');
    const def = this.specs.doc(file).definitions?.[name];
    if (!def) throw new Error(`definition ${name} is missing from ${file}`);
    return def;
  }

  /** The discriminator property a definition declares or inherits, if any. */
  tag(key: string): string | undefined {
    const own = this.definition(key).discriminator;
    if (own !== undefined) return own;
    for (const parent of this.parents.get(key) ?? []) {
      const inherited = this.tag(parent);
      if (inherited !== undefined) return inherited;
    }
    return undefined;
  }

  /** The definition itself and every definition deriving from it, with its discriminator value. */
  family(key: string): Array<{ key: string; value: string }> {
    const value = this.definition(key)['x-ms-discriminator-value'] ?? key.slice(key.indexOf('#') + 1);
    return [{ key, value }, ...(this.children.get(key) ?? []).flatMap((child) => this.family(child))];
  }

  /** A property as the definition declares or inherits it. */
  property(key: string, name: string): { schema: SwaggerSchema; file: string } | undefined {
    const own = this.definition(key).properties?.[name];
    if (own) return { schema: own, file: key.slice(0, key.indexOf('#')) };
    for (const parent of this.parents.get(key) ?? []) {
      const inherited = this.property(parent, name);
      if (inherited) return inherited;
    }
    return undefined;
  }
}

/** One Ajv instance holding every loaded spec file converted for one direction. */
export class SchemaCompiler {
  private readonly ajv: Ajv;
  private readonly hierarchy: Hierarchy;
  private readonly cache = new Map<string, ValidateFunction>();

  constructor(
    private readonly specs: SpecFiles,
    private readonly mode: Mode,
  ) {
    this.hierarchy = new Hierarchy(specs);
    // allErrors: a test should see every mismatch at once. verbose: errors carry the failing
    // schema (see discriminatorBase). strictSchema: convert() emits only known keywords, so an
    // unknown one is a bug here. unicodeRegExp off: Swagger patterns are plain ECMAScript
    // regexes, and the `u` flag rejects some escapes they use. inlineRefs off: the big
    // polymorphic families are referenced from many places and would be inlined at each.
    this.ajv = new Ajv({
      allErrors: true,
      verbose: true,
      strict: false,
      strictSchema: true,
      unicodeRegExp: false,
      validateSchema: false,
      inlineRefs: false,
    });
    addFormats(this.ajv, [...CHECKED_FORMATS]);
    for (const file of specs.list()) this.ajv.addSchema(this.convertFile(file));
  }

  /** A validator for a schema found in `file` (an operation's response or body schema). */
  compile(schema: SwaggerSchema, file: string): ValidateFunction {
    const cacheKey = `${file}\n${JSON.stringify(schema)}`;
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile(this.convert(schema, file));
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }

  private convertFile(file: string): JsonSchema {
    const definitions: Record<string, JsonSchema> = {};
    const dispatch: Record<string, JsonSchema> = {};
    for (const name of Object.keys(this.specs.doc(file).definitions ?? {})) {
      const key = defKey(file, name);
      definitions[name] = this.convertDefinition(key);
      const tag = this.hierarchy.tag(key);
      if (tag !== undefined) dispatch[name] = this.dispatcher(key, tag);
    }
    return { $id: fileUri(file), definitions, $defs: dispatch };
  }

  /**
   * The discriminator value selects the exact definition; an unknown value fails the enum
   * (which names the allowed values); without a value the referenced definition itself applies.
   */
  private dispatcher(key: string, tag: string): JsonSchema {
    const family = this.hierarchy.family(key);
    return {
      type: 'object',
      properties: {
        [tag]: {
          enum: family.map((member) => member.value),
          $comment: `${DISCRIMINATOR_OF}${key.slice(key.indexOf('#') + 1)}`,
        },
      },
      allOf: [
        ...family.map((member) => ({
          if: { properties: { [tag]: { const: member.value } }, required: [tag] },
          then: { $ref: exactUri(member.key) },
        })),
        { if: { not: { required: [tag] } }, then: { $ref: exactUri(key) } },
      ],
    };
  }

  private convertDefinition(key: string): JsonSchema {
    return this.convert(this.hierarchy.definition(key), key.slice(0, key.indexOf('#')), key);
  }

  /**
   * `owner` is set when `node` is the body of that definition: its `allOf` is then inheritance,
   * and `required` may name properties it inherits.
   */
  private convert(node: SwaggerSchema, file: string, owner?: string): JsonSchema {
    if (node.$ref !== undefined) {
      const key = this.hierarchy.definitionKey(file, node.$ref);
      const ref = this.hierarchy.tag(key) !== undefined ? dispatchUri(key) : exactUri(key);
      return nullable(node, { $ref: ref });
    }
    const out: JsonSchema = {};
    for (const [keyword, value] of Object.entries(node)) {
      if (value === undefined || IGNORED.has(keyword) || keyword.startsWith('x-')) continue;
      if (PASSED_THROUGH.has(keyword)) {
        out[keyword] = value;
        continue;
      }
      switch (keyword) {
        case 'format':
          if ((CHECKED_FORMATS as readonly unknown[]).includes(value)) out.format = value;
          break;
        case 'properties':
          out.properties = Object.fromEntries(
            Object.entries(node.properties ?? {}).map(([name, prop]) => [name, this.convert(prop, file)]),
          );
          break;
        case 'additionalProperties':
          out.additionalProperties = typeof value === 'boolean' ? value : this.convert(value as SwaggerSchema, file);
          break;
        case 'items':
          out.items = this.convert(value as SwaggerSchema, file);
          break;
        case 'allOf':
          // Inheritance means the parent's own shape, never a re-dispatch on the discriminator.
          out.allOf = (value as SwaggerSchema[]).map((part) =>
            owner !== undefined && part.$ref !== undefined
              ? { $ref: exactUri(this.hierarchy.definitionKey(file, part.$ref)) }
              : this.convert(part, file),
          );
          break;
        case 'required': {
          const required = (value as string[]).filter((name) => !this.isReadOnlyInRequest(node, name, file, owner));
          if (required.length > 0) out.required = required;
          break;
        }
        case 'exclusiveMinimum':
        case 'exclusiveMaximum': {
          // Draft 4 (Swagger 2.0) flags; the bound itself sits in minimum/maximum.
          const bound = keyword === 'exclusiveMinimum' ? 'minimum' : 'maximum';
          if (value === true && typeof node[bound] === 'number') out[keyword] = node[bound];
          break;
        }
        default:
          throw new Error(`unsupported Swagger schema keyword "${keyword}" in ${file}: extend spec/schema.ts`);
      }
    }
    // AutoRest models anything with properties or a map shape as an object even without
    // `type: object` (often omitted); JSON Schema would let null or 5 through. (allOf alone is
    // left out: `allOf: [{$ref: SomeEnum}]` is also used to describe a non-object ref.)
    const objectShaped = ['properties', 'additionalProperties', 'discriminator', 'required'].some(
      (k) => node[k] !== undefined,
    );
    if (out.type === undefined && objectShaped) out.type = 'object';
    if (out.exclusiveMinimum !== undefined) delete out.minimum;
    if (out.exclusiveMaximum !== undefined) delete out.maximum;
    // `type: file` (binary downloads) has no JSON shape to check.
    if (out.type === 'file') delete out.type;
    return nullable(node, out);
  }

  private isReadOnlyInRequest(node: SwaggerSchema, name: string, file: string, owner?: string): boolean {
    if (this.mode !== 'request') return false;
    const found =
      node.properties?.[name] !== undefined
        ? { schema: node.properties[name], file }
        : owner !== undefined
          ? this.hierarchy.property(owner, name)
          : undefined;
    if (!found?.schema) return false;
    if (found.schema.readOnly === true) return true;
    if (found.schema.$ref === undefined) return false;
    return this.hierarchy.definition(this.hierarchy.definitionKey(found.file, found.schema.$ref)).readOnly === true;
  }
}

const exactUri = (key: string): string => {
  const [file = '', name = ''] = key.split('#');
  return `${fileUri(file)}#/definitions/${encodeURIComponent(name)}`;
};

const dispatchUri = (key: string): string => {
  const [file = '', name = ''] = key.split('#');
  return `${fileUri(file)}#/$defs/${encodeURIComponent(name)}`;
};

/** if/else rather than anyOf, so a non-null mismatch reports the real error, not "must be null". */
function nullable(node: SwaggerSchema, schema: JsonSchema): JsonSchema {
  return node['x-nullable'] === true ? { if: { type: 'null' }, else: schema } : schema;
}

/**
 * Marks the enum that lists a hierarchy's discriminator values, so an error on it can say
 * "unknown discriminator value" (Ajv's schemaPath restarts at every $ref and cannot tell).
 */
const DISCRIMINATOR_OF = 'discriminator of ';

export function discriminatorBase(errorSchema: unknown): string | undefined {
  const comment = (errorSchema as { $comment?: unknown } | undefined)?.$comment;
  return typeof comment === 'string' && comment.startsWith(DISCRIMINATOR_OF)
    ? comment.slice(DISCRIMINATOR_OF.length)
    : undefined;
}
