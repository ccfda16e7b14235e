import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator, type EmulatorHandle } from '@asrflow/azure-emulator';
import { cliEntry, repoRoot as ROOT, runCli } from '../support/cli';
import { clientsFor } from './helpers';

// The Docker Compose stack reaches the emulator as https://emulator:8443 from other containers,
// so it must be able to listen beyond loopback and present a certificate for that name; the
// default must stay loopback-only. 127.0.0.2 is on the loopback interface too, but a socket
// bound to 127.0.0.1 does not accept it: it tells "bound to 127.0.0.1" from "bound to all".
const OTHER_LOOPBACK = '127.0.0.2';

function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** A verified TLS handshake (default checkServerIdentity, only the emulator's CA trusted). */
function verifiedCertificate(host: string, port: number, servername: string, ca: string): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, servername, ca, rejectUnauthorized: true }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.once('error', reject);
  });
}

function altNames(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '').split(', ').filter(Boolean);
}

describe('emulator listen address and certificate names', () => {
  const dirs: string[] = [];
  const handles: EmulatorHandle[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-emu-listen-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const h of handles) await h.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('binds to 127.0.0.1 only by default, with a certificate for 127.0.0.1 and localhost', async () => {
    const emu = await startEmulator({ port: 0, dataDir: tempDir() });
    handles.push(emu);
    expect(emu.armEndpoint).toBe(`https://127.0.0.1:${emu.port}`);
    expect(await tryConnect('127.0.0.1', emu.port)).toBe('connected');
    expect(await tryConnect(OTHER_LOOPBACK, emu.port)).toBe('ECONNREFUSED');
    const cert = await verifiedCertificate('127.0.0.1', emu.port, 'localhost', readFileSync(emu.caCertPath, 'utf8'));
    expect(altNames(cert)).toEqual(expect.arrayContaining(['IP Address:127.0.0.1', 'DNS:localhost']));
    expect(altNames(cert)).not.toContain('DNS:emulator');
  });

  it('listens on all addresses with --host 0.0.0.0 and names itself by the first --cert-name', async () => {
    const dataDir = tempDir();
    const emu = await startEmulator({ port: 0, host: '0.0.0.0', certNames: ['emulator', 'asr.example.test'], dataDir });
    handles.push(emu);
    expect(await tryConnect(OTHER_LOOPBACK, emu.port)).toBe('connected');
    const ca = readFileSync(emu.caCertPath, 'utf8');
    const cert = await verifiedCertificate(OTHER_LOOPBACK, emu.port, 'emulator', ca);
    expect(altNames(cert)).toEqual(
      expect.arrayContaining(['DNS:emulator', 'DNS:asr.example.test', 'IP Address:127.0.0.1', 'DNS:localhost']),
    );
    await expect(verifiedCertificate(OTHER_LOOPBACK, emu.port, 'not-the-emulator', ca)).rejects.toThrow(
      /not in the cert's altnames|does not match/i,
    );
    // Links the emulator hands out must point at the name other containers use.
    expect(emu.armEndpoint).toBe(`https://emulator:${emu.port}`);
    const info = JSON.parse(readFileSync(path.join(dataDir, 'emulator.json'), 'utf8')) as { armEndpoint: string };
    expect(info.armEndpoint).toBe(`https://emulator:${emu.port}`);
  });

  it('keeps serving verified clients on 127.0.0.1 when extra names are added to an existing data dir', async () => {
    const dataDir = tempDir();
    const first = await startEmulator({ port: 0, dataDir });
    const caBefore = readFileSync(first.caCertPath, 'utf8');
    await first.stop();
    const emu = await startEmulator({ port: 0, host: '127.0.0.1', certNames: ['localhost'], dataDir });
    handles.push(emu);
    // Same CA (clients that trusted it keep trusting), and real SDK calls still verify.
    expect(readFileSync(emu.caCertPath, 'utf8')).toBe(caBefore);
    const c = clientsFor(
      {
        endpoint: {
          armEndpoint: `https://127.0.0.1:${emu.port}`,
          authorityHost: `https://127.0.0.1:${emu.port}`,
          caCertPath: emu.caCertPath,
        },
      },
      'contoso',
    );
    expect((await c.resources.resourceGroups.createOrUpdate('listen-rg', { location: 'westeurope' })).name).toBe(
      'listen-rg',
    );
  });

  it("the asrflow CLI's emulator start takes --host and repeated --cert-name, and refuses a bad name with exit 2", async () => {
    const dataDir = tempDir();
    const child = spawn(
      process.execPath,
      [
        cliEntry,
        'emulator',
        'start',
        '--port',
        '0',
        '--host',
        '0.0.0.0',
        '--cert-name',
        'emulator',
        '--cert-name',
        'emulator.local',
        '--data-dir',
        dataDir,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      void exited.then((code) => reject(new Error(`emulator start exited ${code}`)));
    });
    const info = JSON.parse(line) as { armEndpoint: string; caCertPath: string };
    const port = Number(new URL(info.armEndpoint).port);
    expect(info.armEndpoint).toBe(`https://emulator:${port}`);
    const cert = await verifiedCertificate(
      OTHER_LOOPBACK,
      port,
      'emulator.local',
      readFileSync(info.caCertPath, 'utf8'),
    );
    expect(altNames(cert)).toEqual(expect.arrayContaining(['DNS:emulator', 'DNS:emulator.local']));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const bad = await runCli(['emulator', 'start', '--port', '0', '--cert-name', 'not a name', '--data-dir', dataDir]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--cert-name.*expected a DNS name or an IP address, got 'not a name'/);
  });
});
