import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';

export interface TlsMaterial {
  caCertPath: string;
  caCertPem: string;
  certPem: string;
  keyPem: string;
}

// Keys come from node:crypto (fast, native); node-forge only builds and signs the X.509
// structures. Both certificates are kept in the data directory so clients that trusted the
// CA once keep trusting a restarted emulator.
function newRsaKey(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function serial(): string {
  // Positive serial number (first bit clear), as RFC 5280 requires.
  const b = randomBytes(16);
  b[0] = (b[0] ?? 0) & 0x7f;
  return b.toString('hex');
}

function writeSecret(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
}

export function ensureTlsMaterial(dataDir: string, hosts: string[] = ['127.0.0.1', 'localhost']): TlsMaterial {
  mkdirSync(dataDir, { recursive: true });
  const caCertPath = path.join(dataDir, 'ca.pem');
  const caKeyPath = path.join(dataDir, 'ca-key.pem');
  const certPath = path.join(dataDir, 'server.pem');
  const keyPath = path.join(dataDir, 'server-key.pem');

  if (!existsSync(caCertPath) || !existsSync(caKeyPath)) {
    const key = newRsaKey();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(key.publicPem);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000);
    const subject = [
      { name: 'commonName', value: 'asrflow Azure emulator CA' },
      { name: 'organizationName', value: 'asrflow (local emulator)' },
    ];
    cert.setSubject(subject);
    cert.setIssuer(subject);
    cert.setExtensions([
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      { name: 'subjectKeyIdentifier' },
    ]);
    cert.sign(forge.pki.privateKeyFromPem(key.privatePem), forge.md.sha256.create());
    writeSecret(caKeyPath, key.privatePem);
    writeFileSync(caCertPath, forge.pki.certificateToPem(cert));
    // A new CA invalidates any server certificate signed by an older one.
    if (existsSync(certPath)) writeFileSync(certPath, '');
  }

  const caCertPem = readFileSync(caCertPath, 'utf8');
  const existingCert = existsSync(certPath) ? readFileSync(certPath, 'utf8') : '';
  if (existingCert.trim() === '' || !existsSync(keyPath) || !coversHosts(existingCert, hosts)) {
    const caCert = forge.pki.certificateFromPem(caCertPem);
    const caKey = forge.pki.privateKeyFromPem(readFileSync(caKeyPath, 'utf8'));
    const key = newRsaKey();
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(key.publicPem);
    cert.serialNumber = serial();
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
    cert.setSubject([{ name: 'commonName', value: 'asrflow Azure emulator' }]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })),
      },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    writeSecret(keyPath, key.privatePem);
    writeFileSync(certPath, forge.pki.certificateToPem(cert));
  }
  return { caCertPath, caCertPem, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

function coversHosts(certPem: string, hosts: string[]): boolean {
  try {
    const cert = forge.pki.certificateFromPem(certPem);
    if (cert.validity.notAfter.getTime() < Date.now() + 24 * 3600 * 1000) return false;
    const san = cert.getExtension('subjectAltName') as { altNames?: Array<{ ip?: string; value?: string }> } | null;
    const names = new Set((san?.altNames ?? []).map((a) => a.ip ?? a.value ?? ''));
    return hosts.every((h) => names.has(h));
  } catch {
    return false;
  }
}
