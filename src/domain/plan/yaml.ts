// The YAML layer of the plan check: text → one YAML document → plain data, with every YAML-level
// problem as a finding at its position, and bounds on what a file can make asrflow do (PLAN_LIMITS,
// docs/PLAN.md "Limits"). Nothing here throws for any input:
//   - size and nesting are checked on the token stream, before the document is composed (composing
//     and converting recurse, so a deeply nested file would otherwise exhaust the stack);
//   - aliases are resolved and measured here before the data is built: an alias to an anchor never
//     defined, an alias inside its own anchor (a cycle) and an expansion past the limits ("billion
//     laughs") are findings at the alias, not exceptions from the library;
//   - the library's messages are rewritten where they point at the wrong place or give advice
//     meant for programmers (an unclosed quote, a duplicate key, a second document).
// Pure: no Node built-ins, no I/O.

import {
  type CST,
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  Scalar,
  type YAMLError,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import { PLAN_LIMITS } from './constants';
import { offsetPastBytes } from './text';
import type { PathSegment, Severity } from './types';

export interface YamlFinding {
  severity: Severity;
  path: PathSegment[];
  /** Offset in the text (UTF-16 code units), turned into line and column by the caller. */
  offset: number;
  message: string;
  fix: string;
}

export interface YamlResult {
  /** The (first) document, for positions; absent when the text was not composed at all. */
  doc: Document.Parsed | undefined;
  lineCounter: LineCounter;
  findings: YamlFinding[];
  /** The document as plain data; absent when an error leaves nothing trustworthy to check. */
  data: unknown;
}

const MiB = (bytes: number): string => `${bytes / (1024 * 1024)} MiB`;

/** The finding for a file over the size limit, at the place where it goes past it. */
export function tooLarge(offset: number): YamlFinding {
  return {
    severity: 'error',
    path: [],
    offset,
    message: `the plan file is larger than ${MiB(PLAN_LIMITS.bytes)}, the most asrflow reads: it goes past the limit here`,
    fix: 'split the tenants over several plan files (each one is onboarded on its own)',
  };
}

export function readYaml(text: string): YamlResult {
  const lineCounter = new LineCounter();
  const empty = { doc: undefined, lineCounter, data: undefined };
  const over = offsetPastBytes(text, PLAN_LIMITS.bytes);
  if (over !== undefined) {
    // Not parsed, so the line starts up to the limit are counted here, for the position.
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i !== -1 && i < over; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    return { ...empty, findings: [tooLarge(over)] };
  }

  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const deep = tooDeep(tokens);
  if (deep) return { ...empty, findings: [deep] };

  // As parseDocument does, but keeping the second document to point at it. An empty document
  // after the plan (a trailing '---', perhaps with comments) holds nothing and is not one.
  const composer = new Composer({ uniqueKeys: true, logLevel: 'error', prettyErrors: false });
  const docs: Document.Parsed[] = [];
  for (const d of composer.compose(tokens, true, text.length)) {
    if (docs.length > 0 && isEmptyDocument(d)) continue;
    docs.push(d);
    if (docs.length === 2) break;
  }
  const doc = docs[0] as Document.Parsed;
  const findings: YamlFinding[] = [];
  const second = docs[1];
  if (second) {
    findings.push({
      severity: 'error',
      path: [],
      offset: second.range[0],
      message: 'a second YAML document starts here: a plan file holds exactly one',
      fix: "delete the document marker ('---' or '...') that separates it if it belongs to the plan, or move it to a file of its own",
    });
  }
  findings.push(...syntaxFindings(doc, text, lineCounter));
  for (const w of doc.warnings) {
    findings.push({
      severity: 'warning',
      path: [],
      offset: w.pos[0],
      message: `YAML: ${w.message}`,
      fix: 'check the YAML here',
    });
  }

  // Duplicate keys leave a usable document (the last value wins); other syntax errors do not. Nor
  // does a second document: the plan was probably split in two, and checking the first half
  // would only report what is in the second as missing.
  const fatal = !!second || doc.errors.some((e) => e.code !== 'DUPLICATE_KEY');
  if (fatal) return { doc, lineCounter, findings, data: undefined };

  const aliasFindings = checkAliases(doc);
  findings.push(...aliasFindings);
  if (aliasFindings.length > 0) return { doc, lineCounter, findings, data: undefined };

  let data: unknown;
  try {
    // Aliases were measured above; the library's own alias limit (a different measure) is off.
    data = doc.toJS({ maxAliasCount: -1 });
  } catch (error) {
    findings.push({
      severity: 'error',
      path: [],
      offset: 0,
      message: `the YAML could not be read: ${(error as Error).message}`,
      fix: 'simplify the YAML (plain mappings, lists and values are all a plan needs)',
    });
  }
  return { doc, lineCounter, findings, data };
}

/** A document with no content at all (not even an explicit null), and no errors. */
function isEmptyDocument(d: Document.Parsed): boolean {
  const c = d.contents;
  return d.errors.length === 0 && (c === null || (isScalar(c) && c.value === null && c.range?.[0] === c.range?.[1]));
}

// ---- Nesting, on the token stream ---------------------------------------------------------------

/** The first mapping or list nested deeper than the limit, as a finding; iterative on purpose. */
function tooDeep(tokens: CST.Token[]): YamlFinding | undefined {
  const stack: Array<{ token: CST.Token; depth: number; path: PathSegment[] }> = [];
  for (const token of tokens)
    if (token.type === 'document' && token.value) stack.push({ token: token.value, depth: 0, path: [] });
  while (stack.length > 0) {
    const { token, depth, path } = stack.pop() as (typeof stack)[number];
    if (token.type !== 'block-map' && token.type !== 'block-seq' && token.type !== 'flow-collection') continue;
    if (depth + 1 > PLAN_LIMITS.depth) {
      return {
        severity: 'error',
        path,
        offset: token.offset,
        message: `mappings and lists are nested more than ${PLAN_LIMITS.depth} levels deep here`,
        fix: `a plan needs 7 levels: check the indentation and the brackets (see docs/PLAN.md, Limits)`,
      };
    }
    const isList = token.type === 'block-seq' || (token.type === 'flow-collection' && token.start.source === '[');
    token.items.forEach((item, i) => {
      const name =
        item.key && 'source' in item.key && item.key.type !== 'block-scalar' ? unquote(item.key.source) : undefined;
      const at: PathSegment[] = isList && !item.sep ? [...path, i] : name !== undefined ? [...path, name] : path;
      if (item.value) stack.push({ token: item.value, depth: depth + 1, path: at });
      if (item.key) stack.push({ token: item.key, depth: depth + 1, path });
    });
  }
  return undefined;
}

const unquote = (source: string): string => source.replace(/^(['"])(.*)\1$/s, '$2');

// ---- Syntax errors --------------------------------------------------------------------------------

function syntaxFindings(doc: Document.Parsed, text: string, lines: LineCounter): YamlFinding[] {
  const findings: YamlFinding[] = [];
  // An unclosed quote swallows the rest of the file: the library reports it at the end, and the
  // errors after the opening quote are its consequences. Report it once, where it opens.
  let swallowedFrom = Infinity;
  for (const e of doc.errors) {
    if (e.code !== 'MISSING_CHAR' || !/quote/.test(e.message)) continue;
    const { scalar, path } = quotedScalarEndingAt(doc, e.pos[0]);
    if (!scalar) continue;
    const start = scalar.range?.[0] ?? e.pos[0];
    swallowedFrom = Math.min(swallowedFrom, start);
    const quote = scalar.type === Scalar.QUOTE_SINGLE ? "'" : '"';
    findings.push({
      severity: 'error',
      path,
      offset: start,
      message: `the ${quote}-quoted value that starts here is never closed: YAML reads the rest of the file into it`,
      fix: `end the value with ${quote} on the same line${quote === "'" ? " (write '' for a ' inside it)" : ' (write \\" for a " inside it)'}`,
    });
  }
  // An unclosed [ or { is reported by the library where the next line starts, and what is left
  // of that line gives more errors. Report it once, where it opens; the rest of that line is its
  // consequence.
  const consequences: Array<[number, number]> = [];
  for (const e of doc.errors) {
    const m = /^Flow (sequence|map) in block collection/.exec(e.message);
    if (e.code !== 'BAD_INDENT' || !m) continue;
    const { node, path } = flowCollectionEndingAt(doc, e.pos[0]);
    if (!node) continue;
    const start = node.range?.[0] ?? e.pos[0];
    const lineEnd = text.indexOf('\n', e.pos[0]);
    consequences.push([start, lineEnd === -1 ? text.length : lineEnd]);
    const [open, close, what] = m[1] === 'sequence' ? ['[', ']', 'list'] : ['{', '}', 'mapping'];
    findings.push({
      severity: 'error',
      path,
      offset: start,
      message: `the ${what} opened with ${open} here is not closed with ${close} before the next line`,
      fix: `end it with ${close} on the same line (a ${what} continued on more lines must indent them more than its key)`,
    });
  }
  for (const e of doc.errors) {
    if (e.pos[0] >= swallowedFrom) continue;
    if (consequences.some(([from, to]) => e.pos[0] >= from && e.pos[0] <= to)) continue;
    if (e.code === 'DUPLICATE_KEY') findings.push(duplicateKey(doc, e, lines));
    else {
      const path = pathAt(doc, e.pos[0]);
      // "Contoso: Cloud" as a value reads as a nested mapping: the field is the one holding it.
      findings.push({ ...syntaxError(e, text), path: e.code === 'BLOCK_AS_IMPLICIT_KEY' ? path.slice(0, -1) : path });
    }
  }
  return findings;
}

function flowCollectionEndingAt(doc: Document.Parsed, end: number): { node?: YAMLMap | YAMLSeq; path: PathSegment[] } {
  let found: { node?: YAMLMap | YAMLSeq; path: PathSegment[] } = { path: [] };
  walk(doc.contents, [], (node, path) => {
    if ((isMap(node) || isSeq(node)) && node.flow && node.range?.[1] === end) found = { node, path: shown(path) };
  });
  return found;
}

function syntaxError(e: YAMLError, text: string): YamlFinding {
  const near = text.slice(e.pos[0], e.pos[0] + 1);
  const hint =
    e.code === 'TAB_AS_INDENT'
      ? 'indent with spaces, not tabs'
      : near === '\t'
        ? 'replace the tab with spaces'
        : e.code === 'BLOCK_AS_IMPLICIT_KEY'
          ? "quote a value that contains ': ' (e.g. 'Contoso: Cloud'), or put a nested mapping on its own lines"
          : 'fix the YAML syntax here (indentation, colons, quotes, brackets)';
  return { severity: 'error', path: [], offset: e.pos[0], message: `YAML syntax error: ${e.message}`, fix: hint };
}

function quotedScalarEndingAt(doc: Document.Parsed, end: number): { scalar?: Scalar; path: PathSegment[] } {
  let found: { scalar?: Scalar; path: PathSegment[] } = { path: [] };
  walk(doc.contents, [], (node, path) => {
    if (
      isScalar(node) &&
      (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) &&
      node.range?.[1] === end
    )
      found = { scalar: node, path };
  });
  return found;
}

/** "key 'region' is set twice", naming the first occurrence; at the second, which YAML keeps. */
function duplicateKey(doc: Document.Parsed, e: YAMLError, lines: LineCounter): YamlFinding {
  let finding: YamlFinding | undefined;
  walk(doc.contents, [], (node, path) => {
    if (finding || !isMap(node)) return;
    const dup = node.items.find((p) => rangeOf(p.key)?.[0] === e.pos[0]);
    if (!dup) return;
    const name = keyText(dup.key);
    const first = node.items.find((p) => p !== dup && keyText(p.key) === name);
    const firstAt = rangeOf(first?.key)?.[0];
    const where =
      firstAt !== undefined
        ? ` (first at line ${lines.linePos(firstAt).line}, column ${lines.linePos(firstAt).col})`
        : '';
    // Under a credential nothing is echoed, not even a key: it may be a secret pasted there.
    const secret = path.includes('credential');
    const shown = secret ? 'a key' : `key '${name}'`;
    finding = {
      severity: 'error',
      path: secret ? path : [...path, name],
      offset: e.pos[0],
      message: `${shown} is set twice in the same mapping${where}`,
      fix: `keep one of the two: YAML would silently use this last one`,
    };
  });
  return (
    finding ?? {
      severity: 'error',
      path: [],
      offset: e.pos[0],
      message: 'a key is set twice in the same mapping',
      fix: 'keep one of the two: YAML would silently use the last',
    }
  );
}

// ---- Aliases --------------------------------------------------------------------------------------

interface Measure {
  /** Values in the node with aliases expanded. */
  size: number;
  /** Collections nested in it, itself included. */
  depth: number;
}

/**
 * Resolves every alias the way YAML does (the nearest anchor of that name before it) and measures
 * what expanding it adds. At most one finding per kind, at the first alias that crosses a line.
 */
function checkAliases(doc: Document.Parsed): YamlFinding[] {
  const findings: YamlFinding[] = [];
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  const measured = new Map<Node, Measure>();
  let aliases = 0;
  let added = 0;
  const reported = new Set<string>();
  const report = (kind: string, f: Omit<YamlFinding, 'severity'>): void => {
    if (reported.has(kind)) return;
    reported.add(kind);
    findings.push({ severity: 'error', ...f });
  };

  const measure = (node: unknown, path: PathSegment[], level: number): Measure => {
    if (isAlias(node)) {
      const offset = node.range?.[0] ?? 0;
      aliases += 1;
      if (aliases > PLAN_LIMITS.aliases) {
        report('count', {
          path,
          offset,
          message: `more than ${PLAN_LIMITS.aliases} aliases (*name): this is alias number ${PLAN_LIMITS.aliases + 1}`,
          fix: 'write the values out, or split the plan (see docs/PLAN.md, Limits)',
        });
      }
      const target = anchors.get(node.source);
      if (!target) {
        report(`undefined:${offset}`, {
          path,
          offset,
          message: `alias *${node.source} refers to no anchor: &${node.source} is not defined before it`,
          fix: `put &${node.source} on the value to repeat, above this line, or write the value here`,
        });
        return { size: 1, depth: 0 };
      }
      if (open.has(target)) {
        report(`cycle:${offset}`, {
          path,
          offset,
          message: `alias *${node.source} is inside the value anchored &${node.source}: it would contain itself forever`,
          fix: `remove *${node.source} here, or anchor a value that does not contain it`,
        });
        return { size: 1, depth: 0 };
      }
      const m = measured.get(target) ?? { size: 1, depth: 0 };
      added += m.size - 1;
      if (added > PLAN_LIMITS.aliasExpansion) {
        report('expansion', {
          path,
          offset,
          message: `aliases expand the plan by more than ${PLAN_LIMITS.aliasExpansion.toLocaleString('en-US')} values (this *${node.source} alone adds ${formatCount(m.size - 1)}): nested aliases multiply ("billion laughs")`,
          fix: 'write the values out, or repeat small values only (see docs/PLAN.md, Limits)',
        });
      }
      if (level + m.depth > PLAN_LIMITS.depth) {
        report('depth', {
          path,
          offset,
          message: `with this alias expanded, mappings and lists are nested more than ${PLAN_LIMITS.depth} levels deep`,
          fix: 'write the values out, or alias shallower values (see docs/PLAN.md, Limits)',
        });
      }
      return m;
    }
    const anchor = (node as { anchor?: string } | null)?.anchor;
    if (anchor) {
      anchors.set(anchor, node as Node);
      open.add(node as Node);
    }
    let m: Measure = { size: 1, depth: 0 };
    if (isMap(node) || isSeq(node)) {
      let size = 1;
      let depth = 0;
      node.items.forEach((item: unknown, i: number) => {
        const parts = isPair(item) ? [item.key, item.value] : [item];
        const at: PathSegment[] = isPair(item) ? [...path, keyText(item.key)] : [...path, i];
        for (const part of parts) {
          if (part === null || part === undefined) continue;
          const c = measure(part, at, level + 1);
          size += c.size;
          depth = Math.max(depth, c.depth);
        }
      });
      m = { size, depth: depth + 1 };
    }
    if (anchor) {
      open.delete(node as Node);
      measured.set(node as Node, m);
    }
    return m;
  };
  measure(doc.contents, [], 0);
  return findings;
}

function formatCount(n: number): string {
  return n >= 1e6 ? `about ${Number(n.toPrecision(2)).toLocaleString('en-US')}` : n.toLocaleString('en-US');
}

// ---- Nodes ------------------------------------------------------------------------------------------

const CREDENTIAL_FIELDS = new Set([
  'type',
  'clientId',
  'secretEnv',
  'secretFile',
  'certificateFile',
  'certificatePasswordEnv',
]);

/**
 * A path as it may be printed: under a credential only its known fields are named, as any other
 * key there may be a secret pasted by mistake.
 */
function shown(path: PathSegment[]): PathSegment[] {
  const at = path.indexOf('credential');
  if (at === -1 || at === path.length - 1) return path;
  const next = path[at + 1];
  return typeof next === 'string' && CREDENTIAL_FIELDS.has(next) ? path.slice(0, at + 2) : path.slice(0, at + 1);
}

/** The path of the deepest entry whose key or value holds the text offset `at` ([] for none). */
export function pathAt(doc: Document.Parsed, at: number): PathSegment[] {
  let found: PathSegment[] = [];
  const holds = (node: unknown): boolean => {
    const r = rangeOf(node);
    return r !== undefined && r[0] <= at && at < Math.max(r[1], r[0] + 1);
  };
  walk(doc.contents, [], (node, path) => {
    if (isMap(node)) {
      for (const pair of node.items) if (holds(pair.key)) found = [...path, keyText(pair.key)];
    } else if (path.length >= found.length && holds(node)) {
      found = path;
    }
  });
  return shown(found);
}

/** Document-order walk over mappings, lists and their entries (aliases are not followed). */
function walk(node: unknown, path: PathSegment[], visit: (node: unknown, path: PathSegment[]) => void): void {
  if (node === null || node === undefined) return;
  visit(node, path);
  if (isMap(node)) {
    for (const pair of node.items) {
      walk(pair.key, path, visit);
      walk(pair.value, [...path, keyText(pair.key)], visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], visit));
  }
}

function keyText(key: unknown): string {
  if (isScalar(key)) return String(key.value);
  if (isAlias(key)) return `*${key.source}`;
  return String(key);
}

function rangeOf(node: unknown): [number, number, number] | undefined {
  return (node as { range?: [number, number, number] } | null)?.range ?? undefined;
}
