import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import {
  makeVaultCertificate,
  renderVaultCredentials,
  vaultCredentialsFileName,
  writeSecretFile,
} from '../../src/onboarding/activities/vault-credentials-file';

const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-vaultcreds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vault credentials file', () => {
  const now = new Date('2026-11-23T10:11:12Z');
  const cert = makeVaultCertificate('fabrikam-asr-vaultcredentials', now);

  it('makes a certificate valid for 120 hours and a PFX that holds its private key', () => {
    expect(cert.validTo.getTime() - now.getTime()).toBe(120 * 3_600_000);
    const parsed = forge.pki.certificateFromAsn1(forge.asn1.fromDer(forge.util.decode64(cert.certificateBase64)));
    expect(parsed.subject.getField('CN').value).toBe('fabrikam-asr-vaultcredentials');
    const p12 = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(forge.util.decode64(cert.pfxBase64)), '');
    const shrouded = forge.pki.oids.pkcs8ShroudedKeyBag as string;
    const keyBags = p12.getBags({ bagType: shrouded })[shrouded] ?? [];
    expect(keyBags).toHaveLength(1);
  });

  it('renders the RSVaultAsrCreds XML and writes it readable by the owner only', () => {
    const xml = renderVaultCredentials({
      subscriptionId: 'a1',
      resourceGroup: 'rg',
      vaultName: 'v<1>',
      location: 'westeurope',
      resourceId: 42,
      aadAuthority: 'https://login',
      aadTenantId: 't',
      servicePrincipalClientId: 'sp',
      aadVaultAudience: 'https://RecoveryServiceVault/westeurope/v/42',
      armManagementEndpoint: 'https://arm',
      integrityKey: 'key==',
      pfxBase64: cert.pfxBase64,
    });
    expect(xml).toContain('<RSVaultAsrCreds');
    expect(xml).toContain('<ResourceName>v&lt;1&gt;</ResourceName>');
    expect(xml).toContain('<ChannelIntegrityKey>key==</ChannelIntegrityKey>');
    expect(xml).toContain('<Version>2.0</Version>');
    const name = vaultCredentialsFileName('fabrikam-asr', now);
    expect(name).toBe('fabrikam-asr_2026-11-23T10-11-12.VaultCredentials');
    const file = writeSecretFile(path.join(dir, 'creds'), name, xml);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toBe(xml);
  });
});
