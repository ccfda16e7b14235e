import { createHash } from 'node:crypto';
import forge from 'node-forge';
import type { EmulatorCore } from '../core';
import type { EstateVmmServer } from '../estate/types';
import { vaultKeyOf } from '../resources/vaults';
import type { FabricRec, JobRec, VaultRec } from '../state/world';
import { lower, uuidFromName } from '../util/ids';
import { startJob } from './jobs';
import { scopeOfVault } from './scope';
import { compareVersions } from './views';

// "Installing the ASR Provider": what DRConfigurator.exe /r /Credentials <file> does on the
// VMM server. The installer checks the vault credentials file locally, then registers the
// server with the vault, which shows up as a RegisterDra job and, once it completes, as a
// fabric with its provider, clouds (protection containers), VM networks and VMs.

export const MIN_PROVIDER_VERSION = '5.1.1256.0';

export type InstallOutcome =
  | {
      ok: true;
      vault: string;
      vmm: string;
      jobName?: string;
      jobId?: string;
      alreadyRegistered?: boolean;
      fabricName: string;
    }
  | { ok: false; code: string; message: string; fix: string };

export function fabricNameOf(vmm: string): string {
  return createHash('sha256')
    .update(`fabric\u0000${lower(vmm)}`)
    .digest('hex');
}

export function buildFabric(core: EmulatorCore, _vault: VaultRec, vmm: EstateVmmServer, at: number): FabricRec {
  const fabric: FabricRec = {
    name: fabricNameOf(vmm.name),
    friendlyName: vmm.name,
    vmmServer: vmm.name,
    internalIdentifier: uuidFromName('vmm-server', vmm.name),
    registeredAt: at,
    provider: {
      name: uuidFromName('provider', vmm.name),
      friendlyName: vmm.name,
      providerVersion: core.providerVersion(vmm.name),
      machineName: vmm.name,
      biosId: uuidFromName('bios', vmm.name),
      machineId: uuidFromName('machine', vmm.name),
    },
    containers: {},
    networks: {},
  };
  for (const c of vmm.clouds) {
    const name = `cloud_${uuidFromName('vmm-cloud', vmm.name, c.name)}`;
    fabric.containers[lower(name)] = { name, friendlyName: c.name, cloudName: c.name, mappings: {}, items: {} };
  }
  for (const n of vmm.vmNetworks) {
    const name = uuidFromName('vmm-network', vmm.name, n.name);
    fabric.networks[lower(name)] = {
      name,
      friendlyName: n.name,
      vmNetworkName: n.name,
      subnets: n.subnets ?? [],
      mappings: {},
    };
  }
  return fabric;
}

