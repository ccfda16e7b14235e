import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureClientFactory } from '../../src/azure/clients';
import { resolveCredential } from '../../src/azure/credentials';
import { loadAzureTarget, trustingAgent } from '../../src/azure/target';
import { defaultEstatePath, loadEstateFile } from '@asrflow/azure-emulator';
import { ARM_SCOPE } from '../support/azure-endpoint';
import { startTestEmulator, TENANTS, type TestEmulator } from './helpers';

/** A self-signed certificate and its key, as one PEM file (what ClientCertificateCredential reads). */
function certificatePair(): { certificatePem: string; bothPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  cert.serialNumber = `01${randomBytes(8).toString('hex')}`;
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3_600_000);
  const subject = [{ name: 'commonName', value: 'asrflow-contoso' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(
    forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    forge.md.sha256.create(),
  );
  const certificatePem = forge.pki.certificateToPem(cert);
  return {
    certificatePem,
    bothPem: `${privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()}${certificatePem}`,
  };
}

// The plan's `clientCertificate` reference, end to end: the real ClientCertificateCredential
// signs a client assertion, the emulator's Entra ID checks it against the app's registered
// certificate, and ARM calls through the product's client factory carry the token.
describe('certificate and default credentials (clientCertificate, default)', () => {
  let emu: TestEmulator;
  let dir: string;
  const registered = certificatePair();
  const contoso = TENANTS.contoso;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-cert-'));
    const estate = loadEstateFile(defaultEstatePath());
    const app = estate.tenants.find((t) => t.tenantId === contoso.tenantId)?.apps[0];
    if (!app) throw new Error('estate has no contoso app');
    app.certificates = [registered.certificatePem];
    emu = await startTestEmulator({ estate });
  });
  afterAll(async () => {
    await emu?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const credentialFrom = (pem: string) => {
    const file = path.join(dir, `${randomBytes(4).toString('hex')}.pem`);
    writeFileSync(file, pem, { mode: 0o600 });
    return resolveCredential(
      { type: 'clientCertificate', clientId: contoso.clientId, certificateFile: file },
      contoso.tenantId,
      {
        authorityHost: emu.authorityHost,
        agent: trustingAgent(emu.caCertPath),
        env: { ASRFLOW_SECRETS_DIR: dir },
        maxRetries: 0,
      },
    );
  };

  it('gets a token for the tenant with the registered certificate, and ARM accepts it', async () => {
    const token = await credentialFrom(registered.bothPem).getToken(ARM_SCOPE);
    expect(token?.token.split('.')).toHaveLength(3);
    const claims = JSON.parse(Buffer.from(token?.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      tid: string;
      appid: string;
    };
    expect(claims).toMatchObject({ tid: contoso.tenantId, appid: contoso.clientId });

    const file = path.join(dir, 'factory.pem');
    writeFileSync(file, registered.bothPem, { mode: 0o600 });
    const env = {
      ASRFLOW_ARM_ENDPOINT: emu.armEndpoint,
      ASRFLOW_AUTHORITY_HOST: emu.authorityHost,
      ASRFLOW_CA_FILE: emu.caCertPath,
      ASRFLOW_SECRETS_DIR: dir,
    };
    const factory = new AzureClientFactory(loadAzureTarget(env), env);
    const resources = factory.resources(
      {
        tenantId: contoso.tenantId,
        credential: { type: 'clientCertificate', clientId: contoso.clientId, certificateFile: file },
      },
      contoso.subscriptionId,
    );
    await resources.resourceGroups.createOrUpdate('cert-rg', { location: 'westeurope' });
    expect((await resources.resourceGroups.get('cert-rg')).name).toBe('cert-rg');
  });

  it('refuses a certificate the app does not have, as Entra does', async () => {
    await expect(credentialFrom(certificatePair().bothPem).getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700027/);
  });

  it('the `default` reference (DefaultAzureCredential) uses the app named in the worker environment (EnvironmentCredential)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AZURE_TENANT_ID: contoso.tenantId,
      AZURE_CLIENT_ID: contoso.clientId,
      AZURE_CLIENT_SECRET: contoso.clientSecret,
    });
    try {
      const credential = resolveCredential({ type: 'default' }, contoso.tenantId, {
        authorityHost: emu.authorityHost,
        agent: trustingAgent(emu.caCertPath),
        env: process.env,
        maxRetries: 0,
      });
      const token = await credential.getToken(ARM_SCOPE);
      const claims = JSON.parse(Buffer.from(token?.token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
        tid: string;
        appid: string;
      };
      expect(claims).toMatchObject({ tid: contoso.tenantId, appid: contoso.clientId });
    } finally {
      for (const key of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET']) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  });
});
