import type { Command } from 'commander';
import { FailoverInputError } from '../failover/start';
import { changeDrill, DrillNotFoundError, listDrills, scheduleDrill } from '../failover/start/drills';
import { planFailoverInputFromPlan } from '../failover/start/recovery-plans';
import { connectionOptions, withClient, type ConnectionFlags } from './connect';
import { EXIT, ExitCode } from './exit-codes';
import { readPlan } from './plan-file';

// `asrflow drill …`: scheduled test failovers of a tenant's recovery plan, as Temporal
// Schedules (src/failover/start/drills.ts).

interface DrillFlags extends ConnectionFlags {
  tenant: string;
  recoveryPlan: string;
  plan?: string;
  every: string;
  at?: string;
  keepFor: string;
  json?: boolean;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as 90d, 12h, 30m or 45s (what Temporal reads too), at least `least` ms; exit 2 otherwise. */
function durationFlag(flag: string, text: string, least: number): number {
  const match = /^([1-9]\d{0,5})([smhd])$/.exec(text);
  const value = match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(value >= least)) {
    console.error(
      `asrflow: ${flag} ${text}: give a duration of at least ${least / 1000} s as a number and a unit (s, m, h, d), such as 90d, 12h or 30m`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  return value;
}

async function schedule(opts: DrillFlags): Promise<void> {
  const everyMs = durationFlag('--every', opts.every, 60_000);
  durationFlag('--keep-for', opts.keepFor, 1_000);
  let at: Date | undefined;
  if (opts.at !== undefined) {
    at = new Date(opts.at);
    if (Number.isNaN(at.getTime()) || !/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(opts.at)) {
      console.error(`asrflow: --at ${opts.at}: give the first drill's time in ISO 8601, e.g. 2027-01-09T02:00:00Z`);
      throw new ExitCode(EXIT.badInput);
    }
  }
  const plan = readPlan(opts.plan);
  let input;
  try {
    input = planFailoverInputFromPlan(plan, opts.tenant, opts.recoveryPlan, 'test', { cleanupAfter: opts.keepFor });
  } catch (error) {
    if (error instanceof FailoverInputError) {
      console.error(`asrflow: ${error.message}`);
      throw new ExitCode(EXIT.badInput);
    }
    throw error;
  }
  await withClient(
    opts,
    async (client, settings) => {
      const result = await scheduleDrill(
        client,
        input,
        { every: opts.every, everyMs, ...(at ? { at } : {}) },
        settings.taskQueue,
      );
      if (opts.json) console.log(JSON.stringify(result, null, 2));
      else
        console.log(
          `${result.scheduleId}: ${result.created ? 'scheduled' : 'updated'}, a test failover of ${opts.recoveryPlan} every ${opts.every}${result.next ? `; next drill ${result.next.toISOString()}` : ''}\n` +
            `Run one now with: asrflow drill run-now --tenant ${opts.tenant} --recovery-plan ${opts.recoveryPlan}`,
        );
    },
    { startsWorkflows: true },
  );
}

async function list(opts: ConnectionFlags & { tenant?: string; json?: boolean }): Promise<void> {
  await withClient(opts, async (client) => {
    const drills = await listDrills(client, opts.tenant);
    if (opts.json) return console.log(JSON.stringify(drills, null, 2));
    if (drills.length === 0)
      return console.log(`no drills scheduled${opts.tenant ? ` for tenant ${opts.tenant}` : ''}`);
    for (const d of drills) {
      const flags = [
        d.paused ? 'PAUSED' : undefined,
        d.overdue ? 'OVERDUE' : undefined,
        d.missed > 0 ? `${d.missed} missed` : undefined,
        d.skipped > 0 ? `${d.skipped} skipped (a drill still ran)` : undefined,
        d.running > 0 ? 'running now' : undefined,
      ].filter((x): x is string => x !== undefined);
      console.log(
        `${d.tenant}/${d.plan}: every ${d.every ?? '?'}; next ${d.next ?? 'none'}; last ${d.lastStarted ?? 'never'}${flags.length ? ` [${flags.join(', ')}]` : ''}`,
      );
    }
  });
}

async function change(
  action: 'pause' | 'unpause' | 'delete' | 'run-now',
  opts: ConnectionFlags & { tenant: string; recoveryPlan: string; note?: string },
): Promise<void> {
  await withClient(opts, async (client) => {
    try {
      const id = await changeDrill(client, opts.tenant, opts.recoveryPlan, action, opts.note);
      const done = { pause: 'paused', unpause: 'unpaused', delete: 'deleted', 'run-now': 'asked to run a drill now' }[
        action
      ];
      console.log(`${id}: ${done}`);
    } catch (error) {
      if (error instanceof DrillNotFoundError) {
        console.error(`asrflow: ${error.message}`);
        throw new ExitCode(EXIT.failure);
      }
      throw error;
    }
  });
}

export function registerDrillCommands(program: Command): void {
  const drill = program
    .command('drill')
    .description(
      "Scheduled drills: a test failover of a tenant's recovery plan, cleaned up, with its evidence in the report.",
    );
  connectionOptions(
    drill
      .command('schedule')
      .description('Schedule a recurring test failover drill of a recovery plan (updates an existing schedule).')
      .requiredOption('--tenant <name>', 'the tenant')
      .requiredOption('--recovery-plan <name>', 'the recovery plan')
      .requiredOption('--every <duration>', 'how often, e.g. 90d')
      .option('--at <time>', "the first drill's time (ISO 8601); default: counted from the epoch")
      .option('--keep-for <duration>', 'how long the test VMs run before the cleanup', '30m')
      .option('--plan <file>', 'the plan (default: ASRFLOW_PLAN)')
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText(
      'after',
      '\nExample:\n  $ asrflow drill schedule --tenant contoso --recovery-plan crm --every 90d --at 2027-01-09T02:00:00Z',
    )
    .action((opts: DrillFlags) => schedule(opts));
  connectionOptions(
    drill
      .command('list')
      .description('Scheduled drills with their next and last run; missed, skipped and overdue ones are flagged.')
      .option('--tenant <name>', 'only this tenant')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', '\nExample:\n  $ asrflow drill list --tenant contoso')
    .action((opts: ConnectionFlags & { tenant?: string; json?: boolean }) => list(opts));
  const changes: Array<['pause' | 'unpause' | 'delete' | 'run-now', string]> = [
    ['pause', 'Pause a drill schedule (no drill starts until unpaused).'],
    ['unpause', 'Unpause a drill schedule.'],
    ['delete', 'Delete a drill schedule (past drills stay in the report).'],
    ['run-now', 'Start a drill now (skipped while a drill of the plan still runs).'],
  ];
  for (const [action, description] of changes) {
    const c = drill
      .command(action)
      .description(description)
      .requiredOption('--tenant <name>', 'the tenant')
      .requiredOption('--recovery-plan <name>', 'the recovery plan');
    if (action === 'pause' || action === 'unpause') c.option('--note <text>', 'why, shown with the schedule');
    connectionOptions(c)
      .addHelpText('after', `\nExample:\n  $ asrflow drill ${action} --tenant contoso --recovery-plan crm`)
      .action((opts: ConnectionFlags & { tenant: string; recoveryPlan: string; note?: string }) =>
        change(action, opts),
      );
  }
}
