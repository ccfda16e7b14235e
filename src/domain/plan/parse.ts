// Plan text → Plan, or every problem at once with its file position. Three layers, all run on
// every input so that fixing one error never uncovers the next:
//   1. YAML (syntax, duplicate keys) via `yaml`, with a LineCounter for positions;
//   2. structure via ajv against the JSON Schema (unknown keys, missing fields, wrong types);
//   3. the rules of rules.ts (and, from load.ts, the credential checks) on whatever parsed.
// Values of the wrong JSON type are removed between 2 and 3, so rules see only typed values.
// When ajv and a rule flag the same field, the rule's message wins: it is the specific one.
// No Node built-ins and no I/O here; load.ts reads files and the environment.

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';
import { CREDENTIAL_TYPES, PLAN_LIMITS } from './constants';
import { normalizePlan } from './normalize';
import { checkPlanRules, formatPath } from './rules';
import { HELP_KEYWORD, planSchema } from './schema';
import { closest } from './suggest';
import { decodePlanBytes, positionOfByte } from './text';
import type { LoosePlanDocument, PathSegment, Plan, PlanDocument, PlanIssue, RuleIssue, Severity } from './types';
import { pathAt, readYaml, tooLarge } from './yaml';

export interface ParseOptions {
  /** More checks on the (possibly partial) document, reported with the others (e.g. credential references). */
  extraChecks?: (doc: LoosePlanDocument) => RuleIssue[];
}

export interface ParseResult {
  /** Present exactly when there is no error. */
  plan: Plan | undefined;
  errors: PlanIssue[];
  warnings: PlanIssue[];
}

let validator: ValidateFunction | undefined;

/** The compiled schema validator (compiled once per process). */
export function planValidator(): ValidateFunction {
  if (!validator) {
    // strictTypes is off because the scenario conditionals (if/then) constrain properties without
    // restating `type: object`, as JSON Schema allows; every other strict check stays on.
    const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strictTypes: false });
    ajv.addKeyword({ keyword: HELP_KEYWORD, schemaType: 'object' });
    validator = ajv.compile(planSchema);
  }
  return validator;
}

interface Located {
  severity: Severity;
  path: PathSegment[];
  message: string;
  fix: string;
  /** Set for findings of the schema layer, which give way to a rule's finding on the same field. */
  fromSchema?: boolean;
  /** A schema finding about the value's JSON type: other schema findings on the same field follow from it. */
  wrongType?: boolean;
  /** For "missing field X" findings: a did-you-mean on a sibling key explains them already. */
  missing?: string;
  /** For "unknown field" findings: the key it probably meant. */
  meant?: string;
  /** A field whose "missing field" finding this one already explains (a credential without its type). */
  explains?: string;
  /** A position from the YAML parser itself. */
  offset?: number;
}

export function parsePlan(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const { doc, lineCounter, findings, data } = readYaml(text);
  const found: Located[] = [...findings];

  if (doc && data !== undefined) {
    if (data === null) {
      found.push({
        severity: 'error',
        path: [],
        message: 'the plan file is empty',
        fix: 'start from examples/multitenant-vmm.yaml or examples/dedicated-vmm.yaml',
      });
    } else {
      found.push(...structuralFindings(data));
      const loose = data as LoosePlanDocument;
      found.push(...checkPlanRules(loose));
      if (options.extraChecks) found.push(...options.extraChecks(loose));
    }
  }

  const issues = dedupe(settle(found).map((f) => toIssue(f, doc, lineCounter, file)));
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  const errors = issues.filter((i) => i.severity === 'error');
  const warnings = issues.filter((i) => i.severity === 'warning');
  return { plan: errors.length === 0 ? normalizePlan(data as PlanDocument) : undefined, errors, warnings };
}

/**
 * Plan bytes as read from a file: at most PLAN_LIMITS.bytes (the loader stops reading one byte
 * after), strictly UTF-8, then parsePlan.
 */
