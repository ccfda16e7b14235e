import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnboarding } from '../../src/onboarding/start';
import { freePort } from '../../src/devstack/free-port';
import { startDevServer, type DevServer } from '../../src/devstack/temporal-server';
import { spawnWorker, type WorkerProcess } from '../../src/devstack/worker-process';
import { loadPlan } from '../../src/domain/plan/load';
import { progressQuery } from '../../src/temporal/workflow/progress';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { EmulatorAdminClient, startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import type { TenantOnboardingResult } from '../../src/onboarding/workflows/tenant-onboarding';
import { eventually, repoRoot } from '../support/cli';
import { demoSecrets, workerEnv } from '../support/stack';

// The brief's "Temporal restarted": the server goes away in the middle of an onboarding (while
// the registration waits and again while VMs replicate) and comes back with its SQLite state on
// the same port. The worker rides it out, and the onboarding finishes with every VM protected
// and each enable-protection accepted by Azure exactly once. This file runs its own server,
// since the shared one cannot be restarted under the other tests.
describe('onboarding across a Temporal server restart', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-restart-'));
  let port: number;
  let server: DevServer | undefined;
  let emulator: EmulatorHandle;
  let worker: WorkerProcess;
  const workerOutput: string[] = [];
  const vmm = 'vmm-litware.litware.local';

  const startServer = async () => {
    server = await startDevServer({ port, uiPort: false, dataDir: path.join(dir, 'temporal') });
  };
  const restartServer = async () => {
    await server?.stop();
    server = undefined;
    await startServer();
  };
  const withClient = async <T>(fn: (client: Client) => Promise<T>): Promise<T> => {
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      return await fn(new Client({ connection }));
    } finally {
      await connection.close();
    }
  };

  beforeAll(async () => {
    port = await freePort();
    await startServer();
    emulator = await startEmulator({ port: 0, speed: 600, dataDir: path.join(dir, 'emulator') });
    worker = spawnWorker(
      {
        ...workerEnv('default', 'restart', emulator),
        TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
        ASRFLOW_CREDENTIALS_DIR: path.join(dir, 'credentials'),
        ASRFLOW_REGISTRATION_POLL_MS: '250',
        ASRFLOW_REPLICATION_POLL_MS: '250',
        ASRFLOW_LOG_LEVEL: 'warn',
        ...demoSecrets(),
      },
      { onOutput: (line) => workerOutput.push(line) },
    );
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await emulator?.stop();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes with every VM protected, each enabled once', async () => {
    const plan = loadPlan(path.join(repoRoot, 'examples', 'dedicated-vmm.yaml'), { checkCredentials: false }).plan;
    const id = workflowIds.tenantOnboarding('litware');
    await withClient((client) => startOnboarding(client, plan, 'restart'));
    const progress = () => withClient((client) => client.workflow.getHandle(id).query(progressQuery));
    const credentials = await eventually(
      async () => /vault credentials file (\S+\.VaultCredentials)/.exec((await progress()).operatorAction ?? '')?.[1],
      'the registration wait',
      120_000,
      250,
      progress,
    );

    // Down while the registration waits (a heartbeating activity is in flight).
    await restartServer();
    expect((await progress()).stage).toBe('registration');

    const admin = new EmulatorAdminClient(emulator.adminUrl, emulator.adminToken, emulator.caCertPath);
    try {
      await admin.upgradeProvider(vmm);
      expect((await admin.installProvider(readFileSync(credentials, 'utf8'), vmm)).status).toBe(200);
      // Down again while the VMs are being protected.
      await eventually(
        async () => ((await progress()).stage === 'protect' ? true : undefined),
        'the protect stage',
        120_000,
        100,
        progress,
      );
      await restartServer();

      const result = (await withClient((client) => client.workflow.getHandle(id).result())) as TenantOnboardingResult;
      expect(result.protectedVms.sort()).toEqual(['erp01', 'files01']);
      const enables = Object.values((await admin.counters())['ReplicationProtectedItems_Create'] ?? {});
      expect(enables.map((c) => [c.label, c.count]).sort()).toEqual([
        ['erp01', 1],
        ['files01', 1],
      ]);
    } finally {
      admin.close();
    }
    // The worker lived through both outages: the same process finished the work.
    expect(worker.child.exitCode).toBeNull();
  });
});
