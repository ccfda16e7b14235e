// The YAML layer: features used as weapons or by mistake (alias bombs, undefined aliases, deep
// nesting, huge files, stray bytes, unclosed quotes, duplicate keys, several documents) are each
// one plan error at the place to fix, with the field and a fix, and never an exception.
import { describe, expect, it } from 'vitest';
import { PLAN_LIMITS } from '../../src/domain/plan/constants';
import { formatPlanErrors, parsePlan, parsePlanBytes, type ParseResult } from '../../src/domain/plan/parse';
import { MULTI, columnOf, edit, lineOf, read } from './helpers';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The single error of a result as `line:column field: message` plus its fix. */
function single(result: ParseResult): { at: string; message: string; fix: string } {
  expect(formatPlanErrors(result.errors).match(/^p\.yaml:\d+:\d+ \S+: .+\n {2}fix: .+$/)).not.toBeNull();
  const [e] = result.errors;
  expect(result.plan).toBeUndefined();
  return { at: `${e!.line}:${e!.column} ${e!.field}`, message: e!.message, fix: e!.fix };
}

/** `levels` nested lists of `width` aliases each: width^levels values from a few lines. */
function laughs(levels: number, width = 9): string {
  const lines = [`l0: &l0 [${Array(width).fill('lol').join(', ')}]`];
  for (let i = 1; i <= levels; i++)
    lines.push(
      `l${i}: &l${i} [${Array(width)
        .fill(`*l${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

describe('YAML limits and hostile YAML', () => {
  it('refuses alias expansion past the limit at the alias that crosses it, fast', () => {
    for (const levels of [4, 6, 9]) {
      const text = laughs(levels);
      const started = Date.now();
      const e = single(parsePlan(text, 'p.yaml'));
      expect(Date.now() - started).toBeLessThan(2000);
      expect(e.message).toMatch(
        new RegExp(
          `^aliases expand the plan by more than ${PLAN_LIMITS.aliasExpansion.toLocaleString('en-US')} values \\(this \\*l\\d alone adds [\\d,]+\\): nested aliases multiply`,
        ),
      );
      expect(e.fix).toContain('docs/PLAN.md, Limits');
      // At the first alias of the level whose expansion goes past the limit.
      const [line] = e.at.split(':').map(Number);
      expect(text.split('\n')[line! - 1]).toMatch(/^l\d+: &l\d+ \[\*l\d+/);
    }
  });

  it('accepts aliases that stay within the limits (anchors are ordinary YAML)', () => {
    const text = edit(
      read(MULTI),
      ['  policy:', '  policy: &shared'],
      ['replicationInterval: 30', 'replicationInterval: 30'],
    );
    expect(parsePlan(text, 'p.yaml').errors).toEqual([]);
    const aliased = laughs(2, 9); // 9 + 81 + 729 values: within the limit, not a plan
    expect(parsePlan(aliased, 'p.yaml').errors.some((e) => /aliases/.test(e.message))).toBe(false);
  });

  it('refuses more aliases than the limit, at the first one too many', () => {
    const text = `a: &a x\nb: [${Array(PLAN_LIMITS.aliases + 1)
      .fill('*a')
      .join(', ')}]\n`;
    const e = single(parsePlan(text, 'p.yaml'));
    expect(e.message).toBe(
      `more than ${PLAN_LIMITS.aliases} aliases (*name): this is alias number ${PLAN_LIMITS.aliases + 1}`,
    );
    expect(e.at).toBe(`2:${5 + 4 * PLAN_LIMITS.aliases} b[${PLAN_LIMITS.aliases}]`);
  });

  it('reports an alias to an anchor never defined (or defined after it) at the alias', () => {
    for (const [text, needle] of [
      ['version: 1\nscenario: *nope\ntenants: []\n', '*nope'],
      ['version: 1\nscenario: *later\ntenants: [&later x]\n', '*later'],
    ] as const) {
      const name = needle.slice(1);
      const e = single(parsePlan(text, 'p.yaml'));
      expect(e).toEqual({
        at: `${lineOf(text, needle)}:${columnOf(text, needle)} scenario`,
        message: `alias *${name} refers to no anchor: &${name} is not defined before it`,
        fix: `put &${name} on the value to repeat, above this line, or write the value here`,
      });
    }
  });

  it('reports an alias inside its own anchor (a cycle) at the alias', () => {
    const text = 'version: 1\nscenario: &loop [a, *loop]\ntenants: []\n';
    expect(single(parsePlan(text, 'p.yaml'))).toMatchObject({
      at: `2:${columnOf(text, '*loop')} scenario[1]`,
      message: 'alias *loop is inside the value anchored &loop: it would contain itself forever',
    });
  });

  it('refuses nesting deeper than the limit, in flow and block style, without exhausting the stack', () => {
    const depth = PLAN_LIMITS.depth;
    const flow = `a: ${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}\n`;
    const block = `${Array.from({ length: depth + 1 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} x\n`;
    const huge = `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    for (const text of [flow, block, huge]) {
      const e = single(parsePlan(text, 'p.yaml'));
      expect(e.message).toBe(`mappings and lists are nested more than ${depth} levels deep here`);
      expect(e.fix).toContain('docs/PLAN.md, Limits');
    }
    expect(single(parsePlan(block, 'p.yaml')).at).toMatch(new RegExp(`^${depth + 1}:${depth + 1} k0\\.k1\\.`));
    // The limit itself is fine (the top-level mapping is one level).
    const ok = `a: ${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}\n`;
    expect(parsePlan(ok, 'p.yaml').errors.some((e) => /nested/.test(e.message))).toBe(false);
  });

  it('refuses a file over the size limit where it crosses the limit, without parsing it', () => {
    const line = `# ${'x'.repeat(98)}\n`; // 101 bytes
    const text = line.repeat(Math.ceil((PLAN_LIMITS.bytes + 1) / line.length));
    for (const result of [parsePlanBytes(bytes(text), 'p.yaml'), parsePlan(text, 'p.yaml')]) {
      const e = single(result);
      const crossing = PLAN_LIMITS.bytes; // 0-based offset of the first byte past the limit
      expect(e.at).toBe(`${Math.floor(crossing / line.length) + 1}:${(crossing % line.length) + 1} plan`);
      expect(e.message).toBe('the plan file is larger than 1 MiB, the most asrflow reads: it goes past the limit here');
    }
  });
});

describe('YAML mistakes', () => {
  it('reports a byte that is not UTF-8 at its line and column, naming it and the field it is in', () => {
    const text = edit(read(MULTI), ['cloud: Contoso-Cloud', 'cloud: Contoso-Cloud-X']);
    const raw = bytes(text);
    const at = text.indexOf('Contoso-Cloud-X') + 'Contoso-Cloud-'.length;
    raw[at] = 0xe9; // é in Latin-1
    expect(single(parsePlanBytes(raw, 'p.yaml'))).toEqual({
      at: `${lineOf(text, 'Contoso-Cloud-X')}:${columnOf(text, 'Contoso-Cloud-X') + 'Contoso-Cloud-'.length} tenants[0].vmm.cloud`,
      message: "byte 0xE9 is not valid UTF-8 (in Latin-1 it would be 'é'): a plan file is UTF-8",
      fix: 'save the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8), or retype the character',
    });
    // Columns count characters: a valid é before the bad byte is one column.
    const mixed = new Uint8Array([...bytes('a: é'), 0x80, 0x0a]);
    expect(single(parsePlanBytes(mixed, 'p.yaml')).at).toBe('1:5 a');
    // Overlong forms and surrogates are not UTF-8 either.
    for (const bad of [
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
    ]) {
      expect(single(parsePlanBytes(new Uint8Array([0x61, 0x3a, 0x20, ...bad]), 'p.yaml')).at).toBe('1:4 a');
    }
  });

  it('names a UTF-16 file as such', () => {
    const utf16 = new Uint8Array([0xff, 0xfe, ...Array.from(bytes('a: 1\n')).flatMap((b) => [b, 0])]);
    expect(single(parsePlanBytes(utf16, 'p.yaml')).message).toBe(
      'the plan file is UTF-16 (it starts with a UTF-16 byte order mark): asrflow reads UTF-8',
    );
  });

  it('accepts a UTF-8 byte order mark and non-ASCII text', () => {
    const text = `\ufeff${edit(read(MULTI), ['scenario: multitenant-vmm', 'scenario: multitenant-vmm # Ünïcødé — ✓'])}`;
    expect(parsePlanBytes(bytes(text), 'p.yaml').errors).toEqual([]);
  });

  it('reports an unclosed quote once, where the quoted value opens', () => {
    for (const quote of ['"', "'"]) {
      const text = edit(read(MULTI), ['cloud: Contoso-Cloud', `cloud: ${quote}Contoso-Cloud`]);
      const e = single(parsePlan(text, 'p.yaml'));
      expect(e.at).toBe(
        `${lineOf(text, `${quote}Contoso-Cloud`)}:${columnOf(text, `${quote}Contoso-Cloud`)} tenants[0].vmm.cloud`,
      );
      expect(e.message).toBe(
        `the ${quote}-quoted value that starts here is never closed: YAML reads the rest of the file into it`,
      );
      expect(e.fix).toMatch(new RegExp(`^end the value with ${quote} on the same line`));
    }
  });

  it('names a duplicate key and its first occurrence, and checks the value YAML keeps', () => {
    const text = edit(read(MULTI), [
      '  vmmServer: vmm01.fabrikam.local',
      '  vmmServer: vmm01.fabrikam.local\n  region: westeurope',
    ]);
    const { errors } = parsePlan(text, 'p.yaml');
    const firstLine = text.slice(0, text.indexOf('  region: westeurope')).split('\n').length;
    const secondLine = lineOf(text, 'vmmServer: vmm01.fabrikam.local') + 1;
    expect(errors.map((e) => [`${e.line}:${e.column} ${e.field}`, e.message, e.fix])).toEqual([
      [
        `${secondLine}:3 provider.region`,
        `key 'region' is set twice in the same mapping (first at line ${firstLine}, column 3)`,
        'keep one of the two: YAML would silently use this last one',
      ],
    ]);
  });

  it('does not echo an unknown or duplicate key under a credential (it may be a pasted secret)', () => {
    const secret = 'Qx8~pasted-s3cret-value';
    const text = edit(read(MULTI), [
      'secretEnv: ASRFLOW_SECRET_FABRIKAM_HOSTING',
      `secretEnv: ASRFLOW_SECRET_FABRIKAM_HOSTING\n    ${secret}: 1\n    ${secret}: 2`,
    ]);
    const printed = formatPlanErrors(parsePlan(text, 'p.yaml').errors);
    expect(printed).toContain('provider.credential: a key is set twice in the same mapping');
    expect(printed).not.toContain(secret);
    const once = edit(read(MULTI), [
      'secretEnv: ASRFLOW_SECRET_FABRIKAM_HOSTING',
      `secretEnv: ASRFLOW_SECRET_FABRIKAM_HOSTING\n    ${secret}: 1`,
    ]);
    const unknown = formatPlanErrors(parsePlan(once, 'p.yaml').errors);
    expect(unknown).toContain('provider.credential: unknown field (its name is not shown');
    expect(unknown).not.toContain(secret);
  });

  it('refuses a second YAML document at its marker, once', () => {
    const plan = read(MULTI);
    for (const marker of ['---', '...\n---']) {
      const text = `${plan}${marker}\n${plan}`;
      const e = single(parsePlan(text, 'p.yaml'));
      expect(e.message).toBe('a second YAML document starts here: a plan file holds exactly one');
      expect(e.at).toBe(`${text.slice(0, text.indexOf('---')).split('\n').length}:1 plan`);
    }
    // A leading '---', or a trailing one with nothing (or only comments) after it, is one document.
    for (const text of [`---\n${plan}`, `${plan}---\n`, `${plan}---\n# end\n---\n`, `${plan}...\n`])
      expect(parsePlan(text, 'p.yaml').errors).toEqual([]);
  });

  it('never throws, whatever the text', () => {
    const plan = read(MULTI);
    const pieces = [
      '&a ',
      '*a',
      '[',
      ']',
      '{',
      '}',
      '"',
      "'",
      '\n',
      ': ',
      '- ',
      '---\n',
      '? ',
      '!x ',
      '<<: ',
      '|',
      '\t',
      '\0',
    ];
    let seed = 7;
    const next = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    for (let k = 0; k < 300; k++) {
      let text = plan;
      for (let j = 0; j < 1 + next(5); j++) {
        const at = next(text.length);
        text = text.slice(0, at) + pieces[next(pieces.length)] + text.slice(at + next(3));
      }
      const { errors, warnings } = parsePlan(text, 'p.yaml');
      for (const i of [...errors, ...warnings]) {
        expect(i.line).toBeGreaterThan(0);
        expect(i.column).toBeGreaterThan(0);
        expect(i.fix).not.toBe('');
      }
    }
  });
});