export function parsePlanBytes(bytes: Uint8Array, file: string, options: ParseOptions = {}): ParseResult {
  const fail = (issue: Omit<PlanIssue, 'file' | 'severity'>): ParseResult => ({
    plan: undefined,
    errors: [{ severity: 'error', file, ...issue }],
    warnings: [],
  });
  if (bytes.length > PLAN_LIMITS.bytes) {
    const { message, fix } = tooLarge(0);
    const { line, column } = positionOfByte(bytes, PLAN_LIMITS.bytes);
    return fail({ line, column, field: 'plan', message, fix });
  }
  const decoded = decodePlanBytes(bytes);
  if (!decoded.ok) {
    const { line, column, message, fix, byteOffset } = decoded;
    // The field the byte is in, from the text decoded leniently (the bytes before it are valid).
    let field = 'plan';
    if (byteOffset !== undefined) {
      const { doc } = readYaml(new TextDecoder().decode(bytes));
      const at = new TextDecoder().decode(bytes.subarray(0, byteOffset)).length;
      if (doc) field = formatPath(pathAt(doc, at)) || 'plan';
    }
    return fail({ line, column, field, message, fix });
  }
  return parsePlan(decoded.text, file, options);
}

// ---- Schema findings ----------------------------------------------------------------------------

/** Runs ajv and turns its errors into findings; removes wrongly typed values from `data` in place. */
function structuralFindings(data: unknown): Located[] {
  const validate = planValidator();
  if (validate(data)) return [];
  const { errors, shapeless } = relevantErrors(validate.errors ?? []);
  const findings: Located[] = [];
  const prune: PathSegment[][] = [];
  for (const e of errors) {
    const path = toPath(data, e.instancePath);
    findings.push({
      ...describe(e, path, valueAt(data, path)),
      severity: 'error',
      fromSchema: true,
      ...(e.keyword === 'type' ? { wrongType: true } : {}),
    });
    if (e.keyword === 'type' || shapeless.has(e)) prune.push(path);
  }
  // Deepest first, so that pruning a parent never hides a child path still to prune.
  prune.sort((a, b) => b.length - a.length).forEach((p) => removeAt(data, p));
  return findings;
}

/**
 * Keeps the errors a person should see. For a oneOf/anyOf that failed: when exactly one branch has
 * the value's shape (no type/const error on the value itself), that branch's errors explain the
 * failure and the composite error is dropped; otherwise the composite's own message stands alone.
 * `if` and `not` errors are dropped: the rules say the same with words.
 */
