import { Command, CommanderError, Option } from 'commander';
import path from 'node:path';
import { packageVersion } from '../domain/package-root';
import { loadTemporalSettings } from '../temporal/config';
import { registerDevCommands } from './dev-commands';
import { registerTemporalCommands } from './temporal-commands';
import { registerOnboardingCommands } from './onboarding-commands';
import { registerDrillCommands } from './drill-commands';
import { registerFailoverCommands } from './failover-commands';
import { registerOffboardCommands } from './offboard-commands';
import { registerPlanCommands } from './plan-commands';
import { registerEmulatorCommands } from '../devstack/emulator-commands';
import { EXIT, EXIT_CODES_HELP, ExitCode } from './exit-codes';

export function buildProgram(): Command {
  const program = new Command('asrflow')
    .description(
      'Onboard CSP tenants into Azure Site Recovery and fail single VMs over, as durable Temporal workflows.',
    )
    .version(packageVersion(), '-V, --version')
    // asrflow's own options only before the command: otherwise `--version` anywhere on the line
    // (e.g. after `emulator upgrade-provider`) printed asrflow's version instead of an error.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  $ asrflow doctor --plan plan.yaml   check Temporal, the worker, Azure and every credential of the plan
  $ asrflow dev temporal           run a local Temporal dev server (UI on :8233)
  $ asrflow worker                 run a worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, …)

Connection settings come from the standard TEMPORAL_* variables or a Temporal CLI profile.

${EXIT_CODES_HELP}`,
  );

  program
    .command('doctor')
    .description('Check that everything asrflow needs is reachable and configured; exit 0 only when all pass.')
    .option('--json', 'print the results as JSON')
    .addOption(
      new Option('--address <host:port>', 'Temporal frontend address (default: TEMPORAL_ADDRESS or localhost:7233)'),
    )
    .addOption(new Option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)'))
    .addOption(
      new Option('--task-queue <name>', 'task queue the worker polls (default: ASRFLOW_TASK_QUEUE or asrflow)'),
    )
    .addOption(
      new Option(
        '--plan <file>',
        'also check that each credential the plan names gets a token (default: ASRFLOW_PLAN)',
      ),
    )
    .addHelpText('after', "\nExample:\n  $ asrflow doctor --json | jq '.[] | select(.ok == false)'")
    .action(
      async (opts: { json?: boolean; address?: string; namespace?: string; taskQueue?: string; plan?: string }) => {
        const settings = loadTemporalSettings(process.env, opts);
        const planFile = opts.plan ?? process.env.ASRFLOW_PLAN;
        // Loaded when the command runs, not for every command's start-up (and --help).
        const { formatResults, runDoctor } = await import('./doctor.js');
        const { azureEndpointCheck, credentialChecks } = await import('./azure-checks.js');
        const results = await runDoctor({
          settings,
          extraChecks: [
            () => azureEndpointCheck(process.env),
            ...(planFile ? [() => credentialChecks(planFile, process.env)] : []),
          ],
        });
        const ok = results.every((r) => r.ok);
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(results, null, 2)}\n`
            : `${formatResults(results, Boolean(process.stdout.isTTY))}\n`,
        );
        if (!ok) throw new ExitCode(EXIT.failure);
      },
    );

  program
    .command('worker')
    .description('Run an asrflow worker until interrupted (SIGINT/SIGTERM drain it gracefully).')
    .option('--address <host:port>', 'Temporal frontend address (default: TEMPORAL_ADDRESS)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE or default)')
    .option('--task-queue <name>', 'task queue (default: ASRFLOW_TASK_QUEUE or asrflow)')
    .option('--metrics <host:port>', 'serve Prometheus metrics here (default: ASRFLOW_METRICS_ADDRESS, off)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ TEMPORAL_ADDRESS=127.0.0.1:7233 asrflow worker\n  $ TEMPORAL_PROFILE=prod asrflow worker --metrics 127.0.0.1:9464   # a Temporal CLI profile; Prometheus on :9464',
    )
    .action(async (opts: { address?: string; namespace?: string; taskQueue?: string; metrics?: string }) => {
      const { runWorker } = await import('../worker/main.js');
      await runWorker({ ...opts, metricsAddress: opts.metrics });
    });

  registerPlanCommands(program);
  registerOnboardingCommands(program);
  registerFailoverCommands(program);
  registerDrillCommands(program);
  registerOffboardCommands(program);
  registerTemporalCommands(program);
  registerEmulatorCommands(program);
  registerDevCommands(program);
  addOutputOption(program);
  return program;
}

/**
 * `--output json|table` on every command that can print JSON, as az users type it; `--json` stays
 * as its alias. Added once here, after every command is registered, so none is forgotten.
 */
function addOutputOption(command: Command): void {
  for (const sub of command.commands) {
    if (sub.options.some((o) => o.long === '--json'))
      sub
        .addOption(
          new Option('--output <format>', 'json, or table (the default); --json is --output json').choices([
            'json',
            'table',
          ]),
        )
        .hook('preAction', (self) => {
          if (self.opts<{ output?: string }>().output === 'json') self.setOptionValue('json', true);
        });
    addOutputOption(sub);
  }
}

/** Runs the CLI and resolves to the process exit code (exit-codes.ts has the convention). */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    return exitCodeOf(error);
  }
}

/** The exit code of whatever ended a command, printing a one-line message where none was printed. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof ExitCode) return error.code;
  if (error instanceof CommanderError) {
    // Help and version end through exitOverride too.
    if (
      error.code === 'commander.helpDisplayed' ||
      error.code === 'commander.version' ||
      error.code === 'commander.help'
    )
      return EXIT.ok;
    // Commander's own errors (unknown option, missing argument, invalid value) are usage; ours
    // (`cmd.error(…, { exitCode })`, code 'asrflow.…') carry the code the command chose.
    return error.code.startsWith('commander.') ? EXIT.badInput : error.exitCode;
  }
  // Anything else reached here unplanned (Temporal unreachable, a network error, a bug): one
  // line, not a stack trace; ASRFLOW_DEBUG=1 shows the stack for a bug report.
  const message = error instanceof Error ? error.message : String(error);
  console.error(`asrflow: ${message}`);
  if (process.env.ASRFLOW_DEBUG && error instanceof Error && error.stack) console.error(error.stack);
  else console.error('(set ASRFLOW_DEBUG=1 to see where it happened)');
  return EXIT.failure;
}

export const cliPath = (): string => path.join(__dirname, 'main.js');
