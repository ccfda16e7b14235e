// Credential references must resolve on this machine: variables set and non-empty, files present
// and readable. Checked through loadPlan with real temporary files, and through a fake file
// system for the states a test cannot create as any user (unreadable).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCredentialReferences } from '../../src/domain/plan/credentials';
import { loadPlan, PlanError, validatePlanFile } from '../../src/domain/plan/load';
import { DEDICATED, FAKE_ENV, edit, lineOf, read, validate } from './helpers';

const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-plan-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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

  it('accepts a readable secret file relative to the plan, and hands the worker an absolute path', () => {
    writeFileSync(path.join(dir, 'litware.secret'), 'file-s3cret-value\n', { mode: 0o600 });
    const file = writePlan('secret-file.yaml', edit(read(DEDICATED), secretFileCredential('litware.secret')));
    const { plan } = loadPlan(file, { env: {} });
    expect(plan.tenants[0]?.credential).toEqual({
      type: 'clientSecret',
      clientId: 'e2000000-0000-4000-8000-000000000001',
      secretFile: path.join(dir, 'litware.secret'),
    });
    expect(plan.tenants[0]?.vault.credential).toEqual(plan.tenants[0]?.credential);
  });

  it('reports a missing secret file and a directory in its place', () => {
    mkdirSync(path.join(dir, 'a-directory'), { recursive: true });
    const missing = writePlan('missing.yaml', edit(read(DEDICATED), secretFileCredential('nope.secret')));
    const notAFile = writePlan('directory.yaml', edit(read(DEDICATED), secretFileCredential('a-directory')));
    expect(validatePlanFile(missing, { env: {} }).errors.map((e) => [e.field, e.message])).toEqual([
      ['tenants[0].credential.secretFile', "client secret file 'nope.secret' for tenant litware does not exist"],
    ]);
    expect(validatePlanFile(notAFile, { env: {} }).errors.map((e) => e.message)).toEqual([
      "client secret file 'a-directory' for tenant litware is not a file",
    ]);
  });

  it('checks certificate files and their password variable', () => {
    const text = edit(read(DEDICATED), [
      'type: clientSecret\n      clientId: e2000000-0000-4000-8000-000000000001\n      secretEnv: ASRFLOW_SECRET_LITWARE',
      'type: clientCertificate\n      clientId: e2000000-0000-4000-8000-000000000001\n      certificateFile: /etc/asrflow/litware.pem\n      certificatePasswordEnv: LITWARE_PEM_PASSWORD',
    ]);
    const { errors } = validate(text, 'p.yaml', {}, { fileState: () => 'unreadable' });
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
      { fileState: () => 'readable' },
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
