import type { Job } from '@azure/arm-recoveryservices-siterecovery';
import type { FailureDetails } from './failures';

/** The first error of an ASR job, as an operator needs to read it. */
export function jobFailureDetails(job: Job): FailureDetails & { message?: string } {
  const error = job.properties?.errors?.[0];
  const service = error?.serviceErrorDetails;
  const provider = error?.providerErrorDetails;
  return {
    ...(job.name ? { jobId: job.name } : {}),
    ...(service?.code ? { code: service.code } : provider?.errorCode !== undefined ? { code: String(provider.errorCode) } : {}),
    ...(service?.message ?? provider?.errorMessage ? { message: service?.message ?? provider?.errorMessage } : {}),
    ...(service?.possibleCauses ?? provider?.possibleCauses ? { possibleCauses: service?.possibleCauses ?? provider?.possibleCauses } : {}),
    ...(service?.recommendedAction ?? provider?.recommendedAction ? { recommendedAction: service?.recommendedAction ?? provider?.recommendedAction } : {}),
  };
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
