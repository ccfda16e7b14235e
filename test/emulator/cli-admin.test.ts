import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { cliEntry, repoRoot as ROOT } from '../support/cli';
import { clientsFor, rawRequest, startTestEmulator, TENANTS, type TestEmulator } from './helpers';

// The built asrflow CLI, whose `emulator` commands come from the emulator package through
// src/devstack/emulator-commands.ts.
function startCli(args: string[]) {
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    void exited.then((code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  // Not every caller waits for the line (a failing start never prints one).
  firstLine.catch(() => undefined);
  return { child, firstLine, exited, stderr: () => stderr };
}

describe('asrflow emulator start (the command)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-emu-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints one JSON line with its endpoints once ready, serves, and stops on SIGINT', async () => {
    const run = startCli(['emulator', 'start', '--port', '0', '--data-dir', dir, '--speed', '600']);
    const info = JSON.parse(await run.firstLine) as Record<string, string>;
    expect(info).toMatchObject({
      armEndpoint: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/),
      authorityHost: info['armEndpoint'],
      caCertPath: path.join(path.resolve(dir), 'ca.pem'),
      adminUrl: `${info['armEndpoint']}/_admin`,
    });
    const admin = EmulatorAdminClient.fromDataDir(dir);
    const state = (await admin.state()) as { clock: { speed: number } };
    expect(state.clock.speed).toBe(600);
    admin.close();
    const c = clientsFor(
      {
        endpoint: {
          armEndpoint: info['armEndpoint'] ?? '',
          authorityHost: info['authorityHost'] ?? '',
          caCertPath: info['caCertPath'] ?? '',
        },
      },
      'contoso',
    );
    expect((await c.resources.resourceGroups.createOrUpdate('cli-rg', { location: 'westeurope' })).name).toBe('cli-rg');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
  });

  it('rejects a bad estate file with file, line, field and fix, and exit code 2', async () => {
    const file = path.join(dir, 'bad-estate.yaml');
    writeFileSync(
      file,
      'tenants: []\nvmmServers:\n  - name: v1\n    providerVersion: 5.1.2250.0\n    clouds: []\n    vmNetworks: []\n    vms:\n      - name: a\n        cloud: nowhere\n        generation: 3\n        osType: Windows\n        disks: [{ name: d, sizeGB: 1, format: VHD }]\n',
    );
    const run = startCli(['emulator', 'start', '--port', '0', '--data-dir', dir, '--estate', file]);
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain(`${file}:10:21: vmmServers.0.vms.0.generation`);
    expect(run.stderr()).toMatch(/Fix: generation is 1 or 2/);
  });
});

describe('admin API', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('needs its own token', async () => {
    const r = await rawRequest(emu, 'GET', '/_admin/state');
    expect(r.status).toBe(401);
    const wrong = new EmulatorAdminClient(emu.adminUrl, 'nope', emu.caCertPath);
    expect((await wrong.call('GET', 'state')).status).toBe(401);
    wrong.close();
  });

  it('dumps state, logs requests without secrets, counts effective operations, changes time, resets', async () => {
    const c = clientsFor(emu, 'contoso');
    await c.resources.resourceGroups.createOrUpdate('adm-rg', { location: 'westeurope' });
    await c.resources.resourceGroups.createOrUpdate('adm-rg', { location: 'westeurope' });
    const state = (await emu.admin.state()) as { world: { resourceGroups: Record<string, unknown> } };
    expect(Object.keys(state.world.resourceGroups)).toContain(`${TENANTS.contoso.subscriptionId}/adm-rg`);
    const log = await emu.admin.requests(0, true);
    expect(log.entries.filter((e) => e.operationId === 'ResourceGroups_CreateOrUpdate').map((e) => e.status)).toEqual([
      201, 200,
    ]);
    expect(JSON.stringify(log)).not.toContain(TENANTS.contoso.clientSecret);
    const counters = await emu.admin.counters();
    expect(
      counters['ResourceGroups_CreateOrUpdate']?.[
        `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups/adm-rg`
      ]?.count,
    ).toBe(1);
    const before = Date.parse((await emu.admin.setTime({ speed: 1 })).now);
    const after = await emu.admin.setTime({ advanceSeconds: 3600 });
    expect(Date.parse(after.now) - before).toBeGreaterThanOrEqual(3600_000);
    await emu.admin.reset();
    await expect(c.resources.resourceGroups.get('adm-rg')).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('persistence', () => {
  it('keeps the world across a restart with persist', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'asrflow-emu-persist-'));
    try {
      const first = await startTestEmulator({ dataDir: dir, persist: true });
      await clientsFor(first, 'northwind').resources.resourceGroups.createOrUpdate('kept-rg', {
        location: 'westeurope',
      });
      await first.close();
      const second = await startTestEmulator({ dataDir: dir, persist: true });
      try {
        expect((await clientsFor(second, 'northwind').resources.resourceGroups.get('kept-rg')).name).toBe('kept-rg');
        // Same CA across restarts: clients configured once keep trusting it.
        expect(second.caCertPath).toBe(first.caCertPath);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
