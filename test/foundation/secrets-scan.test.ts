import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmulatorAdminClient } from '@asrflow/azure-emulator';
import { loadPlan } from '../../src/domain/plan/load';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { repoRoot, runCli } from '../support/cli';
import { onboardMultitenant } from '../support/onboarded';
import { startTestStack, type TestStack } from '../support/stack';

// Secrets stay where they belong: after an onboarding and a test failover with known client
// secrets, no workflow history, no log line of the worker (at its most verbose) or the CLI, and no
// file asrflow wrote holds a secret, a bearer token or a private key. Excepted: the vault
// credentials files (0600; carrying the vault's certificate is their purpose) and the emulator's
// own data (it plays Azure and Entra ID, which do know the secrets).
describe('secrets scan', () => {
  let stack: TestStack;
  let admin: EmulatorAdminClient;
  const cliOutput: string[] = [];
  const planFile = path.join(repoRoot, 'examples', 'multitenant-vmm.yaml');
  const cli = async (...args: string[]) => {
    const result = await runCli([...args], stack.env);
    cliOutput.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    stack = await startTestStack({ speed: 600, workerEnv: { ASRFLOW_LOG_LEVEL: 'trace' } });
    admin = EmulatorAdminClient.fromDataDir(stack.emulator.dataDir);
    await onboardMultitenant(stack, admin, loadPlan(planFile, { checkCredentials: false }).plan);
    const test = await cli(
      'failover',
      'test',
      '--tenant',
      'contoso',
      '--vm',
      'web01',
      '--cleanup-after',
      '1s',
      '--plan',
      planFile,
    );
    expect(test.code, test.stderr).toBe(0);
    await stack.client.workflow.getHandle(workflowIds.failover('contoso', 'web01')).result();
    for (const args of [['status'], ['report'], ['status', '--json']]) expect((await cli(...args)).code).toBe(0);
  });
  afterAll(async () => {
    admin?.close();
    await stack?.stop();
  });

  const secrets = () =>
    Object.entries(stack.env)
      .filter(([name]) => name.startsWith('ASRFLOW_SECRET_'))
      .map(([, value]) => value);
  /** What must never be found, each with a name for the failure message. */
  const forbidden = (): Array<[string, RegExp]> => [
    ...secrets().map((s, i): [string, RegExp] => [
      `secret #${i + 1}`,
      new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    ]),
    ['a JWT (bearer token)', /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/],
    ['an Authorization header', /Bearer\s+[\w.-]{20,}/],
    ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ];
  const findings = (where: string, text: string) =>
    forbidden()
      .filter(([, re]) => re.test(text))
      .map(([what]) => `${what} in ${where}`);

  /** Every byte field of a history decoded as text, beside the rest of it. */
  const historyText = (value: unknown): string => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return value.map(historyText).join('\n');
    if (value && typeof value === 'object') return Object.values(value).map(historyText).join('\n');
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' ? String(value) : '';
  };

  it('recognises what it looks for: each secret, and a token the emulated Entra ID issues', async () => {
    expect(secrets().length).toBeGreaterThanOrEqual(3);
    for (const s of secrets()) expect(findings('a control', `x ${s} y`)).toHaveLength(1);
    const { accessToken } = await admin.token(
      'c0000000-0000-4000-8000-000000000001',
      'c2000000-0000-4000-8000-000000000001',
      60,
    );
    expect(findings('a control', `Authorization: Bearer ${accessToken}`)).toEqual([
      'a JWT (bearer token) in a control',
      'an Authorization header in a control',
    ]);
  });

  it('finds none of them in any workflow history of the namespace', async () => {
    let runs = 0;
    const found: string[] = [];
    for await (const run of stack.client.workflow.list()) {
      runs++;
      const history = await stack.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
      found.push(...findings(`history of ${run.workflowId}`, historyText(history)));
    }
    // The shared vault, its watcher, two tenants, their VMs and the failover at least.
    expect(runs).toBeGreaterThanOrEqual(9);
    expect(found).toEqual([]);
  });

  it("finds none in the worker's log (trace level) or what the CLI printed", () => {
    expect(stack.workerOutput.length).toBeGreaterThan(0);
    expect(findings('the worker log', stack.workerOutput.join('\n'))).toEqual([]);
    expect(findings('CLI output', cliOutput.join('\n'))).toEqual([]);
  });

  it('finds none in any file asrflow wrote', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (file === stack.emulator.dataDir) continue;
        if (statSync(file).isDirectory()) walk(file);
        else files.push(file);
      }
    };
    walk(stack.dir);
    const credentials = files.filter((f) => f.endsWith('.VaultCredentials'));
    // The onboarding wrote the shared vault's credentials file, readable by its owner only.
    expect(credentials.length).toBeGreaterThan(0);
    for (const f of credentials) expect(statSync(f).mode & 0o077).toBe(0);
    const found = files
      .filter((f) => !f.endsWith('.VaultCredentials'))
      .flatMap((f) => findings(path.relative(stack.dir, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });
});
