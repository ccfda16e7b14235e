import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

// The vault credentials file is what the person installing the ASR Provider feeds to
// DRConfigurator: the vault's identity, a management certificate with its private key and
// the vault's integrity key. It holds a private key, so it is written 0600 and never logged.

/** ASR's own credentials are valid for 120 hours. */
export const VAULT_CREDENTIALS_VALIDITY_HOURS = 120;

export interface SelfSignedCertificate {
  /** base64 DER of the certificate, as the vault-certificate PUT wants it. */
  certificateBase64: string;
  /** base64 PKCS#12 with the private key, for the file. */
  pfxBase64: string;
  validFrom: Date;
  validTo: Date;
}

export function makeVaultCertificate(
  subject: string,
  now: Date,
  hours = VAULT_CREDENTIALS_VALIDITY_HOURS,
): SelfSignedCertificate {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 2048, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
  const validFrom = new Date(now.getTime() - 5 * 60_000);
  const validTo = new Date(now.getTime() + hours * 3_600_000);
  cert.validity.notBefore = validFrom;
  cert.validity.notAfter = validTo;
  const attrs = [{ name: 'commonName', value: subject }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const der = forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes();
  // An empty (not absent) password, as the portal's files have: Windows imports it without a prompt.
  const p12 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], '', { algorithm: '3des' });
  const pfx = forge.asn1.toDer(p12).getBytes();
  return { certificateBase64: forge.util.encode64(der), pfxBase64: forge.util.encode64(pfx), validFrom, validTo };
}

export interface VaultCredentialsContent {
  subscriptionId: string;
  resourceGroup: string;
  vaultName: string;
  location: string;
  resourceId: number | string;
  aadAuthority: string;
  aadTenantId: string;
  servicePrincipalClientId: string;
  aadVaultAudience: string;
  armManagementEndpoint: string;
  integrityKey: string;
  pfxBase64: string;
}

function xml(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderVaultCredentials(c: VaultCredentialsContent): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<RSVaultAsrCreds xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://schemas.datacontract.org/2004/07/Microsoft.Azure.Portal.RecoveryServices.Models.Common">',
    '  <VaultDetails>',
    `    <SubscriptionId>${xml(c.subscriptionId)}</SubscriptionId>`,
    `    <ResourceGroup>${xml(c.resourceGroup)}</ResourceGroup>`,
    `    <ResourceName>${xml(c.vaultName)}</ResourceName>`,
    `    <ResourceId>${xml(c.resourceId)}</ResourceId>`,
    `    <Location>${xml(c.location)}</Location>`,
    '    <ResourceType>Vaults</ResourceType>',
    '    <ProviderNamespace>Microsoft.RecoveryServices</ProviderNamespace>',
    '  </VaultDetails>',
    `  <ManagementCert>${c.pfxBase64}</ManagementCert>`,
    '  <Version>2.0</Version>',
    '  <AadDetails>',
    `    <AadAuthority>${xml(c.aadAuthority)}</AadAuthority>`,
    `    <AadTenantId>${xml(c.aadTenantId)}</AadTenantId>`,
    `    <ServicePrincipalClientId>${xml(c.servicePrincipalClientId)}</ServicePrincipalClientId>`,
    `    <AadVaultAudience>${xml(c.aadVaultAudience)}</AadVaultAudience>`,
    `    <ArmManagementEndpoint>${xml(c.armManagementEndpoint)}</ArmManagementEndpoint>`,
    '  </AadDetails>',
    `  <ChannelIntegrityKey>${xml(c.integrityKey)}</ChannelIntegrityKey>`,
    '  <SiteId></SiteId>',
    '  <SiteName></SiteName>',
    '</RSVaultAsrCreds>',
    '',
  ].join('\n');
}

/** `{vault}_{yyyy-MM-ddTHH-mm-ss}.VaultCredentials`, as the portal and PowerShell name it. */
export function vaultCredentialsFileName(vaultName: string, at: Date): string {
  const stamp = at.toISOString().slice(0, 19).replace(/:/g, '-');
  return `${vaultName}_${stamp}.VaultCredentials`;
}

/** Writes the file readable by its owner only (0600) in a folder only the owner can list. */
export function writeSecretFile(dir: string, name: string, content: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
  return path.resolve(file);
}
