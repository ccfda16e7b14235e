import { styleText } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { plainText } from '../domain/operator-commands';
import { progressQuery, type Progress } from '../temporal/workflow/progress';
import { AsrKind, AsrStage, AsrTenant } from '../temporal/workflow/search-attributes';
import { errorMessage } from './doctor';

export interface WorkflowStatus {
  workflowId: string;
  kind: string;
  tenant?: string;
  status: string;
  /** The stage the workflow last recorded (its AsrStage search attribute), shown without a worker. */
  stage?: string;
  progress?: Progress;
  /** Why progress is missing (e.g. no worker to answer the query). */
  note?: string;
  uiUrl?: string;
}

export interface StatusOptions {
  tenant?: string;
  uiUrl?: (id: string) => string | undefined;
  /** The workflows' task queue: when no worker polls it, progress is not asked for (nobody would answer). */
  taskQueue?: string;
}

/** A worker that polled this recently is taken to be there: its long polls last about a minute. */
const RECENT_POLL_MS = 90_000;

/**
 * Whether some worker polls the task queue's workflow tasks (undefined: not known). Without one,
 * every progress query would wait out its deadline; status then shows what Temporal stored.
 */
async function workerPolls(client: Client, taskQueue: string | undefined): Promise<boolean | undefined> {
  if (!taskQueue) return undefined;
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    const now = Date.now();
    return (response.pollers ?? []).some((p) => {
      const seconds = Number(p.lastAccessTime?.seconds ?? 0);
      return now - seconds * 1000 < RECENT_POLL_MS;
    });
  } catch {
    return undefined;
  }
}

/** Finds asrflow's onboarding, failover and offboarding workflows through visibility and asks each for its progress. */
export async function collectStatus(client: Client, options: StatusOptions = {}): Promise<WorkflowStatus[]> {
  // A VM's protection workflow is shown only while a step of it waits for the operator: its
  // tenant's onboarding shows the VM otherwise, but not the hint that reaches the VM's step.
  const filters = [
    `(AsrKind IN ('shared-vault', 'tenant-onboarding', 'failover', 'offboarding') OR (AsrKind = 'vm-protection' AND AsrStage IN ('enable-protection:waiting-for-operator', 'initial-replication:waiting-for-operator')))`,
  ];
  if (options.tenant) filters.push(`AsrTenant = '${options.tenant.replace(/'/g, "''")}'`);
  const out: WorkflowStatus[] = [];
  const worker = await workerPolls(client, options.taskQueue);
  for await (const execution of client.workflow.list({ query: filters.join(' AND ') })) {
    if (out.some((o) => o.workflowId === execution.workflowId)) continue; // newest run only
    const tenant = execution.typedSearchAttributes.get(AsrTenant);
    const stage = execution.typedSearchAttributes.get(AsrStage);
    out.push(
      await withProgress(
        client,
        {
          workflowId: execution.workflowId,
          runId: execution.runId,
          kind: execution.typedSearchAttributes.get(AsrKind) ?? '',
          ...(tenant ? { tenant } : {}),
          ...(stage ? { stage } : {}),
          status: execution.status.name,
        },
        options,
        worker,
      ),
    );
  }
  return sortStatuses(out);
}

/**
 * The status of known workflows, by id. Visibility lags a start by a moment, so a watch that
 * just started its workflows asks them directly.
 */
export async function statusOfWorkflows(
  client: Client,
  workflowIds: readonly string[],
  options: StatusOptions = {},
): Promise<WorkflowStatus[]> {
  const out: WorkflowStatus[] = [];
  const worker = await workerPolls(client, options.taskQueue);
  for (const workflowId of workflowIds) {
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      const tenant = description.typedSearchAttributes.get(AsrTenant);
      const stage = description.typedSearchAttributes.get(AsrStage);
      out.push(
        await withProgress(
          client,
          {
            workflowId,
            runId: description.runId,
            kind: description.typedSearchAttributes.get(AsrKind) ?? '',
            ...(tenant ? { tenant } : {}),
            ...(stage ? { stage } : {}),
            status: description.status.name,
          },
          options,
          worker,
        ),
      );
    } catch (error) {
      out.push({ workflowId, kind: '', status: 'UNKNOWN', note: `not found: ${errorMessage(error)}` });
    }
  }
  return sortStatuses(out);
}

const QUERY_DEADLINE_MS = 5_000;

async function withProgress(
  client: Client,
  found: Omit<WorkflowStatus, 'progress' | 'note' | 'uiUrl'> & { runId: string },
  options: StatusOptions,
  worker?: boolean,
): Promise<WorkflowStatus> {
  const { runId, ...entry } = found;
  const status: WorkflowStatus = { ...entry };
  const ui = options.uiUrl?.(entry.workflowId);
  if (ui) status.uiUrl = ui;
  // A running workflow's progress is answered by a worker; an ended one's by its history (which
  // a worker replays too). With none polling, say so at once instead of waiting for an answer.
  if (worker === false) {
    status.note = `no worker polls task queue '${options.taskQueue ?? ''}': steps need one to answer (start it with 'asrflow worker'); shown is the stage the workflow last recorded`;
    return status;
  }
  try {
    // Queries are answered by a worker; with none polling, the server would hold the call for
    // its full RPC timeout and a status of many workflows would hang for minutes.
    status.progress = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () =>
      client.workflow.getHandle(entry.workflowId, runId).query(progressQuery),
    );
  } catch (error) {
    status.note = `progress unavailable: ${errorMessage(error)}`;
  }
  return status;
}

