import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliEntry, eventually, readEnvFile, runCli } from '../support/cli';

// CI runs `npm run demo -- --exit`; this is the other half: without --exit the demo stays up for
// exploring, hands another shell its settings, answers the CLI, and stops cleanly on Ctrl-C.
describe('asrflow demo (staying up)', () => {
  it('stays up after the drill, its env file lets the CLI in, and Ctrl-C stops it with exit 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-demo-'));
    // An env file an earlier run (or a person) left readable by others: the demo narrows it.
    writeFileSync(path.join(dir, 'env'), 'OLD=1\n');
    chmodSync(path.join(dir, 'env'), 0o644);
    const child = spawn(process.execPath, [cliEntry, 'demo', '--port', '0', '--ui-port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(
        async () => (output.includes('The stack stays up for exploring') ? true : undefined),
        'the demo to finish its run and stay up',
        300_000,
        250,
        async () => output.slice(-3000),
      );
      expect(output).toContain('== Drill report');
      // Staying up, the UI link is live; with --exit (CI) the demo prints none.
      expect(output).toMatch(/^Temporal UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\//m);
      const envFile = path.join(dir, 'env');
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      expect(output).toContain(
        `${envFile} was mode 0644 (readable by others); narrowed it to 0600, since it holds secrets.`,
      );
      const env = readEnvFile(envFile);
      for (const [key, value] of Object.entries(env))
        if (key.startsWith('ASRFLOW_SECRET_')) expect(output).not.toContain(value);

      // The emulator commands find the demo's emulator through the env file, without --data-dir.
      const state = await runCli(['emulator', 'admin', 'state'], env);
      expect(state.code, state.stderr).toBe(0);
      expect(state.stdout).toContain('fabrikam-asr-westeurope');

      const status = await runCli(['status', '--json'], env);
      expect(status.code).toBe(0);
      const shown = JSON.parse(status.stdout) as Array<{ workflowId: string; status: string }>;
      expect(shown.map((s) => [s.workflowId, s.status])).toEqual(
        expect.arrayContaining([
          ['asrflow:onboard:contoso', 'COMPLETED'],
          ['asrflow:onboard:northwind', 'COMPLETED'],
          ['asrflow:failover:contoso:web01', 'COMPLETED'],
        ]),
      );
    } finally {
      child.kill('SIGINT');
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      expect(code).toBe(0);
    }
  });
});
