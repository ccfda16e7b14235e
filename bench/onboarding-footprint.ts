// What onboarding costs per VM: Temporal history events, and ARM reads during the wait for
// initial replication. Runs the real stack (dev server, emulator, worker) on a generated
// dedicated-VMM estate of N VMs.
//   npm run build && node --import tsx bench/onboarding-footprint.ts [--vms 40] [--poll-ms 1000] [--speed 30]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import pino from 'pino';
import { startDevServer } from '../src/devstack/temporal-server';
import { demoSecrets } from '../src/devstack/demo-secrets';
import { defaultEstatePath, EmulatorAdminClient, loadEstateFile, startEmulator } from '@asrflow/azure-emulator';
import { loadTemporalSettings } from '../src/temporal/config';
import { startOnboarding } from '../src/onboarding/start';
import { createWorker } from '../src/worker/create-worker';
import { loadPlan } from '../src/domain/plan/load';
import { progressQuery } from '../src/temporal/workflow/progress';
import { workflowIds } from '../src/temporal/workflow/workflow-ids';
import { packageRoot } from '../src/domain/package-root';
import { TemporalPinoLogger } from '../src/worker/logging';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const VMS = arg('vms', 40);
const POLL_MS = arg('poll-ms', 1000);
const SPEED = arg('speed', 30);

async function main(): Promise<void> {
  const logger = pino({ level: 'warn' });
  Runtime.install({ logger: new TemporalPinoLogger(logger) });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-footprint-'));
  const estate = loadEstateFile(defaultEstatePath());
  const litware = estate.vmmServers.find((v) => v.name === 'vmm-litware.litware.local');
  const template = litware?.vms[0];
  if (!litware || !template) throw new Error('estate has no litware VMM');
  litware.providerVersion = '5.1.2250.0';
  litware.vms = Array.from({ length: VMS }, (_, i) => ({ ...template, name: `vm${String(i + 1).padStart(4, '0')}` }));

  const temporal = await startDevServer({ uiPort: false });
  const emulator = await startEmulator({
    port: 0,
    estate,
    speed: SPEED,
    dataDir: path.join(dir, 'emulator'),
    throttling: true,
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    ASRFLOW_TASK_QUEUE: 'footprint',
    ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
    ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
    ASRFLOW_CA_FILE: emulator.caCertPath,
    ASRFLOW_CREDENTIALS_DIR: path.join(dir, 'credentials'),
    ASRFLOW_REGISTRATION_POLL_MS: '250',
    ASRFLOW_REPLICATION_POLL_MS: String(POLL_MS),
    ...demoSecrets(),
  };
  const settings = loadTemporalSettings(env);
  const { worker, connection: workerConnection } = await createWorker({ settings, logger, env });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection });
  const admin = EmulatorAdminClient.fromDataDir(emulator.dataDir);
  try {
    const planFile = path.join(dir, 'plan.yaml');
    const base = readFileSync(path.join(packageRoot(), 'examples', 'dedicated-vmm.yaml'), 'utf8');
    // Select every VM of the cloud instead of the example's two.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(
      planFile,
      base.replace(
        /vms:\n(\s+)include:[\s\S]*?(\n\s*\n|\n[a-z]|$)/,
        (_m, indent: string, tail: string) => `vms:\n${indent}include: all${tail}`,
      ),
    );
    const { plan } = loadPlan(planFile, { env });
    await startOnboarding(client, plan, settings.taskQueue);
    const id = workflowIds.tenantOnboarding('litware');
    let credentials: string | undefined;
    while (!credentials) {
      const p = await client.workflow
        .getHandle(id)
        .query(progressQuery)
        .catch(() => undefined);
      credentials = /vault credentials file (\S+\.VaultCredentials)/.exec(p?.operatorAction ?? '')?.[1];
      await new Promise((r) => setTimeout(r, 200));
    }
    await admin.installProvider(readFileSync(credentials, 'utf8'), 'vmm-litware.litware.local');
    const started = Date.now();
    await client.workflow.getHandle(id).result();
    const elapsedS = (Date.now() - started) / 1000;

    const { entries } = await admin.requests(0);
    // The replication wait proper starts when the last VM's enable-protection LRO is done; its
    // polls (per VM, finite) are counted separately from the shared vault-wide watching.
    const enableSeqs = entries.filter((e) => e.operationId === 'ReplicationProtectedItems_Create').map((e) => e.seq);
    const firstEnable = entries.find((e) => e.seq === Math.min(...enableSeqs));
    const lroPolls = entries.filter(
      (e) =>
        e.method === 'GET' &&
        !e.operationId?.startsWith('ReplicationProtectedItems_List') &&
        firstEnable &&
        e.seq > firstEnable.seq &&
        /operation/i.test(`${e.operationId ?? ''} ${e.path}`),
    );
    const lastPoll = lroPolls.at(-1);
    const waitEntries = entries.filter(
      (e) => e.operationId === 'ReplicationProtectedItems_List' && lastPoll && e.seq > lastPoll.seq,
    );
    const waitS =
      waitEntries.length > 1 ? (Date.parse(waitEntries.at(-1)!.time) - Date.parse(lastPoll!.time)) / 1000 : 0;
    const reads = entries.filter((e) => e.method === 'GET' && lastPoll && e.seq > lastPoll.seq).length;
    const parent = (await client.workflow.getHandle(id).fetchHistory()).events?.length ?? 0;
    let children = 0;
    for (let i = 1; i <= VMS; i++)
      children +=
        (
          await client.workflow
            .getHandle(workflowIds.vmProtection('litware', `vm${String(i).padStart(4, '0')}`))
            .fetchHistory()
        ).events?.length ?? 0;
    const perHour = (n: number) => (waitS > 0 ? (n / waitS) * 3600 : 0);
    console.log(
      JSON.stringify(
        {
          vms: VMS,
          replicationPollMs: POLL_MS,
          emulatorSpeed: SPEED,
          onboardingSecondsAfterRegistration: Number(elapsedS.toFixed(1)),
          replicationWaitSeconds: Number(waitS.toFixed(1)),
          vaultListCallsDuringWait: waitEntries.length,
          armReadsDuringWait: reads,
          enableProtectionLroPollsPerVm: Number((lroPolls.length / VMS).toFixed(1)),
          armReadsPerVmPerHourOfWait: Number((perHour(reads) / VMS).toFixed(2)),
          listCallsPerHourOfWait: Number(perHour(waitEntries.length).toFixed(0)),
          // Answers ARM throttled (429) over the whole run: the worker's request budget should keep this at 0.
          throttledResponses: entries.filter((e) => e.status === 429).length,
          armRequests: entries.filter((e) => e.subscriptionId).length,
          historyEvents: {
            tenantWorkflow: parent,
            vmWorkflows: children,
            perVm: Number(((parent + children) / VMS).toFixed(1)),
          },
        },
        null,
        2,
      ),
    );
  } finally {
    admin.close();
    worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
    await emulator.stop();
    await temporal.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
