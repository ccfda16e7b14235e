import type { Client } from '@temporalio/client';
import { progressQuery, type Progress } from '../domain/progress';
import { AsrKind, AsrTenant } from '../domain/search-attributes';
import { errorMessage } from './doctor';

export interface WorkflowStatus {
  workflowId: string;
  kind: string;
  tenant?: string;
  status: string;
  progress?: Progress;
  /** Why progress is missing (e.g. no worker to answer the query). */
  note?: string;
  uiUrl?: string;
}

/** Finds asrflow's onboarding workflows through visibility and asks each for its progress. */
export async function collectStatus(client: Client, options: { tenant?: string; uiUrl?: (id: string) => string | undefined } = {}): Promise<WorkflowStatus[]> {
  const filters = [`AsrKind IN ('shared-vault', 'tenant-onboarding', 'failover')`];
  if (options.tenant) filters.push(`AsrTenant = '${options.tenant.replace(/'/g, "''")}'`);
  const out: WorkflowStatus[] = [];
  for await (const execution of client.workflow.list({ query: filters.join(' AND ') })) {
    const kind = execution.typedSearchAttributes.get(AsrKind) ?? '';
    const tenant = execution.typedSearchAttributes.get(AsrTenant);
    if (out.some((o) => o.workflowId === execution.workflowId)) continue; // newest run only
    const entry: WorkflowStatus = { workflowId: execution.workflowId, kind, ...(tenant ? { tenant } : {}), status: execution.status.name };
    const ui = options.uiUrl?.(execution.workflowId);
    if (ui) entry.uiUrl = ui;
    try {
      entry.progress = await client.workflow.getHandle(execution.workflowId, execution.runId).query(progressQuery);
    } catch (error) {
      entry.note = `progress unavailable: ${errorMessage(error)}`;
    }
    out.push(entry);
  }
  return out.sort((a, b) => (a.kind === b.kind ? (a.tenant ?? '').localeCompare(b.tenant ?? '') : a.kind === 'shared-vault' ? -1 : 1));
}

function bar(percent: number, width = 20): string {
  const filled = Math.max(0, Math.min(width, Math.round((percent / 100) * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${percent.toFixed(0).padStart(3)} %`;
}

const ICON: Record<string, string> = { pending: ' ', running: '>', 'waiting-for-operator': '!', done: '✓', skipped: '-' };

export function renderStatus(statuses: WorkflowStatus[]): string {
  if (statuses.length === 0) return 'No asrflow onboarding workflows found. Start one with: asrflow onboard PLAN';
  const lines: string[] = [];
  for (const s of statuses) {
    const title = s.kind === 'shared-vault' ? `shared vault (${s.workflowId})` : s.kind === 'failover' ? `failover of ${s.progress?.vm ?? '?'} (${s.workflowId})` : `tenant ${s.tenant ?? '?'} (${s.workflowId})`;
    lines.push(`${title}: ${s.status}${s.progress ? `, stage ${s.progress.stage}` : ''}`);
    if (s.uiUrl) lines.push(`  UI: ${s.uiUrl}`);
    if (s.note) lines.push(`  ${s.note}`);
    for (const step of s.progress?.steps ?? []) lines.push(`  [${ICON[step.state] ?? '?'}] ${step.title}${step.state === 'waiting-for-operator' ? ' — WAITING FOR OPERATOR' : ''}`);
    for (const vm of s.progress?.vms ?? []) {
      const pct = vm.state === 'protected' ? bar(100) : vm.replicationPercent !== undefined ? bar(vm.replicationPercent) : '';
      lines.push(`    ${vm.name.padEnd(16)} ${vm.state.padEnd(14)} ${pct}${vm.reason ? ` ${vm.reason}` : ''}`);
    }
    if (s.progress?.operatorAction) lines.push(`  NEXT: ${s.progress.operatorAction}`);
  }
  return lines.join('\n');
}
