import type { Command } from 'commander';
import path from 'node:path';
import { loadPlan, PlanError } from '../domain/plan/load';
import { formatPlanErrors } from '../domain/plan/parse';
import { workflowIds } from '../temporal/workflow/workflow-ids';
import { EXIT, ExitCode } from './exit-codes';
import { connectionOptions, sendOperatorDecision, uiUrl, withClient, type ConnectionFlags } from './connect';
import { batchingFromEnv, startOnboarding, type StartOutcome } from '../onboarding/start';
import type { TenantChange } from '../onboarding/contract';
import { shellWord } from '../domain/operator-commands';
import { interruptSignal } from './interrupt';
import { requireKnownTenant, type Addressed } from './known';
import { collectStatus, renderStatus, statusOfWorkflows, type WorkflowStatus } from './status';
import { watchExitCode, watchStatus } from './watch';

/** Colours, bars and in-place redraws only for a person at a terminal (NO_COLOR or a pipe: plain text). */
export function onTerminal(): boolean {
  return Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb' && !process.env.NO_COLOR;
}

function parseInterval(value: string): number {
  const seconds = Number(value);
  if (!(seconds >= 0.1 && seconds <= 3600)) {
    console.error(`asrflow: --interval must be a number of seconds between 0.1 and 3600: got '${value}'`);
    throw new ExitCode(EXIT.badInput);
  }
  return Math.round(seconds * 1000);
}

/** Follows the statuses until every workflow has ended; exits with their outcome. */
async function watchToTheEnd(
  collect: () => Promise<WorkflowStatus[]>,
  opts: { json?: boolean },
  intervalMs: number,
): Promise<void> {
  const result = await watchStatus({
    collect,
    intervalMs,
    tty: onTerminal(),
    json: Boolean(opts.json),
    write: (text) => process.stdout.write(text),
    signal: interruptSignal(),
  });
  const code = watchExitCode(result);
  if (code !== 0) throw new ExitCode(code);
}

