import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import type { FaultRule, FaultRuleState } from '../faults/rules';
import type { AzureVmRec } from '../state/world';
import type { RequestLogEntry } from './log';

export interface AdminCall {
  status: number;
  body: unknown;
}

/** `GET /_admin/estate`: the on-premises side as Site Recovery's Provider sees it, and the Azure VMs failovers created. */
export interface EstateView {
  vmmServers: Array<{
    name: string;
    providerVersion: string;
    registeredWith: string | null;
    clouds: string[];
    vms: Array<{ name: string; cloud: string; id: string; powerState?: 'Running' | 'Off' }>;
  }>;
  /** With the size, licensing, placement, tags, NICs (subnet, private IP, allocation) and disks they were created with. */
  azureVms: AzureVmRec[];
  now: string;
}

// A small client of the admin API, used by the CLI commands and by tests. It trusts the
// emulator's CA through the `ca` option, like every other client of the emulator.
export class EmulatorAdminClient {
  private readonly agent: https.Agent;

  constructor(
    readonly adminUrl: string,
    private readonly adminToken: string,
    caCertPath: string,
  ) {
    this.agent = new https.Agent({ ca: [...tls.rootCertificates, readFileSync(caCertPath, 'utf8')], keepAlive: true });
  }

  /** Reads `<dataDir>/emulator.json` and `<dataDir>/admin-token` written by a running emulator. */
  static fromDataDir(dataDir: string, tokenOverride?: string): EmulatorAdminClient {
    const info = JSON.parse(readFileSync(path.join(dataDir, 'emulator.json'), 'utf8')) as {
      adminUrl: string;
      caCertPath: string;
    };
    const token =
      tokenOverride ??
      process.env['ASRFLOW_EMULATOR_ADMIN_TOKEN'] ??
      readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    return new EmulatorAdminClient(info.adminUrl, token, info.caCertPath);
  }

  call(method: string, sub: string, body?: unknown): Promise<AdminCall> {
    const url = new URL(`${this.adminUrl}/${sub.replace(/^\//, '')}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.adminToken}`,
            ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              /* keep text */
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async ok<T>(method: string, sub: string, body?: unknown): Promise<T> {
    const r = await this.call(method, sub, body);
    if (r.status >= 400) {
      const msg = (r.body as { error?: { message?: string } } | undefined)?.error?.message ?? JSON.stringify(r.body);
      throw new Error(`admin ${method} ${sub} failed with ${r.status}: ${msg}`);
    }
    return r.body as T;
  }

  installProvider(credentialsXml: string, vmm: string): Promise<AdminCall> {
    return this.call('POST', 'providers/install', { credentials: credentialsXml, vmm });
  }
  upgradeProvider(vmm: string, version = '5.1.2250.0'): Promise<{ ok: boolean; message: string }> {
    return this.ok('POST', 'providers/upgrade', { vmm, version });
  }
  /**
   * Sets a replicated VM's replicationHealth (Normal unless set), for health-dependent tests.
   * The name alone is enough while it is unique in the estate; otherwise say the cloud (and VMM server).
   */
  setReplicationHealth(
    vm: string,
    health: 'Normal' | 'Warning' | 'Critical',
    where: { cloud?: string; vmm?: string } = {},
  ): Promise<{ vm: string; cloud: string; vmm: string; replicationHealth: string }> {
    return this.ok('PUT', 'items/health', { vm, ...where, health });
  }
  job(name: string): Promise<{ properties: { state: string; errors: unknown[] } }> {
    return this.ok('GET', `jobs/${encodeURIComponent(name)}`);
  }
  state(): Promise<Record<string, unknown>> {
    return this.ok('GET', 'state');
  }
  estate(): Promise<EstateView> {
    return this.ok('GET', 'estate');
  }
  /** The Azure VMs (test) failovers created and not yet removed. */
  async azureVms(): Promise<AzureVmRec[]> {
    return (await this.estate()).azureVms;
  }
  requests(since = 0, bodies = false): Promise<{ lastSeq: number; entries: RequestLogEntry[] }> {
    return this.ok('GET', `requests?since=${since}&bodies=${bodies ? 1 : 0}`);
  }
  counters(): Promise<Record<string, Record<string, { count: number; label?: string }>>> {
    return this.ok('GET', 'counters');
  }
  addFaults(rules: FaultRule[], seed?: number): Promise<{ rules: Array<FaultRule & { id: string }> }> {
    return this.ok('POST', 'faults', { rules, ...(seed !== undefined ? { seed } : {}) });
  }
  /** The rules with how often each matched and fired. */
  async faults(): Promise<FaultRuleState[]> {
    return (await this.ok<{ rules: FaultRuleState[] }>('GET', 'faults')).rules;
  }
  clearFaults(): Promise<unknown> {
    return this.ok('DELETE', 'faults');
  }
  setTime(input: { speed?: number; advanceSeconds?: number }): Promise<{ now: string; speed: number }> {
    return this.ok('PUT', 'time', input);
  }
  setThrottling(input: Record<string, unknown>): Promise<unknown> {
    return this.ok('PUT', 'throttling', input);
  }
  reset(): Promise<unknown> {
    return this.ok('POST', 'reset');
  }
  token(tenantId: string, clientId: string, lifetimeSeconds: number): Promise<{ accessToken: string }> {
    return this.ok('POST', 'tokens', { tenantId, clientId, lifetimeSeconds });
  }
  close(): void {
    this.agent.destroy();
  }
}
