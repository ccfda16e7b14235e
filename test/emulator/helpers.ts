import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { NetworkManagementClient } from '../../src/azure/sdk';
import { RecoveryServicesClient } from '../../src/azure/sdk';
import { SiteRecoveryManagementClient } from '../../src/azure/sdk';
import { ResourceManagementClient } from '../../src/azure/sdk';
import { StorageManagementClient } from '../../src/azure/sdk';
import { armClientOptions, createCredential, createHttpsAgent, type AzureEndpoint } from '../support/azure-endpoint';
import { EmulatorAdminClient, startEmulator, type EmulatorHandle, type StartOptions } from '@asrflow/azure-emulator';

export const REGION = 'westeurope';

export const TENANTS = {
  fabrikam: {
    tenantId: 'a0000000-0000-4000-8000-000000000001',
    subscriptionId: 'a1000000-0000-4000-8000-000000000001',
    clientId: 'a2000000-0000-4000-8000-000000000001',
    clientSecret: 'fabrikam-demo-secret-1',
  },
  contoso: {
    tenantId: 'c0000000-0000-4000-8000-000000000001',
    subscriptionId: 'c1000000-0000-4000-8000-000000000001',
    clientId: 'c2000000-0000-4000-8000-000000000001',
    clientSecret: 'contoso-demo-secret-1',
  },
  northwind: {
    tenantId: 'd0000000-0000-4000-8000-000000000001',
    subscriptionId: 'd1000000-0000-4000-8000-000000000001',
    clientId: 'd2000000-0000-4000-8000-000000000001',
    clientSecret: 'northwind-demo-secret-1',
  },
  litware: {
    tenantId: 'e0000000-0000-4000-8000-000000000001',
    subscriptionId: 'e1000000-0000-4000-8000-000000000001',
    clientId: 'e2000000-0000-4000-8000-000000000001',
    clientSecret: 'litware-demo-secret-1',
  },
} as const;

export type TenantName = keyof typeof TENANTS;

export interface TestEmulator extends EmulatorHandle {
  endpoint: AzureEndpoint;
  admin: EmulatorAdminClient;
  close(): Promise<void>;
}

