import type { EmulatorCore } from '../core';
import { asrAccepted, newOperation } from '../arm/lro';
import type { FaultRuleState } from '../faults/rules';
import type { HttpResult } from '../https/types';
import type { JobStart } from '../sim/jobs';
import type { JobErrorSpec, JobRec, OperationRec } from '../state/world';

export type { JobStart };
import type { AsrScope } from './scope';

export function faultFailure(
  fault: FaultRuleState | undefined,
  taskCount: number,
): { atTask: number; error: JobErrorSpec } | undefined {
  if (!fault || fault.action.kind !== 'failJob') return undefined;
  const a = fault.action;
  return {
    atTask: Math.min(Math.max(0, a.atTask ?? taskCount - 1), Math.max(0, taskCount - 1)),
    error: {
      code: a.code ?? '539',
      message: a.message ?? 'The operation failed due to an internal error (injected fault).',
      possibleCauses: a.possibleCauses ?? 'A transient error occurred in the Site Recovery service.',
      recommendedAction: a.recommendedAction ?? 'Restart the job, or retry the operation.',
      ...(a.providerErrorCode !== undefined ? { providerErrorCode: a.providerErrorCode } : {}),
    },
  };
}

/** Starts a Site Recovery job and answers 202 with the operation that follows it. */
export function startJob(
  core: EmulatorCore,
  s: AsrScope,
  input: JobStart,
  opts: { now: number; resultPath: string; apiVersion: string; fault?: FaultRuleState },
): { job: JobRec; op: OperationRec; result: HttpResult } {
  const failure = input.failure ?? faultFailure(opts.fault, input.tasks.length);
  const job = core.jobs.create({
    vaultKey: s.vaultKey,
    name: core.newGuid('job', s.vaultKey, input.scenarioName, input.targetObjectName),
    scenarioName: input.scenarioName,
    friendlyName: input.friendlyName,
    targetObjectId: input.targetObjectId,
    targetObjectName: input.targetObjectName,
    targetInstanceType: input.targetInstanceType,
    tasks: input.tasks,
    effect: input.effect,
    ...(input.affectedObjectDetails ? { affectedObjectDetails: input.affectedObjectDetails } : {}),
    ...(failure ? { failure } : {}),
    now: opts.now,
  });
  const op = newOperation(core, {
    kind: 'job',
    jobVaultKey: s.vaultKey,
    jobName: job.name,
    resultPath: opts.resultPath,
    apiVersion: opts.apiVersion,
  });
  return { job, op, result: asrAccepted(core, s.v, op, opts.resultPath) };
}

/** The operation record that follows a job (to answer a repeated request with the same 202). */
export function operationForJob(core: EmulatorCore, jobName: string): OperationRec | undefined {
  const lowerName = jobName.toLowerCase();
  return Object.values(core.world.operations).find((o) => o.kind === 'job' && o.jobName?.toLowerCase() === lowerName);
}
