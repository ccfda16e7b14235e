// The hoster-scale benchmark (issue #13): N VMs over T tenants, onboarded by asrflow against the
// emulator with Azure-like latencies (reads 100 ms, writes 300 ms) and ARM's throttling buckets,
// with 1 and/or 3 worker processes, next to a sequential baseline (one VM at a time, as a
// PowerShell loop does it) in the same run. From a fresh clone, one command:
//
//   npm run bench:scale -- --vms 1000 --tenants 20 --scenario both --workers 1,3 --baseline-vms 200
//
// (= node scripts/ensure-setup.mjs && npm run build && node --import tsx bench/scale.ts …; the
// worker processes run the compiled CLI, `node bin/asrflow.js worker`, so dist/ must be current.)
//
// Options (defaults): --vms 1000  --tenants 20  --scenario multitenant|dedicated|both (both)
//   --workers 1|3|1,3 (1,3: one run per count)  --baseline-vms 200 (0 = skip)  --poll-ms 1000
//   (the worker's replication/registration/provisioning poll, and the baseline's)  --speed 30
//   (simulated seconds per real second)  --timeout-min 60 (per run)  --keep-dir (keep logs, plans)
//   --arm-share 0.95 (the worker budget as a share of ARM's buckets; default: the product's own)
//   --cpu-prof DIR (each worker process writes a V8 CPU profile there; summarize it with
//   node --import tsx bench/cpu-profile-summary.ts DIR/<scenario>-w<N>/*.cpuprofile)
//
// Each run (scenario × worker count) gets a fresh Temporal dev server, an in-process emulator and
// W worker processes. The bench generates the estate and the plan, starts the onboarding the way
// `asrflow onboard` does (loadPlan + startOnboarding), plays the operator's Provider installation
// whenever a vault credentials file appears, and waits for every tenant's onboarding to complete.
// It prints a Markdown table and one line `SCALE_RESULT {json}`.
//
// LOWER BOUND (what no orchestrator can beat on this emulator), in real seconds, S = --speed:
//   T_setup  = max(vault + max(registration, policy) + containerMapping,  vault + registration
//              + networkMapping,  storage,  vnet)          [simulated s: the dependency chain before
//              a VM can be enabled; a policy needs only the vault, the cloud mapping needs the
//              registered cloud and the policy, the network mapping only the registration]
//   T_vm     = EnableDr job + initial replication (used bytes / upload rate)      [simulated s]
//   per ARM write bucket b (subscription + principal of a vault: B = 200 burst, r = 10/s) that
//   carries W_b setup writes and V_b enable-protection PUTs:
//   last_b   = max( T_setup/S + max(0, V_b − B)/r ,  max(0, W_b + V_b − B)/r )
//              (the n-th write of a bucket cannot be accepted before (n − B)/r s, and at most
//              B + r·t writes fit in t seconds after the setup: the bucket never holds more than B)
//   LB       = max_b last_b + T_vm/S
//   W_b: dedicated = 9 per tenant (RG, storage, VNet, test VNet, vault, vault certificate, policy,
//   cloud mapping, network mapping); multitenant = 3 on the hoster's (RG, vault, certificate) + 3
//   per tenant (policy, cloud mapping, network mapping). Reads (250 + 25/s) do not bind: the
//   minimum needed is a list per vault at the end. Durations are read from the emulator's world
//   after the run (its jobs' task durations, vault readiness, each item's bytes and rate), so the
//   bound follows the emulator if its simulated durations change. Request latencies are left
//   out, so at small VM counts the ratio is dominated by the chain of sequential calls.
import { execFileSync } from 'node:child_process';
import {
  createWriteStream,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { stringify as toYaml } from 'yaml';
import {
  EmulatorAdminClient,
  loadEstateFile,
  startEmulator,
  type EmulatorHandle,
  type Estate,
  type FaultRule,
  type WorldState,
} from '@asrflow/azure-emulator';
import { AzureClientFactory } from '../src/azure/clients';
import { loadAzureTarget } from '../src/azure/target';
import { readStorageAccount } from '../src/azure/storage';
import { readVirtualNetwork } from '../src/azure/network';
import { asrVault, containerId } from '../src/azure/site-recovery/vault';
import { findTenantContainer } from '../src/azure/site-recovery/fabrics';
import { listProtectableItems } from '../src/azure/site-recovery/protectable-items';
import { readPolicyId } from '../src/azure/site-recovery/policies';
import { readProtectedItem } from '../src/azure/site-recovery/protected-items';
import { getJob } from '../src/azure/site-recovery/jobs';
import { policyName } from '../src/domain/vault-names';
import { loadPlan } from '../src/domain/plan/load';
import type { Plan } from '../src/domain/plan/types';
import { packageRoot } from '../src/domain/package-root';
import { startDevServer, type DevServer } from '../src/devstack/temporal-server';
import { spawnWorker, type WorkerProcess } from '../src/devstack/worker-process';
import { startOnboarding } from '../src/onboarding/start';
import { progressQuery } from '../src/temporal/workflow/progress';
import { workflowIds } from '../src/temporal/workflow/workflow-ids';

// ---------------------------------------------------------------------------------------------
// Options

type Scenario = 'multitenant' | 'dedicated';

interface Options {
  vms: number;
  tenants: number;
  scenarios: Scenario[];
  workers: number[];
  baselineVms: number;
  pollMs: number;
  speed: number;
  timeoutMin: number;
  keepDir: boolean;
  /** The worker's ARM budget as a share of ARM's buckets; undefined: the product's defaults. */
  armShare: number | undefined;
  /** Where each worker process writes its V8 CPU profile (node --cpu-prof), if anywhere. */
  cpuProfDir: string | undefined;
}

class UsageError extends Error {}

/** ARM's buckets per subscription and principal (the emulator's DEFAULT_THROTTLING, and the lower bound's). */
const ARM_BUCKETS = { reads: { burst: 250, perSecond: 25 }, writes: { burst: 200, perSecond: 10 } };

function armBudgetEnv(share: number): Record<string, string> {
  return {
    ASRFLOW_ARM_READS_PER_SECOND: String(ARM_BUCKETS.reads.perSecond * share),
    ASRFLOW_ARM_READS_BURST: String(Math.floor(ARM_BUCKETS.reads.burst * share)),
    ASRFLOW_ARM_WRITES_PER_SECOND: String(ARM_BUCKETS.writes.perSecond * share),
    ASRFLOW_ARM_WRITES_BURST: String(Math.floor(ARM_BUCKETS.writes.burst * share)),
  };
}
const USAGE =
  'usage: npm run bench:scale -- [--vms 1000] [--tenants 20] [--scenario multitenant|dedicated|both] ' +
  '[--workers 1|3|1,3] [--baseline-vms 200] [--poll-ms 1000] [--speed 30] [--timeout-min 60] [--keep-dir] ' +
  '[--arm-share 0.95|default] [--cpu-prof DIR]';

function parseOptions(argv: string[]): Options {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, def: number, min: number): number => {
    const raw = value(name);
    const n = raw === undefined ? def : Number(raw);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}: got '${raw}'`);
    return n;
  };
  const known = new Set([
    'vms',
    'tenants',
    'scenario',
    'workers',
    'baseline-vms',
    'poll-ms',
    'speed',
    'timeout-min',
    'keep-dir',
    'arm-share',
    'cpu-prof',
  ]);
  for (const a of argv) if (a.startsWith('--') && !known.has(a.slice(2))) throw new UsageError(`unknown option ${a}`);
  const scenario = value('scenario') ?? 'both';
  if (!['multitenant', 'dedicated', 'both'].includes(scenario))
    throw new UsageError(`--scenario must be multitenant, dedicated or both: got '${scenario}'`);
  const workers = (value('workers') ?? '1,3').split(',').map((w) => Number(w));
  if (workers.some((w) => !Number.isInteger(w) || w < 1))
    throw new UsageError(`--workers must be a count or a comma list of counts (1, 3, 1,3): got '${value('workers')}'`);
  const options: Options = {
    vms: Math.round(num('vms', 1000, 1)),
    tenants: Math.round(num('tenants', 20, 1)),
    scenarios: scenario === 'both' ? ['multitenant', 'dedicated'] : [scenario as Scenario],
    workers,
    baselineVms: Math.round(num('baseline-vms', 200, 0)),
    pollMs: Math.round(num('poll-ms', 1000, 10)),
    speed: num('speed', 30, 0.001),
    timeoutMin: num('timeout-min', 60, 0.05),
    keepDir: argv.includes('--keep-dir'),
    armShare: value('arm-share') === 'default' ? undefined : num('arm-share', 0.95, 0.01),
    cpuProfDir: value('cpu-prof') === undefined ? undefined : path.resolve(value('cpu-prof') ?? ''),
  };
  if (options.armShare !== undefined && options.armShare > 1)
    throw new UsageError('--arm-share must be at most 1 (the whole of ARM’s buckets) or default');
  if (options.tenants > 250) throw new UsageError('--tenants: at most 250 (each tenant gets a 10.<n>.0.0/16)');
  if (options.tenants > options.vms) throw new UsageError('--tenants must not exceed --vms');
  return options;
}

// ---------------------------------------------------------------------------------------------
// The generated world: an Entra tenant per CSP tenant (plus the hoster), each with asrflow's app
// and a second app for the baseline ("the operator's PowerShell"), the VMM estate and the plan.

const REGION = 'westeurope';
const PROVIDER_VERSION = '5.1.2250.0';
const UPLOAD_MBPS = 200;
/** Small VMs, so that orchestration cost shows: 1 GB to copy, 43 simulated seconds at 200 Mbps. */
const VM_DISK_GB = { sizeGB: 2, usedGB: 1 };
const BASELINE_PREFIX = 'ps-vm';

/** Azure-like answer times: every ARM read 100 ms, every write 300 ms (real milliseconds). */
const AZURE_LATENCY: FaultRule[] = [
  { id: 'latency-GET', match: { method: 'GET' }, action: { kind: 'delay', ms: 100 } },
  { id: 'latency-HEAD', match: { method: 'HEAD' }, action: { kind: 'delay', ms: 100 } },
  ...['PUT', 'POST', 'PATCH', 'DELETE'].map((method): FaultRule => ({
    id: `latency-${method}`,
    match: { method },
    action: { kind: 'delay', ms: 300 },
  })),
];

interface Party {
  name: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  secretEnv: string;
  secret: string;
  psClientId: string;
  psSecretEnv: string;
  psSecret: string;
}

interface BenchTenant extends Party {
  index: number;
  cloud: string;
  vmNetwork: string;
  subnet: string;
  vmmServer: string;
  storageAccount: string;
  vnet: string;
  resourceGroup: string;
  vms: string[];
  baselineVms: string[];
}

interface World {
  scenario: Scenario;
  estate: Estate;
  planDoc: Record<string, unknown>;
  secrets: Record<string, string>;
  hoster: Party;
  tenants: BenchTenant[];
  /** Vault name (lowercase) → the VMM server that registers with it. */
  vaultVmm: Map<string, string>;
  sharedVmm: string;
}

const guid = (prefix: string, i: number) => `${prefix}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

function party(name: string, i: number): Party {
  const env = name.toUpperCase().replace(/-/g, '_');
  return {
    name,
    tenantId: guid('5ca1e000', i),
    subscriptionId: guid('5ca1e001', i),
    clientId: guid('5ca1e002', i),
    secretEnv: `ASRFLOW_SECRET_SCALE_${env}`,
    secret: `scale-secret-${name}`,
    psClientId: guid('5ca1e003', i),
    psSecretEnv: `ASRFLOW_SECRET_SCALE_${env}_PS`,
    psSecret: `scale-ps-secret-${name}`,
  };
}

function buildWorld(options: Options, scenario: Scenario): World {
  const hoster = party('hoster', 0);
  const sharedVmm = 'vmm01.hoster.local';
  const tenants: BenchTenant[] = [];
  for (let i = 1; i <= options.tenants; i++) {
    const name = `t${pad(i, 3)}`;
    const count = Math.floor(options.vms / options.tenants) + (i <= options.vms % options.tenants ? 1 : 0);
    tenants.push({
      ...party(name, i),
      index: i,
      cloud: `${name.toUpperCase()}-Cloud`,
      vmNetwork: `${name.toUpperCase()}-VMNet`,
      subnet: `${name.toUpperCase()}-Subnet`,
      vmmServer: scenario === 'multitenant' ? sharedVmm : `vmm-${name}.scale.local`,
      storageAccount: `${name}scaledr`,
      vnet: `${name}-dr-vnet`,
      resourceGroup: `${name}-dr-rg`,
      vms: Array.from({ length: count }, (_, k) => `${name}-vm${pad(k + 1, 4)}`),
      baselineVms:
        i === 1 ? Array.from({ length: options.baselineVms }, (_, k) => `${BASELINE_PREFIX}${pad(k + 1, 4)}`) : [],
    });
  }

  const vm = (t: BenchTenant, name: string, host: string) => ({
    name,
    cloud: t.cloud,
    host,
    generation: 2 as const,
    osType: 'Windows' as const,
    osName: 'Windows Server 2012 R2 Datacenter',
    cpuCount: 2,
    memoryMB: 4096,
    networks: [t.vmNetwork],
    disks: [{ name: `${name}-os.vhdx`, ...VM_DISK_GB, format: 'VHDX' as const, os: true }],
  });
  const vmmOf = (server: string, ts: BenchTenant[]): Estate['vmmServers'][number] => {
    const host = `hv01.${server.split('.').slice(1).join('.')}`;
    return {
      name: server,
      providerVersion: PROVIDER_VERSION,
      uploadMbps: UPLOAD_MBPS,
      hosts: [{ name: host, agentInstalled: true }],
      clouds: ts.map((t) => ({ name: t.cloud })),
      vmNetworks: ts.map((t) => ({
        name: t.vmNetwork,
        subnets: [{ name: t.subnet, addressPrefix: `10.${t.index}.0.0/24` }],
      })),
      vms: ts.flatMap((t) => [...t.vms, ...t.baselineVms].map((n) => vm(t, n, host))),
    };
  };
  const estateTenant = (p: Party) => ({
    name: p.name,
    tenantId: p.tenantId,
    subscriptions: [{ id: p.subscriptionId, displayName: `${p.name} subscription` }],
    apps: [
      { clientId: p.clientId, secret: p.secret, displayName: `asrflow-${p.name}` },
      { clientId: p.psClientId, secret: p.psSecret, displayName: `powershell-${p.name}` },
    ],
  });
  const estate: Estate = {
    region: REGION,
    tenants: [hoster, ...tenants].map(estateTenant),
    vmmServers: scenario === 'multitenant' ? [vmmOf(sharedVmm, tenants)] : tenants.map((t) => vmmOf(t.vmmServer, [t])),
  };

  const credential = (p: Party) => ({ type: 'clientSecret', clientId: p.clientId, secretEnv: p.secretEnv });
  const planTenant = (t: BenchTenant) => ({
    name: t.name,
    tenantId: t.tenantId,
    subscriptionId: t.subscriptionId,
    credential: credential(t),
    region: REGION,
    resourceGroup: t.resourceGroup,
    storageAccount: { name: t.storageAccount },
    network: {
      vnet: t.vnet,
      addressSpace: [`10.${t.index}.0.0/16`],
      subnets: [{ name: t.subnet, prefix: `10.${t.index}.0.0/24` }],
      testFailoverVnet: { name: `${t.name}-dr-test-vnet` },
    },
    vmm:
      scenario === 'multitenant'
        ? { cloud: t.cloud, vmNetwork: t.vmNetwork }
        : { server: t.vmmServer, cloud: t.cloud, vmNetwork: t.vmNetwork },
    // The baseline's VMs share tenant 1's cloud (and its policy and mappings); asrflow leaves them.
    vms: t.baselineVms.length > 0 ? { include: 'all', exclude: t.baselineVms } : { include: 'all' },
  });
  const planDoc: Record<string, unknown> = {
    version: 1,
    scenario: scenario === 'multitenant' ? 'multitenant-vmm' : 'dedicated-vmm',
    ...(scenario === 'multitenant'
      ? {
          provider: {
            name: hoster.name,
            tenantId: hoster.tenantId,
            subscriptionId: hoster.subscriptionId,
            credential: credential(hoster),
            region: REGION,
            resourceGroup: 'hoster-asr-rg',
            vault: 'hoster-asr-vault',
            vmmServer: sharedVmm,
          },
        }
      : {}),
    tenants: tenants.map(planTenant),
  };
  const secrets: Record<string, string> = {};
  for (const p of [hoster, ...tenants]) {
    secrets[p.secretEnv] = p.secret;
    secrets[p.psSecretEnv] = p.psSecret;
  }
  const vaultVmm = new Map<string, string>(
    scenario === 'multitenant'
      ? [['hoster-asr-vault', sharedVmm]]
      : tenants.map((t) => [`${t.name}-asr-vault`, t.vmmServer]),
  );
  return { scenario, estate, planDoc, secrets, hoster, tenants, vaultVmm, sharedVmm };
}

// ---------------------------------------------------------------------------------------------
// Cleanup: everything started is stopped, in reverse order, on success, error and Ctrl-C.

const cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];
const childPids = new Set<number>();

