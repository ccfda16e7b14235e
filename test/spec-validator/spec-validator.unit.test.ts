import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type OperationInfo,
  type SpecExample,
  type SpecIndex,
  loadSpecIndex,
  specsDir,
} from '../support/spec-validator';

/**
 * Official examples that do not validate against their own spec, keyed by example file
 * (relative to the specs folder) and status, with the exact errors expected. The test fails if
 * an entry stops failing or a new failure appears, so this list cannot grow or go stale silently.
 *
 * All three are the same upstream quirk: `null` for an optional property the spec does not mark
 * `x-nullable: true`. Swagger 2.0 has no null type, and AutoRest allows null only with
 * x-nullable; Azure's own example checker (oav) lets them through because it treats every
 * non-required property as nullable unless `x-nullable: false`. The emulator must omit such
 * properties instead of sending null.
 */
const KNOWN_EXCEPTIONS: Record<string, string[]> = {
  'siterecovery/2023-06-01/examples/ReplicationProtectedItems_ResolveHealthErrors.json 200': [
    '/properties/protectableItemId: must be string, got null',
    '/properties/failoverRecoveryPointId: must be string, got null',
  ],
  'siterecovery/2023-06-01/examples/ReplicationProtectedItems_UpdateAppliance.json 200': [
    '/properties/protectableItemId: must be string, got null',
    '/properties/failoverRecoveryPointId: must be string, got null',
  ],
  // Also `nextLink: null` on the last page: x-ms-pageable lists end by omitting nextLink.
  'siterecovery/2023-06-01/examples/TargetComputeSizes_ListByReplicationProtectedItems.json 200': [
    '/value/0/properties/errors: must be array, got null',
    '/value/1/properties/errors: must be array, got null',
    '/nextLink: must be string, got null',
  ],
};

/**
 * Example files no operation of the copied specs refers to: the vault-certificates operation
 * (`PUT /Subscriptions/.../vaults/{vaultName}/certificates/{certificateName}`) lives in
 * registeredidentities.json upstream, which is not part of the shared copy.
 */
const ORPHAN_EXAMPLES = ['recoveryservices/2024-04-01/examples/PUTVaultCred.json'];

const SUB =
  '/subscriptions/c183865e-6077-46f2-a3b1-deb0f4f4650a/resourceGroups/rg1/providers/Microsoft.RecoveryServices';
const VAULT = `${SUB}/vaults/vault1`;
const ITEM = `${VAULT}/replicationFabrics/cloud1/replicationProtectionContainers/cloud_1/replicationProtectedItems/vm1`;

let index: SpecIndex;
let loadMs: number;
let dir: string;

beforeAll(async () => {
  dir = specsDir();
  const started = performance.now();
  index = await loadSpecIndex(dir);
  loadMs = performance.now() - started;
});

/** The concrete URL an example describes: path parameters filled in, its api-version in the query. */
function exampleUrl(op: OperationInfo, example: SpecExample): string {
  const filled = op.pathTemplate.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = example.parameters[name];
    if (typeof value !== 'string') throw new Error(`${example.file} has no path parameter ${name}`);
    return encodeURIComponent(value);
  });
  return `${filled}?api-version=${String(example.parameters['api-version'])}`;
}

const examplesOf = (op: OperationInfo): SpecExample[] => index.examplesFor(op.operationId, op.specFile);
const rel = (file: string): string => path.relative(dir, file).split(path.sep).join('/');
const clone = <T>(value: T): T => structuredClone(value);

function exampleBody(operationId: string, status = '200'): Record<string, unknown> {
  const example = index.examplesFor(operationId)[0];
  const body = example?.responses[status]?.body;
  if (body === undefined) throw new Error(`no ${status} body in the examples of ${operationId}`);
  return clone(body) as Record<string, unknown>;
}

/** Sets a value at a dotted path inside a parsed body (test edits only). */
function edit(body: unknown, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  const last = keys.pop() as string;
  let node = body as Record<string, unknown>;
  for (const key of keys) node = node[key] as Record<string, unknown>;
  if (value === undefined) delete node[last];
  else node[last] = value;
}

