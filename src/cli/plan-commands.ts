// `asrflow plan validate FILE [--json]`: the static preflight, without starting anything.
// Exit code 0 when valid (warnings allowed), 2 on any error, an unreadable file included.

import type { Command } from 'commander';
import { connectionOptions, type ConnectionFlags } from './connect';
import { EXIT, ExitCode } from './exit-codes';
import { runPlanDiff } from './plan-diff';
import { validatePlanFile } from '../domain/plan/load';
import { countVms } from '../domain/plan/normalize';
import { formatPlanErrors } from '../domain/plan/parse';
import type { Plan, PlanIssue } from '../domain/plan/types';

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function summarizePlan(plan: Plan): { tenants: number; vms: number; allVmTenants: number } {
  return { tenants: plan.tenants.length, ...countVms(plan) };
}

/** "plan OK: 2 tenants, 5 VMs" / "plan invalid: 3 errors, 1 warning". */
export function summaryLine(
  plan: Plan | undefined,
  errors: readonly PlanIssue[],
  warnings: readonly PlanIssue[],
): string {
  const warned = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : '';
  if (!plan) return `plan invalid: ${plural(errors.length, 'error')}${warned}`;
  const { tenants, vms, allVmTenants } = summarizePlan(plan);
  const all = allVmTenants > 0 ? ` + all VMs of ${plural(allVmTenants, 'cloud')}` : '';
  return `plan OK: ${plural(tenants, 'tenant')}, ${plural(vms, 'VM')}${all}${warned}`;
}

export function registerPlanCommands(program: Command): void {
  const plan = program.command('plan').description('Work with plan files (what asrflow onboards).');
  plan
    .command('validate')
    .description(
      'Check a plan file statically: YAML, fields, names, regions, storage redundancy, policy values, duplicates, credential references. Starts nothing.',
    )
    .argument('<file>', 'plan file (YAML)')
    .option('--json', 'print a machine-readable result')
    .option(
      '--no-check-credentials',
      'do not check that credential variables and files exist here (e.g. when only the worker has them)',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 valid (warnings allowed), 2 invalid or unreadable.\n\nExample:\n  $ asrflow plan validate examples/multitenant-vmm.yaml',
    )
    .action((file: string, opts: { json?: boolean; checkCredentials: boolean }, command: Command) => {
      const { plan: parsed, errors, warnings } = validatePlanFile(file, { checkCredentials: opts.checkCredentials });
      const out = command.configureOutput();
      const write = (text: string): void => (out.writeOut ?? ((s: string) => process.stdout.write(s)))(text);
      if (opts.json) {
        const result = {
          ok: errors.length === 0,
          file,
          summary: { ...(parsed ? summarizePlan(parsed) : {}), errors: errors.length, warnings: warnings.length },
          errors,
          warnings,
          ...(parsed ? { plan: parsed } : {}),
        };
        write(`${JSON.stringify(result, null, 2)}\n`);
      } else {
        const issues = [...errors, ...warnings].sort((a, b) => a.line - b.line || a.column - b.column);
        write(
          `${issues.length > 0 ? `${formatPlanErrors(issues)}\n\n` : ''}${summaryLine(parsed, errors, warnings)}\n`,
        );
      }
      if (errors.length > 0) throw new ExitCode(EXIT.badInput);
    });
  connectionOptions(
    plan
      .command('diff')
      .description(
        'Show what `asrflow onboard` would change for each tenant of a plan, compared with the plan it was onboarded with. Starts nothing.',
      )
      .argument('<file>', 'plan file (YAML)')
      .option('--json', 'print a machine-readable result'),
  )
    .addHelpText(
      'after',
      '\nEach change is applied (the next onboard does it), reported (left as it is) or refused (onboard starts nothing for that tenant).\n\nExample:\n  $ asrflow plan diff examples/dedicated-vmm.yaml',
    )
    .action(async (file: string, opts: ConnectionFlags & { json?: boolean }) => {
      await runPlanDiff(file, opts);
    });
}