function onCleanup(what: string, run: () => Promise<void> | void): () => Promise<void> {
  const entry = { what, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i >= 0) cleanups.splice(i, 1);
    await run();
  };
}

async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop();
    if (!entry) break;
    try {
      await entry.run();
    } catch (error) {
      console.error(`scale: cleanup of ${entry.what} failed: ${String(error)}`);
    }
  }
}

// Last resort if the process dies without running the cleanups: no orphaned server or worker.
process.on('exit', () => {
  for (const pid of childPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`\nscale: ${signal}: stopping everything this bench started …`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Per-process figures from /proc.

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface ProcFigures {
  cpuMs: number;
  peakRssMiB: number;
}

function procFigures(pid: number): ProcFigures | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state is field 3, utime field 14, stime field 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuMs = ((Number(fields[11]) + Number(fields[12])) / CLK_TCK) * 1000;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpuMs, peakRssMiB: Number(hwm ?? 0) / 1024 };
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// The emulator's request log, collected as it goes (its own log keeps the newest 20,000 only).

type LogEntry = ReturnType<EmulatorHandle['core']['log']['since']>[number];

interface Req {
  t: number;
  method: string;
  path: string;
  query: string;
  status: number;
  op?: string;
  app?: string;
  sub?: string;
}

class RequestCollector {
  readonly entries: Req[] = [];
  lost = 0;
  private last = 0;

  constructor(private readonly log: { since(seq: number, withBodies: boolean): LogEntry[] }) {}

  poll(): void {
    const fresh = this.log.since(this.last, false);
    const first = fresh[0];
    if (first && first.seq > this.last + 1) this.lost += first.seq - this.last - 1;
    for (const e of fresh) {
      this.entries.push({
        t: Date.parse(e.time),
        method: e.method,
        path: e.path,
        query: e.query,
        status: e.status,
        ...(e.operationId ? { op: e.operationId } : {}),
        ...(e.appId ? { app: e.appId } : {}),
        ...(e.subscriptionId ? { sub: e.subscriptionId } : {}),
      });
      this.last = e.seq;
    }
  }
}

const VAULT_PATH =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.RecoveryServices\/vaults\/([^/]+)/i;
const vaultKey = (sub: string, rg: string, vault: string) => `${sub}/${rg}/${vault}`.toLowerCase();
function vaultOf(p: string): string | undefined {
  const m = VAULT_PATH.exec(p);
  return m ? vaultKey(m[1] ?? '', m[2] ?? '', m[3] ?? '') : undefined;
}
const isItemList = (r: Req) => r.method === 'GET' && /\/replicationProtectedItems$/i.test(r.path);

// ---------------------------------------------------------------------------------------------
// The operator's step: install the Provider with each vault credentials file the workflows write.

class ProviderInstaller {
  readonly installed: Array<{ vault: string; vmm: string; at: number }> = [];
  readonly problems: string[] = [];
  private readonly done = new Set<string>();
  private readonly tries = new Map<string, number>();
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly dir: string,
    private readonly vaultVmm: Map<string, string>,
    private readonly admin: EmulatorAdminClient,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.tick().catch((error: unknown) => this.problems.push(String(error)));
        await sleep(200);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async tick(): Promise<void> {
    if (!existsSync(this.dir)) return;
    for (const file of readdirSync(this.dir)) {
      if (!file.endsWith('.VaultCredentials') || this.done.has(file)) continue;
      const xml = readFileSync(path.join(this.dir, file), 'utf8');
      const vault = /<ResourceName>([^<]*)<\/ResourceName>/.exec(xml)?.[1] ?? '';
      const vmm = this.vaultVmm.get(vault.toLowerCase());
      if (!vmm) {
        this.done.add(file);
        this.problems.push(`${file}: no VMM server of this bench registers with vault '${vault}'`);
        continue;
      }
      const answer = await this.admin.installProvider(xml, vmm);
      if (answer.status === 200) {
        this.done.add(file);
        this.installed.push({ vault, vmm, at: Date.now() });
      } else {
        const tries = (this.tries.get(file) ?? 0) + 1;
        this.tries.set(file, tries);
        if (tries >= 25) {
          this.done.add(file);
          this.problems.push(`${file}: the Provider installation failed: ${JSON.stringify(answer.body)}`);
        }
      }
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Temporal histories: events, activity tasks and throttling that reached the workflows.

interface HistoryStats {
  executions: number;
  events: number;
  largest: { workflowId: string; events: number };
  activityCompleted: number;
  activityFailed: number;
  activityTimedOut: number;
  /** Attempts that ran on a worker: the sum of each activity's final attempt number. */
  activityAttempts: number;
  /** ActivityTaskFailed events whose failure is a 429 / throttling: what a workflow saw fail. */
  throttledActivityFailures: number;
  /**
   * Activities that needed more than one attempt and whose last failed attempt was a 429 /
   * throttling. A history keeps only the last failure of a retried activity (the final
   * ActivityTaskStarted's lastFailure), so earlier attempts' reasons are not known.
   */
  throttledRetriedActivities: number;
  /** Attempts beyond the first, per activity type. */
  retriesByActivity: Record<string, number>;
  /** The last failure before the final attempt of each retried activity, by kind. */
  lastFailureOfRetried: Record<string, number>;
  /** Activities scheduled, by type. */
  scheduledByActivity: Record<string, number>;
  /** Per VM workflow: seconds from its enable request's completion to the first news of its item. */
  newsAfterRequest: number[];
}

type Failure = temporal.api.failure.v1.IFailure | null | undefined;
function failureText(f: Failure, depth = 0): string {
  if (!f || depth > 10) return '';
  return `${f.message ?? ''} ${f.applicationFailureInfo?.type ?? ''} ${failureText(f.cause, depth + 1)}`;
}
const THROTTLED = /\b429\b|throttl/i;
function failureKind(f: Failure): string {
  if (!f) return 'unknown';
  if (f.applicationFailureInfo?.type) return f.applicationFailureInfo.type;
  if (f.timeoutFailureInfo) return `timeout (${temporalTimeoutName(f.timeoutFailureInfo.timeoutType)})`;
  if (f.canceledFailureInfo) return 'cancelled';
  return (f.message ?? 'unknown').slice(0, 60);
}
function temporalTimeoutName(type: number | null | undefined): string {
  return (
    ['unspecified', 'start-to-close', 'schedule-to-start', 'schedule-to-close', 'heartbeat'][type ?? 0] ?? String(type)
  );
}
const bump = (m: Record<string, number>, key: string, by = 1) => {
  m[key] = (m[key] ?? 0) + by;
};
const top = (m: Record<string, number>, n = 3) =>
  Object.entries(m)
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || '—';

async function historyStats(client: Client): Promise<HistoryStats> {
  const s: HistoryStats = {
    executions: 0,
    events: 0,
    largest: { workflowId: '', events: 0 },
    activityCompleted: 0,
    activityFailed: 0,
    activityTimedOut: 0,
    activityAttempts: 0,
    throttledActivityFailures: 0,
    throttledRetriedActivities: 0,
    retriesByActivity: {},
    lastFailureOfRetried: {},
    scheduledByActivity: {},
    newsAfterRequest: [],
  };
  const seconds = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.eventTime?.seconds ?? 0) + (e.eventTime?.nanos ?? 0) / 1e9;
  for await (const { workflowId, history } of client.workflow.list().intoHistories({ concurrency: 8 })) {
    const events = (history as temporal.api.history.v1.IHistory).events ?? [];
    s.executions += 1;
    s.events += events.length;
    if (events.length > s.largest.events) s.largest = { workflowId, events: events.length };
    const activityTypes = new Map<string, string>();
    let requested: number | undefined;
    let heard = false;
    for (const e of events) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        activityTypes.set(String(e.eventId), scheduled.activityType?.name ?? '?');
        bump(s.scheduledByActivity, scheduled.activityType?.name ?? '?');
      }
      const completed = e.activityTaskCompletedEventAttributes;
      if (completed && requested === undefined)
        if (activityTypes.get(String(completed.scheduledEventId)) === 'requestProtection') {
          requested = seconds(e);
          // News that came while the request was still out: no wait at all.
          if (heard) s.newsAfterRequest.push(0);
        }
      if (e.workflowExecutionSignaledEventAttributes && !heard) {
        heard = true;
        if (requested !== undefined) s.newsAfterRequest.push(seconds(e) - requested);
      }
      if (e.activityTaskCompletedEventAttributes) s.activityCompleted += 1;
      if (e.activityTaskTimedOutEventAttributes) s.activityTimedOut += 1;
      const failed = e.activityTaskFailedEventAttributes;
      if (failed) {
        s.activityFailed += 1;
        if (THROTTLED.test(failureText(failed.failure))) s.throttledActivityFailures += 1;
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started) {
        const attempt = Math.max(1, started.attempt ?? 1);
        s.activityAttempts += attempt;
        if (attempt > 1) {
          bump(s.retriesByActivity, activityTypes.get(String(started.scheduledEventId)) ?? '?', attempt - 1);
          bump(s.lastFailureOfRetried, failureKind(started.lastFailure));
          if (THROTTLED.test(failureText(started.lastFailure))) s.throttledRetriedActivities += 1;
        }
      }
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// The lower bound (formula at the top of this file).

interface SimDurations {
  vault: number;
  storage: number;
  vnet: number;
  registration: number;
  policy: number;
  containerMapping: number;
  networkMapping: number;
  enable: number;
  replication: number;
}

function simDurations(world: WorldState): SimDurations {
  const jobs = Object.values(world.vaults).flatMap((v) => Object.values(v.asr.jobs));
  const longest = (scenario: string, fallback: number) => {
    let max = -1;
    for (const j of jobs)
      if (j.scenarioName === scenario) max = Math.max(max, j.tasks.reduce((n, t) => n + t.durationMs, 0) / 1000);
    return max >= 0 ? max : fallback;
  };
  const maxOf = (values: number[], fallback: number) => (values.length > 0 ? Math.max(...values) : fallback);
  let replication = 0;
  for (const v of Object.values(world.vaults))
    for (const f of Object.values(v.asr.fabrics))
      for (const c of Object.values(f.containers))
        for (const i of Object.values(c.items)) {
          const r = i.replication;
          if (r) replication = Math.max(replication, Math.ceil((r.bytes / r.bytesPerSecond) * 1000) / 1000);
        }
  return {
    vault: maxOf(
      Object.values(world.vaults).map((v) => (v.readyAt - v.createdAt) / 1000),
      10,
    ),
    storage: maxOf(
      Object.values(world.storageAccounts).map((a) => (a.readyAt - a.createdAt) / 1000),
      20,
    ),
    vnet: 5,
    registration: longest('RegisterDra', 140),
    policy: longest('AddProtectionProfile', 30),
    containerMapping: longest('ConfigureProtection', 60),
    networkMapping: longest('MapNetwork', 30),
    enable: longest('EnableDr', 150),
    replication: replication || (VM_DISK_GB.usedGB * 1024 ** 3) / ((UPLOAD_MBPS * 1e6) / 8),
  };
}

interface LowerBound {
  seconds: number;
  setupSeconds: number;
  vmSeconds: number;
  /** The bucket-limited part: when the last enable PUT can go at the earliest. */
  lastEnableSeconds: number;
  durations: SimDurations;
}

function lowerBound(
  d: SimDurations,
  speed: number,
  buckets: Array<{ setupWrites: number; enables: number }>,
): LowerBound {
  const setupSim = Math.max(
    d.vault + Math.max(d.registration, d.policy) + d.containerMapping,
    d.vault + d.registration + d.networkMapping,
    d.storage,
    d.vnet,
  );
  const { burst: B, perSecond: r } = ARM_BUCKETS.writes;
  const lastEnable = Math.max(
    ...buckets.map((b) =>
      Math.max(setupSim / speed + Math.max(0, b.enables - B) / r, Math.max(0, b.setupWrites + b.enables - B) / r),
    ),
  );
  const vmSim = d.enable + d.replication;
  return {
    seconds: lastEnable + vmSim / speed,
    setupSeconds: setupSim / speed,
    vmSeconds: vmSim / speed,
    lastEnableSeconds: lastEnable,
    durations: d,
  };
}

// ---------------------------------------------------------------------------------------------
// One run: a fresh stack, asrflow onboarding every VM, the figures; the baseline if asked.

interface RunResult {
  scenario: Scenario;
  /** Seconds from a VM's enable request to the first news of its item (VM workflows that sent one). */
  newsAfterRequest: { vms: number; median: number; p95: number; max: number };
  /** CPU the Temporal dev server spent from `onboard` to done. */
  temporalCpuSeconds: number;
  /** VMs that looked at their item themselves (`checkProtection`): no news within ten intervals (at least a minute). */
  ownLooks: number;
  workers: number;
  speed: number;
  /** Dev server, emulator and worker processes up and polling. */
  startupSeconds: number;
  vms: number;
  tenants: number;
  protectedVms: number;
  wallSeconds: number;
  lowerBound: LowerBound;
  ratio: number;
  worstTenant: { tenant: string; wallSeconds: number; lowerBoundSeconds: number; ratio: number };
  /** Seconds from `onboard` to each tenant's first enable-protection PUT (min / median / max). */
  firstEnablePut: { min: number; median: number; max: number };
  lastEnablePutSeconds: number;
  armRequests: number;
  throttled429: number;
  throttled429Writes: number;
  /**
   * Per vault, from its first enable PUT to the completion of its last tenant (its VMs enable and
   * replicate): item-list requests (pages) and all ARM reads on the vault, per real minute and per
   * emulated minute (real ÷ speed: Azure's time, in which the targets of issue #13 are stated).
   */
  replicationWait: {
    vaults: number;
    windowSeconds: number;
    itemListsPerVaultPerMinute: { mean: number; max: number };
    readsPerVaultPerMinute: { mean: number; max: number };
    itemListsPerVaultPerEmulatedMinute: { mean: number; max: number };
    readsPerVaultPerEmulatedMinute: { mean: number; max: number };
    /** The reads of that window by operation, all vaults together (top 5). */
    readsByOperation: Record<string, number>;
  };
  history: HistoryStats;
  eventsPerVm: number;
  /** Worker CPU (all processes, onboard → done) ÷ (ActivityTaskCompleted + ActivityTaskFailed). */
  workerCpuMsPerActivityTask: number;
  workerCpuMsPerAttempt: number;
  workerCpuSeconds: number;
  workerPeakRssMiB: number[];
  temporalPeakRssMiB: number;
  benchProcessCpuPercent: number;
  benchPeakRssMiB: number;
  providerInstalls: number;
  logEntriesLost: number;
}

interface BaselineResult {
  vms: number;
  scenario: Scenario;
  wallSeconds: number;
  perVmSeconds: number;
  readsPerVaultPerMinute: number;
  readsPerVaultPerEmulatedMinute: number;
  armRequests: number;
  throttled429: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? 0
    : s.length % 2
      ? (s[(s.length - 1) / 2] ?? 0)
      : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2;
};
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const meanMax = (xs: number[], digits = 1) => ({
  mean: round(mean(xs), digits),
  max: round(Math.max(0, ...xs), digits),
});
const benchStart = performance.now();
const log = (line: string) =>
  console.error(`scale +${((performance.now() - benchStart) / 1000).toFixed(0).padStart(4)} s: ${line}`);

function checkBuild(): void {
  const root = packageRoot();
  const built = path.join(root, 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(built))
    throw new Error('dist/ is missing: run `npm run build` (or `npm run bench:scale`, which builds)');
  const builtAt = statSync(built).mtimeMs;
  const newer: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && statSync(p).mtimeMs > builtAt) newer.push(path.relative(root, p));
    }
  };
  walk(path.join(root, 'src'));
  if (newer.length > 0)
    log(
      `warning: ${newer.length} source file(s) changed after the last build (${newer.slice(0, 3).join(', ')}…): the workers run dist/; run \`npm run build\``,
    );
}

async function runOnce(options: Options, scenario: Scenario, workerCount: number, withBaseline: boolean) {
  const label = `${scenario} ×${workerCount}`;
  const world = buildWorld(options, scenario);
  const dir = mkdtempSync(path.join(os.tmpdir(), `asrflow-scale-${scenario}-w${workerCount}-`));
  const removeDir = onCleanup('the run folder', () => {
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  });
  const estateFile = path.join(dir, 'estate.yaml');
  const planFile = path.join(dir, 'plan.yaml');
  // Written and read back through the emulator's own loader, so the generated estate is validated.
  writeFileSync(estateFile, toYaml(world.estate));
  writeFileSync(planFile, toYaml(world.planDoc));
  const estate = loadEstateFile(estateFile);

  log(`[${label}] starting Temporal, the emulator and ${workerCount} worker process(es) in ${dir}`);
  const stackStarted = performance.now();
  const devServer: DevServer = await startDevServer({ uiPort: false });
  childPids.add(devServer.pid);
  const stopDevServer = onCleanup('the Temporal dev server', async () => {
    await devServer.stop();
    childPids.delete(devServer.pid);
  });
  const emulator = await startEmulator({
    port: 0,
    estate,
    speed: options.speed,
    dataDir: path.join(dir, 'emulator'),
    throttling: true,
    faults: AZURE_LATENCY,
    recordBodies: false,
  });
  const stopEmulator = onCleanup('the emulator', () => emulator.stop());
  const collector = new RequestCollector(emulator.core.log);
  const collecting = setInterval(() => collector.poll(), 1000);
  const stopCollecting = onCleanup('the request collector', () => clearInterval(collecting));
  const admin = EmulatorAdminClient.fromDataDir(emulator.dataDir);
  const closeAdmin = onCleanup('the admin client', () => admin.close());

  const taskQueue = 'scale';
  const credentialsDir = path.join(dir, 'credentials');
  const stackEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: devServer.address,
    TEMPORAL_NAMESPACE: devServer.namespace,
    ASRFLOW_TASK_QUEUE: taskQueue,
    ASRFLOW_ARM_ENDPOINT: emulator.armEndpoint,
    ASRFLOW_AUTHORITY_HOST: emulator.authorityHost,
    ASRFLOW_CA_FILE: emulator.caCertPath,
    ASRFLOW_CREDENTIALS_DIR: credentialsDir,
    ASRFLOW_REGISTRATION_POLL_MS: String(options.pollMs),
    ASRFLOW_REPLICATION_POLL_MS: String(options.pollMs),
    ASRFLOW_PROVISIONING_POLL_MS: String(options.pollMs),
    // The worker's budget as a share of ARM's buckets (the bound's own): a hoster whose
    // subscription serves asrflow alone gives it nearly all of them.
    ...(options.armShare === undefined ? {} : armBudgetEnv(options.armShare)),
    // info: the one line per process that says it is about to poll ("worker started"); the SDK
    // logs activities and workflows at debug, so this adds no line per task.
    ASRFLOW_LOG_LEVEL: process.env.ASRFLOW_LOG_LEVEL ?? 'info',
    ...world.secrets,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...stackEnv };

  const workerTails: string[][] = [];
  const workers: WorkerProcess[] = [];
  const stopWorkers: Array<() => Promise<void>> = [];
  const ready: Array<Promise<void>> = [];
  for (let i = 0; i < workerCount; i++) {
    const out = createWriteStream(path.join(dir, `worker-${i + 1}.log`));
    const tail: string[] = [];
    workerTails.push(tail);
    let started: () => void = () => undefined;
    ready.push(new Promise<void>((resolve) => (started = resolve)));
    // node --cpu-prof writes the profile when the worker exits (it stops on SIGTERM like any worker).
    const nodeArgs = options.cpuProfDir
      ? ['--cpu-prof', `--cpu-prof-dir=${path.join(options.cpuProfDir, `${scenario}-w${workerCount}`)}`]
      : [];
    const w = spawnWorker(stackEnv, {
      nodeArgs,
      onOutput: (line) => {
        out.write(`${line}\n`);
        tail.push(line);
        if (tail.length > 20) tail.shift();
        // src/worker/main.ts logs this right before worker.run() starts polling. (The task
        // queue's pollers cannot tell: DescribeTaskQueue lists the root partition's only.)
        if (line.includes('"msg":"worker started"')) started();
      },
    });
    workers.push(w);
    if (w.child.pid) childPids.add(w.child.pid);
    const stop = onCleanup(`worker ${i + 1}`, async () => {
      const pid = w.child.pid;
      const killer = setTimeout(() => w.child.kill('SIGKILL'), 40_000);
      await w.stop();
      clearTimeout(killer);
      out.end();
      if (pid) childPids.delete(pid);
    });
    stopWorkers.push(stop);
  }
  const workerDied = new Promise<never>((_, reject) => {
    workers.forEach(
      (w, i) =>
        void w.exited.then((code) =>
          reject(
            new Error(
              `worker ${i + 1} exited (${code}) during the run; its last lines:\n${(workerTails[i] ?? []).join('\n')}`,
            ),
          ),
        ),
    );
  });
  workerDied.catch(() => undefined);

  const connection = await Connection.connect({ address: devServer.address });
  const closeConnection = onCleanup('the Temporal client', () => connection.close());
  const client = new Client({ connection, namespace: devServer.namespace });
  let startTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(ready),
    workerDied,
    new Promise<never>((_, reject) => {
      startTimer = setTimeout(() => reject(new Error('the worker processes did not start within 180 s')), 180_000);
    }),
  ]).finally(() => clearTimeout(startTimer));

  const startupSeconds = (performance.now() - stackStarted) / 1000;
  const { plan } = loadPlan(planFile, { env });
  const installer = new ProviderInstaller(credentialsDir, world.vaultVmm, admin);
  installer.start();
  const stopInstaller = onCleanup('the Provider installer', () => installer.stop());

  // ---- asrflow: from `onboard` to every VM protected
  const pids = workers.map((w) => w.child.pid ?? -1);
  const cpuBefore = pids.map((pid) => procFigures(pid)?.cpuMs ?? 0);
  const temporalCpuBefore = procFigures(devServer.pid)?.cpuMs ?? 0;
  const benchCpuBefore = process.cpuUsage();
  const startedAt = Date.now();
  const started = performance.now();
  await startOnboarding(client, plan, taskQueue);
  log(`[${label}] onboarding ${options.vms} VMs over ${options.tenants} tenants`);
  const progress = setInterval(() => {
    log(
      `[${label}] ${((performance.now() - started) / 1000).toFixed(0)} s: ${protectedNow(emulator)}/${options.vms} VMs protected, ` +
        `${collector.entries.length} requests, ${collector.entries.filter((r) => r.status === 429).length} × 429`,
    );
  }, 10_000);
  const stopProgress = onCleanup('the progress line', () => clearInterval(progress));
  const finished = new Map<string, { at: number; seconds: number; protectedVms?: number }>();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${options.timeoutMin} min`)),
      options.timeoutMin * 60_000,
    );
  });
  try {
    await Promise.race([
      Promise.all(
        world.tenants.map(async (t) => {
          const result: unknown = await client.workflow.getHandle(workflowIds.tenantOnboarding(t.name)).result();
          const protectedVms = (result as { protectedVms?: unknown[] } | undefined)?.protectedVms?.length;
          finished.set(t.name, {
            at: Date.now(),
            seconds: (performance.now() - started) / 1000,
            ...(protectedVms !== undefined ? { protectedVms } : {}),
          });
        }),
      ),
      timeout,
      workerDied,
    ]);
  } catch (error) {
    log(`[${label}] the onboarding did not complete: ${String(error)}`);
    for (const t of world.tenants) {
      if (finished.has(t.name)) continue;
      const p = await client.workflow
        .getHandle(workflowIds.tenantOnboarding(t.name))
        .query(progressQuery)
        .catch(() => undefined);
      log(`  ${t.name}: ${p ? `${p.stage}${p.operatorAction ? ` — ${p.operatorAction}` : ''}` : 'no progress answer'}`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const endedAt = Date.now();
  const benchCpu = process.cpuUsage(benchCpuBefore);
  const workerFigures = pids.map((pid) => procFigures(pid));
  const temporalFigures = procFigures(devServer.pid);
  await stopProgress();
  await stopInstaller();
  collector.poll();
  log(`[${label}] every tenant onboarded in ${wallSeconds.toFixed(1)} s; reading the histories`);

  // ---- figures
  await sleep(1000); // visibility catches up with the last completions
  const history = await historyStats(client);
  const d = simDurations(emulator.core.world);
  const vaultOfTenant = new Map(
    plan.tenants.map((t) => [t.name, vaultKey(t.vault.subscriptionId, t.vault.resourceGroup, t.vault.name)]),
  );
  const tenantsOfVault = new Map<string, BenchTenant[]>();
  for (const t of world.tenants) {
    const v = vaultOfTenant.get(t.name) ?? '';
    tenantsOfVault.set(v, [...(tenantsOfVault.get(v) ?? []), t]);
  }
  const setupWrites = (ts: BenchTenant[]) => (scenario === 'multitenant' ? 3 + 3 * ts.length : 9 * ts.length);
  const bound = lowerBound(
    d,
    options.speed,
    [...tenantsOfVault.values()].map((ts) => ({
      setupWrites: setupWrites(ts),
      enables: ts.reduce((n, t) => n + t.vms.length, 0),
    })),
  );
  const tenantBound = (t: BenchTenant) =>
    lowerBound(d, options.speed, [{ setupWrites: setupWrites([t]), enables: t.vms.length }]).seconds;
  let worstTenant = { tenant: '', wallSeconds: 0, lowerBoundSeconds: 0, ratio: 0 };
  for (const t of world.tenants) {
    const f = finished.get(t.name);
    if (!f) continue;
    const lb = tenantBound(t);
    if (f.seconds / lb > worstTenant.ratio)
      worstTenant = {
        tenant: t.name,
        wallSeconds: round(f.seconds),
        lowerBoundSeconds: round(lb),
        ratio: round(f.seconds / lb, 2),
      };
  }

  const inRun = collector.entries.filter((r) => r.t >= startedAt && r.t <= endedAt);
  const arm = inRun.filter((r) => r.sub);
  // Each tenant's first enable-protection PUT, by its cloud's protection container.
  const tenantOfContainer = new Map<string, string>();
  for (const v of Object.values(emulator.core.world.vaults))
    for (const f of Object.values(v.asr.fabrics))
      for (const c of Object.values(f.containers)) {
        const t = world.tenants.find(
          (x) =>
            x.cloud.toLowerCase() === c.cloudName.toLowerCase() &&
            (scenario === 'multitenant' || x.vmmServer.toLowerCase() === f.vmmServer.toLowerCase()),
        );
        if (t) tenantOfContainer.set(c.name.toLowerCase(), t.name);
      }
  const enables = arm.filter((r) => r.op === 'ReplicationProtectedItems_Create' && r.status < 300);
  const firstEnable = new Map<string, number>();
  for (const r of enables) {
    const container = /\/replicationProtectionContainers\/([^/]+)\//i.exec(r.path)?.[1]?.toLowerCase() ?? '';
    const t = tenantOfContainer.get(container);
    if (t && !firstEnable.has(t)) firstEnable.set(t, (r.t - startedAt) / 1000);
  }
  const firsts = [...firstEnable.values()];

  // ARM reads per vault per minute while its VMs replicate: from the vault's first enable PUT to
  // the completion of the last of its tenants.
  const listRates: number[] = [];
  const readRates: number[] = [];
  const windows: number[] = [];
  const readsByOperation = new Map<string, number>();
  for (const [vault, ts] of tenantsOfVault) {
    const from = enables.find((r) => vaultOf(r.path) === vault)?.t;
    const until = Math.max(...ts.map((t) => finished.get(t.name)?.at ?? endedAt));
    if (from === undefined || until <= from) continue;
    const minutes = (until - from) / 60_000;
    windows.push(minutes * 60);
    const reads = arm.filter((r) => r.method === 'GET' && r.t >= from && r.t <= until && vaultOf(r.path) === vault);
    listRates.push(reads.filter(isItemList).length / minutes);
    readRates.push(reads.length / minutes);
    for (const r of reads) readsByOperation.set(r.op ?? 'other', (readsByOperation.get(r.op ?? 'other') ?? 0) + 1);
  }
  const workerCpuMs = workerFigures.reduce((n, f, i) => n + Math.max(0, (f?.cpuMs ?? 0) - (cpuBefore[i] ?? 0)), 0);
  const activityTasks = history.activityCompleted + history.activityFailed;
  const protectedVms = [...finished.values()].reduce((n, f) => n + (f.protectedVms ?? 0), 0);

  const result: RunResult = {
    scenario,
    workers: workerCount,
    speed: options.speed,
    startupSeconds: round(startupSeconds),
    vms: options.vms,
    tenants: options.tenants,
    protectedVms,
    wallSeconds: round(wallSeconds),
    lowerBound: {
      ...bound,
      seconds: round(bound.seconds),
      setupSeconds: round(bound.setupSeconds, 2),
      vmSeconds: round(bound.vmSeconds, 2),
      lastEnableSeconds: round(bound.lastEnableSeconds, 2),
    },
    ratio: round(wallSeconds / bound.seconds, 2),
    worstTenant,
    firstEnablePut: { min: round(Math.min(...firsts)), median: round(median(firsts)), max: round(Math.max(...firsts)) },
    lastEnablePutSeconds: round(((enables.at(-1)?.t ?? startedAt) - startedAt) / 1000),
    armRequests: arm.length,
    throttled429: arm.filter((r) => r.status === 429).length,
    throttled429Writes: arm.filter((r) => r.status === 429 && r.method !== 'GET').length,
    replicationWait: {
      vaults: listRates.length,
      windowSeconds: round(mean(windows)),
      itemListsPerVaultPerMinute: meanMax(listRates),
      readsPerVaultPerMinute: meanMax(readRates),
      itemListsPerVaultPerEmulatedMinute: meanMax(
        listRates.map((x) => x / options.speed),
        2,
      ),
      readsPerVaultPerEmulatedMinute: meanMax(
        readRates.map((x) => x / options.speed),
        2,
      ),
      readsByOperation: Object.fromEntries([...readsByOperation].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    },
    history: { ...history, newsAfterRequest: [] },
    newsAfterRequest: {
      vms: history.newsAfterRequest.length,
      median: round(median(history.newsAfterRequest), 2),
      p95: round(quantile(history.newsAfterRequest, 0.95), 2),
      max: round(Math.max(0, ...history.newsAfterRequest), 2),
    },
    ownLooks: history.scheduledByActivity['checkProtection'] ?? 0,
    eventsPerVm: round(history.events / options.vms),
    workerCpuMsPerActivityTask: round(activityTasks ? workerCpuMs / activityTasks : 0, 2),
    workerCpuMsPerAttempt: round(history.activityAttempts ? workerCpuMs / history.activityAttempts : 0, 2),
    workerCpuSeconds: round(workerCpuMs / 1000),
    workerPeakRssMiB: workerFigures.map((f) => round(f?.peakRssMiB ?? 0, 0)),
    temporalPeakRssMiB: round(temporalFigures?.peakRssMiB ?? 0, 0),
    temporalCpuSeconds: round(((temporalFigures?.cpuMs ?? 0) - temporalCpuBefore) / 1000),
    benchProcessCpuPercent: round(((benchCpu.user + benchCpu.system) / 1000 / (wallSeconds * 1000)) * 100, 0),
    benchPeakRssMiB: round(procFigures(process.pid)?.peakRssMiB ?? 0, 0),
    providerInstalls: installer.installed.length,
    logEntriesLost: collector.lost,
  };
  if (installer.problems.length > 0) log(`[${label}] Provider installation problems: ${installer.problems.join('; ')}`);
  if (collector.lost > 0) log(`[${label}] warning: ${collector.lost} request-log entries were lost between two polls`);
  if (protectedVms !== options.vms)
    log(`[${label}] warning: the tenants report ${protectedVms} protected VMs of ${options.vms}`);

  let baseline: BaselineResult | undefined;
  if (withBaseline) {
    const first = world.tenants[0];
    const planTenant = plan.tenants[0];
    if (first && planTenant && first.baselineVms.length > 0) {
      log(`[${label}] sequential baseline: ${first.baselineVms.length} VMs, one at a time`);
      baseline = await runBaseline({
        env,
        world,
        plan,
        tenant: first,
        collector,
        pollMs: options.pollMs,
        speed: options.speed,
        scenario,
      });
      log(`[${label}] baseline: ${baseline.wallSeconds} s, ${baseline.perVmSeconds} s per VM`);
    }
  }

  await closeConnection();
  // Workers first (they drain), then the rest of the stack.
  await Promise.all(stopWorkers.map((stop) => stop()));
  for (const stop of [stopCollecting, closeAdmin, stopEmulator, stopDevServer, removeDir]) await stop();
  return { result, baseline };
}

function protectedNow(emulator: EmulatorHandle): number {
  // Brings jobs to the current simulated time (as any request would; outcomes do not depend on it).
  const now = emulator.core.advance();
  let n = 0;
  for (const v of Object.values(emulator.core.world.vaults))
    for (const f of Object.values(v.asr.fabrics))
      for (const c of Object.values(f.containers))
        for (const i of Object.values(c.items)) {
          const r = i.replication;
          if (i.vmName.startsWith(BASELINE_PREFIX) || !r) continue;
          if (r.startedAt + Math.ceil((r.bytes / r.bytesPerSecond) * 1000) <= now) n += 1;
        }
  return n;
}

// ---------------------------------------------------------------------------------------------
// The sequential baseline: what an operator's PowerShell loop does, with the same SDK (the
// gateway's client factory and reads), one VM at a time: enable protection (PUT), read the item
// for its job, poll the job until it ends, poll the item until Protected. It runs after asrflow's
// onboarding, in tenant 1's cloud (whose policy and mappings asrflow made), with a second app of
// the vault's owner, so its requests (and its ARM bucket) are told apart from asrflow's.

async function runBaseline(input: {
  env: NodeJS.ProcessEnv;
  world: World;
  plan: Plan;
  tenant: BenchTenant;
  collector: RequestCollector;
  pollMs: number;
  speed: number;
  scenario: Scenario;
}): Promise<BaselineResult> {
  const { env, world, plan, tenant, collector, pollMs } = input;
  const planTenant = plan.tenants.find((t) => t.name === tenant.name);
  if (!planTenant) throw new Error(`tenant ${tenant.name} is not in the plan`);
  const owner = input.scenario === 'multitenant' ? world.hoster : tenant;
  const azure = new AzureClientFactory(loadAzureTarget(env), env);
  const ps = (p: Party) => ({
    tenantId: p.tenantId,
    credential: { type: 'clientSecret' as const, clientId: p.psClientId, secretEnv: p.psSecretEnv },
  });
  const v = asrVault(azure, {
    principal: ps(owner),
    subscriptionId: planTenant.vault.subscriptionId,
    resourceGroup: planTenant.vault.resourceGroup,
    vault: planTenant.vault.name,
    region: planTenant.vault.region,
  });
  // The script's preamble (not timed): the cloud, its VMs, the policy, the targets.
  const where = await findTenantContainer(v, tenant.vmmServer, tenant.cloud);
  if (!where) throw new Error(`baseline: cloud ${tenant.cloud} is not registered in ${planTenant.vault.name}`);
  const { fabricName, containerName } = where;
  const protectable = new Map(
    (await listProtectableItems(v, fabricName, containerName, tenant.cloud)).map((i) => [i.friendlyName, i]),
  );
  const policyId = await readPolicyId(v, policyName(tenant.name));
  const scope = {
    principal: ps(tenant),
    subscriptionId: tenant.subscriptionId,
    resourceGroup: tenant.resourceGroup,
    region: REGION,
  };
  const storage = await readStorageAccount(azure, scope, tenant.storageAccount);
  const vnet = await readVirtualNetwork(azure, scope, tenant.vnet);
  if (!policyId || !storage || !vnet) throw new Error('baseline: the tenant has no policy, storage account or VNet');
  const resourceGroupId = `/subscriptions/${tenant.subscriptionId}/resourceGroups/${tenant.resourceGroup}`;

  const startedAt = Date.now();
  const started = performance.now();
  for (const name of tenant.baselineVms) {
    const vm = protectable.get(name);
    if (!vm) throw new Error(`baseline: VM ${name} is not protectable in ${tenant.cloud}`);
    const ref = { fabricName, containerName, itemName: vm.itemName };
    // New-AzRecoveryServicesAsrReplicationProtectedItem: the same body asrflow sends
    // (src/azure/site-recovery/protected-items.ts enableHyperVProtection).
    await v.client.replicationProtectedItems.beginCreate(...v.at, fabricName, containerName, vm.itemName, {
      properties: {
        policyId,
        protectableItemId: `${containerId(v, fabricName, containerName)}/replicationProtectableItems/${vm.itemName}`,
        providerSpecificDetails: {
          instanceType: 'HyperVReplicaAzure',
          hvHostVmId: vm.hvHostVmId,
          vmName: vm.friendlyName,
          osType: vm.osType,
          vhdId: vm.osDiskId,
          targetStorageAccountId: storage.id,
          targetAzureV2ResourceGroupId: resourceGroupId,
          targetAzureNetworkId: vnet.id,
          targetAzureSubnetId: `${vnet.id}/subnets/${tenant.subnet}`,
          targetAzureVmName: vm.friendlyName,
          enableRdpOnTargetOption: 'Never',
          useManagedDisks: 'true',
        },
      },
    });
    const jobName = (await readProtectedItem(v, ref, name))?.currentScenario?.jobName;
    if (!jobName) throw new Error(`baseline: no EnableDr job on ${name}`);
    // Get-AzRecoveryServicesAsrJob in a loop until the job ends …
    for (;;) {
      const job = await getJob(v, jobName);
      if (job.state === 'Succeeded') break;
      if (job.state === 'Failed' || job.state === 'Cancelled') throw new Error(`baseline: job ${jobName} ${job.state}`);
      await sleep(pollMs);
    }
    // … then Get-AzRecoveryServicesAsrReplicationProtectedItem until Protected.
    while ((await readProtectedItem(v, ref, name))?.protectionState !== 'Protected') await sleep(pollMs);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const endedAt = Date.now();
  await sleep(1100);
  collector.poll();
  const vault = vaultKey(planTenant.vault.subscriptionId, planTenant.vault.resourceGroup, planTenant.vault.name);
  const mine = collector.entries.filter(
    (r) => r.app?.toLowerCase() === owner.psClientId && r.sub && r.t >= startedAt && r.t <= endedAt,
  );
  const reads = mine.filter((r) => r.method === 'GET' && vaultOf(r.path) === vault).length;
  return {
    vms: tenant.baselineVms.length,
    scenario: input.scenario,
    wallSeconds: round(wallSeconds),
    perVmSeconds: round(wallSeconds / tenant.baselineVms.length, 2),
    readsPerVaultPerMinute: round(reads / (wallSeconds / 60)),
    readsPerVaultPerEmulatedMinute: round(reads / (wallSeconds / 60) / input.speed, 2),
    armRequests: mine.length,
    throttled429: mine.filter((r) => r.status === 429).length,
  };
}

// ---------------------------------------------------------------------------------------------
// Report

function renderTable(runs: RunResult[], baseline: BaselineResult | undefined): string {
  const cols = [...runs.map((r) => `${r.scenario} ×${r.workers}`), ...(baseline ? ['sequential baseline'] : [])];
  const rows: string[][] = [];
  /** One figure per run, and the baseline's where it has one. */
  const row = (name: string, f: (r: RunResult) => string | number, b?: (b: BaselineResult) => string | number) =>
    rows.push([name, ...runs.map((r) => String(f(r))), ...(baseline ? [b ? String(b(baseline)) : '—'] : [])]);
  const pair = (x: { mean: number; max: number }) => `${x.mean} / ${x.max}`;
  const extrapolated = (r: RunResult) => (baseline ? baseline.perVmSeconds * r.vms : 0);
  row(
    'VMs / tenants',
    (r) => `${r.vms} / ${r.tenants}`,
    (b) => `${b.vms} / 1`,
  );
  row('VMs protected (as the tenants report)', (r) => r.protectedVms);
  row(
    'wall, `onboard` → all protected (s)',
    (r) => r.wallSeconds,
    (b) => b.wallSeconds,
  );
  row('lower bound (s)', (r) => r.lowerBound.seconds);
  row('wall / lower bound', (r) => `${r.ratio}×`);
  row(
    'worst tenant: wall / its lower bound',
    (r) => `${r.worstTenant.ratio}× (${r.worstTenant.tenant}, ${r.worstTenant.wallSeconds} s)`,
  );
  row(
    'first enable PUT after `onboard`, min / median / max (s)',
    (r) => `${r.firstEnablePut.min} / ${r.firstEnablePut.median} / ${r.firstEnablePut.max}`,
  );
  row('… lower bound of the setup chain (s)', (r) => r.lowerBound.setupSeconds);
  row(
    'last enable PUT after `onboard` / its lower bound (s)',
    (r) => `${r.lastEnablePutSeconds} / ${r.lowerBound.lastEnableSeconds}`,
  );
  if (baseline) {
    row(
      'wall per VM (s)',
      (r) => round(r.wallSeconds / r.vms, 3),
      (b) => b.perVmSeconds,
    );
    row('sequential baseline extrapolated to these VMs (s)', (r) => round(extrapolated(r), 0));
    row('speed-up over the baseline', (r) => `${round(extrapolated(r) / r.wallSeconds)}×`);
  }
  row(
    'ARM requests',
    (r) => r.armRequests,
    (b) => b.armRequests,
  );
  row(
    '429 answers from the emulator (of them writes)',
    (r) => `${r.throttled429} (${r.throttled429Writes})`,
    (b) => b.throttled429,
  );
  row(
    '429s surfaced as activity failures (retried activities whose last failure was a 429)',
    (r) => `${r.history.throttledActivityFailures} (${r.history.throttledRetriedActivities})`,
  );
  row('attempts beyond the first, by activity (top 3)', (r) => top(r.history.retriesByActivity));
  row("retried activities' last failure (top 3)", (r) => top(r.history.lastFailureOfRetried));
  row(
    'while VMs enable + replicate, per vault: seconds (mean)',
    (r) => r.replicationWait.windowSeconds,
    (b) => b.wallSeconds,
  );
  row(
    '… item-list requests per minute, mean / max',
    (r) => pair(r.replicationWait.itemListsPerVaultPerMinute),
    () => 0,
  );
  row(
    '… all ARM reads per minute, mean / max',
    (r) => pair(r.replicationWait.readsPerVaultPerMinute),
    (b) => b.readsPerVaultPerMinute,
  );
  row(
    '… item-list requests per emulated minute, mean / max',
    (r) => pair(r.replicationWait.itemListsPerVaultPerEmulatedMinute),
    () => 0,
  );
  row(
    '… all ARM reads per emulated minute, mean / max',
    (r) => pair(r.replicationWait.readsPerVaultPerEmulatedMinute),
    (b) => b.readsPerVaultPerEmulatedMinute,
  );
  row('… reads of that window by operation (all vaults, top 5)', (r) =>
    Object.entries(r.replicationWait.readsByOperation)
      .map(([op, n]) => `${op} ${n}`)
      .join(', '),
  );
  row(
    'news of a VM’s item after its enable request, median / p95 / max (s)',
    (r) => `${r.newsAfterRequest.median} / ${r.newsAfterRequest.p95} / ${r.newsAfterRequest.max}`,
  );
  row('VMs that read their item themselves (no news within 10 intervals, at least 1 min)', (r) => r.ownLooks);
  row('history events per VM (all executions)', (r) => r.eventsPerVm);
  row('largest history (events)', (r) => `${r.history.largest.events} (${r.history.largest.workflowId})`);
  row('workflow executions', (r) => r.history.executions);
  row(
    'activity tasks (completed + failed) / attempts',
    (r) => `${r.history.activityCompleted + r.history.activityFailed} / ${r.history.activityAttempts}`,
  );
  row(
    'worker CPU ms per activity task (per attempt)',
    (r) => `${r.workerCpuMsPerActivityTask} (${r.workerCpuMsPerAttempt})`,
  );
  row('Temporal dev server CPU during the run (s)', (r) => r.temporalCpuSeconds);
  row('worker CPU during the run (s)', (r) => r.workerCpuSeconds);
  row('worker peak RSS (MiB, per process)', (r) => r.workerPeakRssMiB.join(', '));
  row('Temporal dev server peak RSS (MiB)', (r) => r.temporalPeakRssMiB);
  row('bench process (emulator) CPU, % of a core', (r) => r.benchProcessCpuPercent);
  row('stack start-up: server, emulator, workers polling (s)', (r) => r.startupSeconds);
  const header = ['figure', ...cols];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  if (baseline)
    lines.push(
      '',
      `The baseline ran in the ${baseline.scenario} stack after asrflow's onboarding: ${baseline.vms} VMs of tenant t001, one at a time.`,
    );
  return lines.join('\n');
}

function speedUps(runs: RunResult[], baseline: BaselineResult): Record<string, number> {
  return Object.fromEntries(
    runs.map((r) => [`${r.scenario}x${r.workers}`, round((baseline.perVmSeconds * r.vms) / r.wallSeconds)]),
  );
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  checkBuild();
  const runs: RunResult[] = [];
  let baseline: BaselineResult | undefined;
  for (const scenario of options.scenarios) {
    for (const workers of options.workers) {
      const { result, baseline: b } = await runOnce(
        options,
        scenario,
        workers,
        baseline === undefined && options.baselineVms > 0,
      );
      runs.push(result);
      baseline ??= b;
    }
  }
  console.log(renderTable(runs, baseline));
  console.log(
    `SCALE_RESULT ${JSON.stringify({
      options,
      machine: { cores: os.cpus().length, memoryGiB: round(os.totalmem() / 1024 ** 3, 0), node: process.version },
      runs,
      baseline: baseline ? { ...baseline, speedUp: speedUps(runs, baseline) } : null,
    })}`,
  );
}

main()
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(`scale: ${error.message}\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    // Nothing of ours is left running; a stray handle (an SDK's keep-alive agent) must not keep
    // the process alive.
    process.exit();
  });