function relevantErrors(all: ErrorObject[]): { errors: ErrorObject[]; shapeless: Set<ErrorObject> } {
  const dropped = new Set<ErrorObject>();
  /** Composites whose value has the shape of no branch at all: the value is removed before the rules run. */
  const shapeless = new Set<ErrorObject>();
  const composites = all
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const c of composites) {
    if (dropped.has(c)) continue;
    const prefix = `${c.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of all) {
      if (dropped.has(e) || !e.schemaPath.startsWith(prefix)) continue;
      if (e.instancePath !== c.instancePath && !e.instancePath.startsWith(`${c.instancePath}/`)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      branches.set(branch, [...(branches.get(branch) ?? []), e]);
    }
    const fitting = [...branches.entries()].filter(
      ([, errs]) =>
        !errs.some((e) => e.instancePath === c.instancePath && (e.keyword === 'type' || e.keyword === 'const')),
    );
    const [only] = fitting;
    if (fitting.length === 1 && only) {
      dropped.add(c);
      for (const [branch, errs] of branches) if (branch !== only[0]) errs.forEach((e) => dropped.add(e));
    } else {
      if (fitting.length === 0 && branches.size > 0) shapeless.add(c);
      for (const errs of branches.values()) errs.forEach((e) => dropped.add(e));
    }
  }
  return { errors: all.filter((e) => !dropped.has(e) && e.keyword !== 'if' && e.keyword !== 'not'), shapeless };
}

type Schemaish = {
  title?: string;
  description?: string;
  examples?: unknown[];
  properties?: Record<string, Schemaish>;
  required?: string[];
  [HELP_KEYWORD]?: { message: string; fix: string };
};

const underCredential = (path: PathSegment[]): boolean => path.includes('credential');

function describe(e: ErrorObject, path: PathSegment[], value: unknown): Omit<Located, 'severity'> {
  const parent = (e.parentSchema ?? {}) as Schemaish;
  const last = path[path.length - 1];
  const name = typeof last === 'string' ? last : formatPath(path) || 'plan';
  const got = underCredential(path) ? '' : `: got ${show(value)}`;
  const example = parent.examples?.[0];
  const eg = example !== undefined ? `e.g. ${flow(example)}` : 'see docs/PLAN.md';
  const params = e.params as Record<string, unknown>;

  switch (e.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const property = parent.properties?.[missing];
      const sample = property?.examples?.[0];
      return {
        path: [...path, missing],
        message: `missing required field '${missing}'${property?.title ? ` (${property.title})` : ''}`,
        fix: sample !== undefined ? `add ${missing}: ${flow(sample)}` : `add ${missing}: — see docs/PLAN.md`,
        missing,
      };
    }
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = Object.keys(parent.properties ?? {});
      if (underCredential(path) && /secret$|password|^key$|^value$/i.test(key)) {
        return {
          path: [...path, key],
          message: `unknown field '${key}': a plan never holds secrets`,
          fix: 'put the secret in an environment variable (secretEnv: NAME) or a file (secretFile: PATH) that only the worker can read, and delete it from this file',
        };
      }
      if (underCredential(path) && !/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key)) {
        // Not the shape of a field name: perhaps a secret pasted as a key. Not echoed, not even in the field.
        return {
          path,
          message: 'unknown field (its name is not shown: under a credential it may be a secret)',
          fix: `remove it; allowed here: ${allowed.join(', ')}`,
        };
      }
      const meant = closest(key, allowed);
      return {
        path: [...path, key],
        message: `unknown field '${key}'`,
        fix: meant ? `did you mean '${meant}'?` : `remove it; allowed here: ${allowed.join(', ')}`,
        ...(meant ? { meant } : {}),
      };
    }
    case 'type': {
      const expected = String(params.type);
      if (value === null)
        return { path, message: `'${name}' has no value`, fix: `give it a value (${eg}) or remove the line` };
      if (expected === 'array' && !Array.isArray(value) && typeof value !== 'object') {
        return {
          path,
          message: `'${name}' must be a list${got}`,
          fix: underCredential(path) ? 'write it as a list' : `write it as a list: [${scalarText(value)}]`,
        };
      }
      if (expected === 'object' && parent.required?.includes('name') && typeof value === 'string') {
        return {
          path,
          message: `'${name}' must be a mapping${got}`,
          fix: `write it as a mapping: { name: ${String(value)} }`,
        };
      }
      if ((expected === 'integer' || expected === 'number') && typeof value === 'string' && /^\d+$/.test(value))
        return {
          path,
          message: `'${name}' must be ${article(expected)}${got}`,
          fix: `write ${name}: ${value} without quotes`,
        };
      return { path, message: `'${name}' must be ${article(expected)}${got}`, fix: eg };
    }
    case 'const':
      return {
        path,
        message: `'${name}' must be ${flow(params.allowedValue)}${got}`,
        fix: `use ${flow(params.allowedValue)}`,
      };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const near = typeof value === 'string' ? closest(value, allowed) : undefined;
      const list = allowed.length > 8 ? `${allowed.slice(0, 8).join(', ')}, …` : allowed.join(', ');
      return { path, message: `'${name}' must be one of ${list}${got}`, fix: near ? `use '${near}'` : eg };
    }
    case 'minItems':
      return {
        path,
        message: `'${name}' needs at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`,
        fix: eg,
      };
    case 'minLength':
      return { path, message: `'${name}' must not be empty`, fix: eg };
    case 'minimum':
    case 'maximum':
      return { path, message: `'${name}' must be ${String(params.comparison)} ${String(params.limit)}${got}`, fix: eg };
    case 'pattern':
      return {
        path,
        message: `'${name}' is not in the expected format${parent.title ? ` (${parent.title})` : ''}${got}`,
        fix: eg,
      };
    case 'oneOf':
    case 'anyOf':
      return parent[HELP_KEYWORD]
        ? { path, ...parent[HELP_KEYWORD] }
        : { path, message: `'${name}' does not match any allowed form${got}`, fix: eg };
    case 'discriminator': {
      const tag = String(params.tag);
      const tagValue = params.tagValue;
      const near = typeof tagValue === 'string' ? closest(tagValue, CREDENTIAL_TYPES) : undefined;
      return {
        path: params.error === 'mapping' ? [...path, tag] : path,
        message:
          params.error === 'mapping'
            ? `credential type must be ${CREDENTIAL_TYPES.join(', ')}`
            : `credential needs a '${tag}': ${CREDENTIAL_TYPES.join(', ')}`,
        fix: near ? `use '${near}'` : `add ${tag}: clientSecret (with clientId and secretEnv) — see docs/PLAN.md`,
        ...(params.error === 'mapping' ? {} : { explains: formatPath([...path, tag]) }),
      };
    }
    default:
      return { path, message: `'${name}' ${e.message ?? 'is invalid'}`, fix: eg };
  }
}

// ---- Settling, positions --------------------------------------------------------------------------

function settle(found: Located[]): Located[] {
  const ruled = new Set(found.filter((f) => !f.fromSchema && f.severity === 'error').map((f) => formatPath(f.path)));
  // A value of the wrong type fails its enum, pattern or range too: one mistake, one message.
  const wrongType = new Set(found.filter((f) => f.wrongType).map((f) => formatPath(f.path)));
  const meant = new Set([
    ...found.filter((f) => f.meant).map((f) => formatPath([...f.path.slice(0, -1), f.meant as string])),
    ...found.flatMap((f) => (f.explains ? [f.explains] : [])),
  ]);
  const seen = new Set<string>();
  return found.filter((f) => {
    const at = formatPath(f.path);
    if (f.fromSchema && ruled.has(at)) return false;
    if (f.fromSchema && !f.wrongType && wrongType.has(at)) return false;
    if (f.missing && meant.has(at)) return false;
    const key = `${f.severity}|${at}|${f.offset ?? ''}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function toIssue(f: Located, doc: Document | undefined, lineCounter: LineCounter, file: string): PlanIssue {
  const field = formatPath(f.path) || 'plan';
  const base = { severity: f.severity, file, field, message: f.message, fix: f.fix };
  const { line, col } = lineCounter.linePos(f.offset ?? (doc ? locate(doc, f.path) : 0));
  return { ...base, line, column: col };
}

/**
 * One message per place: a value written once under an anchor (&name) and used through aliases
 * is one defect, though the rules meet it at every alias. Positions follow aliases to the anchor,
 * so such findings coincide here; the first (in document order, the anchor's own) is kept.
 */
function dedupe(issues: PlanIssue[]): PlanIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.severity}|${i.line}|${i.column}|${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Offset of the deepest node on `path` that exists: the key of a mapping entry (so that the
 * position reads `name: value` from its start), or the start of a list item.
 */
function locate(doc: Document, path: PathSegment[]): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const seg of path) {
    // Through an alias to the anchored value: that is where the text to fix is.
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      // The last of duplicate keys, as that is the value YAML keeps.
      const pair = [...node.items]
        .reverse()
        .find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      const start = rangeStart(item);
      if (start === undefined) break;
      offset = start;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

// ---- Values -------------------------------------------------------------------------------------

function toPath(data: unknown, pointer: string): PathSegment[] {
  if (pointer === '') return [];
  const path: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: PathSegment = Array.isArray(node) ? Number(seg) : seg;
    path.push(key);
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(key)] : undefined;
  }
  return path;
}