function element(xml: string, name: string): string | undefined {
  const re = new RegExp(`<(?:[\\w.-]+:)?${name}(?:\\s[^>]*)?(?:/>|>([\\s\\S]*?)</(?:[\\w.-]+:)?${name}>)`);
  const m = re.exec(xml);
  if (!m) return undefined;
  return (m[1] ?? '')
    .trim()
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

const fail = (code: string, message: string, fix: string): InstallOutcome => ({ ok: false, code, message, fix });

export function installProvider(core: EmulatorCore, credentialsXml: string, vmmName: string): InstallOutcome {
  const now = core.advance();
  const vmm = core.vmmServer(vmmName);
  if (!vmm)
    return fail(
      'VmmServerNotFound',
      `There is no VMM server named '${vmmName}' in the simulated estate.`,
      `use one of: ${core.estate.vmmServers.map((v) => v.name).join(', ')}`,
    );

  if (!/<(?:[\w.-]+:)?RSVaultAsrCreds[\s>]/.test(credentialsXml)) {
    return fail(
      'InvalidVaultCredentials',
      'The vault credentials file is not valid: its root element is not RSVaultAsrCreds.',
      'download the vault credentials file for Site Recovery (Hyper-V with VMM) again and use that file',
    );
  }
  const version = core.providerVersion(vmm.name);
  if (compareVersions(version, MIN_PROVIDER_VERSION) < 0) {
    // What the seed warns about: the old Provider cannot read the new certificate format.
    return fail(
      'UnknownErrorReadingCertificate',
      `An unknown error occurred while reading the certificate from the vault credentials file. (Azure Site Recovery Provider ${version} on ${vmm.name})`,
      `install Azure Site Recovery Provider ${MIN_PROVIDER_VERSION} or later on ${vmm.name} (http://aka.ms/downloaddra; the installer does not update itself), e.g. 'asrflow emulator upgrade-provider --vmm ${vmm.name}', then register again`,
    );
  }
  const sub = element(credentialsXml, 'SubscriptionId') ?? '';
  const rg = element(credentialsXml, 'ResourceGroup') ?? '';
  const vaultName = element(credentialsXml, 'ResourceName') ?? '';
  const vaultKey = vaultKeyOf(sub, rg, vaultName);
  const vault = core.world.vaults[vaultKey];
  if (!vault)
    return fail(
      'VaultNotFound',
      `The vault '${vaultName}' (resource group '${rg}', subscription '${sub}') named in the vault credentials file does not exist.`,
      'download a vault credentials file of an existing vault',
    );
  const siteId = element(credentialsXml, 'SiteId') ?? '';
  if (siteId !== '')
    return fail(
      'WrongCredentialsType',
      'The vault credentials file was generated for a Hyper-V site, not for a VMM server.',
      'generate the vault credentials file for Site Recovery without a site (VMM scenario)',
    );

  const pfxB64 = (element(credentialsXml, 'ManagementCert') ?? '').replace(/\s+/g, '');
  let thumbprint: string;
  let notAfter: number;
  let notBefore: number;
  try {
    const der = forge.util.decode64(pfxB64);
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(der), '');
    const certBag = p12.getBags({ bagType: forge.pki.oids['certBag'] ?? '' })[forge.pki.oids['certBag'] ?? ''] ?? [];
    const keyBag = (
      p12.getBags({ bagType: forge.pki.oids['pkcs8ShroudedKeyBag'] ?? '' })[
        forge.pki.oids['pkcs8ShroudedKeyBag'] ?? ''
      ] ?? []
    ).concat(p12.getBags({ bagType: forge.pki.oids['keyBag'] ?? '' })[forge.pki.oids['keyBag'] ?? ''] ?? []);
    const cert = certBag[0]?.cert;
    if (!cert) throw new Error('no certificate in the PFX');
    if (keyBag.length === 0) throw new Error('no private key in the PFX');
    const certDer = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
    thumbprint = createHash('sha1').update(Buffer.from(certDer, 'binary')).digest('hex').toUpperCase();
    notAfter = cert.validity.notAfter.getTime();
    notBefore = cert.validity.notBefore.getTime();
  } catch (e) {
    return fail(
      'InvalidManagementCertificate',
      `The management certificate in the vault credentials file could not be read: ${(e as Error).message}.`,
      'generate a new vault credentials file (the ManagementCert element holds a base64 PFX with the private key, empty password)',
    );
  }
  const known = Object.values(vault.certificates).find((c) => c.thumbprint === thumbprint);
  if (!known) {
    return fail(
      'CertificateNotRecognized',
      `The certificate ${thumbprint} of the vault credentials file is not known to the vault '${vault.name}'.`,
      'upload the certificate to the vault (PUT …/certificates/{name}) or download a fresh vault credentials file',
    );
  }
  if (now > Math.min(notAfter, known.validTo)) {
    return fail(
      'VaultCredentialsExpired',
      `The vault credentials file has expired (valid until ${new Date(Math.min(notAfter, known.validTo)).toISOString()}, now ${new Date(now).toISOString()} in simulated time).`,
      'download a new vault credentials file; they are valid for 5 days',
    );
  }
  if (now + 5 * 60_000 < notBefore)
    return fail(
      'VaultCredentialsNotYetValid',
      'The vault credentials file is not valid yet.',
      'check the clock of the machine that generated the file',
    );
  const integrity = element(credentialsXml, 'ChannelIntegrityKey') ?? '';
  if (!vault.extendedInfo || vault.extendedInfo.integrityKey !== integrity) {
    return fail(
      'IntegrityKeyMismatch',
      'The channel integrity key of the vault credentials file does not match the vault.',
      "download a new vault credentials file (the vault's integrity key changed since this one was made)",
    );
  }

  const registeredTo = core.world.vmmRegistrations[lower(vmm.name)];
  const s = scopeOfVault(vault);
  const fabricName = fabricNameOf(vmm.name);
  if (registeredTo !== undefined && registeredTo !== vaultKey) {
    const other = core.world.vaults[registeredTo];
    return fail(
      'ServerAlreadyRegistered',
      `The server ${vmm.name} is already registered with the vault '${other?.name ?? registeredTo}'.`,
      'unregister the server from that vault first, or use that vault',
    );
  }
  const pending = Object.values(vault.asr.jobs).find(
    (j: JobRec) =>
      j.scenarioName === 'RegisterDra' &&
      j.effect.args['vmm'] === vmm.name &&
      (j.state === 'InProgress' || j.state === 'Succeeded'),
  );
  if (registeredTo === vaultKey && pending) {
    return {
      ok: true,
      vault: vault.name,
      vmm: vmm.name,
      jobName: pending.name,
      jobId: `${s.v}/replicationJobs/${pending.name}`,
      alreadyRegistered: pending.state === 'Succeeded',
      fabricName,
    };
  }
  core.world.vmmRegistrations[lower(vmm.name)] = vaultKey;
  const { job } = startJob(
    core,
    s,
    {
      scenarioName: 'RegisterDra',
      friendlyName: 'Register the Azure Site Recovery Provider',
      targetObjectId: uuidFromName('provider', vmm.name),
      targetObjectName: vmm.name,
      targetInstanceType: 'Server',
      tasks: [
        { name: 'DraRegistrationPrerequisites', friendlyName: 'Prerequisites check for registration', seconds: 20 },
        { name: 'RegisterDraTask', friendlyName: 'Register the Azure Site Recovery Provider', seconds: 60 },
        { name: 'DiscoverVmmObjects', friendlyName: 'Discover clouds, networks and virtual machines', seconds: 60 },
      ],
      effect: { kind: 'registerDra', args: { vmm: vmm.name } },
      affectedObjectDetails: { PrimaryVmmId: uuidFromName('vmm-server', vmm.name), PrimaryVmmName: vmm.name },
    },
    { now, resultPath: `${s.v}/replicationFabrics/${fabricName}`, apiVersion: '2023-06-01' },
  );
  core.counters.inc('InstallProvider', `${vaultKey}/${lower(vmm.name)}`, vmm.name);
  return {
    ok: true,
    vault: vault.name,
    vmm: vmm.name,
    jobName: job.name,
    jobId: `${s.v}/replicationJobs/${job.name}`,
    fabricName,
  };
}

export function upgradeProvider(
  core: EmulatorCore,
  vmmName: string,
  version: string,
): { ok: boolean; message: string; previous?: string } {
  const vmm = core.vmmServer(vmmName);
  if (!vmm) return { ok: false, message: `There is no VMM server named '${vmmName}' in the simulated estate.` };
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(version))
    return { ok: false, message: `version must look like 5.1.2250.0: got '${version}'` };
  const previous = core.providerVersion(vmm.name);
  core.world.providerVersions[lower(vmm.name)] = version;
  for (const v of Object.values(core.world.vaults)) {
    const f = v.asr.fabrics[lower(fabricNameOf(vmm.name))];
    if (f) f.provider.providerVersion = version;
  }
  return { ok: true, message: `Azure Site Recovery Provider on ${vmm.name}: ${previous} -> ${version}`, previous };
}
