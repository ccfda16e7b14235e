import { Context } from '@temporalio/activity';
import type { SiteRecoveryManagementClient } from '@azure/arm-recoveryservices-siterecovery';
import type { AzureClientFactory } from '../azure/clients';
import { runCheckpointedLro } from '../azure/checkpoint';
import { azureCall, classifyAzureError, needsOperator } from '../azure/failures';
import { describeJobError, type RawJobError } from '../azure/jobs';
import type { VaultTarget } from '../../domain/onboarding';
import {
  ACTIONS,
  jobFingerprint,
  TERMINAL_JOB_STATES,
  type FailoverAction,
  type ItemFacts,
  type ItemRef,
  type JobSnapshot,
  type RecoveryPointInfo,
} from '../../domain/failover';

export interface FailoverDeps {
  azure: AzureClientFactory;
  /** Interval between two looks at a running Site Recovery job. */
  replicationPollMs: number;
}

/** What an action activity heartbeats: the job it follows, so a retry never issues it again. */
interface JobCheckpoint {
  kind: 'job';
  action: FailoverAction;
  jobName?: string;
  poller?: string;
  recoveryPoint?: RecoveryPointInfo;
}

export interface ActionParams {
  testNetworkId?: string;
  recoveryPointId?: string;
  sourceSiteOperations?: boolean;
  dataSyncOption?: 'ForDownTime' | 'ForSynchronization';
  comments?: string;
}

interface ItemView {
  id?: string;
  name?: string;
  properties?: {
    friendlyName?: string;
    protectionState?: string;
    activeLocation?: string;
    replicationHealth?: string;
    testFailoverState?: string;
    allowedOperations?: string[];
    currentScenario?: { scenarioName?: string; jobId?: string };
    failoverRecoveryPointId?: string;
    providerSpecificDetails?: unknown;
  };
}

interface HyperVItemDetails {
  vmId?: string;
  recoveryAzureStorageAccount?: string;
  recoveryAzureLogStorageAccountId?: string;
  oSDetails?: { osType?: string };
  azureVmDiskDetails?: Array<{ vhdId?: string; lunId?: string }>;
  lastRpoCalculatedTime?: string | Date;
  rpoInSeconds?: number;
  recoveryAzureVmName?: string;
}

const ITEM_PATH = /\/replicationFabrics\/([^/]+)\/replicationProtectionContainers\/([^/]+)\/replicationProtectedItems\/([^/]+)$/i;

function iso(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}

function lastSegment(id: string | undefined): string | undefined {
  return id?.split('/').filter(Boolean).pop();
}

interface RawJob {
  id?: string;
  name?: string;
  properties?: {
    scenarioName?: string;
    state?: string;
    startTime?: Date;
    endTime?: Date;
    targetObjectName?: string;
    tasks?: Array<{ name?: string; friendlyName?: string; state?: string; startTime?: Date; endTime?: Date }>;
    errors?: RawJobError[];
  };
}

export function snapshotOf(job: RawJob): JobSnapshot {
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
    tasks: (p.tasks ?? []).map((t) => {
      const s = iso(t.startTime);
      const e = iso(t.endTime);
      return { name: t.name ?? '', title: t.friendlyName ?? t.name ?? '', state: t.state ?? '', ...(s ? { startTime: s } : {}), ...(e ? { endTime: e } : {}) };
    }),
    errors: (p.errors ?? []).map(describeJobError),
  };
}

