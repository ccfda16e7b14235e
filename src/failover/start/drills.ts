import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleOptions,
} from '@temporalio/client';
import type { PlanFailoverInput } from '../contract';
import { AsrKind, AsrPlan, AsrScenario, AsrTenant } from '../../temporal/workflow/search-attributes';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import { planFailoverWorkflow } from '../workflows/plan-failover';
import { planFailoverDetails } from './recovery-plans';

// Scheduled drills: a Temporal Schedule per recovery plan that starts a test failover of the
// plan, lets its VMs run for a while, cleans up and keeps the drill record for the report.
// A drill never overlaps another drill of the plan (SKIP); a drill the schedule could not
// start in time (Temporal or the workers down past the catch-up window) is counted as missed,
// and a plan whose last drill is older than its interval is overdue.

/** How late a drill may still start after an outage; later ones count as missed. */
const CATCHUP_WINDOW = '1h';

export class DrillNotFoundError extends Error {
  override name = 'DrillNotFoundError';
}

export interface DrillSchedule {
  every: string;
  /** The first drill's time (ISO 8601); later ones follow every `every`. */
  at?: Date;
}

/** The interval spec for "every `every`, starting `at`": Temporal counts intervals from the epoch. */
function intervalOf(everyMs: number, at: Date | undefined): { every: number; offset: number } {
  return { every: everyMs, offset: at ? at.getTime() % everyMs : 0 };
}

/**
 * Creates the plan's drill schedule, or updates it in place when one exists. `input` is the
 * test failover each drill runs: it continues manual actions itself and cleans up after
 * `cleanupAfter`.
 */
export async function scheduleDrill(
  client: Client,
  input: PlanFailoverInput,
  schedule: DrillSchedule & { everyMs: number },
  taskQueue: string,
): Promise<{ scheduleId: string; created: boolean; next?: Date }> {
  const scheduleId = workflowIds.drillSchedule(input.tenant, input.plan.name);
  const options = {
    scheduleId,
    spec: {
      intervals: [intervalOf(schedule.everyMs, schedule.at)],
      ...(schedule.at ? { startAt: new Date(schedule.at.getTime() - 1000) } : {}),
    },
    action: {
      type: 'startWorkflow' as const,
      workflowType: planFailoverWorkflow,
      args: [{ ...input, options: { ...input.options, drillSchedule: scheduleId } }] as [PlanFailoverInput],
      taskQueue,
      // Temporal adds the run's time: asrflow:drill:<tenant>:<plan>-<time>.
      workflowId: workflowIds.drill(input.tenant, input.plan.name),
      memo: { planKind: 'test', drillSchedule: scheduleId },
      staticSummary: `Scheduled drill of recovery plan ${input.plan.name} (${input.tenant})`,
      staticDetails: planFailoverDetails(input),
      typedSearchAttributes: [
        { key: AsrKind, value: 'plan-failover' },
        { key: AsrTenant, value: input.tenant },
        { key: AsrPlan, value: input.plan.name },
        { key: AsrScenario, value: input.scenario },
      ],
    },
    policies: { overlap: 'SKIP' as const, catchupWindow: CATCHUP_WINDOW },
    state: { note: `test failover drill of recovery plan ${input.plan.name} every ${schedule.every}` },
  } satisfies ScheduleOptions;
  let created = true;
  try {
    await client.schedule.create(options);
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    created = false;
    await client.schedule.getHandle(scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: options.policies,
      state: { ...previous.state, note: options.state.note },
    }));
  }
  const next = (await client.schedule.getHandle(scheduleId).describe()).info.nextActionTimes[0];
  return { scheduleId, created, ...(next ? { next } : {}) };
}

export interface DrillView {
  scheduleId: string;
  tenant: string;
  plan: string;
  every?: string;
  paused: boolean;
  note?: string;
  next?: string;
  lastStarted?: string;
  lastWorkflowId?: string;
  running: number;
  /** Drills the schedule could not start within the catch-up window. */
  missed: number;
  /** Drills not started because the previous one still ran. */
  skipped: number;
  /** The last drill started longer ago than the interval (or none ever did, one interval after creation). */
  overdue: boolean;
}

const PREFIX = 'asrflow:drill:';

export function drillView(scheduleId: string, d: ScheduleDescription, now: Date): DrillView {
  const [tenant = '', plan = ''] = scheduleId.slice(PREFIX.length).split(':');
  const interval = d.spec.intervals?.[0];
  const everyMs = interval ? Number(interval.every) : undefined;
  const last = d.info.recentActions[d.info.recentActions.length - 1];
  const since = last?.takenAt ?? d.info.createdAt;
  return {
    scheduleId,
    tenant,
    plan,
    ...(d.state.note ? { note: d.state.note, every: /every (\S+)$/.exec(d.state.note)?.[1] } : {}),
    paused: d.state.paused,
    ...(d.info.nextActionTimes[0] ? { next: d.info.nextActionTimes[0].toISOString() } : {}),
    ...(last ? { lastStarted: last.takenAt.toISOString(), lastWorkflowId: last.action.workflow.workflowId } : {}),
    running: d.info.runningActions.length,
    missed: d.info.numActionsMissedCatchupWindow,
    skipped: d.info.numActionsSkippedOverlap,
    overdue: everyMs !== undefined && !d.state.paused && now.getTime() - since.getTime() > everyMs + 3_600_000,
  };
}

/** Every drill schedule (of one tenant), with its next and last drill, missed and skipped counts. */
export async function listDrills(client: Client, tenant?: string, now = new Date()): Promise<DrillView[]> {
  const views: DrillView[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(PREFIX)) continue;
    if (tenant && !s.scheduleId.startsWith(`${PREFIX}${tenant}:`)) continue;
    try {
      views.push(drillView(s.scheduleId, await client.schedule.getHandle(s.scheduleId).describe(), now));
    } catch (error) {
      // Listed a moment after its deletion (the list is eventually consistent): gone.
      if (!(error instanceof ScheduleNotFoundError)) throw error;
    }
  }
  return views.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** Pauses, unpauses, deletes or runs now the drill schedule of a plan. */
export async function changeDrill(
  client: Client,
  tenant: string,
  plan: string,
  change: 'pause' | 'unpause' | 'delete' | 'run-now',
  note?: string,
): Promise<string> {
  const scheduleId = workflowIds.drillSchedule(tenant, plan);
  const handle = client.schedule.getHandle(scheduleId);
  try {
    if (change === 'pause') await handle.pause(note ?? 'paused with asrflow drill pause');
    else if (change === 'unpause') await handle.unpause(note ?? 'unpaused with asrflow drill unpause');
    else if (change === 'delete') await handle.delete();
    // Never two drills of a plan at once: a drill that still runs means none starts (the SDK's
    // default for a trigger would be to allow all).
    else await handle.trigger('SKIP');
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) {
      const known = (await listDrills(client, tenant)).map((d) => d.plan);
      throw new DrillNotFoundError(
        `no drill is scheduled for recovery plan ${plan} of tenant ${tenant}${known.length > 0 ? `; scheduled: ${known.join(', ')}` : ''}`,
      );
    }
    throw error;
  }
  return scheduleId;
}
