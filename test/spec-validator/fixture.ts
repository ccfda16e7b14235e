/**
 * A miniature specs folder, laid out like shared/azure-specs, for the Swagger/AutoRest rules the
 * real specs never exercise (x-nullable: true, required readOnly properties, x-ms-paths, one path
 * in two api-versions, formats AutoRest means differently from JSON Schema).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const pathParam = (name: string) => ({ name, in: 'path', required: true, type: 'string' });
const apiVersion = { name: 'api-version', in: 'query', required: true, type: 'string' };
const thingParams = [pathParam('subscriptionId'), pathParam('name'), apiVersion];
const ok = (ref: string) => ({ description: 'OK', schema: { $ref: ref } });
const commonError = {
  description: 'Error',
  schema: { $ref: '../../../../../common-types/resource-management/v3/types.json#/definitions/ErrorResponse' },
};

const service = {
  swagger: '2.0',
  info: { title: 'fixture', version: '2023-06-01' },
  paths: {
    '/subscriptions/{subscriptionId}/things/{name}': {
      get: {
        operationId: 'Things_Get',
        parameters: thingParams,
        responses: { '200': ok('#/definitions/Thing'), default: commonError },
        'x-ms-examples': {
          present: { $ref: './examples/Things_Get.json' },
          'copied from another version': { $ref: './examples/Things_Fallback.json' },
          absent: { $ref: './examples/Things_Absent.json' },
        },
      },
      put: {
        operationId: 'Things_Create',
        parameters: [...thingParams, { $ref: '#/parameters/ThingBody' }],
        responses: { '200': ok('#/definitions/Thing'), '202': { description: 'Accepted' } },
        'x-ms-long-running-operation': true,
      },
    },
    '/subscriptions/{subscriptionId}/things/special': {
      get: {
        operationId: 'Things_GetSpecial',
        parameters: [pathParam('subscriptionId'), apiVersion],
        responses: { '204': { description: 'none' } },
      },
    },
    '/shared/{id}': {
      get: {
        operationId: 'Shared_Get',
        parameters: [pathParam('id'), apiVersion],
        responses: { '204': { description: 'none' } },
      },
    },
  },
  'x-ms-paths': {
    '/subscriptions/{subscriptionId}/things/{name}?action=restart': {
      post: { operationId: 'Things_Restart', parameters: thingParams, responses: { '204': { description: 'none' } } },
    },
    '/subscriptions/{subscriptionId}/things/{name}?action=stop': {
      post: { operationId: 'Things_Stop', parameters: thingParams, responses: { '204': { description: 'none' } } },
    },
  },
  parameters: {
    ThingBody: {
      name: 'thing',
      in: 'body',
      required: true,
      schema: { $ref: '#/definitions/Thing' },
      'x-ms-parameter-location': 'method',
    },
  },
  definitions: {
    Thing: {
      required: ['id', 'kind', 'audit'],
      properties: {
        id: { type: 'string', readOnly: true },
        audit: { $ref: '#/definitions/Audit' },
        kind: { type: 'string', enum: ['small', 'large'], 'x-ms-enum': { name: 'Kind', modelAsString: true } },
        count: { type: 'integer', format: 'int32' },
        big: { type: 'integer', format: 'int64' },
        ratio: { type: 'number', format: 'double' },
        enabled: { type: 'boolean' },
        note: { type: 'string', 'x-nullable': true },
        plain: { type: 'string' },
        uid: { type: 'string', format: 'uuid' },
        when: { type: 'string', format: 'date-time' },
        armId: { type: 'string', format: 'arm-id' },
        span: { type: 'string', format: 'duration' },
        blob: { type: 'string', format: 'byte' },
        details: { $ref: '#/definitions/Details' },
        nullableDetails: { $ref: '#/definitions/Details', 'x-nullable': true },
        azure: { $ref: '#/definitions/AzureDetails' },
        list: { type: 'array', items: { $ref: '#/definitions/Details' } },
        tags: { type: 'object', additionalProperties: { type: 'string' } },
        closed: { type: 'object', additionalProperties: false, properties: { a: { type: 'string' } } },
      },
    },
    Audit: { readOnly: true, properties: { by: { type: 'string' } } },
    Details: {
      discriminator: 'instanceType',
      required: ['instanceType'],
      properties: { instanceType: { type: 'string' }, common: { type: 'string' } },
    },
    AzureDetails: {
      allOf: [{ $ref: '#/definitions/Details' }],
      'x-ms-discriminator-value': 'Azure',
      properties: { region: { type: 'string', enum: ['east', 'west'] } },
    },
    AzureV2Details: {
      allOf: [{ $ref: '#/definitions/AzureDetails' }],
      'x-ms-discriminator-value': 'AzureV2',
      required: ['generation'],
      properties: { generation: { type: 'integer' } },
    },
    // No x-ms-discriminator-value: AutoRest uses the definition name.
    OnPremDetails: { allOf: [{ $ref: '#/definitions/Details' }], properties: { site: { type: 'string' } } },
  },
};

const vaults = {
  swagger: '2.0',
  info: { title: 'fixture vaults', version: '2024-04-01' },
  paths: {
    '/shared/{id}': {
      get: {
        operationId: 'Shared_Get',
        parameters: [pathParam('id'), apiVersion],
        responses: { '204': { description: 'none' } },
      },
    },
  },
  definitions: {},
};

const types = {
  swagger: '2.0',
  info: { title: 'common types', version: '3.0' },
  paths: {},
  definitions: {
    ErrorResponse: {
      type: 'object',
      properties: { error: { type: 'object', properties: { code: { type: 'string', readOnly: true } } } },
    },
  },
};

const files: Record<string, unknown> = {
  'siterecovery/2023-06-01/service.json': service,
  'siterecovery/2023-06-01/examples/Things_Get.json': {
    parameters: { subscriptionId: 's', name: 'n', 'api-version': '2023-06-01' },
    responses: { '200': { body: { id: '/things/n', kind: 'small', audit: { by: 'me' } } } },
  },
  'siterecovery/2023-06-01/examples/from-2020-01-01__Things_Fallback.json': {
    parameters: { subscriptionId: 's', name: 'n', 'api-version': '2020-01-01' },
    responses: { '200': { body: { id: '/things/n', kind: 'large', audit: {} } } },
  },
  'recoveryservices/2024-04-01/vaults.json': vaults,
  'common-types/resource-management/v3/types.json': types,
};

export function writeFixtureSpecs(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-fixture-specs-'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), JSON.stringify(content, null, 2));
  }
  return dir;
}