export async function startTestEmulator(options: StartOptions = {}): Promise<TestEmulator> {
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'asrflow-emu-test-'));
  const emu = await startEmulator({ speed: 600, ...options, dataDir, port: 0 });
  const admin = new EmulatorAdminClient(emu.adminUrl, emu.adminToken, emu.caCertPath);
  return {
    ...emu,
    endpoint: { armEndpoint: emu.armEndpoint, authorityHost: emu.authorityHost, caCertPath: emu.caCertPath },
    admin,
    close: async () => {
      admin.close();
      await emu.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Real SDK clients and a real ClientSecretCredential for one tenant, against the emulator. */
export function clientsFor(
  emu: { endpoint: AzureEndpoint },
  tenant: TenantName,
  subscriptionId: string = TENANTS[tenant].subscriptionId,
  app?: { tenantId: string; clientId: string; clientSecret: string },
) {
  const t = app ?? TENANTS[tenant];
  const credential = createCredential(emu.endpoint, {
    tenantId: t.tenantId,
    clientId: t.clientId,
    clientSecret: t.clientSecret,
  });
  const opts = armClientOptions(emu.endpoint);
  return {
    credential,
    resources: new ResourceManagementClient(credential, subscriptionId, opts),
    storage: new StorageManagementClient(credential, subscriptionId, opts),
    network: new NetworkManagementClient(credential, subscriptionId, opts),
    vaults: new RecoveryServicesClient(credential, subscriptionId, opts),
    asr: new SiteRecoveryManagementClient(credential, subscriptionId, opts),
  };
}

export type Clients = ReturnType<typeof clientsFor>;

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/**
 * What asrflow (like Get-AzRecoveryServicesVaultSettingsFile) does to produce a vault
 * credentials file: integrity key from extended info, a self-signed certificate uploaded to
 * the vault, and the XML with the PFX.
 */
export async function makeVaultCredentials(
  c: Clients,
  rg: string,
  vault: string,
  subscriptionId: string,
  opts: { validHours?: number; notBefore?: Date } = {},
): Promise<string> {
  let integrityKey: string;
  try {
    const info = await c.vaults.vaultExtendedInfo.get(rg, vault);
    integrityKey = info.integrityKey ?? '';
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode !== 404) throw e;
    const created = await c.vaults.vaultExtendedInfo.createOrUpdate(rg, vault, {
      integrityKey: randomBytes(16).toString('base64'),
      algorithm: 'None',
    });
    integrityKey = created.integrityKey ?? '';
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  const from = opts.notBefore ?? new Date(Date.now() - 5 * 60_000);
  cert.validity.notBefore = from;
  cert.validity.notAfter = new Date(from.getTime() + (opts.validHours ?? 120) * 3600_000);
  const subject = [{ name: 'commonName', value: 'Windows Azure Tools' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  cert.sign(key, forge.md.sha256.create());
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  const d = new Date();
  const certName = `${vault}${subscriptionId}-${d.getMonth() + 1}-${d.getDate()}-${d.getFullYear()}-vaultcredentials`;
  const uploaded = await c.vaults.vaultCertificates.create(rg, vault, certName, {
    properties: { authType: 'AAD', certificate: new Uint8Array(der) },
  });
  const p12 = forge.pkcs12.toPkcs12Asn1(key, cert, '', { algorithm: '3des' });
  const pfx = Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary').toString('base64');
  const props = uploaded.properties as {
    resourceId?: number;
    aadTenantId?: string;
    aadAuthority?: string;
    servicePrincipalClientId?: string;
  };
  return `<?xml version="1.0" encoding="utf-8"?>
<RSVaultAsrCreds xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">
  <VaultDetails>
    <SubscriptionId>${subscriptionId}</SubscriptionId>
    <ResourceGroup>${rg}</ResourceGroup>
    <ResourceName>${vault}</ResourceName>
    <ResourceId>${props.resourceId ?? ''}</ResourceId>
    <Location>${REGION}</Location>
    <ResourceType>Vaults</ResourceType>
    <ProviderNamespace>Microsoft.RecoveryServices</ProviderNamespace>
  </VaultDetails>
  <ManagementCert>${pfx}</ManagementCert>
  <Version>2.0</Version>
  <AadDetails>
    <AadAuthority>${props.aadAuthority ?? ''}</AadAuthority>
    <AadTenantId>${props.aadTenantId ?? ''}</AadTenantId>
    <ServicePrincipalClientId>${props.servicePrincipalClientId ?? ''}</ServicePrincipalClientId>
    <AadVaultAudience>https://RecoveryServiceVault/${REGION}/${vault}/${props.resourceId ?? ''}</AadVaultAudience>
    <ArmManagementEndpoint>https://management.azure.com</ArmManagementEndpoint>
  </AadDetails>
  <ChannelIntegrityKey>${integrityKey}</ChannelIntegrityKey>
  <SiteId></SiteId>
  <SiteName></SiteName>
</RSVaultAsrCreds>
`;
}

/** Resource group + GRS storage + VNet (+ vault) in a tenant's subscription. */
export async function tenantResources(
  c: Clients,
  rg: string,
  names: { storage: string; vnet: string; vault?: string },
  opts: { sku?: string; location?: string } = {},
) {
  const location = opts.location ?? REGION;
  await c.resources.resourceGroups.createOrUpdate(rg, { location });
  const storage = await c.storage.storageAccounts.create(
    rg,
    names.storage,
    { location, kind: 'StorageV2', sku: { name: opts.sku ?? 'Standard_GRS' } },
    { updateIntervalInMs: 50 },
  );
  const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait(
    rg,
    names.vnet,
    {
      location,
      addressSpace: { addressPrefixes: ['10.50.0.0/16'] },
      subnets: [{ name: 'default', addressPrefix: '10.50.1.0/24' }],
    },
    { updateIntervalInMs: 50 },
  );
  const vault = names.vault
    ? await c.vaults.vaults.beginCreateOrUpdateAndWait(
        rg,
        names.vault,
        { location, sku: { name: 'Standard' } },
        { updateIntervalInMs: 50 },
      )
    : undefined;
  return { storageId: storage.id ?? '', vnetId: vnet.id ?? '', vaultId: vault?.id };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** A plain HTTPS request (no SDK), trusting the emulator's CA, for checks of raw ARM answers. */
export async function rawRequest(
  emu: { endpoint: AzureEndpoint },
  method: string,
  pathAndQuery: string,
  opts: { token?: string; body?: unknown } = {},
): Promise<RawResponse> {
  const { request } = await import('node:https');
  const url = new URL(pathAndQuery, emu.endpoint.armEndpoint);
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        agent: createHttpsAgent(emu.endpoint),
        headers: {
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function tokenFor(c: Clients): Promise<string> {
  const t = await c.credential.getToken('https://management.azure.com/.default');
  if (!t) throw new Error('the emulator issued no token');
  return t.token;
}

/** Registers a VMM server with a vault through the admin API (what install-provider does) and waits for RegisterDra. */
export async function registerVmm(
  emu: TestEmulator,
  c: Clients,
  rg: string,
  vault: string,
  subscriptionId: string,
  vmm: string,
): Promise<{ fabric: string; containers: Record<string, string>; networks: Record<string, string> }> {
  const xml = await makeVaultCredentials(c, rg, vault, subscriptionId);
  const r = await emu.admin.installProvider(xml, vmm);
  const outcome = r.body as { ok: boolean; jobName?: string; message?: string };
  if (!outcome.ok) throw new Error(`registration failed: ${outcome.message ?? ''}`);
  await waitFor('RegisterDra', async () =>
    (await emu.admin.job(outcome.jobName ?? '')).properties.state === 'Succeeded' ? true : undefined,
  );
  const fabric = (await collect(c.asr.replicationFabrics.list(vault, rg))).find(
    (f) => f.properties?.friendlyName === vmm,
  );
  if (!fabric?.name) throw new Error('fabric missing after registration');
  const containers = Object.fromEntries(
    (await collect(c.asr.replicationProtectionContainers.listByReplicationFabrics(vault, rg, fabric.name))).map((x) => [
      x.properties?.friendlyName ?? '',
      x.name ?? '',
    ]),
  );
  const networks = Object.fromEntries(
    (await collect(c.asr.replicationNetworks.listByReplicationFabrics(vault, rg, fabric.name))).map((x) => [
      x.properties?.friendlyName ?? '',
      x.name ?? '',
    ]),
  );
  return { fabric: fabric.name, containers, networks };
}

export async function createPolicyAndMapping(
  c: Clients,
  rg: string,
  vault: string,
  fabric: string,
  container: string,
  storageId: string,
  policy = 'policy1',
): Promise<string> {
  const p = await c.asr.replicationPolicies.beginCreateAndWait(
    vault,
    rg,
    policy,
    {
      properties: {
        providerSpecificInput: {
          instanceType: 'HyperVReplicaAzure',
          recoveryPointHistoryDuration: 24,
          applicationConsistentSnapshotFrequencyInHours: 0,
          replicationInterval: 300,
          storageAccounts: [storageId],
        },
      },
    } as never,
    { updateIntervalInMs: 50 },
  );
  await c.asr.replicationProtectionContainerMappings.beginCreateAndWait(
    vault,
    rg,
    fabric,
    container,
    `${policy}-mapping`,
    {
      properties: {
        targetProtectionContainerId: 'Microsoft Azure',
        policyId: p.id ?? '',
        providerSpecificInput: { instanceType: 'ReplicationProviderSpecificContainerMappingInput' },
      },
    } as never,
    { updateIntervalInMs: 50 },
  );
  return p.id ?? '';
}

export async function protectableByName(
  c: Clients,
  rg: string,
  vault: string,
  fabric: string,
  container: string,
  vm: string,
) {
  const list = await collect(
    c.asr.replicationProtectableItems.listByReplicationProtectionContainers(vault, rg, fabric, container),
  );
  const found = list.find((p) => p.properties?.friendlyName === vm);
  if (!found) throw new Error(`no protectable item ${vm}`);
  return found;
}

export function enableInput(
  policyId: string,
  protectable: { id?: string },
  target: { storageId: string; vnetId?: string },
  vmName: string,
  osType = 'Windows',
) {
  return {
    properties: {
      policyId,
      protectableItemId: protectable.id ?? '',
      providerSpecificDetails: {
        instanceType: 'HyperVReplicaAzure' as const,
        vmName,
        osType,
        targetStorageAccountId: target.storageId,
        ...(target.vnetId ? { targetAzureNetworkId: target.vnetId, targetAzureSubnetId: 'default' } : {}),
        targetAzureVmName: vmName,
        useManagedDisks: 'false',
      },
    },
  };
}

/**
 * Contoso's side of replication to a vault of its own, through the real SDK: resource groups,
 * GRS storage and target VNets in `targetRg`, the vault, the VMM server registered, the policy
 * paired with `cloud`. What a test of protected items needs before it enables protection.
 */
export async function setUpReplication(
  emu: TestEmulator,
  c: Clients,
  s: {
    rg: string;
    targetRg: string;
    vault: string;
    subscriptionId: string;
    vmm: string;
    cloud: string;
    region: string;
    storage: string;
    vnets: Array<{ name: string; space: string; subnets: Array<[string, string]> }>;
  },
): Promise<{ storageId: string; vnetIds: string[]; fabric: string; container: string; policyId: string }> {
  const poll = { updateIntervalInMs: 50 };
  for (const rg of [s.rg, s.targetRg]) await c.resources.resourceGroups.createOrUpdate(rg, { location: s.region });
  const storage = await c.storage.storageAccounts.create(
    s.targetRg,
    s.storage,
    { location: s.region, kind: 'StorageV2', sku: { name: 'Standard_GRS' } },
    poll,
  );
  const vnetIds: string[] = [];
  for (const v of s.vnets) {
    const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait(
      s.targetRg,
      v.name,
      {
        location: s.region,
        addressSpace: { addressPrefixes: [v.space] },
        subnets: v.subnets.map(([name, addressPrefix]) => ({ name, addressPrefix })),
      },
      poll,
    );
    vnetIds.push(vnet.id ?? '');
  }
  await c.vaults.vaults.beginCreateOrUpdateAndWait(
    s.rg,
    s.vault,
    { location: s.region, sku: { name: 'Standard' } },
    poll,
  );
  const reg = await registerVmm(emu, c, s.rg, s.vault, s.subscriptionId, s.vmm);
  const container = reg.containers[s.cloud] ?? '';
  const policyId = await createPolicyAndMapping(c, s.rg, s.vault, reg.fabric, container, storage.id ?? '');
  return { storageId: storage.id ?? '', vnetIds, fabric: reg.fabric, container, policyId };
}
