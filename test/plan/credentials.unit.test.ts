// Credential references must resolve on this machine: variables set and non-empty, files regular,
// readable and inside an allowed secrets directory (the same rule the worker applies). Checked through loadPlan with real temporary files, and through a fake file
// system for the states a test cannot create as any user (unreadable).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCredentialReferences } from '../../src/domain/plan/credentials';
import { loadPlan, PlanError, validatePlanFile } from '../../src/domain/plan/load';
import { SECRET_FILE_MAX_BYTES, allowedSecretDirs, readSecretFile } from '../../src/domain/plan/secret-files';
import { DEDICATED, FAKE_ENV, edit, lineOf, read, validate } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const secrets = path.join(dir, 'secrets');
mkdirSync(secrets);
const realSecrets = realpathSync(secrets);
/** The environment of asrflow and the worker, with this test's secrets directory allowed. */
const allowSecrets = { ASRFLOW_SECRETS_DIR: secrets };

const secretFileCredential = (file: string) =>
  ['secretEnv: ASRFLOW_SECRET_LITWARE', `secretFile: ${file}`] as [string, string];

function writePlan(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe('credential references', () => {
  it('reports an unset and an empty variable, naming the variable and never a value', () => {
    const text = read(DEDICATED);
    const unset = validate(text, 'p.yaml', {});
    expect(unset.errors.map((e) => [e.field, e.line, e.message])).toEqual([
      [
        'tenants[0].credential.secretEnv',
        lineOf(text, 'secretEnv: ASRFLOW_SECRET_LITWARE'),
        'environment variable ASRFLOW_SECRET_LITWARE (client secret for tenant litware) is not set',
      ],
    ]);
    const empty = validate(text, 'p.yaml', { ASRFLOW_SECRET_LITWARE: '  ' });
    expect(empty.errors.map((e) => e.message)).toEqual([
      'environment variable ASRFLOW_SECRET_LITWARE (client secret for tenant litware) is empty',
    ]);
  });

  it('accepts a readable secret file in the secrets directory, relative to the plan, as an absolute path', () => {
    writeFileSync(path.join(secrets, 'litware.secret'), 'file-s3cret-value\n', { mode: 0o600 });
    const file = writePlan('secret-file.yaml', edit(read(DEDICATED), secretFileCredential('secrets/litware.secret')));
    const { plan, warnings } = loadPlan(file, { env: allowSecrets });
    expect(warnings).toEqual([]);
    expect(plan.tenants[0]?.credential).toEqual({
      type: 'clientSecret',
      clientId: 'e2000000-0000-4000-8000-000000000001',
      secretFile: path.join(secrets, 'litware.secret'),
    });
    expect(plan.tenants[0]?.vault.credential).toEqual(plan.tenants[0]?.credential);
  });
});

describe('credential files: regular files inside an allowed secrets directory', () => {
  const content = 'Zx8Q~the-file-content-s3cret';
  mkdirSync(path.join(secrets, 'a-directory'), { recursive: true });
  writeFileSync(path.join(secrets, 'ok.secret'), content, { mode: 0o600 });
  writeFileSync(path.join(secrets, 'loose.secret'), content, { mode: 0o644 });
  writeFileSync(path.join(dir, 'outside.secret'), content, { mode: 0o600 });
  writeFileSync(path.join(secrets, 'huge.secret'), Buffer.alloc(SECRET_FILE_MAX_BYTES + 1, 0x61), { mode: 0o600 });
  symlinkSync('/proc/self/environ', path.join(secrets, 'environ-link'));
  symlinkSync(path.join(dir, 'outside.secret'), path.join(secrets, 'outside-link'));
  execFileSync('mkfifo', [path.join(secrets, 'a-fifo')]);

  /** The plan's one finding for the secret file, as `line field: message` and its fix. */
  function finding(ref: string, env: Record<string, string | undefined> = allowSecrets) {
    const text = edit(read(DEDICATED), secretFileCredential(ref));
    const result = validatePlanFile(writePlan('file-rule.yaml', text), { env });
    const issues = [...result.errors, ...result.warnings];
    expect(issues).toHaveLength(1);
    const [i] = issues;
    expect(i?.line).toBe(lineOf(text, `secretFile: ${ref}`));
    expect(i?.field).toBe('tenants[0].credential.secretFile');
    expect(JSON.stringify(result)).not.toContain(content);
    return { severity: i?.severity, message: i?.message, fix: i?.fix };
  }
  const owner = 'for tenant litware';
  const allowedFix = `put the file in an allowed secrets directory (${realSecrets}), or set ASRFLOW_SECRETS_DIR for asrflow and the worker to the directory that holds it`;

  it.each([
    ['missing', 'secrets/nope.secret', 'does not exist'],
    ['a directory', 'secrets/a-directory', 'is a directory, not a file'],
    ['a FIFO', 'secrets/a-fifo', 'is not a regular file (a FIFO, socket or device)'],
    ['over 1 MiB', 'secrets/huge.secret', 'is larger than 1 MiB: not a secret or a certificate'],
  ])('refuses a file that is %s', (_, ref, problem) => {
    expect(finding(ref)).toMatchObject({
      severity: 'error',
      message: `client secret file '${ref}' ${owner} ${problem}`,
    });
  });

  it.each(['/proc/self/environ', '/dev/null', '/sys/kernel', 'secrets/environ-link'])(
    'refuses %s (under /proc, /sys or /dev, links resolved), whatever the allowed directories',
    (ref) => {
      expect(finding(ref, { ASRFLOW_SECRETS_DIR: '/' })).toEqual({
        severity: 'error',
        message: `client secret file '${ref}' ${owner} is under /proc, /sys or /dev: never a credential file`,
        fix: 'write the secret into a regular file in an allowed secrets directory (/)',
      });
    },
  );

  it.each(['outside.secret', 'secrets/outside-link', '/etc/hostname'])(
    'refuses %s outside the allowed directories (links resolved)',
    (ref) => {
      expect(finding(ref)).toEqual({
        severity: 'error',
        message: `client secret file '${ref}' ${owner} is outside the allowed secrets directories (${realSecrets})`,
        fix: allowedFix,
      });
    },
  );

  it('allows /run/secrets and .asrflow/secrets (working directory) when ASRFLOW_SECRETS_DIR is not set', () => {
    expect(allowedSecretDirs({}, '/srv/asrflow')).toEqual(['/run/secrets', '/srv/asrflow/.asrflow/secrets']);
    expect(allowedSecretDirs({ ASRFLOW_SECRETS_DIR: `${secrets}${path.delimiter}relative` }, '/srv')).toEqual([
      realSecrets,
      '/srv/relative',
    ]);
    expect(finding('secrets/ok.secret', {}).message).toMatch(
      /is outside the allowed secrets directories \(\/run\/secrets, .*\.asrflow\/secrets\)$/,
    );
  });

  it('warns (without failing) about a file other users can read', () => {
    expect(finding('secrets/loose.secret')).toEqual({
      severity: 'warning',
      message: `client secret file 'secrets/loose.secret' ${owner} can be read by other users (mode 0644)`,
      fix: "chmod 600 'secrets/loose.secret' (or 640 with a group only the worker is in)",
    });
  });

  it('applies the same rule to certificate files', () => {
    const text = edit(read(DEDICATED), [
      'type: clientSecret\n      clientId: e2000000-0000-4000-8000-000000000001\n      secretEnv: ASRFLOW_SECRET_LITWARE',
      'type: clientCertificate\n      clientId: e2000000-0000-4000-8000-000000000001\n      certificateFile: /proc/self/environ',
    ]);
    expect(
      validatePlanFile(writePlan('cert-rule.yaml', text), { env: allowSecrets }).errors.map((e) => e.message),
    ).toEqual([`certificate file '/proc/self/environ' ${owner} is under /proc, /sys or /dev: never a credential file`]);
  });

  it('the worker reads through the same rule, and only allowed regular files', () => {
    expect(readSecretFile(path.join(secrets, 'ok.secret'), allowSecrets).toString('utf8')).toBe(content);
    for (const [file, problem] of [
      ['/proc/self/environ', 'system'],
      [path.join(secrets, 'environ-link'), 'system'],
      [path.join(secrets, 'outside-link'), 'outside'],
      [path.join(secrets, 'a-fifo'), 'special'],
      [path.join(secrets, 'a-directory'), 'not-a-file'],
      [path.join(secrets, 'huge.secret'), 'too-large'],
    ] as const) {
      expect(() => readSecretFile(file, allowSecrets), file).toThrow(
        expect.objectContaining({ name: 'SecretFileError', state: expect.objectContaining({ problem }) }),
      );
    }
  });
});

describe('credential references, continued', () => {
  it('checks certificate files and their password variable', () => {
    const text = edit(read(DEDICATED), [
      'type: clientSecret\n      clientId: e2000000-0000-4000-8000-000000000001\n      secretEnv: ASRFLOW_SECRET_LITWARE',
      'type: clientCertificate\n      clientId: e2000000-0000-4000-8000-000000000001\n      certificateFile: /etc/asrflow/litware.pem\n      certificatePasswordEnv: LITWARE_PEM_PASSWORD',
    ]);
    const { errors } = validate(
      text,
      'p.yaml',
      {},
      { inspect: () => ({ ok: false, problem: 'unreadable', allowed: ['/run/secrets'] }) },
    );
    expect(errors.map((e) => [e.field, e.message])).toEqual([
      [
        'tenants[0].credential.certificateFile',
        "certificate file '/etc/asrflow/litware.pem' for tenant litware is not readable by this user",
      ],
      [
        'tenants[0].credential.certificatePasswordEnv',
        'environment variable LITWARE_PEM_PASSWORD (certificate password for tenant litware) is not set',
      ],
    ]);
  });

  it('both secretEnv and secretFile is one mistake: the file and variable are not checked besides', () => {
    const text = edit(read(DEDICATED), [
      'secretEnv: ASRFLOW_SECRET_LITWARE',
      'secretEnv: ASRFLOW_SECRET_UNSET\n      secretFile: /nonexistent/litware.secret',
    ]);
    const missing = { inspect: () => ({ ok: false as const, problem: 'missing' as const, allowed: ['/run/secrets'] }) };
    expect(validate(text, 'p.yaml', {}, missing).errors.map((e) => `${e.field}: ${e.message}`)).toEqual([
      'tenants[0].credential: a clientSecret credential needs exactly one of secretEnv or secretFile',
    ]);
  });

  it('needs nothing for DefaultAzureCredential', () => {
    const text = edit(read(DEDICATED), [
      'type: clientSecret\n      clientId: e2000000-0000-4000-8000-000000000001\n      secretEnv: ASRFLOW_SECRET_LITWARE',
      'type: default',
    ]);
    const { errors, plan } = validate(text, 'p.yaml', {});
    expect(errors).toEqual([]);
    expect(plan?.tenants[0]?.credential).toEqual({ type: 'default' });
  });

  it('checks the provider too, and can be skipped where only the worker has the secrets', () => {
    const issues = checkCredentialReferences(
      {
        provider: { credential: { type: 'clientSecret', clientId: 'x', secretEnv: 'ASRFLOW_SECRET_FABRIKAM_HOSTING' } },
        tenants: [],
      },
      {},
      { inspect: () => ({ ok: true }) },
    );
    expect(issues).toEqual([
      {
        severity: 'error',
        path: ['provider', 'credential', 'secretEnv'],
        message: 'environment variable ASRFLOW_SECRET_FABRIKAM_HOSTING (client secret for the provider) is not set',
        fix: 'export ASRFLOW_SECRET_FABRIKAM_HOSTING=… in the environment of asrflow and of the worker',
      },
    ]);
    const file = writePlan('unchecked.yaml', read(DEDICATED));
    expect(validatePlanFile(file, { env: {}, checkCredentials: false }).errors).toEqual([]);
    expect(() => loadPlan(file, { env: {} })).toThrow(PlanError);
    expect(loadPlan(file, { env: FAKE_ENV }).plan.tenants).toHaveLength(1);
  });
});