export function registerOnboardingCommands(program: Command): void {
  connectionOptions(
    program
      .command('onboard <plan>')
      .description(
        'Start (or join) the onboarding workflows of a plan: one per tenant, plus the shared vault in scenario 1. Returns at once.',
      )
      .option('--json', 'print the result as JSON (with --watch: one JSON line per change)')
      .option('--watch', 'then follow the workflows until they end (Ctrl-C stops watching, not the workflows)')
      .option(
        '--no-check-credentials',
        "don't check that the plan's secret variables and files exist here (when only the worker has them)",
      )
      .option('--interval <seconds>', 'how often --watch looks', '2'),
  )
    .addHelpText(
      'after',
      "\nExamples:\n  $ asrflow onboard examples/multitenant-vmm.yaml\n  $ asrflow onboard plan.yaml --watch          # live progress until every workflow ends\n  $ asrflow onboard plan.yaml --json | jq -r '.[].workflowId'",
    )
    .action(
      async (
        file: string,
        opts: ConnectionFlags & { json?: boolean; watch?: boolean; interval: string; checkCredentials: boolean },
      ) => {
        const intervalMs = parseInterval(opts.interval);
        let plan;
        try {
          ({ plan } = loadPlan(path.resolve(file), { checkCredentials: opts.checkCredentials }));
        } catch (error) {
          if (error instanceof PlanError) {
            console.error(formatPlanErrors([...error.errors, ...error.warnings]));
            console.error(`asrflow: ${file}: ${error.errors.length} error(s); nothing was started.`);
            throw new ExitCode(EXIT.badInput);
          }
          throw error;
        }
        let batching;
        try {
          batching = batchingFromEnv(process.env);
        } catch (error) {
          console.error(`asrflow: ${(error as Error).message}; nothing was started.`);
          throw new ExitCode(EXIT.badInput);
        }
        await withClient(
          opts,
          async (client, settings) => {
            const started = await startOnboarding(client, plan, settings.taskQueue, batching ? { batching } : {});
            const withUi = started.map((s) => ({ ...s, uiUrl: uiUrl(settings, s.workflowId) }));
            if (opts.json) {
              console.log(opts.watch ? JSON.stringify({ started: withUi }) : JSON.stringify(withUi, null, 2));
            } else {
              const words: Record<StartOutcome, string> = {
                started: 'started',
                restarted: 'started again (the last run failed)',
                running: 'already running — joined',
                replanned: 'already running — took the changed plan',
                'replan-refused': 'already running — the changed plan was refused',
                completed: 'already completed — not redone',
                reconciling: 'onboarded with another plan — a new run applies the changes',
                'reconcile-refused': 'onboarded with another plan — the changes were refused, nothing started',
              };
              for (const s of withUi) {
                const more =
                  s.outcome === 'replanned' && s.replan
                    ? `\n  changed: ${s.replan.changed.join(', ')}${s.replan.retried.length ? `; retried the waiting step${s.replan.retried.length > 1 ? 's' : ''} ${s.replan.retried.join(', ')} with it` : ''}`
                    : s.outcome === 'replan-refused'
                      ? `\n  ${s.refusal ?? ''}`
                      : s.changes
                        ? formatChanges(s.changes, file)
                        : '';
                console.log(`${s.workflowId}: ${words[s.outcome]}${more}${s.uiUrl ? `\n  ${s.uiUrl}` : ''}`);
              }
              if (!opts.watch)
                console.log(
                  `Follow with: asrflow status${plan.tenants.length === 1 ? ` --tenant ${plan.tenants[0]?.name}` : ''} --watch`,
                );
            }
            const refused = started.filter((s) => s.outcome === 'replan-refused' || s.outcome === 'reconcile-refused');
            if (refused.length > 0) {
              // The plan on disk is not what runs: say so with the input exit code, not success.
              for (const s of refused)
                console.error(
                  s.outcome === 'replan-refused'
                    ? `asrflow: ${s.workflowId}: the running onboarding cannot take the changed plan: ${s.refusal ?? 'refused'}`
                    : `asrflow: ${s.workflowId}: ${(s.changes ?? [])
                        .filter((c) => c.action === 'refused')
                        .map((c) => `${c.field} ${c.change}`)
                        .join('; ')}`,
                );
              throw new ExitCode(EXIT.badInput);
            }
            if (!opts.watch) return;
            const ids = started.map((s) => s.workflowId);
            await watchToTheEnd(
              () =>
                statusOfWorkflows(client, ids, { uiUrl: (id) => uiUrl(settings, id), taskQueue: settings.taskQueue }),
              opts,
              intervalMs,
            );
          },
          { startsWorkflows: true },
        );
      },
    );

  connectionOptions(
    program
      .command('status')
      .description('Show each onboarding: steps, per-VM replication, and what the operator must do next.')
      .option('--tenant <name>', 'only this tenant')
      .option('--json', 'print the result as JSON (with --watch: one JSON line per change)')
      .option('--watch', 'keep showing it until every shown workflow has ended (Ctrl-C stops watching)')
      .option('--interval <seconds>', 'how often --watch looks', '2'),
  )
    .addHelpText(
      'after',
      "\nExamples:\n  $ asrflow status\n  $ asrflow status --tenant contoso --watch\n  $ asrflow status --tenant contoso --json | jq '.[].progress.operatorAction'",
    )
    .action(async (opts: ConnectionFlags & { tenant?: string; json?: boolean; watch?: boolean; interval: string }) => {
      const intervalMs = parseInterval(opts.interval);
      await withClient(opts, async (client, settings) => {
        if (opts.tenant) await requireKnownTenant(client, opts.tenant);
        const collect = () =>
          collectStatus(client, {
            ...(opts.tenant ? { tenant: opts.tenant } : {}),
            uiUrl: (id) => uiUrl(settings, id),
            taskQueue: settings.taskQueue,
          });
        if (!opts.watch) {
          const statuses = await collect();
          console.log(opts.json ? JSON.stringify(statuses, null, 2) : renderStatus(statuses, { tty: onTerminal() }));
          return;
        }
        await watchToTheEnd(collect, opts, intervalMs);
      });
    });

  for (const action of ['retry', 'skip'] as const) {
    connectionOptions(
      program
        .command(action)
        .description(
          action === 'retry'
            ? 'Run again a step that waits for an operator, after you fixed its cause.'
            : 'Skip a step that waits for an operator, where skipping is safe.',
        )
        .option('--tenant <name>', "the tenant's onboarding")
        .option('--vm <name>', "with --tenant: that VM's protection workflow instead")
        .option('--step <name>', 'the waiting step (default: the one that waits)')
        .option(
          '--workflow <id>',
          "any asrflow workflow by id instead (e.g. the shared vault's, asrflow:vault:SUBSCRIPTION:VAULT)",
        ),
    )
      .addHelpText(
        'after',
        `\nExamples:\n  $ asrflow ${action} --tenant litware\n  $ asrflow ${action} --tenant litware --vm erp01\n  $ asrflow ${action} --workflow asrflow:vault:a1000000-0000-4000-8000-000000000001:fabrikam-asr-westeurope\n\nThe step's hint in \`asrflow status\` and in the Temporal UI names the exact command.`,
      )
      .action(async (opts: ConnectionFlags & { tenant?: string; vm?: string; step?: string; workflow?: string }) => {
        if (!opts.workflow && !opts.tenant) {
          console.error(`asrflow: ${action} needs --tenant T (with --vm V for a VM's protection) or --workflow ID`);
          throw new ExitCode(EXIT.badInput);
        }
        if (opts.workflow && (opts.tenant || opts.vm)) {
          console.error(`asrflow: ${action}: --workflow addresses a workflow by itself; leave out --tenant and --vm`);
          throw new ExitCode(EXIT.badInput);
        }
        const tenant = opts.tenant ?? '';
        const target: Addressed = opts.workflow
          ? { workflowId: opts.workflow }
          : opts.vm
            ? { workflowId: workflowIds.vmProtection(tenant, opts.vm), tenant, vm: opts.vm, vmKind: 'vm-protection' }
            : { workflowId: workflowIds.tenantOnboarding(tenant), tenant };
        await withClient(opts, (client) => sendOperatorDecision(client, target, action, opts));
      });
  }
}

/**
 * A tenant's plan changes as `onboard` and `plan diff` print them: one line each, what happens
 * first; a change left to a person names the command, with the plan it was computed from.
 */
export function formatChanges(changes: TenantChange[], planFile: string): string {
  const word = { applied: 'apply ', reported: 'report', refused: 'refuse' } as const;
  return changes
    .map((c) => {
      const command = c.command
        ? `; ${[...c.command, '--plan', planFile].reduce((line, w) => `${line} ${shellWord(w)}`, 'asrflow')}`
        : '';
      return `\n  ${word[c.action]}  ${c.field}: ${c.change}${command}`;
    })
    .join('');
}
