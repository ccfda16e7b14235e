import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import type { WorkflowStatus } from '../../src/cli/status';
import { cliEntry, eventually, readEnvFile, repoRoot, runCli } from '../support/cli';
import { startTestStack, type TestStack } from '../support/stack';

// The watching side of the CLI, run as a child process the way a person or a CI job runs it:
// `onboard --watch` follows its workflows to the end and exits with their outcome; `--json`
// makes that one JSON document per change; a terminal gets colours and bars, a pipe does not.
describe('asrflow onboard/status --watch', () => {
  let stack: TestStack;
  const plan = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
  const workflowId = workflowIds.tenantOnboarding('litware');
  const vmm = 'vmm-litware.litware.local';

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('follows the onboarding through the Provider installation to the end and exits 0', async () => {
    // Read as it is printed: the Provider is installed only once the watch itself has shown the
    // wait for it (a fast machine would otherwise move past that stage between two looks).
    const child = spawn(process.execPath, [cliEntry, 'onboard', plan, '--watch', '--json', '--interval', '0.2'], {
      env: { ...process.env, ...stack.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const askedInWatch = new Promise<string>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        const found = /vault credentials file (\S+?\.VaultCredentials)/.exec(stdout)?.[1];
        if (found) resolve(found);
      });
    });
    const watching = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
      child.on('exit', (code) => resolve({ code, stdout, stderr })),
    );
    // The person at the VMM server, once the watch says what to do.
    let timer: NodeJS.Timeout | undefined;
    const asked = await Promise.race([
      askedInWatch,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the watch never showed the wait for the Provider:\n${stdout}\n${stderr}`));
        }, 90_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const admin = new EmulatorAdminClient(
      stack.emulator.adminUrl,
      stack.emulator.adminToken,
      stack.emulator.caCertPath,
    );
    try {
      await admin.upgradeProvider(vmm);
      expect((await admin.installProvider(readFileSync(asked, 'utf8'), vmm)).status).toBe(200);
    } finally {
      admin.close();
    }

    const result = await watching;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const [first, ...changes] = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(first).toMatchObject({ started: [{ workflowId, outcome: 'started' }] });
    const snapshots = changes as WorkflowStatus[][];
    // One line per change: the wait for the Provider, replication, and the end.
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    const stages = snapshots.map((s) => s[0]?.progress?.stage);
    expect(stages).toContain('registration');
    expect(snapshots.some((s) => s[0]?.progress?.operatorAction?.includes('.VaultCredentials'))).toBe(true);
    const last = snapshots.at(-1)?.[0];
    expect(last).toMatchObject({ workflowId, status: 'COMPLETED', progress: { stage: 'done' } });
    expect(last?.progress?.vms?.map((v) => [v.name, v.replicationPercent])).toEqual(
      expect.arrayContaining([
        ['erp01', 100],
        ['files01', 100],
      ]),
    );
    // Consecutive snapshots differ: nothing is printed twice.
    for (let i = 1; i < snapshots.length; i++)
      expect(JSON.stringify(snapshots[i])).not.toBe(JSON.stringify(snapshots[i - 1]));
  });

  it('status --watch ends at once when everything has ended; plain text on a pipe', async () => {
    const result = await runCli(['status', '--tenant', 'litware', '--watch', '--interval', '0.2'], stack.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^-- \d{4}-\d{2}-\d{2}T/);
    expect(result.stdout).toContain(`tenant litware (${workflowId}): COMPLETED, stage done`);
    expect(result.stdout).toMatch(/erp01\s+protected\s+100 %/);
    expect(result.stdout).not.toMatch(/\x1b\[/); // eslint-disable-line no-control-regex
    expect(result.stdout).not.toContain('█');
  });

  it('draws colours and progress bars on a terminal only', async () => {
    // `script` gives the CLI a real pseudo-terminal, as a person's shell would.
    const command = [process.execPath, cliEntry, 'status', '--tenant', 'litware'].map((a) => `'${a}'`).join(' ');
    const onTty = await new Promise<string>((resolve, reject) => {
      const env: Record<string, string | undefined> = { ...process.env, ...stack.env, TERM: 'xterm-256color' };
      delete env['NO_COLOR'];
      const child = spawn('script', ['-qec', command, '/dev/null'], { env });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
      child.on('error', reject);
      child.on('exit', (code) =>
        code === 0 ? resolve(out) : reject(new Error(`status on a tty exited ${code}: ${out}`)),
      );
    });
    expect(onTty).toMatch(/\x1b\[32m/); // eslint-disable-line no-control-regex
    expect(onTty).toMatch(/erp01\s+protected\s+\S*█{20}/);
  });

  it('rejects a bad --interval with exit 2', async () => {
    const result = await runCli(['status', '--watch', '--interval', 'soon'], stack.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--interval must be a number of seconds between 0.1 and 3600: got 'soon'");
  });
});

describe('asrflow dev up', () => {
  it('names a taken port and the fix, exits 2, and leaves nothing running', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-dev-up-'));
    try {
      const result = await runCli(['dev', 'up', '--port', String(port), '--ui-port', '0', '--data-dir', dir], {});
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(result.stderr).toContain('choose another with --port N (0 = any free port)');
      expect(result.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    } finally {
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs the local stack, writes its environment 0600 (narrowing a 0644 one), passes doctor, and stops on Ctrl-C', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asrflow-dev-up-'));
    // An env file an earlier run (or a person) left readable by others.
    writeFileSync(path.join(dir, 'env'), 'OLD=1\n', { mode: 0o644 });
    chmodSync(path.join(dir, 'env'), 0o644);
    const child = spawn(process.execPath, [cliEntry, 'dev', 'up', '--port', '0', '--ui-port', '0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const ready = await new Promise<{ temporalAddress: string; envFile: string; uiUrl: string | null }>(
        (resolve, reject) => {
          const lines = createInterface({ input: child.stdout });
          lines.once('line', (line) =>
            resolve(JSON.parse(line) as { temporalAddress: string; envFile: string; uiUrl: string | null }),
          );
          void exited.then((code) => reject(new Error(`dev up exited ${code} before it was ready:\n${stderr}`)));
        },
      );
      expect(ready.temporalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(ready.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(ready.envFile).toBe(path.join(dir, 'env'));
      expect(statSync(ready.envFile).mode & 0o777).toBe(0o600);
      expect(stderr).toContain(
        `${ready.envFile} was mode 0644 (readable by others); narrowed it to 0600, since it holds secrets.`,
      );
      const env = readEnvFile(ready.envFile);
      expect(env['TEMPORAL_ADDRESS']).toBe(ready.temporalAddress);
      // The demo secrets go to the file, never to the terminal.
      for (const [key, value] of Object.entries(env))
        if (key.startsWith('ASRFLOW_SECRET_')) expect(stderr).not.toContain(value);

      const doctor = await eventually(
        async () => {
          const r = await runCli(['doctor', '--plan', path.join(repoRoot, 'examples', 'multitenant-vmm.yaml')], env);
          return r.code === 0 ? r : undefined;
        },
        'doctor to pass against dev up',
        90_000,
        1_000,
      );
      expect(doctor.stdout).toMatch(/PASS.*worker/i);
      expect(doctor.stdout).not.toMatch(/FAIL/);
    } finally {
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