describe('the official examples validate against their own specs', () => {
  it('loads the index quickly', () => {
    console.log(`spec index loaded in ${loadMs.toFixed(0)} ms: ${index.operations().length} operations`);
    expect(loadMs).toBeLessThan(2000);
    expect(index.operations().length).toBe(153);
  });

  it('every example response body matches the response schema of its status', () => {
    const failures: Record<string, string[]> = {};
    let bodies = 0;
    let withoutBody = 0;
    const started = performance.now();
    for (const op of index.operations()) {
      for (const example of examplesOf(op)) {
        const url = exampleUrl(op, example);
        // The URL an example describes leads back to the operation that lists it.
        expect(index.findOperation(op.method, url)?.operationId, url).toBe(op.operationId);
        for (const [status, response] of Object.entries(example.responses)) {
          if (response.body === undefined) withoutBody++;
          else bodies++;
          const errors = index.validateResponse(op.method, url, Number(status), response.body);
          if (errors.length > 0) failures[`${rel(example.file)} ${status}`] = errors;
        }
      }
    }
    console.log(
      `validated ${bodies} example response bodies (+${withoutBody} body-less responses) in ` +
        `${(performance.now() - started).toFixed(0)} ms; ${Object.keys(KNOWN_EXCEPTIONS).length} known exceptions`,
    );
    expect(failures).toEqual(KNOWN_EXCEPTIONS);
    expect(bodies).toBeGreaterThanOrEqual(80);
  });

  it('every example request body matches the body parameter schema', () => {
    const failures: Record<string, string[]> = {};
    let bodies = 0;
    for (const op of index.operations()) {
      for (const example of examplesOf(op)) {
        if (op.bodyParameter === undefined) continue;
        bodies++;
        const errors = index.validateRequestBody(
          op.method,
          exampleUrl(op, example),
          example.parameters[op.bodyParameter],
        );
        if (errors.length > 0) failures[rel(example.file)] = errors;
      }
    }
    console.log(`validated ${bodies} example request bodies`);
    expect(failures).toEqual({});
    expect(bodies).toBeGreaterThanOrEqual(38);
  });

  it('uses every example file present, from-<version>__ copies standing in for absent ones', () => {
    const used = new Set(index.operations().flatMap((op) => examplesOf(op).map((e) => rel(e.file))));
    const present = ['siterecovery/2023-06-01/examples', 'recoveryservices/2024-04-01/examples'].flatMap((folder) =>
      readdirSync(path.join(dir, folder)).map((name) => `${folder}/${name}`),
    );
    expect(present.filter((file) => !used.has(file))).toEqual(ORPHAN_EXAMPLES);

    const copies = index.operations().flatMap((op) => examplesOf(op).filter((e) => e.copiedFrom !== undefined));
    // UpdateVaultExtendedInfo.json serves both the PUT and the PATCH of extended info.
    expect([...new Set(copies.map((e) => rel(e.file)))].sort()).toEqual(
      present.filter((f) => path.basename(f).startsWith('from-')).sort(),
    );
    const [policyCreate] = index.examplesFor('ReplicationPolicies_Create');
    expect(policyCreate?.copiedFrom).toBe('2023-02-01');
  });

  it('lists the examples that are absent both ways, and only those', () => {
    expect(index.missingExamples.length).toBeGreaterThan(0);
    for (const missing of index.missingExamples) {
      expect(existsSync(missing.expected), missing.expected).toBe(false);
      const copies = readdirSync(path.dirname(missing.expected)).filter((f) =>
        f.endsWith(`__${path.basename(missing.expected)}`),
      );
      expect(copies, missing.ref).toEqual([]);
    }
    expect(index.missingExamples.map((m) => `${m.operationId} ${m.ref}`)).toContain(
      'Vaults_Delete ./examples/DeleteVault.json',
    );
    console.log(`${index.missingExamples.length} x-ms-examples entries have no file in the shared copy`);
  });
});