export function createFailoverActivities(deps: FailoverDeps) {
  const asr = (t: VaultTarget): SiteRecoveryManagementClient => deps.azure.siteRecovery(t.principal, t.subscriptionId);

  const getItem = (t: VaultTarget, ref: ItemRef): Promise<ItemView> =>
    azureCall(`read protected item ${ref.itemName}`, () => asr(t).replicationProtectedItems.get(t.vault, t.resourceGroup, ref.fabricName, ref.containerName, ref.itemName));

  const getJob = async (t: VaultTarget, jobName: string): Promise<JobSnapshot> =>
    snapshotOf(await azureCall(`read job ${jobName}`, () => asr(t).replicationJobs.get(t.vault, t.resourceGroup, jobName)));

  /** The vault's jobs of one scenario on one VM, newest first. */
  // A shared vault keeps 30 days of every tenant's jobs; the ones that matter here started
  // within the last day (a retried attempt's own job), so only those are listed. The day is
  // far wider than any clock skew between the worker and Site Recovery.
  const jobsOf = (t: VaultTarget, vm: string, scenario: string): Promise<JobSnapshot[]> =>
    azureCall(`list jobs of ${t.vault}`, async () => {
      const found: JobSnapshot[] = [];
      const since = new Date(Date.now() - 24 * 3_600_000).toISOString();
      for await (const job of asr(t).replicationJobs.list(t.vault, t.resourceGroup, { filter: `startTime eq '${since}'` })) {
        if (job.properties?.scenarioName === scenario && job.properties.targetObjectName?.toLowerCase() === vm.toLowerCase()) found.push(snapshotOf(job));
      }
      return found.sort((a, b) => Date.parse(b.startTime ?? '0') - Date.parse(a.startTime ?? '0'));
    });

  const recoveryPoint = async (t: VaultTarget, ref: ItemRef, id: string): Promise<RecoveryPointInfo | undefined> => {
    const name = lastSegment(id);
    if (!name) return undefined;
    const rp = await azureCall(`read recovery point ${name}`, async () => {
      try {
        return await asr(t).recoveryPoints.get(t.vault, t.resourceGroup, ref.fabricName, ref.containerName, ref.itemName, name);
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    });
    const time = iso(rp?.properties?.recoveryPointTime);
    return rp && time ? { id: rp.id ?? id, time, ...(rp.properties?.recoveryPointType ? { type: rp.properties.recoveryPointType } : {}) } : undefined;
  };

  const recoveryPoints = (t: VaultTarget, ref: ItemRef): Promise<RecoveryPointInfo[]> =>
    azureCall(`list recovery points of ${ref.itemName}`, async () => {
      const out: RecoveryPointInfo[] = [];
      for await (const rp of asr(t).recoveryPoints.listByReplicationProtectedItems(t.vault, t.resourceGroup, ref.fabricName, ref.containerName, ref.itemName)) {
        const time = iso(rp.properties?.recoveryPointTime);
        if (rp.id && time) out.push({ id: rp.id, time, ...(rp.properties?.recoveryPointType ? { type: rp.properties.recoveryPointType } : {}) });
      }
      return out.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    });

  /** Issues one action's POST; resolves when Site Recovery has accepted it (202), not when its job ends. */
  const issue = (t: VaultTarget, ref: ItemRef, item: ItemView, action: FailoverAction, params: ActionParams, options: { abortSignal: AbortSignal }) => {
    const c = asr(t).replicationProtectedItems;
    const at = [t.vault, t.resourceGroup, ref.fabricName, ref.containerName, ref.itemName] as const;
    const point = params.recoveryPointId ? { recoveryPointId: params.recoveryPointId } : {};
    switch (action) {
      case 'testFailover':
        return c.beginTestFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              ...(params.testNetworkId ? { networkType: 'VmNetworkAsInput', networkId: params.testNetworkId } : { networkType: 'NoNetworkAttachAsInput' }),
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', ...point },
            },
          },
          options,
        );
      case 'testFailoverCleanup':
        return c.beginTestFailoverCleanup(...at, { properties: { comments: params.comments ?? 'asrflow test failover cleanup' } }, options);
      case 'plannedFailover':
        return c.beginPlannedFailover(...at, { properties: { failoverDirection: 'PrimaryToRecovery', providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' } } }, options);
      case 'unplannedFailover':
        return c.beginUnplannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              sourceSiteOperations: params.sourceSiteOperations ? 'Required' : 'NotRequired',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', ...point },
            },
          },
          options,
        );
      case 'failoverCommit':
        return c.beginFailoverCommit(...at, options);
      case 'applyRecoveryPoint':
        return c.beginApplyRecoveryPoint(...at, { properties: { recoveryPointId: params.recoveryPointId ?? '', providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' } } }, options);
      case 'failback':
        return c.beginPlannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'RecoveryToPrimary',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzureFailback', dataSyncOption: params.dataSyncOption ?? 'ForDownTime', recoveryVmCreationOption: 'NoAction' },
            },
          },
          options,
        );
      case 'reprotect': {
        const d = (item.properties?.providerSpecificDetails ?? {}) as HyperVItemDetails;
        const osDisk = d.azureVmDiskDetails?.find((disk) => disk.lunId === '-1') ?? d.azureVmDiskDetails?.[0];
        return c.beginReprotect(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              providerSpecificDetails: {
                instanceType: 'HyperVReplicaAzure',
                ...(d.vmId ? { hvHostVmId: d.vmId } : {}),
                vmName: item.properties?.friendlyName,
                ...(d.oSDetails?.osType ? { osType: d.oSDetails.osType } : {}),
                ...(osDisk?.vhdId ? { vHDId: osDisk.vhdId } : {}),
                ...(d.recoveryAzureStorageAccount ? { storageAccountId: d.recoveryAzureStorageAccount } : {}),
                ...(d.recoveryAzureLogStorageAccountId ? { logStorageAccountId: d.recoveryAzureLogStorageAccountId } : {}),
              },
            },
          },
          options,
        );
      }
    }
  };

  return {
    /** Finds the VM's protected item by listing the vault's items (friendlyName = VM name). */
    async resolveProtectedItem(input: { target: VaultTarget; vm: string }): Promise<ItemRef> {
      const { target, vm } = input;
      const found = await azureCall(`list protected items of ${target.vault}`, async () => {
        for await (const item of asr(target).replicationProtectedItems.list(target.vault, target.resourceGroup)) {
          if (item.properties?.friendlyName?.toLowerCase() === vm.toLowerCase()) return item;
        }
        return undefined;
      });
      const match = found?.id ? ITEM_PATH.exec(found.id) : null;
      if (!found?.id || !match?.[1] || !match[2] || !match[3]) {
        throw needsOperator(`VM ${vm} is not protected in vault ${target.vault}`, { code: 'ProtectedItemNotFound', fix: `check the VM name (as VMM shows it) or protect it first with 'asrflow onboard'` });
      }
      return { fabricName: decodeURIComponent(match[1]), containerName: decodeURIComponent(match[2]), itemName: decodeURIComponent(match[3]), itemId: found.id };
    },

    /** Reads what preflight decides on: state, allowed operations, health, running job, latest recovery point. */
    async inspectItem(input: { target: VaultTarget; item: ItemRef }): Promise<ItemFacts> {
      const { target, item: ref } = input;
      const item = await getItem(target, ref);
      const p = item.properties ?? {};
      const d = (p.providerSpecificDetails ?? {}) as HyperVItemDetails;
      const scenario = p.currentScenario;
      const jobName = scenario?.scenarioName && scenario.scenarioName !== 'None' ? lastSegment(scenario.jobId) : undefined;
      const job = jobName && jobName !== 'None' ? await getJob(target, jobName) : undefined;
      const latest = (await recoveryPoints(target, ref))[0];
      return {
        ...(p.protectionState ? { protectionState: p.protectionState } : {}),
        ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
        ...(p.replicationHealth ? { replicationHealth: p.replicationHealth } : {}),
        ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
        allowedOperations: p.allowedOperations ?? [],
        ...(scenario ? { currentScenario: { ...(scenario.scenarioName ? { scenarioName: scenario.scenarioName } : {}), ...(scenario.jobId ? { jobId: scenario.jobId } : {}), ...(job ? { jobState: job.state } : {}) } } : {}),
        ...(latest ? { latestRecoveryPoint: latest } : {}),
        // Ages are measured on Site Recovery's clock, which is what the recovery points use.
        readAt: iso(d.lastRpoCalculatedTime) ?? new Date().toISOString(),
        ...(d.rpoInSeconds !== undefined ? { rpoInSeconds: d.rpoInSeconds } : {}),
      };
    },

    /**
     * Starts one failover action exactly once and returns its job. Before issuing it looks at
     * the item: a job of this scenario already running on it (an earlier attempt whose
     * heartbeat was lost) is adopted, not issued again; so is the finished job of an earlier
     * attempt when the operation is no longer allowed. The job is found without clocks: by the
     * item's currentScenario, else as the one job of this scenario that did not exist before.
     */
    async startFailoverAction(input: { target: VaultTarget; item: ItemRef; vm: string; action: FailoverAction; params: ActionParams }): Promise<{ jobName: string; adopted: boolean; recoveryPoint?: RecoveryPointInfo }> {
      const { target, item: ref, vm, action } = input;
      const spec = ACTIONS[action];
      const context = Context.current();
      const checkpoint = context.info.heartbeatDetails as Partial<JobCheckpoint> | undefined;
      if (checkpoint?.kind === 'job' && checkpoint.action === action && checkpoint.jobName) {
        return { jobName: checkpoint.jobName, adopted: true, ...(checkpoint.recoveryPoint ? { recoveryPoint: checkpoint.recoveryPoint } : {}) };
      }

      const ours = (item: ItemView): string | undefined => {
        const scenario = item.properties?.currentScenario;
        return scenario?.scenarioName === spec.scenario ? lastSegment(scenario.jobId) : undefined;
      };
      const before = await getItem(target, ref);
      const running = ours(before);
      if (running && running !== 'None') {
        const job = await getJob(target, running);
        if (!TERMINAL_JOB_STATES.has(job.state) || checkpoint?.kind === 'job') {
          const recoveryPoint = checkpoint?.recoveryPoint;
          context.heartbeat({ kind: 'job', action, jobName: running, ...(recoveryPoint ? { recoveryPoint } : {}) } satisfies JobCheckpoint);
          return { jobName: running, adopted: true, ...(recoveryPoint ? { recoveryPoint } : {}) };
        }
      }
      const allowed = before.properties?.allowedOperations ?? [];
      if (!allowed.includes(spec.operation)) {
        if (context.info.attempt > 1) {
          const latest = (await jobsOf(target, vm, spec.scenario))[0];
          if (latest?.state === 'Succeeded') return { jobName: latest.jobName, adopted: true };
        }
        throw needsOperator(`${spec.title} of ${vm} is not allowed now (protection state ${before.properties?.protectionState ?? 'unknown'}; allowed: ${allowed.join(', ') || 'none'})`, {
          code: 'OperationNotAllowed',
          fix: 'check the item in the vault; finish or clean up what runs on it, then retry',
        });
      }

      // Test and unplanned failovers name their recovery point: the newest one, unless one was
      // asked for. Site Recovery's "latest processed" point is replaced by the next delta, so it
      // cannot be looked up afterwards; named here, the drill record says exactly which point
      // (and how old) the VM came up from. A point that rolled over in between is picked again.
      const picks = action === 'testFailover' || action === 'unplannedFailover';
      const known = new Set((await jobsOf(target, vm, spec.scenario)).map((j) => j.jobName.toLowerCase()));
      let recoveryPoint: RecoveryPointInfo | undefined;
      let issueError: unknown;
      for (let tries = 1; tries <= 5; tries++) {
        issueError = undefined;
        if (picks) {
          const points = await recoveryPoints(target, ref);
          const wanted = input.params.recoveryPointId?.toLowerCase();
          recoveryPoint = wanted ? points.find((p) => p.id.toLowerCase() === wanted || lastSegment(p.id)?.toLowerCase() === wanted) : points[0];
          if (wanted && !recoveryPoint) throw needsOperator(`recovery point ${input.params.recoveryPointId ?? ''} of ${vm} does not exist (any more)`, { code: 'RecoveryPointNotFound', fix: 'pick one of the item\'s current recovery points' });
        }
        const params = { ...input.params, ...(recoveryPoint ? { recoveryPointId: recoveryPoint.id } : {}) };
        try {
          const poller = await issue(target, ref, before, action, params, { abortSignal: context.cancellationSignal });
          context.heartbeat({ kind: 'job', action, poller: poller.toString(), ...(recoveryPoint ? { recoveryPoint } : {}) } satisfies JobCheckpoint);
        } catch (error) {
          issueError = error;
          if (picks && !input.params.recoveryPointId && (error as { code?: string }).code === 'RecoveryPointNotFound') continue;
        }
        break;
      }
      const after = await getItem(target, ref);
      let jobName = ours(after);
      if (!jobName || jobName === 'None' || known.has(jobName.toLowerCase())) {
        jobName = (await jobsOf(target, vm, spec.scenario)).find((j) => !known.has(j.jobName.toLowerCase()))?.jobName;
      }
      if (!jobName) throw classifyAzureError(issueError ?? new Error('Site Recovery accepted the request but no job appeared'), `${spec.title} of ${vm}`);
      context.heartbeat({ kind: 'job', action, jobName, ...(recoveryPoint ? { recoveryPoint } : {}) } satisfies JobCheckpoint);
      return { jobName, adopted: false, ...(recoveryPoint ? { recoveryPoint } : {}) };
    },

    /**
     * Looks at a job until something a person would notice changed (its state or a task's),
     * it ended or paused, or `maxWaitMs` passed. The workflow turns the answer into steps.
     */
    async followJob(input: { target: VaultTarget; jobName: string; known: string; maxWaitMs: number }): Promise<JobSnapshot> {
      const deadline = Date.now() + input.maxWaitMs;
      for (let looks = 1; ; looks++) {
        const job = await getJob(input.target, input.jobName);
        Context.current().heartbeat({ kind: 'job-watch', jobName: input.jobName, state: job.state, looks });
        if (TERMINAL_JOB_STATES.has(job.state) || job.state === 'Suspended' || jobFingerprint(job) !== input.known || Date.now() >= deadline) return job;
        await Context.current().sleep(deps.replicationPollMs);
      }
    },

    /** Resumes a job that waits for the user (failback with ForSynchronization), once. */
    async resumeJob(input: { target: VaultTarget; jobName: string; comments: string }): Promise<{ resumed: boolean }> {
      const { target, jobName } = input;
      const job = await getJob(target, jobName);
      const checkpointed = (Context.current().info.heartbeatDetails as { kind?: string } | undefined)?.kind === 'lro';
      if (job.state !== 'Suspended' && !checkpointed) return { resumed: false };
      try {
        await runCheckpointedLro(`resume job ${jobName}`, (options) => asr(target).replicationJobs.beginResume(target.vault, target.resourceGroup, jobName, { properties: { comments: input.comments } }, options));
      } catch (error) {
        // The resume's operation ends with the job; a failed job is the workflow's to report.
        if (TERMINAL_JOB_STATES.has((await getJob(target, jobName)).state)) return { resumed: true };
        throw error;
      }
      return { resumed: true };
    },

    /**
     * The recovery point a finished planned failover (or a change of recovery point) used, as
     * Site Recovery names it on the item; undefined when it cannot be read back.
     */
    async recoveryPointUsed(input: { target: VaultTarget; item: ItemRef; requested?: string }): Promise<RecoveryPointInfo | undefined> {
      const { target, item: ref } = input;
      const id = input.requested ?? (await getItem(target, ref)).properties?.failoverRecoveryPointId;
      return id ? recoveryPoint(target, ref, id) : undefined;
    },

    /** The item's state after the workflow, for the drill record. */
    async itemState(input: { target: VaultTarget; item: ItemRef }): Promise<{ protectionState?: string; activeLocation?: string; testFailoverState?: string }> {
      const p = (await getItem(input.target, input.item)).properties ?? {};
      return {
        ...(p.protectionState ? { protectionState: p.protectionState } : {}),
        ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
        ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
      };
    },
  };
}
