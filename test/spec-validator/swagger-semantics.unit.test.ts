import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpecIndex, loadSpecIndex } from '../support/spec-validator';
import { writeFixtureSpecs } from './fixture';

// Swagger 2.0 / AutoRest rules checked on a miniature spec (see fixture.ts), where each rule
// can be isolated; the real specs are covered by spec-validator.unit.test.ts.
let dir: string;
let index: SpecIndex;
const URL = '/subscriptions/s/things/t1?api-version=2023-06-01';

beforeAll(async () => {
  dir = writeFixtureSpecs();
  index = await loadSpecIndex(dir);
});
afterAll(() => rmSync(dir, { recursive: true }));

const valid = { id: '/things/t1', kind: 'small', audit: { by: 'me' } };
const response = (body: Record<string, unknown>) => index.validateResponse('GET', URL, 200, { ...valid, ...body });
const request = (body: Record<string, unknown>) => index.validateRequestBody('PUT', URL, body);

describe('types and formats', () => {
  it('accepts the valid body and undeclared extra properties', () => {
    expect(response({ somethingElse: { any: 1 } })).toEqual([]);
  });

  it('typing is strict: no numeric strings, no fractions for integers, no "true"', () => {
    expect(response({ count: '5', big: 1.5, ratio: '0.5', enabled: 'true' })).toEqual([
      '/count: must be integer, got "5"',
      '/big: must be integer, got 1.5',
      '/ratio: must be number, got "0.5"',
      '/enabled: must be boolean, got "true"',
    ]);
    expect(response({ count: 5, big: 2 ** 53 - 1, ratio: 0.5, enabled: true })).toEqual([]);
  });

  it('checks date-time and uuid; ignores int32 range, int64, arm-id, duration, byte', () => {
    expect(response({ uid: 'not-a-uuid', when: '2023-06-01 10:00' })).toEqual([
      '/uid: must match format "uuid", got "not-a-uuid"',
      '/when: must match format "date-time", got "2023-06-01 10:00"',
    ]);
    expect(
      response({
        uid: '0d3b8c3f-6a2b-4d5e-9f10-1a2b3c4d5e6f',
        when: '2023-06-01T10:00:00.1234567Z',
        count: 2 ** 40,
        armId: 'anything',
        span: 'PT1H or not',
        blob: '%%%',
      }),
    ).toEqual([]);
  });

  it('enums are case-sensitive and closed, modelAsString or not', () => {
    expect(response({ kind: 'Small' })).toEqual(['/kind: must be one of "small", "large", got "Small"']);
  });

  it('additionalProperties: a schema applies to every value, false forbids', () => {
    expect(response({ tags: { a: 'x', b: 2 }, closed: { a: 'x', b: 'y' } })).toEqual([
      '/tags/b: must be string, got 2',
      '/closed/b: property is not allowed here (additionalProperties: false), got "y"',
    ]);
  });
});

describe('null', () => {
  it('is allowed only where x-nullable: true, also on $ref properties', () => {
    expect(response({ note: null, nullableDetails: null })).toEqual([]);
    expect(response({ plain: null, details: null })).toEqual([
      '/plain: must be string, got null',
      '/details: must be object, got null',
    ]);
    // Definitions that omit `type: object` are still objects to AutoRest.
    expect(response({ details: 'Azure', azure: 5 })).toEqual([
      '/details: must be object, got "Azure"',
      '/azure: must be object, got 5',
    ]);
  });

  it('x-nullable does not relax the non-null case', () => {
    expect(response({ note: 3, nullableDetails: { instanceType: 'Nope' } })).toEqual([
      '/note: must be string, got 3',
      expect.stringMatching(/^\/nullableDetails\/instanceType: unknown discriminator value for Details/),
    ]);
  });
});

describe('readOnly', () => {
  it('required readOnly properties (own, or via a readOnly definition) are required in responses only', () => {
    expect(index.validateResponse('GET', URL, 200, { kind: 'small' })).toEqual([
      '/id: required property is missing',
      '/audit: required property is missing',
    ]);
    expect(request({ kind: 'small' })).toEqual([]);
    expect(request({})).toEqual(['/kind: required property is missing']);
  });

  it('readOnly values sent in a request are tolerated (ARM ignores them)', () => {
    expect(request({ kind: 'small', id: '/things/t1', audit: { by: 'me' } })).toEqual([]);
  });
});

