import type { EmulatorCore } from '../core';
import type { HttpResult } from '../https/types';
import type { JobRec, OperationRec } from '../state/world';
import { iso } from '../sim/clock';

// ARM's long-running-operation protocol. An operation record remembers what it waits for
// (an ASR job or a simulated delay) and where its final result is read, so the status
// URL and the Location URL answer correctly from any client process at any later time.

export type OpStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export function newOperation(core: EmulatorCore, init: Omit<OperationRec, 'id' | 'createdAt'>): OperationRec {
  const op: OperationRec = { id: core.newGuid('operation'), createdAt: core.now(), ...init };
  core.world.operations[op.id.toLowerCase()] = op;
  return op;
}

export function findOperation(core: EmulatorCore, id: string): OperationRec | undefined {
  return core.world.operations[id.toLowerCase()];
}

export function jobOf(core: EmulatorCore, op: OperationRec): JobRec | undefined {
  if (op.kind !== 'job' || !op.jobVaultKey || !op.jobName) return undefined;
  return core.world.vaults[op.jobVaultKey]?.asr.jobs[op.jobName.toLowerCase()];
}

export function operationState(
  core: EmulatorCore,
  op: OperationRec,
  now: number,
): { status: OpStatus; endTime?: number; error?: { code: string; message: string } } {
  if (op.error) return { status: 'Failed', endTime: op.createdAt, error: op.error };
  if (op.kind === 'done') return { status: 'Succeeded', endTime: op.createdAt };
  if (op.kind === 'timer') {
    const done = (op.doneAt ?? 0) <= now;
    return done ? { status: 'Succeeded', endTime: op.doneAt ?? now } : { status: 'InProgress' };
  }
  const job = jobOf(core, op);
  if (!job)
    return { status: 'Failed', error: { code: 'JobNotFound', message: 'The job of this operation no longer exists.' } };
  switch (job.state) {
    case 'Succeeded':
      return { status: 'Succeeded', ...(job.endTime !== undefined ? { endTime: job.endTime } : {}) };
    case 'Cancelled':
      return { status: 'Canceled', ...(job.endTime !== undefined ? { endTime: job.endTime } : {}) };
    case 'Failed': {
      const e = job.errors[job.errors.length - 1]?.error;
      return {
        status: 'Failed',
        ...(job.endTime !== undefined ? { endTime: job.endTime } : {}),
        error: {
          code: e?.code ?? 'InternalError',
          message: e
            ? `${e.message} Possible causes: ${e.possibleCauses} Recommended action: ${e.recommendedAction}`
            : 'The job failed.',
        },
      };
    }
    default:
      return { status: 'InProgress' };
  }
}

/** Body of an ASR/vault operation-status poll (OperationResource shape). */
export function statusBody(core: EmulatorCore, op: OperationRec, idPath: string, now: number): Record<string, unknown> {
  const st = operationState(core, op, now);
  return {
    id: idPath,
    name: op.id,
    status: st.status,
    startTime: iso(op.createdAt),
    ...(st.endTime !== undefined && st.status !== 'InProgress' ? { endTime: iso(st.endTime) } : {}),
    ...(st.error ? { error: st.error } : {}),
  };
}

export function absolute(core: EmulatorCore, path: string, apiVersion: string): string {
  return `${core.origin}${path}?api-version=${apiVersion}`;
}

/** 202 Accepted for a Site Recovery operation, with the headers Site Recovery sends. */
export function asrAccepted(
  core: EmulatorCore,
  asrVaultPath: string,
  op: OperationRec,
  resultPath: string,
): HttpResult {
  return {
    status: 202,
    headers: {
      'azure-asyncoperation': absolute(core, `${asrVaultPath}/replicationOperationStatus/${op.id}`, op.apiVersion),
      location: absolute(core, `${resultPath}/operationresults/${op.id}`, op.apiVersion),
      'retry-after': String(core.retryAfter(30)),
    },
  };
}
