import { Context } from '@temporalio/activity';
import type { SiteRecoveryManagementClient } from '../../azure/sdk';
import { distance } from 'fastest-levenshtein';
import type { AzureClientFactory } from '../../azure/clients';
import { runCheckpointedLro } from '../../azure/checkpoint';
import { azureCall, classifyAzureError, needsOperator } from '../../azure/failures';
import { describeJobError, type RawJobError } from '../../azure/jobs';
import { keepAliveEach, keepBeating, type Beat } from '../../temporal/heartbeat';
import type { VaultTarget } from '../../domain/targets';
import {
  ACTIONS,
  jobFingerprint,
  TERMINAL_JOB_STATES,
  type FailoverAction,
  type ItemFacts,
  type ItemRef,
  type JobSnapshot,
  type RecoveryPointInfo,
  type ResolvedItem,
  type TenantScope,
} from '../contract';

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

export interface StartActionInput {
  target: VaultTarget;
  item: ItemRef;
  vm: string;
  action: FailoverAction;
  params: ActionParams;
}

export interface StartedAction {
  jobName: string;
  adopted: boolean;
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
  selectedRecoveryAzureNetworkId?: string;
  recoveryAzureResourceGroupId?: string;
}

const ITEM_PATH =
  /\/replicationFabrics\/([^/]+)\/replicationProtectionContainers\/([^/]+)\/replicationProtectedItems\/([^/]+)$/i;

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
    targetObjectId?: string;
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

