import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientsFor,
  collect,
  rawRequest,
  startTestEmulator,
  TENANTS,
  tenantResources,
  tokenFor,
  type TestEmulator,
} from './helpers';

const POLL = { updateIntervalInMs: 50 };
const RG_PATH = (rg: string) => `^/subscriptions/[^/]+/resourcegroups/${rg}$`;

describe('faults on demand', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 1200, retryAfterSeconds: 1, seed: 7 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  const since = async () => (await emu.admin.requests()).lastSeq;
  const logOf = async (from: number, re: RegExp) =>
    (await emu.admin.requests(from)).entries.filter((e) => re.test(e.path));

  it('status: a 503 once is retried by the SDK; a persistent one surfaces', async () => {
    const c = clientsFor(emu, 'contoso');
    await c.resources.resourceGroups.createOrUpdate('f-status', { location: 'westeurope' });
    await emu.admin.addFaults([
      {
        id: 'once',
        match: { method: 'GET', path: RG_PATH('f-status') },
        action: { kind: 'status', status: 503 },
        times: 1,
      },
    ]);
    const from = await since();
    expect((await c.resources.resourceGroups.get('f-status')).name).toBe('f-status');
    expect((await logOf(from, /f-status$/)).map((e) => [e.status, e.fault ?? ''])).toEqual([
      [503, 'once:status'],
      [200, ''],
    ]);
    await emu.admin.addFaults([
      {
        id: 'always',
        match: { method: 'GET', path: RG_PATH('f-status') },
        action: { kind: 'status', status: 500, code: 'InternalServerError', message: 'boom' },
      },
    ]);
    await expect(c.resources.resourceGroups.get('f-status')).rejects.toMatchObject({ statusCode: 500 });
    await emu.admin.clearFaults();
  });

  it('throttle: 429 with Retry-After, honoured by the SDK', async () => {
    const c = clientsFor(emu, 'contoso');
    await emu.admin.addFaults([
      {
        id: 'slowdown',
        match: { operationId: 'ResourceGroups_Get' },
        action: { kind: 'throttle', retryAfterSeconds: 1 },
        times: 1,
      },
    ]);
    const token = await tokenFor(c);
    const raw = await rawRequest(
      emu,
      'GET',
      `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/f-status?api-version=2025-04-01`,
      { token },
    );
    expect(raw.status).toBe(429);
    expect(raw.headers['retry-after']).toBe('1');
    await emu.admin.addFaults([
      {
        id: 'slowdown2',
        match: { operationId: 'ResourceGroups_Get' },
        action: { kind: 'throttle', retryAfterSeconds: 1 },
        times: 1,
      },
    ]);
    const started = Date.now();
    expect((await c.resources.resourceGroups.get('f-status')).name).toBe('f-status');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await emu.admin.clearFaults();
  });

  it('drop: a connection closed before processing is retried; one closed after processing does not apply twice', async () => {
    const c = clientsFor(emu, 'contoso');
    await emu.admin.addFaults([
      { id: 'drop-before', match: { method: 'PUT', path: RG_PATH('f-drop1') }, action: { kind: 'drop' }, times: 1 },
    ]);
    const from = await since();
    expect((await c.resources.resourceGroups.createOrUpdate('f-drop1', { location: 'westeurope' })).name).toBe(
      'f-drop1',
    );
    expect((await logOf(from, /f-drop1$/)).map((e) => e.status)).toEqual([0, 201]);

    await emu.admin.addFaults([
      {
        id: 'drop-after',
        match: { method: 'PUT', path: RG_PATH('f-drop2') },
        action: { kind: 'drop', phase: 'after' },
        times: 1,
      },
    ]);
    const from2 = await since();
    expect((await c.resources.resourceGroups.createOrUpdate('f-drop2', { location: 'westeurope' })).name).toBe(
      'f-drop2',
    );
    // Created by the first (unanswered) request; the retry found it and changed nothing.
    const counters = await emu.admin.counters();
    expect(
      counters['ResourceGroups_CreateOrUpdate']?.[
        `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/f-drop2`
      ]?.count,
    ).toBe(1);
    expect((await logOf(from2, /f-drop2$/)).length).toBe(2);
    await emu.admin.clearFaults();
  });

  it('delay: answers slowly', async () => {
    const c = clientsFor(emu, 'contoso');
    await emu.admin.addFaults([
      { id: 'slow', match: { method: 'GET', path: RG_PATH('f-status') }, action: { kind: 'delay', ms: 400 }, times: 1 },
    ]);
    const started = Date.now();
    await c.resources.resourceGroups.get('f-status');
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    await emu.admin.clearFaults();
  });

  it('failJob: the operation is accepted, its job fails with ASR error details, and a restart succeeds', async () => {
    const c = clientsFor(emu, 'northwind');
    const { storageId } = await tenantResources(c, 'nw-rg', {
      storage: 'nwfaults01',
      vnet: 'nw-vnet',
      vault: 'nw-vault',
    });
    await emu.admin.addFaults([
      {
        id: 'policy-fails',
        match: { operationId: 'ReplicationPolicies_Create' },
        action: {
          kind: 'failJob',
          code: '539',
          message: 'The replication policy could not be created.',
          possibleCauses: 'Transient service error.',
          recommendedAction: 'Retry.',
        },
        times: 1,
      },
    ]);
    const input = {
      properties: {
        providerSpecificInput: {
          instanceType: 'HyperVReplicaAzure',
          recoveryPointHistoryDuration: 12,
          applicationConsistentSnapshotFrequencyInHours: 0,
          replicationInterval: 900,
          storageAccounts: [storageId],
        },
      },
    } as never;
    // A request refused before any job starts does not use the rule up.
    const refused = {
      properties: {
        providerSpecificInput: {
          instanceType: 'HyperVReplicaAzure',
          recoveryPointHistoryDuration: 12,
          applicationConsistentSnapshotFrequencyInHours: 0,
          replicationInterval: 900,
          storageAccounts: [`${storageId}-missing`],
        },
      },
    } as never;
    await expect(
      c.asr.replicationPolicies.beginCreateAndWait('nw-vault', 'nw-rg', 'flaky', refused, POLL),
    ).rejects.toMatchObject({ statusCode: 400 });
    expect((await emu.admin.faults()).find((r) => r.id === 'policy-fails')?.fired).toBe(0);
    await expect(
      c.asr.replicationPolicies.beginCreateAndWait('nw-vault', 'nw-rg', 'flaky', input, POLL),
    ).rejects.toThrow(/539/);
    const job = (await collect(c.asr.replicationJobs.list('nw-vault', 'nw-rg'))).find(
      (j) => j.properties?.scenarioName === 'AddProtectionProfile',
    );
    expect(job?.properties?.state).toBe('Failed');
    expect(job?.properties?.errors?.[0]?.serviceErrorDetails).toMatchObject({
      code: '539',
      recommendedAction: 'Retry.',
    });
    await expect(c.asr.replicationPolicies.get('nw-vault', 'nw-rg', 'flaky')).rejects.toMatchObject({
      statusCode: 404,
    });
    // The policy record of a failed creation is gone; creating it again works.
    const restarted = await c.asr.replicationJobs.beginRestartAndWait('nw-vault', 'nw-rg', job?.name ?? '', POLL);
    expect(restarted.properties?.state).toBe('Succeeded');
    const ok = await c.asr.replicationPolicies.beginCreateAndWait('nw-vault', 'nw-rg', 'flaky', input, POLL);
    expect(ok.name).toBe('flaky');
  });

  it('probability: the seeded generator fires the same requests on every run', async () => {
    const pattern = async (): Promise<number[]> => {
      const e = await startTestEmulator({
        seed: 42,
        faults: [
          {
            id: 'coin',
            match: { method: 'GET', operationId: 'ResourceGroups_List' },
            action: { kind: 'status', status: 503 },
            probability: 0.5,
          },
        ],
      });
      try {
        const token = await tokenFor(clientsFor(e, 'contoso'));
        const statuses: number[] = [];
        for (let i = 0; i < 16; i++)
          statuses.push(
            (
              await rawRequest(
                e,
                'GET',
                `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups?api-version=2025-04-01`,
                { token },
              )
            ).status,
          );
        return statuses;
      } finally {
        await e.close();
      }
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a.filter((s) => s === 503).length).toBeGreaterThan(2);
    expect(a.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  it('rules can come from a file given at start', async () => {
    const file = path.join(emu.dataDir, 'faults.yaml');
    writeFileSync(
      file,
      'rules:\n  - id: from-file\n    match: { method: GET, operationId: ResourceGroups_List }\n    action: { kind: status, status: 502 }\n    times: 1\n',
    );
    const e = await startTestEmulator({ faults: file });
    try {
      const token = await tokenFor(clientsFor(e, 'contoso'));
      const r = await rawRequest(
        e,
        'GET',
        `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups?api-version=2025-04-01`,
        { token },
      );
      expect(r.status).toBe(502);
      expect(r.body).toMatchObject({ error: { code: 'BadGateway' } });
    } finally {
      await e.close();
    }
  });
});
