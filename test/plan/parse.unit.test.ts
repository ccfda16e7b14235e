// Parsing as a whole: every error at once, YAML-level problems with positions, sorting, and the
// human rendering.
import { describe, expect, it } from 'vitest';
import { formatPlanErrors, parsePlan } from '../../src/domain/plan/parse';
import type { PlanIssue } from '../../src/domain/plan/types';
import { MANY_ERRORS, MULTI, edit, lineOf, read, validate } from './helpers';

describe('parsePlan', () => {
  it('reports all errors of a plan at once, sorted by line, each with field, position and fix', () => {
    const text = read(MANY_ERRORS);
    const { plan, errors, warnings } = validate(text, MANY_ERRORS);
    expect(plan).toBeUndefined();
    expect(errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [
        lineOf(text, 'replicationInterval: 60'),
        'policy.replicationInterval',
        'replication interval must be 30, 300 or 900 seconds: got 60',
      ],
      [
        lineOf(text, 'name: Contoso-DR'),
        'tenants[0].storageAccount.name',
        "storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'",
      ],
      [
        lineOf(text, 'sku: Standard_LRS'),
        'tenants[0].storageAccount.sku',
        "storage account SKU must be geo-redundant (Standard_GRS or Standard_RAGRS): got 'Standard_LRS'",
      ],
      [
        lineOf(text, 'include: [web01, web02, web01]'),
        'tenants[0].vms.include[2]',
        "VM 'web01' is selected twice (also tenants[0].vms.include[0])",
      ],
      [
        lineOf(text, 'region: northeurope'),
        'tenants[1].region',
        "tenant region 'northeurope' differs from the shared vault's region 'westeurope': all resources of one recovery path must be in the same region",
      ],
      [lineOf(text, 'storageAcount:'), 'tenants[1].storageAcount', "unknown field 'storageAcount'"],
    ]);
    expect(errors.every((e) => e.file === MANY_ERRORS && e.column > 0 && e.fix.length > 0)).toBe(true);
    expect(warnings.map((w) => w.field)).toEqual(['provider.vmmServer']);
  });

  it('renders errors as file:line:column field: message, with the fix below', () => {
    const text = edit(read(MULTI), ['name: contosodr', 'name: Contoso-DR']);
    const { errors } = validate(text, 'examples/bad.yaml');
    const line = lineOf(text, 'name: Contoso-DR');
    expect(formatPlanErrors(errors)).toBe(
      `examples/bad.yaml:${line}:7 tenants[0].storageAccount.name: storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'\n  fix: use e.g. 'contosodr'`,
    );
  });

  it('renders warnings and whole-file problems distinctly', () => {
    const issues: PlanIssue[] = [
      { severity: 'warning', file: 'p.yaml', line: 3, column: 1, field: 'scenario', message: 'careful', fix: 'look' },
      {
        severity: 'error',
        file: 'p.yaml',
        line: 0,
        column: 0,
        field: 'plan',
        message: "cannot read plan file 'p.yaml': no such file",
        fix: 'check the path',
      },
    ];
    expect(formatPlanErrors(issues)).toBe(
      "p.yaml:3:1 scenario: warning: careful\n  fix: look\np.yaml: cannot read plan file 'p.yaml': no such file\n  fix: check the path",
    );
  });

  it('reports YAML syntax errors with their position and field', () => {
    const text = 'version: 1\nscenario: dedicated-vmm\ntenants:\n  - name: a\n    region: West: Europe\n';
    const { plan, errors } = parsePlan(text, 'p.yaml');
    expect(plan).toBeUndefined();
    expect(errors).toMatchObject([{ file: 'p.yaml', line: 5, column: 13, field: 'tenants[0].region' }]);
    expect(errors[0]?.message).toBe('YAML syntax error: Nested mappings are not allowed in compact mappings');
    expect(errors[0]?.fix).toBe(
      "quote a value that contains ': ' (e.g. 'Contoso: Cloud'), or put a nested mapping on its own lines",
    );
  });

  it('reports an unclosed [ or { once, where it opens, naming the field', () => {
    for (const [open, what, close] of [
      ['[', 'list', ']'],
      ['{', 'mapping', '}'],
    ] as const) {
      const text = edit(read(MULTI), ['cloud: Contoso-Cloud', `cloud: ${open}Contoso-Cloud`]);
      const { errors } = parsePlan(text, 'p.yaml');
      expect(errors.map((e) => [e.line, e.column, e.field, e.message])).toEqual([
        [
          lineOf(text, `${open}Contoso-Cloud`),
          text.split('\n')[lineOf(text, `${open}Contoso-Cloud`) - 1]!.indexOf(open) + 1,
          'tenants[0].vmm.cloud',
          `the ${what} opened with ${open} here is not closed with ${close} before the next line`,
        ],
      ]);
    }
  });

  it('reports duplicate keys (YAML would silently keep the last) and still checks the rest', () => {
    const base = read(MULTI);
    const text = edit(base, ['name: contosodr', 'name: contosodr\n      name: Contoso-DR']);
    const { errors } = validate(text);
    // The document is still checked, with the value YAML keeps (the last).
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [
        lineOf(text, 'name: Contoso-DR'),
        `key 'name' is set twice in the same mapping (first at line ${lineOf(text, 'name: contosodr')}, column 7)`,
      ],
      [
        lineOf(text, 'name: Contoso-DR'),
        "storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'",
      ],
    ]);
  });

  it('reports an empty file, and a file that is not a mapping', () => {
    expect(parsePlan('', 'p.yaml').errors.map((e) => e.message)).toEqual(['the plan file is empty']);
    expect(parsePlan('# just a comment\n', 'p.yaml').errors.map((e) => e.message)).toEqual(['the plan file is empty']);
    expect(parsePlan('- a\n- b\n', 'p.yaml').errors.map((e) => [e.field, e.message])).toEqual([
      ['plan', "'plan' must be a mapping: got a list"],
    ]);
  });

  it('names missing top-level fields with an example value', () => {
    const { errors } = parsePlan('version: 1\n', 'p.yaml');
    expect(errors.map((e) => [e.line, e.field, e.message, e.fix])).toEqual([
      [1, 'scenario', "missing required field 'scenario' (Scenario)", 'add scenario: multitenant-vmm'],
      [1, 'tenants', "missing required field 'tenants' (Tenants)", 'add tenants: — see docs/PLAN.md'],
    ]);
  });

  it('still runs the rules on the parts that are well formed when others are not', () => {
    // A wrongly typed field (the subscription as a number) must not hide a rule finding elsewhere.
    const text = edit(
      read(MULTI),
      ['subscriptionId: d1000000-0000-4000-8000-000000000001', 'subscriptionId: 42'],
      ['name: contosodr', 'name: Contoso-DR'],
    );
    const { errors } = validate(text);
    expect(errors.map((e) => e.field)).toEqual(['tenants[0].storageAccount.name', 'tenants[1].subscriptionId']);
    expect(errors[1]?.message).toBe("'subscriptionId' must be a string: got 42");
  });

  it('explains a VM entry of the wrong shape once, and checks the other entries', () => {
    const text = edit(read(MULTI), ['include: [app01, app02]', 'include: [42, app_02, { name: app03, size: big }]']);
    const { errors } = validate(text);
    expect(errors.map((e) => [e.field, e.message])).toEqual([
      [
        'tenants[1].vms.include[0]',
        'a VM is a name, or a mapping with name and its settings (azureName, subnet, vmSize, nics, …)',
      ],
      [
        'tenants[1].vms.include[1]',
        "VM 'app_02' cannot keep its name in Azure (1–63 letters, digits and hyphens, starting and ending with a letter or digit)",
      ],
      ['tenants[1].vms.include[2].size', "unknown field 'size'"],
    ]);
  });

  it('returns the plan only when there is no error', () => {
    const ok = validate(read(MULTI));
    expect(ok.errors).toEqual([]);
    expect(ok.plan?.tenants.map((t) => t.name)).toEqual(['contoso', 'northwind']);
  });
});
