import type { Job } from '@azure/arm-recoveryservices-siterecovery';
import { runCheckpointedLro } from '../checkpoint';
import { azureCall, type FailureDetails } from '../failures';
import { collect, iso } from '../reads';
import type { AsrVault } from './vault';

// A vault's Site Recovery jobs. A shared vault keeps 30 days of every tenant's jobs, so the job
// list is always asked for a time window (`since`), never read whole: what asrflow looks for is
// a job of its own attempt, of a registration it is waiting for, or of a creation it found.

/** How far back a job of asrflow's own making is looked for: far wider than any clock skew. */
export const OWN_JOB_WINDOW_MS = 24 * 3_600_000;

/** An ASR job error as an operator reads it. */
export interface JobError {
  message: string;
  code?: string;
  possibleCauses?: string;
  recommendedAction?: string;
}

export interface JobTaskView {
  name: string;
  title: string;
  state: string;
  startTime?: string;
  endTime?: string;
}

/** A job as asrflow reads it. */
export interface JobView {
  jobId: string;
  jobName: string;
  scenarioName?: string;
  state: string;
  startTime?: string;
  endTime?: string;
  /** The object the job acts on: for a VM, its protectable / protected item's name. */
  targetObjectId?: string;
  targetObjectName?: string;
  tasks: JobTaskView[];
  errors: JobError[];
}

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

/** An ASR job error: the service's details first, the Provider's otherwise. */
export function describeJobError(e: RawJobError): JobError {
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

export function jobView(job: Job): JobView {
  const p = job.properties ?? {};
  const startTime = iso(p.startTime);
  const endTime = iso(p.endTime);
  return {
    jobId: job.id ?? '',
    jobName: job.name ?? '',
    ...(p.scenarioName ? { scenarioName: p.scenarioName } : {}),
    state: p.state ?? 'Other',
    ...(startTime ? { startTime } : {}),
    ...(endTime ? { endTime } : {}),
    ...(p.targetObjectId ? { targetObjectId: p.targetObjectId } : {}),
    ...(p.targetObjectName ? { targetObjectName: p.targetObjectName } : {}),
    tasks: (p.tasks ?? []).map((t) => {
      const s = iso(t.startTime);
      const e = iso(t.endTime);
      return {
        name: t.name ?? '',
        title: t.friendlyName ?? t.name ?? '',
        state: t.state ?? '',
        ...(s ? { startTime: s } : {}),
        ...(e ? { endTime: e } : {}),
      };
    }),
    errors: (p.errors ?? []).map(describeJobError),
  };
}

/** Failed or cancelled: the job will not do what it was started for. */
export function jobFailed(job: JobView | undefined): job is JobView & { state: 'Failed' | 'Cancelled' } {
  return job?.state === 'Failed' || job?.state === 'Cancelled';
}

/** The first error of a job, with the job's name, for a NeedsOperator failure. */
export function jobFailureDetails(job: JobView): FailureDetails & { message?: string } {
  const first = job.errors[0];
  return { ...(job.jobName ? { jobId: job.jobName } : {}), ...(first ?? {}) };
}

/**
 * A job acts on this object: matched by its id (for a VM, the protectable / protected item's name,
 * which Site Recovery puts in the job's targetObjectId), never by a display name — in a shared
 * vault two tenants' clouds may each have a VM of that name, and the other one's job is not this one's.
 */
export function jobActsOn(job: JobView, ...objectIds: Array<string | undefined>): boolean {
  const target = (job.targetObjectId ?? '').toLowerCase();
  return objectIds.some((id) => id !== undefined && id !== '' && id.toLowerCase() === target);
}

/** The newest of some jobs by start time. */
export function newestJob(jobs: JobView[]): JobView | undefined {
  let newest: JobView | undefined;
  for (const job of jobs) {
    const started = job.startTime ? Date.parse(job.startTime) : 0;
    const best = newest?.startTime ? Date.parse(newest.startTime) : -1;
    if (started >= best) newest = job;
  }
  return newest;
}

/**
 * The vault's jobs that started at or after `since` (Site Recovery's own filter), of one scenario
 * when `scenario` is given, newest first.
 */
export async function listJobs(
  v: AsrVault,
  query: { since: Date | string; scenario?: string; doing?: string },
): Promise<JobView[]> {
  const since = typeof query.since === 'string' ? query.since : query.since.toISOString();
  const jobs = await azureCall(query.doing ?? `list jobs of ${v.target.vault}`, () =>
    collect(v.client.replicationJobs.list(...v.at, { filter: `startTime eq '${since}'` })),
  );
  return jobs
    .map(jobView)
    .filter((j) => !query.scenario || j.scenarioName === query.scenario)
    .sort((a, b) => Date.parse(b.startTime ?? '0') - Date.parse(a.startTime ?? '0'));
}

/** Jobs of asrflow's own making: those of the last day (OWN_JOB_WINDOW_MS). */
export function listRecentJobs(v: AsrVault, query: { scenario?: string; doing?: string } = {}): Promise<JobView[]> {
  return listJobs(v, { ...query, since: new Date(Date.now() - OWN_JOB_WINDOW_MS) });
}

export async function getJob(v: AsrVault, jobName: string): Promise<JobView> {
  return jobView(await azureCall(`read job ${jobName}`, () => v.client.replicationJobs.get(...v.at, jobName)));
}

/** Resumes a job that waits for the user, resuming a checkpointed request rather than sending it twice. */
export async function resumeJob(v: AsrVault, jobName: string, comments: string): Promise<void> {
  await runCheckpointedLro(`resume job ${jobName}`, (options) =>
    v.client.replicationJobs.beginResume(...v.at, jobName, { properties: { comments } }, options),
  );
}