const KIND_ORDER = ['shared-vault', 'tenant-onboarding', 'vm-protection', 'failover'];
function sortStatuses(statuses: WorkflowStatus[]): WorkflowStatus[] {
  const rank = (kind: string) => (KIND_ORDER.includes(kind) ? KIND_ORDER.indexOf(kind) : KIND_ORDER.length);
  return statuses.sort(
    (a, b) =>
      rank(a.kind) - rank(b.kind) ||
      (a.tenant ?? '').localeCompare(b.tenant ?? '') ||
      a.workflowId.localeCompare(b.workflowId),
  );
}

/** True once no shown workflow runs any more. */
export function allEnded(statuses: readonly WorkflowStatus[]): boolean {
  return statuses.length > 0 && statuses.every((s) => s.status !== 'RUNNING' && s.status !== 'UNKNOWN');
}

export interface RenderOptions {
  /** ANSI colours and drawn progress bars: for a terminal only; pipes and files get plain text. */
  tty?: boolean;
}

type Style = Parameters<typeof styleText>[0];

function bar(percent: number, paint: (style: Style, text: string) => string, tty: boolean, width = 20): string {
  const pct = `${percent.toFixed(0).padStart(3)} %`;
  if (!tty) return pct;
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `${paint(percent >= 100 ? 'green' : 'cyan', '█'.repeat(filled))}${paint('dim', '░'.repeat(width - filled))} ${pct}`;
}

const ICON: Record<string, string> = {
  pending: ' ',
  running: '>',
  'waiting-for-operator': '!',
  done: '✓',
  skipped: '-',
  abandoned: 'x',
};
const STEP_STYLE: Record<string, Style> = {
  pending: 'dim',
  running: 'cyan',
  'waiting-for-operator': 'yellow',
  done: 'green',
  skipped: 'dim',
  abandoned: 'red',
};
const STATUS_STYLE: Record<string, Style> = {
  RUNNING: 'cyan',
  COMPLETED: 'green',
  FAILED: 'red',
  TERMINATED: 'red',
  TIMED_OUT: 'red',
  CANCELLED: 'yellow',
};

export function renderStatus(statuses: WorkflowStatus[], options: RenderOptions = {}): string {
  if (statuses.length === 0) return 'No asrflow workflows found. Start one with: asrflow onboard PLAN';
  const tty = options.tty ?? false;
  // Whether to colour is decided by the caller (onTerminal), which also knows about pipes and NO_COLOR.
  const paint = (style: Style, text: string) => (tty ? styleText(style, text, { validateStream: false }) : text);
  const lines: string[] = [];
  for (const s of statuses) {
    const title =
      s.kind === 'shared-vault'
        ? `shared vault (${s.workflowId})`
        : s.kind === 'failover'
          ? `failover of ${s.progress?.vm ?? '?'} (${s.workflowId})`
          : s.kind === 'offboarding'
            ? `offboarding of ${s.progress?.vm ?? '?'} (${s.workflowId})`
            : s.kind === 'vm-protection'
              ? `protection of ${s.progress?.vm ?? '?'} (${s.workflowId})`
              : `tenant ${s.tenant ?? '?'} (${s.workflowId})`;
    lines.push(
      `${paint('bold', title)}: ${paint(STATUS_STYLE[s.status] ?? 'reset', s.status)}${s.progress ? `, stage ${s.progress.stage}` : s.stage ? `, stage ${s.stage}` : ''}`,
    );
    if (s.uiUrl) lines.push(`  UI: ${s.uiUrl}`);
    if (s.note) lines.push(`  ${paint('yellow', s.note)}`);
    for (const step of s.progress?.steps ?? []) {
      const line = `  [${ICON[step.state] ?? '?'}] ${step.title}${step.state === 'waiting-for-operator' ? ' — WAITING FOR OPERATOR' : ''}`;
      lines.push(paint(STEP_STYLE[step.state] ?? 'reset', line));
      // What Site Recovery (or Azure) said, beside its recommended action: the person fixing it
      // needs the causes, not only the advice.
      const error = step.state === 'waiting-for-operator' ? step.lastError : undefined;
      if (error) {
        lines.push(
          `      error: ${error.code ? `${error.code}: ` : ''}${error.message}${error.requestId ? ` (Azure request id ${error.requestId})` : ''}`,
        );
        if (error.possibleCauses) lines.push(`      possible causes: ${error.possibleCauses}`);
        if (error.recommendedAction) lines.push(`      recommended action: ${error.recommendedAction}`);
      }
    }
    for (const vm of s.progress?.vms ?? []) {
      const pct =
        vm.state === 'protected'
          ? bar(100, paint, tty)
          : vm.replicationPercent !== undefined
            ? bar(vm.replicationPercent, paint, tty)
            : '';
      lines.push(
        `    ${vm.name.padEnd(16)} ${vm.state.padEnd(20)} ${pct}${vm.reason ? ` ${vm.reason}` : ''}`.trimEnd(),
      );
    }
    // Hints are Markdown for the Temporal UI; a terminal gets the commands without backticks.
    if (s.progress?.operatorAction) lines.push(paint('yellow', `  NEXT: ${plainText(s.progress.operatorAction)}`));
  }
  return lines.join('\n');
}
