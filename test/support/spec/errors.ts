/** Turns Ajv errors into one line each: JSON pointer into the body, what was expected, what was there. */
import { type ErrorObject } from 'ajv';
import { discriminatorBase } from './schema';

const MAX_VALUE = 80;
const MAX_ALLOWED = 20;

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? typeof value;
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

const escapeToken = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');

function at(body: unknown, pointer: string): unknown {
  let node = body;
  for (const token of pointer.split('/').slice(1)) {
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node;
}

const listed = (values: readonly unknown[]): string =>
  values
    .slice(0, MAX_ALLOWED)
    .map((v) => JSON.stringify(v))
    .join(', ') + (values.length > MAX_ALLOWED ? `, … (${values.length} values)` : '');

export function formatErrors(errors: readonly ErrorObject[] | null | undefined, body: unknown): string[] {
  const lines = new Set<string>();
  for (const error of errors ?? []) {
    // if/then/else only says "a branch failed"; the branch's own errors are reported beside it.
    if (error.keyword === 'if') continue;
    const params = error.params as Record<string, unknown>;
    let pointer = error.instancePath;
    let expected: string;
    switch (error.keyword) {
      case 'required':
        pointer = `${pointer}/${escapeToken(String(params.missingProperty))}`;
        expected = 'required property is missing';
        break;
      case 'enum': {
        const base = discriminatorBase(error.parentSchema);
        const allowed = listed((params.allowedValues as unknown[] | undefined) ?? []);
        expected =
          base !== undefined
            ? `unknown discriminator value for ${base}: expected one of ${allowed}`
            : `must be one of ${allowed}`;
        break;
      }
      case 'additionalProperties':
        pointer = `${pointer}/${escapeToken(String(params.additionalProperty))}`;
        expected = 'property is not allowed here (additionalProperties: false)';
        break;
      default:
        expected = error.message ?? error.keyword;
    }
    const value = error.keyword === 'required' ? '' : `, got ${show(at(body, pointer))}`;
    lines.add(`${pointer === '' ? '(body)' : pointer}: ${expected}${value}`);
  }
  return [...lines];
}