describe('deliberately broken copies of official examples', () => {
  const itemUrl = `${ITEM}?api-version=2023-06-01`;

  it('an unknown discriminator value names the pointer, the base and the allowed values', () => {
    const body = exampleBody('ReplicationProtectedItems_Get');
    edit(body, 'properties.providerSpecificDetails.instanceType', 'HyperVReplicaAzureX');
    const [error, ...rest] = index.validateResponse('GET', itemUrl, 200, body);
    expect(rest).toEqual([]);
    expect(error).toMatch(
      /^\/properties\/providerSpecificDetails\/instanceType: unknown discriminator value for ReplicationProviderSpecificSettings: expected one of .*"HyperVReplicaAzure".*"InMageRcm".*, got "HyperVReplicaAzureX"$/,
    );
  });

  it('the discriminator selects the derived definition: its own properties are checked', () => {
    const body = exampleBody('ReplicationProtectedItems_Get');
    // rpoInSeconds exists only on HyperVReplicaAzureReplicationDetails (int64).
    edit(body, 'properties.providerSpecificDetails.rpoInSeconds', '300');
    expect(index.validateResponse('GET', itemUrl, 200, body)).toEqual([
      '/properties/providerSpecificDetails/rpoInSeconds: must be integer, got "300"',
    ]);
    // The same property on another provider's details is just an additional property.
    edit(body, 'properties.providerSpecificDetails.instanceType', 'InMageRcm');
    const errors = index.validateResponse('GET', itemUrl, 200, body);
    expect(errors.some((e) => e.includes('rpoInSeconds'))).toBe(false);
  });

  it('a missing discriminator (required on the base) is reported at its pointer', () => {
    const body = exampleBody('ReplicationProtectedItems_Get');
    edit(body, 'properties.providerSpecificDetails.instanceType', undefined);
    expect(index.validateResponse('GET', itemUrl, 200, body)).toEqual([
      '/properties/providerSpecificDetails/instanceType: required property is missing',
    ]);
  });

  it('wrong JSON types: array, object, string where an integer is expected', () => {
    const body = exampleBody('ReplicationProtectedItems_Get');
    edit(body, 'properties.allowedOperations', 'PlannedFailover');
    edit(body, 'properties.currentScenario', 'None');
    expect(index.validateResponse('GET', itemUrl, 200, body)).toEqual([
      '/properties/allowedOperations: must be array, got "PlannedFailover"',
      '/properties/currentScenario: must be object, got "None"',
    ]);

    const policy = exampleBody('ReplicationPolicies_Get');
    const details = (policy.properties as { providerSpecificDetails: Record<string, unknown> }).providerSpecificDetails;
    expect(details.instanceType).toBe('HyperVReplicaAzure');
    details.replicationInterval = '300';
    expect(
      index.validateResponse('GET', `${VAULT}/replicationPolicies/p1?api-version=2023-06-01`, 200, policy),
    ).toEqual(['/properties/providerSpecificDetails/replicationInterval: must be integer, got "300"']);
  });

  it('an enum value outside the list, and a missing required property', () => {
    const vault = exampleBody('Vaults_Get');
    edit(vault, 'sku.name', 'Premium');
    edit(vault, 'location', undefined);
    expect(index.validateResponse('GET', `${VAULT}?api-version=2024-04-01`, 200, vault)).toEqual([
      '/location: required property is missing',
      '/sku/name: must be one of "Standard", "RS0", got "Premium"',
    ]);
  });

  it('date-time is checked as RFC 3339', () => {
    const job = exampleBody('ReplicationJobs_Get');
    edit(job, 'properties.startTime', '17/04/2023 10:00');
    expect(index.validateResponse('GET', `${VAULT}/replicationJobs/j1?api-version=2023-06-01`, 200, job)).toEqual([
      '/properties/startTime: must match format "date-time", got "17/04/2023 10:00"',
    ]);
  });

  it('broken request bodies: unknown provider input and wrong type', () => {
    const [example] = index.examplesFor('ReplicationProtectedItems_TestFailover');
    const input = clone(example?.parameters.testfailoverInput);
    edit(input, 'properties.providerSpecificDetails.instanceType', 'HyperV');
    edit(input, 'properties.networkId', 42);
    const errors = index.validateRequestBody('POST', `${ITEM}/testFailover?api-version=2023-06-01`, input);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toBe('/properties/networkId: must be string, got 42');
    expect(errors[1]).toMatch(
      /^\/properties\/providerSpecificDetails\/instanceType: unknown discriminator value for TestFailoverProviderSpecificInput: .*got "HyperV"$/,
    );
  });

  it('statuses: undeclared is an error, default covers error statuses, no-schema means no body', () => {
    const vaultUrl = `${VAULT}?api-version=2024-04-01`;
    expect(index.validateResponse('GET', vaultUrl, 201, {})).toEqual([
      'status 201 is not declared for Vaults_Get (declared: 200, default)',
    ]);
    expect(
      index.validateResponse('GET', vaultUrl, 404, { error: { code: 'ResourceNotFound', message: 'gone' } }),
    ).toEqual([]);
    expect(index.validateResponse('GET', vaultUrl, 404, { error: { code: 404 } })).toEqual([
      '/error/code: must be string, got 404',
    ]);
    // Site Recovery 2023-06-01 declares no error responses at all.
    expect(index.validateResponse('GET', `${ITEM}?api-version=2023-06-01`, 404, {})).toEqual([
      'status 404 is not declared for ReplicationProtectedItems_Get (declared: 200)',
    ]);
    const testFailover = `${ITEM}/testFailover?api-version=2023-06-01`;
    expect(index.validateResponse('POST', testFailover, 202, undefined)).toEqual([]);
    expect(index.validateResponse('POST', testFailover, 202, '')).toEqual([]);
    expect(index.validateResponse('POST', testFailover, 202, { status: 'InProgress' })).toEqual([
      'status 202 of ReplicationProtectedItems_TestFailover declares no body, got {"status":"InProgress"}',
    ]);
    expect(index.validateResponse('POST', testFailover, 200, undefined)).toEqual([
      'status 200 of ReplicationProtectedItems_TestFailover declares a body, got none',
    ]);
  });

  it('long offending values are truncated', () => {
    const body = exampleBody('ReplicationProtectedItems_Get');
    edit(body, 'properties.friendlyName', { text: 'x'.repeat(500) });
    const [error] = index.validateResponse('GET', itemUrl, 200, body);
    expect(error).toMatch(/^\/properties\/friendlyName: must be string, got \{"text":"x+…$/);
    expect(error?.length).toBeLessThan(150);
  });
});

describe('path matching', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['GET', `${ITEM}`, 'ReplicationProtectedItems_Get'],
    ['POST', `${ITEM}/testFailover?api-version=2023-06-01`, 'ReplicationProtectedItems_TestFailover'],
    ['POST', `${ITEM}/TESTFAILOVER`, 'ReplicationProtectedItems_TestFailover'],
    ['POST', `${ITEM}/testFailoverCleanup`, 'ReplicationProtectedItems_TestFailoverCleanup'],
    ['post', `${ITEM}/unplannedFailover`, 'ReplicationProtectedItems_UnplannedFailover'],
    ['POST', `${ITEM}/failoverCommit`, 'ReplicationProtectedItems_FailoverCommit'],
    ['PUT', ITEM.replace('/subscriptions/', '/Subscriptions/'), 'ReplicationProtectedItems_Create'],
    ['GET', ITEM.toUpperCase(), 'ReplicationProtectedItems_Get'],
    ['GET', ITEM.toLowerCase(), 'ReplicationProtectedItems_Get'],
    ['GET', `https://management.azure.com${ITEM}?api-version=2023-06-01`, 'ReplicationProtectedItems_Get'],
    ['GET', `${ITEM}/`, 'ReplicationProtectedItems_Get'],
    ['GET', `${VAULT}/replicationFabrics`, 'ReplicationFabrics_List'],
    [
      'PUT',
      `${VAULT}/replicationFabrics/f1/replicationNetworks/n1/replicationNetworkMappings/m1`,
      'ReplicationNetworkMappings_Create',
    ],
    ['POST', `${VAULT}/replicationJobs/export`, 'ReplicationJobs_Export'],
    ['GET', `${VAULT}/replicationJobs/export`, 'ReplicationJobs_Get'],
    ['GET', `${VAULT}/replicationJobs/j1`, 'ReplicationJobs_Get'],
    ['GET', `${SUB.replace('/subscriptions/', '/Subscriptions/')}/vaults/vault1?api-version=2024-04-01`, 'Vaults_Get'],
    ['PUT', `${VAULT}?api-version=2024-04-01`, 'Vaults_CreateOrUpdate'],
    ['GET', `${VAULT}/extendedInformation/vaultExtendedInfo`, 'VaultExtendedInfo_Get'],
    ['GET', '/providers/Microsoft.RecoveryServices/operations?api-version=2024-04-01', 'Operations_List'],
    ['GET', `${SUB}/operations?api-version=2023-06-01`, 'Operations_List'],
    ['GET', `${ITEM}/testFailover`, undefined],
    ['GET', `${VAULT}/replicationFabrics/f1/unknownThing`, undefined],
    ['GET', `${VAULT}/replicationFabrics//replicationProtectionContainers`, undefined],
  ];

  it.each(cases)('%s %s → %s', (method, url, operationId) => {
    expect(index.findOperation(method, url)?.operationId).toBe(operationId);
  });

  it('reports the spec file, template and api-version of the match', () => {
    expect(index.findOperation('GET', `${SUB}/operations`)).toMatchObject({
      specFile: 'siterecovery/2023-06-01/service.json',
      apiVersion: '2023-06-01',
      pathTemplate:
        '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.RecoveryServices/operations',
    });
    expect(index.findOperation('GET', '/providers/Microsoft.RecoveryServices/operations')).toMatchObject({
      specFile: 'recoveryservices/2024-04-01/vaults.json',
      apiVersion: '2024-04-01',
    });
    expect(index.findOperation('GET', `${VAULT}/replicationFabrics`)?.pageable).toEqual({
      itemName: 'value',
      nextLinkName: 'nextLink',
    });
  });

  it('a wrong method names the methods the path has', () => {
    expect(index.validateResponse('GET', `${ITEM}/testFailover`, 200, {})).toEqual([
      `no GET operation at ${ITEM}/testFailover in the specs; that path has POST (ReplicationProtectedItems_TestFailover)`,
    ]);
  });

  it('an operationId shared by both services is narrowed by specFile', () => {
    expect(index.examplesFor('Operations_List').length).toBeGreaterThanOrEqual(1);
    expect(index.examplesFor('Operations_List', 'recoveryservices/2024-04-01/vaults.json')).toEqual([]);
    expect(index.operationIds()).toContain('ReplicationProtectedItems_TestFailover');
  });
});

