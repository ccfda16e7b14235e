// The published JSON Schema is what editors see; the TypeScript validation is what asrflow runs.
// These tests keep them together: the file is generated from the code, its object shapes match
// types.ts key by key (checked by the compiler), and a plain draft-07 validator (as an editor
// uses) agrees with `plan validate` on the examples and on a set of bad plans.
import Ajv from 'ajv';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type planSchema, type schemaParts } from '../../src/domain/plan/schema';
import type {
  ClientCertificateCredentialRef,
  ClientSecretCredentialRef,
  DefaultCredentialRef,
  MoreNetworkDocument,
  NetworkDocument,
  RecoveryPlanDocument,
  RecoveryPlanGroupDocument,
  PlanDocument,
  PolicyDocument,
  ProviderDocument,
  StorageAccountDocument,
  SubnetSpec,
  TargetDocument,
  TenantDocument,
  TestFailoverVnetDocument,
  VmDocument,
  VmmDocument,
  VmSelectionDocument,
} from '../../src/domain/plan/types';
import { renderSchema, SCHEMA_FILE } from '../../src/domain/plan/write-schema';
import { DEDICATED, MANY_ERRORS, MULTI, edit, read, validate } from './helpers';

const published = JSON.parse(read(SCHEMA_FILE)) as Record<string, unknown>;
// An editor's view: a standard draft-07 validator that ignores asrflow's annotation keywords.
const editorValidate = new Ajv({ strict: false, allErrors: true }).compile(published);
const schemaAccepts = (text: string): boolean => editorValidate(parseYaml(text));