function failoverActivities(deps: FailoverDeps) {
  const asr = (t: VaultTarget): SiteRecoveryManagementClient => deps.azure.siteRecovery(t.principal, t.subscriptionId);

  const getItem = (t: VaultTarget, ref: ItemRef): Promise<ItemView> =>
    azureCall(`read protected item ${ref.itemName}`, () =>
      asr(t).replicationProtectedItems.get(t.vault, t.resourceGroup, ref.fabricName, ref.containerName, ref.itemName),
    );

  const getJob = async (t: VaultTarget, jobName: string): Promise<JobSnapshot> =>
    snapshotOf(
      await azureCall(`read job ${jobName}`, () => asr(t).replicationJobs.get(t.vault, t.resourceGroup, jobName)),
    );

  /** The vault's jobs of one scenario on one item, newest first. */
  // A shared vault keeps 30 days of every tenant's jobs; the ones that matter here started
  // within the last day (a retried attempt's own job), so only those are listed. The day is
  // far wider than any clock skew between the worker and Site Recovery. A job is matched by the
  // object it acts on (the item's VM id), never by the VM's name: two tenants' clouds may each
  // have a VM of that name, and the other tenant's job must not be adopted.
  const jobsOf = (t: VaultTarget, item: ItemView, scenario: string): Promise<JobSnapshot[]> =>
    azureCall(`list jobs of ${t.vault}`, async () => {
      const ids = new Set(
        [item.name, ((item.properties?.providerSpecificDetails ?? {}) as HyperVItemDetails).vmId]
          .filter((x): x is string => Boolean(x))
          .map((x) => x.toLowerCase()),
      );
      const found: JobSnapshot[] = [];
      const since = new Date(Date.now() - 24 * 3_600_000).toISOString();
      for await (const job of asr(t).replicationJobs.list(t.vault, t.resourceGroup, {
        filter: `startTime eq '${since}'`,
      })) {
        if (job.properties?.scenarioName === scenario && ids.has((job.properties.targetObjectId ?? '').toLowerCase()))
          found.push(snapshotOf(job));
      }
      return found.sort((a, b) => Date.parse(b.startTime ?? '0') - Date.parse(a.startTime ?? '0'));
    });

  /** The tenant's own protection container: its cloud on the VMM server's fabric, or undefined. */
  const tenantContainer = async (
    t: VaultTarget,
    scope: TenantScope,
  ): Promise<{ fabricName: string; containerName: string } | undefined> => {
    const fabrics = await azureCall(`list fabrics of ${t.vault}`, async () => {
      const all = [];
      for await (const fabric of asr(t).replicationFabrics.list(t.vault, t.resourceGroup)) all.push(fabric);
      return all;
    });
    const fabric = fabrics.find(
      (f) =>
        f.properties?.customDetails?.instanceType === 'VMM' &&
        (f.properties.friendlyName ?? '').toLowerCase() === scope.vmmServer.toLowerCase(),
    );
    if (!fabric?.name) return undefined;
    const fabricName = fabric.name;
    const containers = await azureCall(`list clouds of ${fabricName}`, async () => {
      const all = [];
      for await (const c of asr(t).replicationProtectionContainers.listByReplicationFabrics(
        t.vault,
        t.resourceGroup,
        fabricName,
      ))
        all.push(c);
      return all;
    });
    const container = containers.find(
      (c) => (c.properties?.friendlyName ?? '').toLowerCase() === scope.cloud.toLowerCase(),
    );
    return container?.name ? { fabricName, containerName: container.name } : undefined;
  };

  const recoveryPoint = async (t: VaultTarget, ref: ItemRef, id: string): Promise<RecoveryPointInfo | undefined> => {
    const name = lastSegment(id);
    if (!name) return undefined;
    const rp = await azureCall(`read recovery point ${name}`, async () => {
      try {
        return await asr(t).recoveryPoints.get(
          t.vault,
          t.resourceGroup,
          ref.fabricName,
          ref.containerName,
          ref.itemName,
          name,
        );
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) return undefined;
        throw error;
      }
    });
    const time = iso(rp?.properties?.recoveryPointTime);
    return rp && time
      ? {
          id: rp.id ?? id,
          time,
          ...(rp.properties?.recoveryPointType ? { type: rp.properties.recoveryPointType } : {}),
        }
      : undefined;
  };

  const recoveryPoints = (t: VaultTarget, ref: ItemRef): Promise<RecoveryPointInfo[]> =>
    azureCall(`list recovery points of ${ref.itemName}`, async () => {
      const out: RecoveryPointInfo[] = [];
      for await (const rp of asr(t).recoveryPoints.listByReplicationProtectedItems(
        t.vault,
        t.resourceGroup,
        ref.fabricName,
        ref.containerName,
        ref.itemName,
      )) {
        const time = iso(rp.properties?.recoveryPointTime);
        if (rp.id && time)
          out.push({
            id: rp.id,
            time,
            ...(rp.properties?.recoveryPointType ? { type: rp.properties.recoveryPointType } : {}),
          });
      }
      return out.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    });

  /** Issues one action's POST; resolves when Site Recovery has accepted it (202), not when its job ends. */
  const issue = (
    t: VaultTarget,
    ref: ItemRef,
    item: ItemView,
    action: FailoverAction,
    params: ActionParams,
    options: { abortSignal: AbortSignal },
  ) => {
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
              ...(params.testNetworkId
                ? { networkType: 'VmNetworkAsInput', networkId: params.testNetworkId }
                : { networkType: 'NoNetworkAttachAsInput' }),
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure', ...point },
            },
          },
          options,
        );
      case 'testFailoverCleanup':
        return c.beginTestFailoverCleanup(
          ...at,
          { properties: { comments: params.comments ?? 'asrflow test failover cleanup' } },
          options,
        );
      case 'plannedFailover':
        return c.beginPlannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'PrimaryToRecovery',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
            },
          },
          options,
        );
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
        return c.beginApplyRecoveryPoint(
          ...at,
          {
            properties: {
              recoveryPointId: params.recoveryPointId ?? '',
              providerSpecificDetails: { instanceType: 'HyperVReplicaAzure' },
            },
          },
          options,
        );
      case 'failback':
        return c.beginPlannedFailover(
          ...at,
          {
            properties: {
              failoverDirection: 'RecoveryToPrimary',
              providerSpecificDetails: {
                instanceType: 'HyperVReplicaAzureFailback',
                dataSyncOption: params.dataSyncOption ?? 'ForDownTime',
                recoveryVmCreationOption: 'NoAction',
              },
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
                ...(d.recoveryAzureLogStorageAccountId
                  ? { logStorageAccountId: d.recoveryAzureLogStorageAccountId }
                  : {}),
              },
            },
          },
          options,
        );
      }
    }
  };

  async function startAction(input: StartActionInput, beat: Beat): Promise<StartedAction> {
    const { target, item: ref, vm, action } = input;
    const spec = ACTIONS[action];
    const context = Context.current();
    const checkpoint = context.info.heartbeatDetails as Partial<JobCheckpoint> | undefined;
    if (checkpoint?.kind === 'job' && checkpoint.action === action && checkpoint.jobName) {
      return {
        jobName: checkpoint.jobName,
        adopted: true,
        ...(checkpoint.recoveryPoint ? { recoveryPoint: checkpoint.recoveryPoint } : {}),
      };
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
        beat.set({
          kind: 'job',
          action,
          jobName: running,
          ...(recoveryPoint ? { recoveryPoint } : {}),
        } satisfies JobCheckpoint);
        return { jobName: running, adopted: true, ...(recoveryPoint ? { recoveryPoint } : {}) };
      }
    }
    const allowed = before.properties?.allowedOperations ?? [];
    if (!allowed.includes(spec.operation)) {
      if (context.info.attempt > 1) {
        const latest = (await jobsOf(target, before, spec.scenario))[0];
        if (latest?.state === 'Succeeded') return { jobName: latest.jobName, adopted: true };
      }
      throw needsOperator(
        `${spec.title} of ${vm} is not allowed now (protection state ${before.properties?.protectionState ?? 'unknown'}; allowed: ${allowed.join(', ') || 'none'})`,
        {
          code: 'OperationNotAllowed',
          fix: 'check the item in the vault; finish or clean up what runs on it, then retry',
        },
      );
    }

    // Test and unplanned failovers name their recovery point: the newest one, unless one was
    // asked for. Site Recovery's "latest processed" point is replaced by the next delta, so it
    // cannot be looked up afterwards; named here, the drill record says exactly which point
    // (and how old) the VM came up from. A point that rolled over in between is picked again.
    const picks = action === 'testFailover' || action === 'unplannedFailover';
    // A recovery point the operator names must be one of this item's: an id of another item's
    // point (another tenant's VM in a shared vault) is refused, not passed to Site Recovery.
    const names = picks || action === 'applyRecoveryPoint';
    const known = new Set((await jobsOf(target, before, spec.scenario)).map((j) => j.jobName.toLowerCase()));
    let recoveryPoint: RecoveryPointInfo | undefined;
    let issueError: unknown;
    for (let tries = 1; tries <= 5; tries++) {
      issueError = undefined;
      if (names && (picks || input.params.recoveryPointId)) {
        const points = await recoveryPoints(target, ref);
        const wanted = input.params.recoveryPointId?.toLowerCase();
        recoveryPoint = wanted
          ? points.find((p) => p.id.toLowerCase() === wanted || lastSegment(p.id)?.toLowerCase() === wanted)
          : points[0];
        if (wanted && !recoveryPoint)
          throw needsOperator(
            `recovery point ${input.params.recoveryPointId ?? ''} of ${vm} does not exist (any more)`,
            { code: 'RecoveryPointNotFound', fix: "pick one of the item's current recovery points" },
          );
      }
      const params = { ...input.params, ...(recoveryPoint ? { recoveryPointId: recoveryPoint.id } : {}) };
      try {
        const poller = await issue(target, ref, before, action, params, { abortSignal: context.cancellationSignal });
        beat.set({
          kind: 'job',
          action,
          poller: poller.toString(),
          ...(recoveryPoint ? { recoveryPoint } : {}),
        } satisfies JobCheckpoint);
      } catch (error) {
        issueError = error;
        if (picks && !input.params.recoveryPointId && (error as { code?: string }).code === 'RecoveryPointNotFound')
          continue;
      }
      break;
    }
    const after = await getItem(target, ref);
    let jobName = ours(after);
    if (!jobName || jobName === 'None' || known.has(jobName.toLowerCase())) {
      jobName = (await jobsOf(target, before, spec.scenario)).find((j) => !known.has(j.jobName.toLowerCase()))?.jobName;
    }
    if (!jobName)
      throw classifyAzureError(
        issueError ?? new Error('Site Recovery accepted the request but no job appeared'),
        `${spec.title} of ${vm}`,
      );
    beat.set({ kind: 'job', action, jobName, ...(recoveryPoint ? { recoveryPoint } : {}) } satisfies JobCheckpoint);
    return { jobName, adopted: false, ...(recoveryPoint ? { recoveryPoint } : {}) };
  }

  return {
    /**
     * Finds the VM's protected item inside the tenant's own protection container only (its VMM
     * cloud), never across the vault: in a shared vault another tenant's VM of the same name
     * is not this tenant's, and a name that exists only there is "not found" — the same answer
     * as a name that exists nowhere, with the closest names from this tenant's cloud alone.
     */
    async resolveProtectedItem(input: { target: VaultTarget; vm: string; scope: TenantScope }): Promise<ResolvedItem> {
      const { target, vm, scope } = input;
      const where = await tenantContainer(target, scope);
      if (!where) {
        throw needsOperator(
          `the cloud ${scope.cloud} of VMM server ${scope.vmmServer} is not in vault ${target.vault}`,
          {
            code: 'ProtectionContainerNotFound',
            fix: `check vmm.server and vmm.cloud of the tenant in the plan, and that the tenant is onboarded ('asrflow status --tenant <tenant>')`,
          },
        );
      }
      const { fabricName, containerName } = where;
      const items = await azureCall(`list protected items of cloud ${scope.cloud}`, async () => {
        const all: ItemView[] = [];
        for await (const item of asr(target).replicationProtectedItems.listByReplicationProtectionContainers(
          target.vault,
          target.resourceGroup,
          fabricName,
          containerName,
        ))
          all.push(item);
        return all;
      });
      const wanted = vm.toLowerCase();
      const found = items.find((i) => i.properties?.friendlyName?.toLowerCase() === wanted);
      const match = found?.id ? ITEM_PATH.exec(found.id) : null;
      if (found?.id && match?.[1] && match[2] && match[3]) {
        return {
          item: {
            fabricName: decodeURIComponent(match[1]),
            containerName: decodeURIComponent(match[2]),
            itemName: decodeURIComponent(match[3]),
            itemId: found.id,
          },
          closest: [],
        };
      }
      // Not protected in this cloud: is it a VM of this cloud at all? Either way the answer
      // draws only on this tenant's own container.
      const protectable = await azureCall(`list VMs of cloud ${scope.cloud}`, async () => {
        const all: string[] = [];
        for await (const p of asr(target).replicationProtectableItems.listByReplicationProtectionContainers(
          target.vault,
          target.resourceGroup,
          fabricName,
          containerName,
        )) {
          if (p.properties?.friendlyName) all.push(p.properties.friendlyName);
        }
        return all;
      });
      const names = items.map((i) => i.properties?.friendlyName).filter((n): n is string => Boolean(n));
      return {
        closest: nearest(vm, names),
        ...(protectable.some((n) => n.toLowerCase() === wanted) ? { unprotected: true } : {}),
      };
    },

    /** Reads what preflight decides on: state, allowed operations, health, running job, latest recovery point. */
    async inspectItem(input: { target: VaultTarget; item: ItemRef }): Promise<ItemFacts> {
      const { target, item: ref } = input;
      const item = await getItem(target, ref);
      const p = item.properties ?? {};
      const d = (p.providerSpecificDetails ?? {}) as HyperVItemDetails;
      const scenario = p.currentScenario;
      const jobName =
        scenario?.scenarioName && scenario.scenarioName !== 'None' ? lastSegment(scenario.jobId) : undefined;
      const job = jobName && jobName !== 'None' ? await getJob(target, jobName) : undefined;
      const latest = (await recoveryPoints(target, ref))[0];
      return {
        ...(d.selectedRecoveryAzureNetworkId ? { recoveryNetworkId: d.selectedRecoveryAzureNetworkId } : {}),
        ...(d.recoveryAzureResourceGroupId ? { recoveryResourceGroupId: d.recoveryAzureResourceGroupId } : {}),
        ...(p.protectionState ? { protectionState: p.protectionState } : {}),
        ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
        ...(p.replicationHealth ? { replicationHealth: p.replicationHealth } : {}),
        ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
        allowedOperations: p.allowedOperations ?? [],
        ...(scenario
          ? {
              currentScenario: {
                ...(scenario.scenarioName ? { scenarioName: scenario.scenarioName } : {}),
                ...(scenario.jobId ? { jobId: scenario.jobId } : {}),
                ...(job ? { jobState: job.state } : {}),
              },
            }
          : {}),
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
    async startFailoverAction(input: StartActionInput): Promise<StartedAction> {
      // Heartbeats all along, repeating the latest checkpoint: a worker that dies between two
      // Azure calls is noticed within the heartbeat timeout, and the checkpoint survives.
      const beat = keepBeating(Context.current().info.heartbeatDetails);
      try {
        return await startAction(input, beat);
      } finally {
        beat.stop();
      }
    },

    /**
     * Looks at a job until something a person would notice changed (its state or a task's),
     * it ended or paused, or `maxWaitMs` passed. The workflow turns the answer into steps.
     */
    async followJob(input: {
      target: VaultTarget;
      jobName: string;
      known: string;
      maxWaitMs: number;
    }): Promise<JobSnapshot> {
      const deadline = Date.now() + input.maxWaitMs;
      // Beats also while a read waits out a throttled subscription's Retry-After.
      const beat = keepBeating({ kind: 'job-watch', jobName: input.jobName });
      try {
        for (let looks = 1; ; looks++) {
          const job = await getJob(input.target, input.jobName);
          beat.set({ kind: 'job-watch', jobName: input.jobName, state: job.state, looks });
          if (
            TERMINAL_JOB_STATES.has(job.state) ||
            job.state === 'Suspended' ||
            jobFingerprint(job) !== input.known ||
            Date.now() >= deadline
          )
            return job;
          await Context.current().sleep(deps.replicationPollMs);
        }
      } finally {
        beat.stop();
      }
    },

    /** Resumes a job that waits for the user (failback with ForSynchronization), once. */
    async resumeJob(input: { target: VaultTarget; jobName: string; comments: string }): Promise<{ resumed: boolean }> {
      const { target, jobName } = input;
      const job = await getJob(target, jobName);
      const checkpointed = (Context.current().info.heartbeatDetails as { kind?: string } | undefined)?.kind === 'lro';
      if (job.state !== 'Suspended' && !checkpointed) return { resumed: false };
      try {
        await runCheckpointedLro(`resume job ${jobName}`, (options) =>
          asr(target).replicationJobs.beginResume(
            target.vault,
            target.resourceGroup,
            jobName,
            { properties: { comments: input.comments } },
            options,
          ),
        );
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
    async recoveryPointUsed(input: {
      target: VaultTarget;
      item: ItemRef;
      requested?: string;
    }): Promise<RecoveryPointInfo | undefined> {
      const { target, item: ref } = input;
      const id = input.requested ?? (await getItem(target, ref)).properties?.failoverRecoveryPointId;
      return id ? recoveryPoint(target, ref, id) : undefined;
    },

    /** The item's state after the workflow, for the drill record. */
    async itemState(input: {
      target: VaultTarget;
      item: ItemRef;
    }): Promise<{ protectionState?: string; activeLocation?: string; testFailoverState?: string }> {
      const p = (await getItem(input.target, input.item)).properties ?? {};
      return {
        ...(p.protectionState ? { protectionState: p.protectionState } : {}),
        ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
        ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
      };
    },
  };
}

/**
 * Failover's activities made of a few Azure calls, run with a heartbeat timeout of seconds
 * (`quick`): each is wrapped in `keepAlive`, so a worker killed inside one costs seconds of RTO.
 */
export const FAILOVER_QUICK_ACTIVITIES = [
  'resolveProtectedItem',
  'inspectItem',
  'recoveryPointUsed',
  'itemState',
] as const;

export function createFailoverActivities(deps: FailoverDeps) {
  return keepAliveEach(failoverActivities(deps), FAILOVER_QUICK_ACTIVITIES);
}

export type FailoverActivities = ReturnType<typeof createFailoverActivities>;
export type FailoverQuickActivity = (typeof FAILOVER_QUICK_ACTIVITIES)[number];

/** Up to three names closest to the one asked for (edit distance, case-insensitive), best first. */
function nearest(wanted: string, names: string[]): string[] {
  const w = wanted.toLowerCase();
  // Far-off names are no help ("did you mean files01?" for "erp01-old" is): keep those within
  // half the name's length.
  return names
    .map((n) => ({ n, d: distance(w, n.toLowerCase()) }))
    .filter((x) => x.d <= Math.max(2, Math.ceil(w.length / 2)))
    .sort((a, b) => a.d - b.d || a.n.localeCompare(b.n))
    .slice(0, 3)
    .map((x) => x.n);
}
