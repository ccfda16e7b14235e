import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { installProvider, narrowedNotice, startLocalStack, writeEnvFile } from '../devstack/local-stack';
import { loadPlan } from '../domain/plan/load';
import { packageRoot } from '../domain/package-root';
import { plainText } from '../domain/operator-commands';
import { progressQuery } from '../temporal/workflow/progress';
import { workflowIds } from '../temporal/workflow/workflow-ids';
import type { MultitenantVmmPlan } from '../domain/plan/types';
import { azureEndpointCheck, credentialChecks } from './azure-checks';
import { formatResults, runDoctor, type CheckResult } from './doctor';
import { startOnboarding, workflowUiUrl } from '../onboarding/start';
import { collectDrills, failoverInputFromPlan, renderDrillReport, startFailover } from '../failover/start';
import { cleanupUpdate } from '../failover/contract';
import { collectStatus } from './status';
import { watchStatus } from './watch';
import { loadTemporalSettings } from '../temporal/config';

export interface DemoOptions {
  exit: boolean;
  port: number;
  uiPort: number;
  dataDir: string;
  speed: number;
  print: (text: string) => void;
  waitForInterrupt: () => Promise<unknown>;
}

const until = async <T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 600_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`demo: gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
};

/**
 * The main job on the embedded default: local Temporal + emulator + worker, the example
 * multitenant plan onboarded, the Provider installation played, progress shown as it goes.
 * Returns the exit code.
 */
export async function runDemo(options: DemoOptions): Promise<number> {
  const { print } = options;
  const planFile = path.join(packageRoot(), 'examples', 'multitenant-vmm.yaml');
  const stack = await startLocalStack({
    dataDir: options.dataDir,
    temporalPort: options.port,
    uiPort: options.uiPort,
    speed: options.speed,
    log: (line) => print(line),
  });
  const connection = await Connection.connect({ address: stack.temporal.address });
  try {
    const env = { ...process.env, ...stack.env };
    const settings = loadTemporalSettings(env);
    const client = new Client({ connection, namespace: settings.namespace });
    let checks: CheckResult[] = [];
    const deadline = Date.now() + 120_000;
    do {
      checks = await runDoctor({
        settings,
        extraChecks: [() => azureEndpointCheck(env), () => credentialChecks(planFile, env)],
      });
      if (checks.every((c) => c.ok)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (Date.now() < deadline);
    print(formatResults(checks, Boolean(process.stdout.isTTY)));
    if (!checks.every((c) => c.ok)) return 1;

    const plan = loadPlan(planFile, { env }).plan as MultitenantVmmPlan;
    print(
      `\n== Onboarding ${path.relative(process.cwd(), planFile)}: ${plan.tenants.map((t) => t.name).join(', ')} into the shared vault ${plan.provider.vault}`,
    );
    for (const s of await startOnboarding(client, plan, settings.taskQueue)) {
      print(
        `${s.workflowId}: ${s.outcome}  ${workflowUiUrl(stack.temporal.uiUrl, settings.namespace, s.workflowId) ?? ''}`,
      );
    }

    const vaultId = workflowIds.sharedVault(plan.provider.subscriptionId, plan.provider.vault);
    const asked = await until(async () => {
      const p = await client.workflow.getHandle(vaultId).query(progressQuery);
      return p.operatorAction?.includes('.VaultCredentials') ? p.operatorAction : undefined;
    }, 'the shared vault to ask for the Provider installation');
    print(`\n== The workflow asks the operator:\n   ${plainText(asked)}`);
    const credentials = /vault credentials file (\S+\.VaultCredentials)/.exec(asked)?.[1] as string;
    print(
      `== Playing the operator: installing the ASR Provider on ${plan.provider.vmmServer} with ${path.basename(credentials)}`,
    );
    const installed = await installProvider(stack, readFileSync(credentials, 'utf8'), plan.provider.vmmServer);
    if (installed.status >= 400) throw new Error(`Provider installation failed: ${JSON.stringify(installed.body)}`);

    print('\n== Progress (what `asrflow status --watch` shows)');
    // Earlier output (doctor, links) stays on screen: changes are printed, not redrawn.
    const watched = await watchStatus({
      collect: () => collectStatus(client),
      intervalMs: 1_000,
      tty: false,
      json: false,
      write: (text) => print(text),
    });
    const failed = watched.statuses.filter((s) => s.status !== 'COMPLETED');
    if (failed.length > 0) {
      print(`demo: ${failed.map((f) => `${f.workflowId} ${f.status}`).join(', ')}`);
      return 1;
    }
    print(`\n== Done: every selected VM of ${plan.tenants.map((t) => t.name).join(' and ')} is protected.`);

    // A drill, as the DR engineer would run it: test failover of one VM into the tenant's
    // isolated network, then the cleanup, then the report an auditor reads.
    const drillTenant = plan.tenants[0]?.name ?? 'contoso';
    const drillVm = 'web01';
    print(`\n== Test failover of ${drillVm} (${drillTenant}) into its isolated test network`);
    const drill = await startFailover(
      client,
      failoverInputFromPlan(plan, drillTenant, drillVm, 'test', { cleanupAfter: '24h' }),
      settings.taskQueue,
    );
    print(`${drill.workflowId}  ${workflowUiUrl(stack.temporal.uiUrl, settings.namespace, drill.workflowId) ?? ''}`);
    await until(
      async () => ((await drill.query(progressQuery)).stage === 'await-cleanup' ? true : undefined),
      'the test VM to run',
    ).catch(async () => {
      const p = await drill.query(progressQuery);
      throw new Error(
        `demo: test failover did not reach the cleanup wait (stage ${p.stage}${p.operatorAction ? `: ${p.operatorAction}` : ''})`,
      );
    });
    print(`The test VM runs in the test network; cleaning it up (the workflow would do so by itself after 24 h).`);
    await drill.executeUpdate(cleanupUpdate, { args: [{ reason: 'demo drill done' }] });
    const record = await drill.result();
    print(
      `Test failover ${record.outcome}: RTO ${record.rto?.seconds ?? '?'} s, RPO (recovery point age) ${record.rpo?.ageSeconds ?? '?'} s, in Site Recovery time.`,
    );
    print(`\n== Drill report\n${renderDrillReport(await collectDrills(client))}`);
    // With --exit the stack stops right after this line: a UI link would be dead when it is read.
    if (stack.temporal.uiUrl && !options.exit)
      print(
        `Temporal UI: ${stack.temporal.uiUrl}/namespaces/${settings.namespace}/workflows?query=${encodeURIComponent("AsrKind = 'tenant-onboarding'")}`,
      );
    if (options.exit)
      print('The stack stops now (--exit). Run `npm run demo` without it to keep it up and explore the Temporal UI.');
    else {
      const written = writeEnvFile(stack.env, options.dataDir);
      const envFile = written.file;
      const notice = narrowedNotice(written);
      if (notice) print(notice);
      print(
        [
          'The stack stays up for exploring; Ctrl-C stops it. In another shell:',
          `  set -a; . ${path.relative(process.cwd(), envFile) || envFile}; set +a`,
          '  node bin/asrflow.js status --watch',
          `  node bin/asrflow.js failover test --tenant northwind --vm app01 --plan ${path.relative(process.cwd(), planFile)}`,
        ].join('\n'),
      );
      await options.waitForInterrupt();
    }
    return 0;
  } finally {
    await connection.close();
    await stack.stop();
  }
}
