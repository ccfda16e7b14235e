import type { Command } from 'commander';
import path from 'node:path';
import { loadPlan, PlanError } from '../domain/plan/load';
import { formatPlanErrors } from '../domain/plan/parse';
import { workflowIds } from '../domain/workflow-ids';
import { EXIT, ExitCode } from './exit-codes';
import { connectionOptions, sendOperatorDecision, uiUrl, withClient, type ConnectionFlags } from './connect';
import { startOnboarding } from './onboarding';
import { collectStatus, renderStatus } from './status';



export function registerOnboardingCommands(program: Command): void {
  connectionOptions(
    program
      .command('onboard <plan>')
      .description('Start (or join) the onboarding workflows of a plan: one per tenant, plus the shared vault in scenario 1. Returns at once.')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ asrflow onboard examples/multitenant-vmm.yaml\n  $ asrflow onboard plan.yaml --json | jq -r \'.[].workflowId\'')
    .action(async (file: string, opts: ConnectionFlags & { json?: boolean }) => {
      let plan;
      try {
        ({ plan } = loadPlan(path.resolve(file)));
      } catch (error) {
        if (error instanceof PlanError) {
          console.error(formatPlanErrors([...error.errors, ...error.warnings]));
          console.error(`asrflow: ${file}: ${error.errors.length} error(s); nothing was started.`);
          throw new ExitCode(EXIT.badInput);
        }
        throw error;
      }
      await withClient(opts, async (client, settings) => {
        const started = await startOnboarding(client, plan, settings.taskQueue);
        const withUi = started.map((s) => ({ ...s, uiUrl: uiUrl(settings, s.workflowId) }));
        if (opts.json) {
          console.log(JSON.stringify(withUi, null, 2));
          return;
        }
        const words = { started: 'started', restarted: 'started again (the last run failed)', running: 'already running — joined', completed: 'already completed — not redone' };
        for (const s of withUi) console.log(`${s.workflowId}: ${words[s.outcome]}${s.uiUrl ? `\n  ${s.uiUrl}` : ''}`);
        console.log(`Follow with: asrflow status${plan.tenants.length === 1 ? ` --tenant ${plan.tenants[0]?.name}` : ''}`);
      });
    });

  connectionOptions(
    program
      .command('status')
      .description('Show each onboarding: steps, per-VM replication, and what the operator must do next.')
      .option('--tenant <name>', 'only this tenant')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText('after', '\nExamples:\n  $ asrflow status\n  $ asrflow status --tenant contoso --json')
    .action(async (opts: ConnectionFlags & { tenant?: string; json?: boolean }) => {
      await withClient(opts, async (client, settings) => {
        const statuses = await collectStatus(client, { tenant: opts.tenant, uiUrl: (id) => uiUrl(settings, id) });
        console.log(opts.json ? JSON.stringify(statuses, null, 2) : renderStatus(statuses));
      });
    });

  for (const action of ['retry', 'skip'] as const) {
    connectionOptions(
      program
        .command(action)
        .description(action === 'retry' ? 'Run again a step that waits for an operator, after you fixed its cause.' : 'Skip a step that waits for an operator, where skipping is safe.')
        .requiredOption('--tenant <name>', 'the tenant (or the shared vault\'s workflow id with --workflow)')
        .option('--vm <name>', 'a VM protection step of this VM')
        .option('--step <name>', 'the waiting step (default: the one that waits)')
        .option('--workflow <id>', 'address a workflow by id instead (e.g. the shared vault)'),
    )
      .addHelpText('after', `\nExample:\n  $ asrflow ${action} --tenant litware --step provider-version`)
      .action(async (opts: ConnectionFlags & { tenant: string; vm?: string; step?: string; workflow?: string }) => {
        await withClient(opts, (client) =>
          sendOperatorDecision(client, opts.workflow ?? (opts.vm ? workflowIds.vmProtection(opts.tenant, opts.vm) : workflowIds.tenantOnboarding(opts.tenant)), action, opts),
        );
      });
  }
}
