import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Counters, RequestLog } from './admin/log';
import { handleAdmin } from './admin/routes';
import { isArmAudience } from './arm/auth';
import { ArmRouter } from './arm/router';
import { DEFAULT_THROTTLING, Throttler, type ThrottlingConfig } from './arm/throttling';
import { EmulatorCore } from './core';
import { Directory } from './entra/directory';
import { handleEntra } from './entra/routes';
import { TokenService } from './entra/tokens';
import { defaultEstatePath, loadEstateFile } from './estate/load';
import type { Estate } from './estate/types';
import { FaultInjector, loadFaultFile, validateRule, type FaultRule } from './faults/rules';
import { ensureTlsMaterial } from './https/certs';
import { createHttpsServer, type Outcome } from './https/server';
import type { RequestContext } from './https/types';
import { registerAvailabilitySets } from './resources/availabilitySets';
import { registerNetwork } from './resources/network';
import { registerResourceGroups } from './resources/resourceGroups';
import { registerStorage } from './resources/storage';
import { registerVaults } from './resources/vaults';
import { SimClock } from './sim/clock';
import { registerEffects } from './siterecovery/effects';
import { registerConfigRoutes } from './siterecovery/routes-config';
import { registerInfraRoutes } from './siterecovery/routes-infra';
import { registerItemRoutes } from './siterecovery/routes-items';
import { registerPlanEffects } from './siterecovery/plans';
import { registerPlanRoutes } from './siterecovery/routes-plans';
import type { WorldState } from './state/world';

export type { Estate } from './estate/types';
export type { FaultRule, FaultAction } from './faults/rules';
export type { AzureVmDiskRec, AzureVmNicRec, AzureVmRec, WorldState } from './state/world';
export { EstateError, loadEstateFile, parseEstate, defaultEstatePath } from './estate/load';
export { EmulatorAdminClient, type EstateView } from './admin/client';
// The one rule for a Hyper-V replication policy, so the product's tests can hold its plan
// validator to the same limits value by value.
export { hyperVPolicyProblem } from './siterecovery/routes-config';

export interface StartOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Listen address (default 127.0.0.1); 0.0.0.0 when other containers must reach it. */
  host?: string;
  /**
   * Extra names for the TLS certificate, beside 127.0.0.1 and localhost. The first one is also
   * the host name in the URLs the emulator hands out (endpoints, operation and paging links),
   * because clients follow those links and must reach the same server under a verified name.
   */
  certNames?: string[];
  /** YAML file path or an estate object; default: the package's examples/estate.yaml. */
  estate?: string | Estate;
  /** Simulated seconds per real second (default 60). */
  speed?: number;
  /** Certificates, signing key, admin token, state; default a fresh temporary directory. */
  dataDir?: string;
  /** true/false, or bucket sizes. Default: on, with ARM's sizes. */
  throttling?: boolean | Partial<ThrottlingConfig>;
  /** Fault rules, or a YAML/JSON file of them. */
  faults?: FaultRule[] | string;
  /** Seed of the fault generator. */
  seed?: number;
  /** Admin token; default: ASRFLOW_EMULATOR_ADMIN_TOKEN, else random (written to dataDir/admin-token). */
  adminToken?: string;
  /** Load state from dataDir/state.json at start and save it at stop. */
  persist?: boolean;
  /** Items per list page before nextLink (default 100). */
  pageSize?: number;
  /** Override the Retry-After of Site Recovery operations (seconds). */
  retryAfterSeconds?: number;
  /** Keep request and response bodies in the admin request log (default true). */
  recordBodies?: boolean;
  /** Access-token lifetime in seconds (default 3599). */
  tokenLifetimeSeconds?: number;
}

export interface EmulatorHandle {
  armEndpoint: string;
  authorityHost: string;
  caCertPath: string;
  adminUrl: string;
  adminToken: string;
  dataDir: string;
  port: number;
  core: EmulatorCore;
  stop(): Promise<void>;
}

/** Emulator connection details as written to `<dataDir>/emulator.json` for other processes. */
export interface EmulatorInfo {
  armEndpoint: string;
  authorityHost: string;
  caCertPath: string;
  adminUrl: string;
  pid: number;
}

export const INFO_FILE = 'emulator.json';
export const ADMIN_TOKEN_FILE = 'admin-token';
export const DEFAULT_HOST = '127.0.0.1';

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

function certificateHosts(host: string, certNames: string[]): string[] {
  const hosts = ['127.0.0.1', 'localhost', ...certNames];
  // A specific listen address is one clients may dial directly; a wildcard is never dialled.
  if (!WILDCARD_HOSTS.has(host)) hosts.push(host.replace(/^\[|\]$/g, ''));
  return [...new Set(hosts)];
}

function advertisedHost(host: string, certNames: string[]): string {
  return certNames[0] ?? (WILDCARD_HOSTS.has(host) ? DEFAULT_HOST : host);
}

