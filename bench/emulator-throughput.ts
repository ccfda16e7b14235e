// Request throughput of the Azure emulator on loopback, for a GET mix and an LRO mix.
//   node --import tsx bench/emulator-throughput.ts [--seconds 5] [--concurrency 16]
// The emulator runs in its own process (as `asrflow emulator start` does); this process is
// only the load generator, with keep-alive HTTPS connections that trust the emulator's CA.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { rootCertificates } from 'node:tls';
import { readFileSync } from 'node:fs';
import { ClientSecretCredential } from '../src/azure/sdk';

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const SECONDS = arg('seconds', 5);
const CONCURRENCY = arg('concurrency', 16);
const SUB = 'c1000000-0000-4000-8000-000000000001';

interface Info {
  armEndpoint: string;
  authorityHost: string;
  caCertPath: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-bench-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(path.dirname(require.resolve('@asrflow/azure-emulator/package.json')), 'src', 'main.ts'),
      'emulator',
      'start',
      '--port',
      '0',
      '--data-dir',
      dir,
      '--speed',
      '100000',
      '--no-throttling',
    ],
    {
      cwd: path.join(__dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    const info = JSON.parse(
      await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve)),
    ) as Info;
    const agent = new Agent({
      ca: [...rootCertificates, readFileSync(info.caCertPath, 'utf8')],
      keepAlive: true,
      maxSockets: CONCURRENCY,
    });
    const credential = new ClientSecretCredential(
      'c0000000-0000-4000-8000-000000000001',
      'c2000000-0000-4000-8000-000000000001',
      'contoso-demo-secret-1',
      { authorityHost: info.authorityHost, disableInstanceDiscovery: true, agent },
    );
    const token = (await credential.getToken('https://management.azure.com/.default')).token;

    const call = (
      method: string,
      p: string,
      body?: unknown,
    ): Promise<{ status: number; headers: Record<string, unknown>; body: unknown }> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = request(
          new URL(p, info.armEndpoint),
          {
            method,
            agent,
            headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const t = Buffer.concat(chunks).toString();
              resolve({
                status: res.statusCode ?? 0,
                headers: res.headers,
                body: t ? (JSON.parse(t) as unknown) : undefined,
              });
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });

    // A small world to read: resource group, storage, vault with a policy.
    const rg = `/subscriptions/${SUB}/resourceGroups/bench-rg`;
    await call('PUT', `${rg}?api-version=2025-04-01`, { location: 'westeurope' });
    await call('PUT', `${rg}/providers/Microsoft.Storage/storageAccounts/benchasr01?api-version=2025-08-01`, {
      location: 'westeurope',
      kind: 'StorageV2',
      sku: { name: 'Standard_GRS' },
    });
    const vault = `${rg}/providers/Microsoft.RecoveryServices/vaults/bench-vault`;
    await call('PUT', `${vault}?api-version=2024-04-01`, { location: 'westeurope', sku: { name: 'Standard' } });
    const storageId = `${rg}/providers/Microsoft.Storage/storageAccounts/benchasr01`;

    const gets = [
      `${rg}?api-version=2025-04-01`,
      `${vault}?api-version=2024-04-01`,
      `${vault}/replicationPolicies?api-version=2023-06-01`,
      `${vault}/replicationJobs?api-version=2023-06-01`,
    ];
    const measure = async (name: string, worker: (i: number) => Promise<number>): Promise<Record<string, unknown>> => {
      const end = Date.now() + SECONDS * 1000;
      let requests = 0;
      let units = 0;
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, w) => {
          let i = w;
          while (Date.now() < end) {
            // Read the count after the await: `requests += await …` would lose concurrent updates.
            const done = await worker(i);
            requests += done;
            units += 1;
            i += CONCURRENCY;
          }
        }),
      );
      const secs = Number(process.hrtime.bigint() - started) / 1e9;
      return {
        mix: name,
        concurrency: CONCURRENCY,
        seconds: Number(secs.toFixed(2)),
        requests,
        requestsPerSecond: Math.round(requests / secs),
        unitsPerSecond: Math.round(units / secs),
      };
    };

    const getMix = await measure('GET (resource group, vault, policy list, job list)', async (i) => {
      const r = await call('GET', gets[i % gets.length] ?? '');
      if (r.status !== 200) throw new Error(`GET answered ${r.status}`);
      return 1;
    });

    let n = 0;
    const lroMix = await measure('LRO (PUT policy, poll Azure-AsyncOperation, final GET)', async () => {
      const name = `p${n++}`;
      const put = await call('PUT', `${vault}/replicationPolicies/${name}?api-version=2023-06-01`, {
        properties: {
          providerSpecificInput: {
            instanceType: 'HyperVReplicaAzure',
            replicationInterval: 300,
            recoveryPointHistoryDuration: 1,
            applicationConsistentSnapshotFrequencyInHours: 0,
            storageAccounts: [storageId],
          },
        },
      });
      if (put.status !== 202) throw new Error(`PUT answered ${put.status}`);
      let requests = 1;
      const statusUrl = new URL(String(put.headers['azure-asyncoperation']));
      for (;;) {
        const s = await call('GET', statusUrl.pathname + statusUrl.search);
        requests += 1;
        if ((s.body as { status?: string }).status !== 'InProgress') break;
      }
      await call('GET', `${vault}/replicationPolicies/${name}?api-version=2023-06-01`);
      return requests + 1;
    });

    const result = { node: process.version, cpus: os.cpus().length, results: [getMix, lroMix] };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
    agent.destroy();
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
