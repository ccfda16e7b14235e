import type { Job } from '@azure/arm-recoveryservices-siterecovery';
import type { FailureDetails } from './failures';

/** One entry of an ASR job's `errors[]`, as the SDK and the REST API shape it. */
export interface RawJobError {
  serviceErrorDetails?: { code?: string; message?: string; possibleCauses?: string; recommendedAction?: string };
  providerErrorDetails?: {
    errorCode?: number;
    errorMessage?: string;
    possibleCauses?: string;
    recommendedAction?: string;
  };
}

/** An ASR job error as an operator reads it: service details first, the Provider's otherwise. */
export function describeJobError(e: RawJobError): {
  message: string;
  code?: string;
  possibleCauses?: string;
  recommendedAction?: string;
} {
  const service = e.serviceErrorDetails;
  const provider = e.providerErrorDetails;
  const code = service?.code ?? (provider?.errorCode !== undefined ? String(provider.errorCode) : undefined);
  const possibleCauses = service?.possibleCauses ?? provider?.possibleCauses;
  const recommendedAction = service?.recommendedAction ?? provider?.recommendedAction;
  return {
    message: service?.message ?? provider?.errorMessage ?? 'the job failed',
    ...(code ? { code } : {}),
    ...(possibleCauses ? { possibleCauses } : {}),
    ...(recommendedAction ? { recommendedAction } : {}),
  };
}

/** The first error of an ASR job, with the job's name, for a NeedsOperator failure. */
export function jobFailureDetails(job: Job): FailureDetails & { message?: string } {
  const first = job.properties?.errors?.[0];
  return { ...(job.name ? { jobId: job.name } : {}), ...(first ? describeJobError(first) : {}) };
}

/** The newest job matching `predicate` from a vault's job list (newest first by start time). */
export async function newestJob(jobs: AsyncIterable<Job>, predicate: (job: Job) => boolean): Promise<Job | undefined> {
  let newest: Job | undefined;
  for await (const job of jobs) {
    if (!predicate(job)) continue;
    const started = job.properties?.startTime ? new Date(job.properties.startTime).getTime() : 0;
    const best = newest?.properties?.startTime ? new Date(newest.properties.startTime).getTime() : -1;
    if (started >= best) newest = job;
  }
  return newest;
}