function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export async function startEmulator(options: StartOptions = {}): Promise<EmulatorHandle> {
  const dataDir = path.resolve(options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'asrflow-emulator-')));
  mkdirSync(dataDir, { recursive: true });
  const estate: Estate =
    typeof options.estate === 'object' ? options.estate : loadEstateFile(options.estate ?? defaultEstatePath());
  const host = options.host ?? DEFAULT_HOST;
  const certNames = options.certNames ?? [];
  const tls = ensureTlsMaterial(dataDir, certificateHosts(host, certNames));
  const tokens = new TokenService(dataDir, options.tokenLifetimeSeconds ?? 3599);
  const throttling: ThrottlingConfig =
    options.throttling === false
      ? { ...DEFAULT_THROTTLING, enabled: false }
      : options.throttling === true || options.throttling === undefined
        ? DEFAULT_THROTTLING
        : { ...DEFAULT_THROTTLING, ...options.throttling };
  const faults = new FaultInjector(options.seed ?? 1);
  const rules =
    typeof options.faults === 'string'
      ? loadFaultFile(options.faults)
      : (options.faults ?? []).map((r, i) => validateRule(r, `faults[${i}]`));
  for (const r of rules) faults.add(r);

  const core = new EmulatorCore(
    estate,
    new SimClock(options.speed ?? 60),
    new Directory(estate),
    tokens,
    new Throttler(throttling),
    faults,
    new RequestLog(20_000, options.recordBodies ?? true),
    new Counters(),
    {
      pageSize: options.pageSize ?? 100,
      tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3599,
      ...(options.retryAfterSeconds !== undefined ? { asrRetryAfterSeconds: options.retryAfterSeconds } : {}),
    },
  );
  registerEffects(core);
  registerPlanEffects(core);
  const statePath = path.join(dataDir, 'state.json');
  if (options.persist && existsSync(statePath)) core.load(JSON.parse(readFileSync(statePath, 'utf8')) as WorldState);
  const save = (): string | undefined => {
    if (!options.persist) return undefined;
    writeFileSync(statePath, JSON.stringify(core.world), { mode: 0o600 });
    return statePath;
  };

  const router = new ArmRouter();
  registerResourceGroups(router);
  registerStorage(router);
  registerNetwork(router);
  registerAvailabilitySets(router);
  registerVaults(router);
  registerInfraRoutes(router);
  registerConfigRoutes(router);
  registerItemRoutes(router);
  registerPlanRoutes(router);

  const adminToken =
    options.adminToken ?? process.env['ASRFLOW_EMULATOR_ADMIN_TOKEN'] ?? randomBytes(24).toString('hex');

  const dispatch = async (ctx: RequestContext): Promise<Outcome> => {
    const started = performance.now();
    if (/^\/_admin(\/|$)/i.test(ctx.path)) {
      return { result: await handleAdmin(ctx, { core, adminToken, save }) };
    }
    const isArm = /^\/(subscriptions|providers)(\/|$)/i.test(ctx.path);
    if (!isArm) {
      const result = (await handleEntra(ctx, {
        directory: core.directory,
        tokens,
        isArmAudience: (aud) => isArmAudience(aud, core.origin),
      })) ?? {
        status: 404,
        body: { error: { code: 'NotFound', message: `No emulated endpoint at ${ctx.path}` } },
      };
      // The token endpoint's form body carries the client secret: never logged.
      core.log.add({
        time: new Date().toISOString(),
        method: ctx.method,
        path: ctx.path,
        query: '',
        status: result.status,
        durationMs: performance.now() - started,
      });
      return { result };
    }
    const d = await router.dispatch(core, ctx);
    core.log.add({
      time: new Date().toISOString(),
      // The x-ms-request-id the answer carries, so a worker's log line can be matched to it.
      requestId: ctx.requestId,
      method: ctx.method,
      path: ctx.path,
      query: ctx.url.search,
      status: d.dropBefore || d.dropAfter ? 0 : d.result.status,
      ...(d.operationId ? { operationId: d.operationId } : {}),
      ...(d.claims ? { tenantId: d.claims.tid, appId: d.claims.appid } : {}),
      ...(d.subscriptionId ? { subscriptionId: d.subscriptionId } : {}),
      durationMs: performance.now() - started,
      ...(d.fault ? { fault: `${d.fault.id}:${d.fault.action.kind}` } : {}),
      ...(d.throttled ? { throttled: true } : {}),
      ...(ctx.body !== undefined ? { requestBody: ctx.body } : {}),
      ...(d.result.body !== undefined ? { responseBody: d.result.body } : {}),
    });
    return {
      result: d.result,
      ...(d.dropBefore ? { drop: 'before' as const } : d.dropAfter ? { drop: 'after' as const } : {}),
      ...(d.delayMs ? { delayMs: d.delayMs } : {}),
    };
  };

  const server = createHttpsServer(tls, dispatch);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `https://${urlHost(advertisedHost(host, certNames))}:${port}`;
  core.origin = origin;

  writeFileSync(path.join(dataDir, ADMIN_TOKEN_FILE), adminToken + '\n', { mode: 0o600 });
  const info: EmulatorInfo = {
    armEndpoint: origin,
    authorityHost: origin,
    caCertPath: tls.caCertPath,
    adminUrl: `${origin}/_admin`,
    pid: process.pid,
  };
  writeFileSync(path.join(dataDir, INFO_FILE), JSON.stringify(info, null, 2) + '\n');

  let stopped = false;
  return {
    armEndpoint: origin,
    authorityHost: origin,
    caCertPath: tls.caCertPath,
    adminUrl: `${origin}/_admin`,
    adminToken,
    dataDir,
    port,
    core,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      save();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