describe('specsDir()', () => {
  const saved = process.env.ASRFLOW_AZURE_SPECS;
  afterEach(() => {
    if (saved === undefined) delete process.env.ASRFLOW_AZURE_SPECS;
    else process.env.ASRFLOW_AZURE_SPECS = saved;
  });

  it('defaults to shared/azure-specs beside the checkout', () => {
    delete process.env.ASRFLOW_AZURE_SPECS;
    expect(specsDir()).toBe(path.resolve(__dirname, '..', '..', '..', 'shared', 'azure-specs'));
  });

  it('throws a plain message for a bogus ASRFLOW_AZURE_SPECS', () => {
    process.env.ASRFLOW_AZURE_SPECS = '/nonexistent/azure-specs';
    expect(() => specsDir()).toThrow(
      'Azure REST API specs not found at /nonexistent/azure-specs (from ASRFLOW_AZURE_SPECS): the directory does not exist. ' +
        'These are the official Azure REST specifications (Swagger files and examples from Azure/azure-rest-api-specs) ' +
        'kept beside the checkout in shared/azure-specs; set ASRFLOW_AZURE_SPECS to their location.',
    );
  });

  it('names the expected files missing from a directory that exists', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'asrflow-specs-'));
    try {
      process.env.ASRFLOW_AZURE_SPECS = empty;
      expect(() => specsDir()).toThrow(/siterecovery\/2023-06-01\/service\.json is missing.*set ASRFLOW_AZURE_SPECS/);
      await expect(loadSpecIndex(empty)).rejects.toThrow(
        /common-types\/resource-management\/v3\/types\.json is missing/,
      );
    } finally {
      rmSync(empty, { recursive: true });
    }
  });
});
