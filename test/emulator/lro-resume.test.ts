import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clientsFor, collect, startTestEmulator, TENANTS, tenantResources, type TestEmulator } from './helpers';

const run = promisify(execFile);
const CHILD = path.join(__dirname, 'fixtures', 'lro-child.ts');

describe('long-running operations across processes', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator({ speed: 600, retryAfterSeconds: 1 });
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('a poller serialized in one process completes when resumed in another, without a second PUT', async () => {
    const c = clientsFor(emu, 'contoso');
    const { storageId } = await tenantResources(c, 'contoso-lro-rg', {
      storage: 'contosolro01',
      vnet: 'contoso-lro-vnet',
      vault: 'contoso-lro-vault',
    });
    // Nearly frozen simulated time: the job is still running when the first process exits.
    await emu.admin.setTime({ speed: 0.001 });
    const env = {
      ...process.env,
      ASRFLOW_TEST_ENDPOINT: JSON.stringify(emu.endpoint),
      ASRFLOW_TEST_SECRET: TENANTS.contoso.clientSecret,
    };
    const args = {
      tenantId: TENANTS.contoso.tenantId,
      clientId: TENANTS.contoso.clientId,
      subscriptionId: TENANTS.contoso.subscriptionId,
      rg: 'contoso-lro-rg',
      vault: 'contoso-lro-vault',
      policy: 'resume-policy',
      storageId,
    };
    const begun = await run(process.execPath, ['--import', 'tsx', CHILD, 'begin'], {
      env: { ...env, ASRFLOW_TEST_ARGS: JSON.stringify(args) },
      cwd: path.resolve(__dirname, '..', '..'),
    });
    const { state, done } = JSON.parse(begun.stdout.trim()) as { state: string; done: boolean };
    expect(done).toBe(false);
    expect(JSON.parse(state)).toHaveProperty('state.config.operationLocation');

    // The first process is gone; the job is still running in the service.
    const jobs = await collect(c.asr.replicationJobs.list('contoso-lro-vault', 'contoso-lro-rg'));
    expect(jobs.find((j) => j.properties?.scenarioName === 'AddProtectionProfile')?.properties?.state).toBe(
      'InProgress',
    );

    await emu.admin.setTime({ speed: 600 });
    const resumed = await run(process.execPath, ['--import', 'tsx', CHILD, 'resume'], {
      env: { ...env, ASRFLOW_TEST_ARGS: JSON.stringify({ ...args, state }) },
      cwd: path.resolve(__dirname, '..', '..'),
    });
    expect(JSON.parse(resumed.stdout.trim())).toMatchObject({
      name: 'resume-policy',
      instanceType: 'HyperVReplicaAzure',
    });

    const counters = await emu.admin.counters();
    expect(Object.values(counters['ReplicationPolicies_Create'] ?? {}).map((x) => x.count)).toEqual([1]);
    const log = (await emu.admin.requests()).entries.filter(
      (e) => e.method === 'PUT' && /replicationPolicies\/resume-policy$/i.test(e.path),
    );
    expect(log).toHaveLength(1);
  });
});