describe('published JSON Schema', () => {
  it('is up to date with src/domain/plan/schema.ts (regenerate: npx tsx src/domain/plan/write-schema.ts)', () => {
    expect(read(SCHEMA_FILE)).toBe(renderSchema());
  });

  it('identifies itself and helps editors: every field has a description, values have examples', () => {
    expect(published.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(published.$id).toBe('urn:asrflow:schema:plan:v1');
    const undocumented: string[] = [];
    const walk = (node: unknown, at: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
      if (node === null || typeof node !== 'object') return;
      const properties = (node as { properties?: Record<string, Record<string, unknown>> }).properties;
      for (const [key, prop] of Object.entries(properties ?? {})) {
        // The credential `type` discriminators are described by their branch's title and description.
        const isDiscriminator = key === 'type' && 'const' in prop;
        if (!isDiscriminator && !prop.description) undocumented.push(`${at}.${key} (description)`);
        if (!isDiscriminator && prop.type !== 'object' && prop.type !== 'array' && !prop.examples && !prop.const)
          undocumented.push(`${at}.${key} (examples)`);
      }
      for (const [key, value] of Object.entries(node)) walk(value, `${at}.${key}`);
    };
    // The scenario conditions (allOf) restate constraints on fields documented where they are defined.
    walk({ ...published, allOf: undefined }, '');
    expect(undocumented).toEqual([]);
  });

  it('is referenced from the examples by a yaml-language-server modeline that resolves', () => {
    for (const file of [MULTI, DEDICATED, MANY_ERRORS]) {
      const first = read(file).split('\n')[0] ?? '';
      const match = /^# yaml-language-server: \$schema=(.+)$/.exec(first);
      expect(match, file).not.toBeNull();
      const target = `${file.split('/').slice(0, -1).join('/')}/${match?.[1] ?? ''}`;
      expect(read(target)).toBe(read(SCHEMA_FILE));
    }
  });

  it('matches the TypeScript document types key by key (a compile-time check)', () => {
    type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
    type Props<S extends { properties: object }> = keyof S['properties'];
    type Req<S extends { required: readonly string[] }> = S['required'][number];

    expectTypeOf<Props<typeof planSchema>>().toEqualTypeOf<keyof PlanDocument>();
    expectTypeOf<Req<typeof planSchema>>().toEqualTypeOf<RequiredKeys<PlanDocument>>();
    expectTypeOf<Props<typeof schemaParts.tenant>>().toEqualTypeOf<keyof TenantDocument>();
    expectTypeOf<Req<typeof schemaParts.tenant>>().toEqualTypeOf<RequiredKeys<TenantDocument>>();
    expectTypeOf<Props<typeof schemaParts.provider>>().toEqualTypeOf<keyof ProviderDocument>();
    expectTypeOf<Req<typeof schemaParts.provider>>().toEqualTypeOf<RequiredKeys<ProviderDocument>>();
    expectTypeOf<Props<typeof schemaParts.policy>>().toEqualTypeOf<keyof PolicyDocument>();
    expectTypeOf<Props<typeof schemaParts.target>>().toEqualTypeOf<keyof TargetDocument>();
    expectTypeOf<Props<typeof schemaParts.storageAccount>>().toEqualTypeOf<keyof StorageAccountDocument>();
    expectTypeOf<Req<typeof schemaParts.storageAccount>>().toEqualTypeOf<RequiredKeys<StorageAccountDocument>>();
    expectTypeOf<Props<typeof schemaParts.network>>().toEqualTypeOf<keyof NetworkDocument>();
    expectTypeOf<Req<typeof schemaParts.network>>().toEqualTypeOf<RequiredKeys<NetworkDocument>>();
    expectTypeOf<Props<typeof schemaParts.moreNetwork>>().toEqualTypeOf<keyof MoreNetworkDocument>();
    expectTypeOf<Req<typeof schemaParts.moreNetwork>>().toEqualTypeOf<RequiredKeys<MoreNetworkDocument>>();
    expectTypeOf<Props<typeof schemaParts.testFailoverVnet>>().toEqualTypeOf<keyof TestFailoverVnetDocument>();
    expectTypeOf<Req<typeof schemaParts.testFailoverVnet>>().toEqualTypeOf<RequiredKeys<TestFailoverVnetDocument>>();
    expectTypeOf<Props<typeof schemaParts.subnet>>().toEqualTypeOf<keyof SubnetSpec>();
    expectTypeOf<Req<typeof schemaParts.subnet>>().toEqualTypeOf<RequiredKeys<SubnetSpec>>();
    expectTypeOf<Props<typeof schemaParts.vmm>>().toEqualTypeOf<keyof VmmDocument>();
    expectTypeOf<Req<typeof schemaParts.vmm>>().toEqualTypeOf<RequiredKeys<VmmDocument>>();
    expectTypeOf<Props<typeof schemaParts.vm>>().toEqualTypeOf<keyof VmDocument>();
    expectTypeOf<Req<typeof schemaParts.vm>>().toEqualTypeOf<RequiredKeys<VmDocument>>();
    expectTypeOf<Props<typeof schemaParts.vms>>().toEqualTypeOf<keyof VmSelectionDocument>();
    expectTypeOf<Req<typeof schemaParts.vms>>().toEqualTypeOf<RequiredKeys<VmSelectionDocument>>();
    expectTypeOf<Props<typeof schemaParts.recoveryPlan>>().toEqualTypeOf<keyof RecoveryPlanDocument>();
    expectTypeOf<Req<typeof schemaParts.recoveryPlan>>().toEqualTypeOf<RequiredKeys<RecoveryPlanDocument>>();
    expectTypeOf<Props<typeof schemaParts.recoveryPlanGroup>>().toEqualTypeOf<keyof RecoveryPlanGroupDocument>();
    expectTypeOf<Req<typeof schemaParts.recoveryPlanGroup>>().toEqualTypeOf<RequiredKeys<RecoveryPlanGroupDocument>>();
    expectTypeOf<Props<typeof schemaParts.defaultCredential>>().toEqualTypeOf<keyof DefaultCredentialRef>();
    expectTypeOf<Props<typeof schemaParts.clientSecretCredential>>().toEqualTypeOf<keyof ClientSecretCredentialRef>();
    expectTypeOf<Props<typeof schemaParts.clientCertificateCredential>>().toEqualTypeOf<
      keyof ClientCertificateCredentialRef
    >();
    expectTypeOf<Req<typeof schemaParts.clientCertificateCredential>>().toEqualTypeOf<
      RequiredKeys<ClientCertificateCredentialRef>
    >();
  });
});

const multi = read(MULTI);
const dedicated = read(DEDICATED);

/**
 * Bad plans. `schema: 'rejects'` for mistakes a single field (or a scenario condition) shows, which
 * the schema expresses; `schema: 'accepts'` for cross-field rules (regions, duplicates, address
 * arithmetic), which JSON Schema cannot express and only `asrflow plan validate` catches.
 */
const badPlans: Array<{ name: string; text: string; schema: 'rejects' | 'accepts' }> = [
  { name: 'many errors at once', text: read(MANY_ERRORS), schema: 'rejects' },
  { name: 'storage name Contoso-DR', text: edit(multi, ['name: contosodr', 'name: Contoso-DR']), schema: 'rejects' },
  { name: 'LRS storage', text: edit(multi, ['sku: Standard_GRS', 'sku: Standard_LRS']), schema: 'rejects' },
  {
    name: 'interval 60',
    text: edit(multi, ['replicationInterval: 300', 'replicationInterval: 60']),
    schema: 'rejects',
  },
  {
    name: 'history 100 h',
    text: edit(multi, ['recoveryPointHistoryHours: 24', 'recoveryPointHistoryHours: 100']),
    schema: 'rejects',
  },
  {
    name: 'app-consistent 13 h',
    text: edit(multi, ['appConsistentFrequencyHours: 4', 'appConsistentFrequencyHours: 13']),
    schema: 'rejects',
  },
  {
    name: 'start 25:00',
    text: edit(multi, ['initialReplicationStart: now', "initialReplicationStart: '25:00'"]),
    schema: 'rejects',
  },
  {
    name: 'unknown key typo',
    text: edit(multi, ['storageAccount:\n      name: northwinddr', 'storageAcount:\n      name: northwinddr']),
    schema: 'rejects',
  },
  { name: 'unknown region', text: edit(dedicated, ['region: westeurope', 'region: West Europe']), schema: 'rejects' },
  {
    name: 'tenant key with capitals',
    text: edit(dedicated, ['name: litware\n', 'name: Litware\n']),
    schema: 'rejects',
  },
  {
    name: 'tenant id not a GUID',
    text: edit(dedicated, ['tenantId: e0000000-0000-4000-8000-000000000001', 'tenantId: litware']),
    schema: 'rejects',
  },
  {
    name: 'VM name with underscore',
    text: edit(dedicated, ['include: [erp01, files01]', 'include: [erp01, files_01]']),
    schema: 'rejects',
  },
  {
    name: 'include neither all nor a list',
    text: edit(dedicated, ['include: [erp01, files01]', 'include: everything']),
    schema: 'rejects',
  },
  { name: 'version 2', text: edit(dedicated, ['version: 1', 'version: 2']), schema: 'rejects' },
  {
    name: 'secret pasted into the plan',
    text: edit(dedicated, [
      'secretEnv: ASRFLOW_SECRET_LITWARE',
      'secretEnv: ASRFLOW_SECRET_LITWARE\n      clientSecret: abc',
    ]),
    schema: 'rejects',
  },
  {
    name: 'credential with both secretEnv and secretFile',
    text: edit(dedicated, [
      'secretEnv: ASRFLOW_SECRET_LITWARE',
      'secretEnv: ASRFLOW_SECRET_LITWARE\n      secretFile: x',
    ]),
    schema: 'rejects',
  },
  {
    name: 'dedicated-vmm with a provider',
    text: edit(multi, ['scenario: multitenant-vmm', 'scenario: dedicated-vmm']),
    schema: 'rejects',
  },
  {
    name: 'multitenant-vmm without a provider',
    text: edit(dedicated, ['scenario: dedicated-vmm', 'scenario: multitenant-vmm']),
    schema: 'rejects',
  },
  {
    name: 'dedicated-vmm without a VMM server',
    text: edit(dedicated, ['      server: vmm-litware.litware.local\n', '']),
    schema: 'rejects',
  },
  {
    name: 'region mismatch',
    text: edit(multi, [
      'region: westeurope\n    resourceGroup: northwind-dr-rg',
      'region: northeurope\n    resourceGroup: northwind-dr-rg',
    ]),
    schema: 'accepts',
  },
  {
    name: 'duplicate VM',
    text: edit(multi, ['include: [app01, app02]', 'include: [app01, app02, app01]']),
    schema: 'accepts',
  },
  { name: 'duplicate storage account', text: edit(multi, ['name: northwinddr', 'name: contosodr']), schema: 'accepts' },
  {
    name: 'shared VMM cloud',
    text: edit(multi, ['cloud: Northwind-Cloud', 'cloud: Contoso-Cloud']),
    schema: 'accepts',
  },
  {
    name: 'app-consistent above history',
    text: edit(multi, ['recoveryPointHistoryHours: 24', 'recoveryPointHistoryHours: 2']),
    schema: 'accepts',
  },
  {
    name: 'subnet outside the VNet',
    text: edit(multi, ['prefix: 10.10.0.0/24', 'prefix: 10.11.0.0/24']),
    schema: 'accepts',
  },
  {
    name: 'test VNet is production',
    text: edit(multi, ['name: northwind-dr-test-vnet', 'name: northwind-dr-vnet']),
    schema: 'accepts',
  },
];

describe('schema and TypeScript validation agree', () => {
  it.each([MULTI, DEDICATED])('both accept %s', (file) => {
    expect(schemaAccepts(read(file)), JSON.stringify(editorValidate.errors)).toBe(true);
    expect(validate(read(file)).errors).toEqual([]);
  });

  it.each(badPlans)('$name: plan validate rejects it, the schema $schema it', ({ text, schema }) => {
    expect(validate(text).errors.length).toBeGreaterThan(0);
    expect(schemaAccepts(text)).toBe(schema === 'accepts');
  });
});
