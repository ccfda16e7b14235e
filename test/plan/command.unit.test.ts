// `asrflow plan validate`, run in-process through commander: exit codes, human and JSON output,
// and the promise that no secret value is ever printed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes';
import { registerPlanCommands } from '../../src/cli/plan-commands';
import { DEDICATED, FAKE_ENV, MANY_ERRORS, MULTI, ROOT, edit, lineOf, read } from './helpers';

async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = '';
  let err = '';
  const program = new Command('asrflow')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (err += s) });
  registerPlanCommands(program);
  let code = 0;
  try {
    await program.parseAsync(['plan', 'validate', ...args], { from: 'user' });
  } catch (error) {
    if (error instanceof ExitCode) code = error.code;
    else if (error instanceof CommanderError) code = error.exitCode;
    else throw error;
  }
  return { out, err, code };
}

const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-plan-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (file: string): string => path.join(ROOT, file);

beforeEach(() => {
  for (const [name, value] of Object.entries(FAKE_ENV)) vi.stubEnv(name, value);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('asrflow plan validate', () => {
  it('exits 0 for a valid plan and prints warnings and a summary', async () => {
    const multi = await run(at(MULTI));
    expect(multi.code).toBe(0);
    expect(multi.out).toContain(
      `${at(MULTI)}:${lineOf(read(MULTI), 'vmmServer:')}:3 provider.vmmServer: warning: multitenant-vmm shares one VMM server`,
    );
    expect(multi.out.trimEnd().split('\n').at(-1)).toBe('plan OK: 2 tenants, 5 VMs, 1 warning');

    const dedicated = await run(at(DEDICATED));
    expect(dedicated).toEqual({ out: 'plan OK: 1 tenant, 2 VMs\n', err: '', code: 0 });
  });

  it('exits 2 and lists every error with position, field, message and fix', async () => {
    const { out, code } = await run(at(MANY_ERRORS));
    expect(code).toBe(2);
    const text = read(MANY_ERRORS);
    expect(out).toContain(
      `${at(MANY_ERRORS)}:${lineOf(text, 'name: Contoso-DR')}:7 tenants[0].storageAccount.name: storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'\n  fix: use e.g. 'contosodr'\n`,
    );
    expect(out.match(/^ {2}fix: /gm)).toHaveLength(7);
    expect(out.trimEnd().split('\n').at(-1)).toBe('plan invalid: 6 errors, 1 warning');
  });

  it('--json prints a machine-readable result', async () => {
    const bad = await run('--json', at(MANY_ERRORS));
    expect(bad.code).toBe(2);
    const result = JSON.parse(bad.out) as {
      ok: boolean;
      summary: object;
      errors: Array<Record<string, unknown>>;
      warnings: unknown[];
      plan?: unknown;
    };
    expect(result.ok).toBe(false);
    expect(result.summary).toEqual({ errors: 6, warnings: 1 });
    expect(result.plan).toBeUndefined();
    expect(result.errors[1]).toEqual({
      severity: 'error',
      file: at(MANY_ERRORS),
      line: lineOf(read(MANY_ERRORS), 'name: Contoso-DR'),
      column: 7,
      field: 'tenants[0].storageAccount.name',
      message: "storage account name must be 3–24 lowercase letters and digits: got 'Contoso-DR'",
      fix: "use e.g. 'contosodr'",
    });

    const good = await run('--json', at(DEDICATED));
    expect(good.code).toBe(0);
    const ok = JSON.parse(good.out) as { ok: boolean; summary: object; plan: { tenants: Array<{ name: string }> } };
    expect(ok.ok).toBe(true);
    expect(ok.summary).toEqual({ tenants: 1, vms: 2, allVmTenants: 0, errors: 0, warnings: 0 });
    expect(ok.plan.tenants[0]?.name).toBe('litware');
  });

  it('exits 2 with a clear message naming the path of a missing file', async () => {
    const missing = path.join(dir, 'no-such-plan.yaml');
    const human = await run(missing);
    expect(human.code).toBe(2);
    expect(human.out).toContain(`${missing}: cannot read plan file '${missing}': no such file`);
    const json = await run('--json', missing);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.out) as { errors: Array<{ message: string }> }).errors[0]?.message).toBe(
      `cannot read plan file '${missing}': no such file`,
    );
  });

  it('exits 2 with a positioned error, not an exception, for hostile or broken YAML', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]']
      .concat(
        Array.from(
          { length: 8 },
          (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`,
        ),
      )
      .join('\n');
    const plans: Record<string, string | Buffer> = {
      'bomb.yaml': `${bomb}\n`,
      'undefined-alias.yaml': edit(read(DEDICATED), ['region: westeurope', 'region: *region']),
      'deep.yaml': `a: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`,
      'two-documents.yaml': `${read(DEDICATED)}---\n${read(DEDICATED)}`,
      'latin1.yaml': Buffer.from(edit(read(DEDICATED), ['region: westeurope', 'region: westeurop\u00e9']), 'latin1'),
      'huge.yaml': `# ${'x'.repeat(2 * 1024 * 1024)}\n`,
    };
    for (const [name, content] of Object.entries(plans)) {
      const file = path.join(dir, name);
      writeFileSync(file, content);
      const { out, err, code } = await run(file);
      expect(code, name).toBe(2);
      expect(out, name).toMatch(
        new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ \\S+: .+\\n {2}fix: .+\\n`),
      );
      expect(out.trimEnd().split('\n').at(-1), name).toBe('plan invalid: 1 error');
      expect(`${out}${err}`, name).not.toMatch(/^\s+at /m);
    }
  });

  it('fails on unresolvable credentials unless told not to check them', async () => {
    vi.stubEnv('ASRFLOW_SECRET_LITWARE', undefined);
    const checked = await run(at(DEDICATED));
    expect(checked.code).toBe(2);
    expect(checked.out).toContain(
      'environment variable ASRFLOW_SECRET_LITWARE (client secret for tenant litware) is not set',
    );
    const unchecked = await run('--no-check-credentials', at(DEDICATED));
    expect(unchecked.code).toBe(0);
  });

  it('never prints a secret value, whatever the plan and output format', async () => {
    const fileSecret = 'file-held-s3cret-Zx8Q';
    const pasted = 'pasted-s3cret-Yy7~Qq';
    writeFileSync(path.join(dir, 'litware.secret'), fileSecret, { mode: 0o600 });
    const plans = {
      'env.yaml': read(MULTI),
      'file.yaml': edit(read(DEDICATED), ['secretEnv: ASRFLOW_SECRET_LITWARE', 'secretFile: litware.secret']),
      'inline.yaml': edit(read(DEDICATED), [
        'secretEnv: ASRFLOW_SECRET_LITWARE',
        `secretEnv: ASRFLOW_SECRET_LITWARE\n      clientSecret: ${pasted}`,
      ]),
      'in-secret-env.yaml': edit(read(DEDICATED), ['secretEnv: ASRFLOW_SECRET_LITWARE', `secretEnv: '${pasted}'`]),
      'in-client-id.yaml': edit(read(DEDICATED), [
        'clientId: e2000000-0000-4000-8000-000000000001',
        `clientId: '${pasted}'`,
      ]),
      'in-secret-file.yaml': edit(read(DEDICATED), ['secretEnv: ASRFLOW_SECRET_LITWARE', `secretFile: 5`]),
      'syntax.yaml': edit(read(DEDICATED), [
        'secretEnv: ASRFLOW_SECRET_LITWARE',
        `secretEnv: ASRFLOW_SECRET_LITWARE\n      ${pasted}: [unclosed`,
      ]),
    };
    const secrets = [...Object.values(FAKE_ENV), fileSecret, pasted];
    let printed = '';
    for (const [name, text] of Object.entries(plans)) {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      for (const args of [[file], ['--json', file]]) {
        const { out, err } = await run(...args);
        printed += out + err;
      }
    }
    expect(printed).toContain('plan OK');
    expect(printed).toContain('plan invalid');
    for (const secret of secrets) expect(printed).not.toContain(secret);
  });
});