function valueAt(data: unknown, path: PathSegment[]): unknown {
  return path.reduce<unknown>(
    (node, seg) =>
      node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[String(seg)] : undefined,
    data,
  );
}

function removeAt(data: unknown, path: PathSegment[]): void {
  const last = path[path.length - 1];
  if (last === undefined) return;
  const parent = valueAt(data, path.slice(0, -1));
  if (Array.isArray(parent) && typeof last === 'number') parent[last] = undefined;
  else if (parent !== null && typeof parent === 'object') delete (parent as Record<string, unknown>)[String(last)];
}

function show(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return scalarText(value);
}

/** A YAML scalar (number, boolean, bigint) as text; containers are described, not dumped. */
function scalarText(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || typeof value === 'string')
    return String(value);
  return JSON.stringify(value) ?? typeof value;
}

function article(type: string): string {
  const word = { object: 'mapping', array: 'list', integer: 'whole number' }[type] ?? type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** A value in YAML flow style, for fixes: `{ type: clientSecret, clientId: … }`, `[a, b]`. */
function flow(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flow).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    return `{ ${Object.entries(value)
      .map(([k, v]) => `${k}: ${flow(v)}`)
      .join(', ')} }`;
  }
  return String(value);
}

// ---- Output -------------------------------------------------------------------------------------

/** Renders findings for a terminal: `file:line:col field: message` and an indented fix. */
export function formatPlanErrors(issues: readonly PlanIssue[]): string {
  return issues
    .map((i) => {
      // Line 0 is the file as a whole (unreadable, empty): no position, no field.
      const where = i.line > 0 ? `${i.file}:${i.line}:${i.column} ${i.field}:` : `${i.file}:`;
      const kind = i.severity === 'warning' ? 'warning: ' : '';
      return `${where} ${kind}${i.message}\n  fix: ${i.fix}`;
    })
    .join('\n');
}