describe('polymorphism', () => {
  it('dispatches on the discriminator value, through several levels', () => {
    expect(response({ details: { instanceType: 'Azure', region: 'east' } })).toEqual([]);
    expect(response({ details: { instanceType: 'Azure', region: 'north' } })).toEqual([
      '/details/region: must be one of "east", "west", got "north"',
    ]);
    expect(response({ details: { instanceType: 'AzureV2', region: 'west' } })).toEqual([
      '/details/generation: required property is missing',
    ]);
    expect(response({ details: { instanceType: 'AzureV2', region: 'north', generation: '2' } })).toEqual([
      '/details/region: must be one of "east", "west", got "north"',
      '/details/generation: must be integer, got "2"',
    ]);
  });

  it('a derived definition without x-ms-discriminator-value is selected by its name', () => {
    expect(response({ details: { instanceType: 'OnPremDetails', site: 1 } })).toEqual([
      '/details/site: must be string, got 1',
    ]);
  });

  it("a derived type's properties do not leak into its siblings", () => {
    expect(
      response({
        list: [
          { instanceType: 'AzureV2', generation: 1 },
          { instanceType: 'Azure', generation: 'x' },
        ],
      }),
    ).toEqual([]);
  });

  it('the base itself is a valid value; without a value the base applies', () => {
    expect(response({ details: { instanceType: 'Details', common: 'c' } })).toEqual([]);
    expect(response({ details: { common: 1 } })).toEqual([
      '/details/instanceType: required property is missing',
      '/details/common: must be string, got 1',
    ]);
  });

  it('an unknown value is an error listing the family of the referenced type only', () => {
    expect(response({ details: { instanceType: 'Cloud' } })).toEqual([
      '/details/instanceType: unknown discriminator value for Details: expected one of "Details", "Azure", "AzureV2", "OnPremDetails", got "Cloud"',
    ]);
    expect(response({ azure: { instanceType: 'OnPremDetails' } })).toEqual([
      '/azure/instanceType: unknown discriminator value for AzureDetails: expected one of "Azure", "AzureV2", got "OnPremDetails"',
    ]);
    expect(response({ list: [{ instanceType: 'Azure' }, { instanceType: 7 }] })).toEqual([
      expect.stringMatching(/^\/list\/1\/instanceType: unknown discriminator value for Details: .*, got 7$/),
    ]);
  });
});

describe('operations', () => {
  it('prefers the most specific literal match', () => {
    expect(index.findOperation('GET', '/subscriptions/s/things/special')?.operationId).toBe('Things_GetSpecial');
    expect(index.findOperation('GET', '/SUBSCRIPTIONS/s/Things/SPECIAL')?.operationId).toBe('Things_GetSpecial');
    expect(index.findOperation('GET', '/subscriptions/s/things/other')?.operationId).toBe('Things_Get');
  });

  it('x-ms-paths keys tell operations apart by their fixed query', () => {
    expect(
      index.findOperation('POST', '/subscriptions/s/things/t1?action=restart&api-version=2023-06-01')?.operationId,
    ).toBe('Things_Restart');
    expect(index.findOperation('POST', '/subscriptions/s/things/t1?action=stop')?.operationId).toBe('Things_Stop');
    expect(index.findOperation('POST', '/subscriptions/s/things/t1')).toBeUndefined();
  });

  it('prefers the spec whose version matches the api-version query parameter', () => {
    expect(index.findOperation('GET', '/shared/x?api-version=2024-04-01')?.specFile).toBe(
      'recoveryservices/2024-04-01/vaults.json',
    );
    expect(index.findOperation('GET', '/Shared/x?api-version=2023-06-01')?.specFile).toBe(
      'siterecovery/2023-06-01/service.json',
    );
  });

  it('default (from common-types, reached by its azure-rest-api-specs relative path) covers error statuses', () => {
    expect(index.validateResponse('GET', URL, 404, { error: { code: 'NotFound' } })).toEqual([]);
    expect(index.validateResponse('GET', URL, 500, { error: 'boom' })).toEqual(['/error: must be object, got "boom"']);
    expect(index.validateResponse('GET', URL, 204, undefined)).toEqual([
      'status 204 is not declared for Things_Get (declared: 200, default)',
    ]);
  });

  it('body parameters: $ref parameters resolve, a required body must be there, GET takes none', () => {
    expect(index.findOperation('PUT', URL)).toMatchObject({
      bodyParameter: 'thing',
      longRunning: true,
      statuses: ['200', '202'],
    });
    expect(index.validateRequestBody('PUT', URL, undefined)).toEqual(['Things_Create requires a body (thing)']);
    expect(index.validateRequestBody('GET', URL, undefined)).toEqual([]);
    expect(index.validateRequestBody('GET', URL, { a: 1 })).toEqual(['Things_Get takes no request body, got {"a":1}']);
  });
});

describe('examples', () => {
  it('falls back to from-<version>__ copies and lists the ones absent both ways', () => {
    const examples = index.examplesFor('Things_Get');
    expect(examples.map((e) => [e.title, e.copiedFrom])).toEqual([
      ['present', undefined],
      ['copied from another version', '2020-01-01'],
    ]);
    expect(examples[1]?.responses['200']?.body).toMatchObject({ kind: 'large' });
    expect(index.missingExamples).toEqual([
      expect.objectContaining({
        operationId: 'Things_Get',
        title: 'absent',
        ref: './examples/Things_Absent.json',
        specFile: 'siterecovery/2023-06-01/service.json',
      }),
    ]);
  });
});
