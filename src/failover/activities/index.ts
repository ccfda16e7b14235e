import { Context } from '@temporalio/activity';
import { distance } from 'fastest-levenshtein';
import type { AzureClientFactory } from '../../azure/clients';
import { classifyAzureError, needsOperator } from '../../azure/failures';
import { lastSegment } from '../../azure/reads';
import { findTenantContainer } from '../../azure/site-recovery/fabrics';
import {
  getJob,
  jobActsOn,
  listRecentJobs,
  resumeJob as resumeAsrJob,
  type JobView,
} from '../../azure/site-recovery/jobs';
import { readVirtualNetwork } from '../../azure/network';
import { readItemWithSettings, type ItemSettings } from '../../azure/site-recovery/item-settings';
import {
  issueRecoveryPlanAction,
  readRecoveryPlan,
  type RecoveryPlanActionParams,
} from '../../azure/site-recovery/recovery-plans';
import { listTargetComputeSizes } from '../../azure/site-recovery/compute-sizes';
import { availabilitySetExists } from '../../azure/compute';
import { sizeProblem } from '../../domain/vm-sizes';
import { listProtectableItems } from '../../azure/site-recovery/protectable-items';
import {
  getProtectedItem,
  issueItemAction,
  listContainerProtectedItems,
  type ProtectedItemView,
} from '../../azure/site-recovery/protected-items';
import { listRecoveryPoints, readRecoveryPoint } from '../../azure/site-recovery/recovery-points';
import { asrVault, type AsrVault } from '../../azure/site-recovery/vault';
import { keepAliveEach, keepBeating, type Beat } from '../../temporal/heartbeat';
import type { Principal, VaultTarget } from '../../domain/targets';
import {
  ACTIONS,
  type DrillRecord,
  jobFingerprint,
  TERMINAL_JOB_STATES,
  type FailoverAction,
  type ItemFacts,
  type ItemRef,
  type JobSnapshot,
  PLAN_ACTIONS,
  type PlanAction,
  type PlanFacts,
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

const ITEM_PATH =
  /\/replicationFabrics\/([^/]+)\/replicationProtectionContainers\/([^/]+)\/replicationProtectedItems\/([^/]+)$/i;

/** A job as the failover contract carries it (what the object it acts on is, stays here). */
export function snapshotOf(job: JobView): JobSnapshot {
  const { targetObjectId: _id, targetObjectName: _name, ...snapshot } = job;
  return snapshot;
}

/**
 * What stops Azure from creating the VM where the item places it: a size Site Recovery does not
 * offer this VM, an availability set that does not exist (read in the tenant's subscription).
 */
async function placementProblemsOf(
  azure: FailoverDeps['azure'],
  vault: AsrVault,
  ref: ItemRef,
  settings: ItemSettings,
  placement: { principal: Principal; subscriptionId: string },
): Promise<string[]> {
  const problems: string[] = [];
  if (settings.vmSize) {
    const problem = sizeProblem(settings.vmSize, await listTargetComputeSizes(vault, ref));
    if (problem) problems.push(`${problem}: set vmSize in the plan and run asrflow onboard with it`);
  }
  const setId = settings.availabilitySetId;
  if (setId && !(await availabilitySetExists(azure, placement.principal, placement.subscriptionId, setId)))
    problems.push(
      `the VM's availability set ${setId} does not exist in the tenant's subscription: create it, or remove availabilitySet from the VM in the plan and run asrflow onboard with it`,
    );
  return problems;
}

function failoverActivities(deps: FailoverDeps) {
  const asr = (t: VaultTarget): AsrVault => asrVault(deps.azure, t);
  const getItem = (t: VaultTarget, ref: ItemRef): Promise<ProtectedItemView> => getProtectedItem(asr(t), ref);
  const jobSnapshot = async (t: VaultTarget, jobName: string): Promise<JobSnapshot> =>
    snapshotOf(await getJob(asr(t), jobName));

  /** The vault's jobs of one scenario on one item, of the last day, newest first. */
  // The ones that matter here are a retried attempt's own job. A job is matched by the object it
  // acts on (the item, or its VM's id), never by the VM's name: two tenants' clouds may each have
  // a VM of that name, and the other tenant's job must not be adopted.
  const jobsOf = async (t: VaultTarget, item: ProtectedItemView, scenario: string): Promise<JobSnapshot[]> =>
    (await listRecentJobs(asr(t), { scenario, doing: `list jobs of ${t.vault}` }))
      .filter((j) => jobActsOn(j, item.name, item.hyperV.vmId))
      .map(snapshotOf);

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

    const ours = (item: ProtectedItemView): string | undefined => {
      const scenario = item.currentScenario;
      return scenario?.scenarioName === spec.scenario ? scenario.jobName : undefined;
    };
    const before = await getItem(target, ref);
    const running = ours(before);
    if (running && running !== 'None') {
      const job = await jobSnapshot(target, running);
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
    const allowed = before.allowedOperations;
    if (!allowed.includes(spec.operation)) {
      if (context.info.attempt > 1) {
        const latest = (await jobsOf(target, before, spec.scenario))[0];
        if (latest?.state === 'Succeeded') return { jobName: latest.jobName, adopted: true };
      }
      throw needsOperator(
        `${spec.title} of ${vm} is not allowed now (protection state ${before.protectionState ?? 'unknown'}; allowed: ${allowed.join(', ') || 'none'})`,
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
        const points = await listRecoveryPoints(asr(target), ref);
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
        const { checkpoint: poller } = await issueItemAction(asr(target), ref, before, action, params, {
          abortSignal: context.cancellationSignal,
        });
        beat.set({
          kind: 'job',
          action,
          poller,
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

  /** What preflight decides on for one item (see inspectItem). */
  async function factsOf(
    target: VaultTarget,
    ref: ItemRef,
    placement?: { principal: Principal; subscriptionId: string },
  ): Promise<ItemFacts> {
    const read = placement ? await readItemWithSettings(asr(target), ref) : undefined;
    const p = read?.item ?? (await getItem(target, ref));
    const placementProblems =
      read && placement ? await placementProblemsOf(deps.azure, asr(target), ref, read.settings, placement) : [];
    const d = p.hyperV;
    const scenario = p.currentScenario;
    const jobName = scenario?.scenarioName && scenario.scenarioName !== 'None' ? scenario.jobName : undefined;
    const job = jobName && jobName !== 'None' ? await jobSnapshot(target, jobName) : undefined;
    const latest = (await listRecoveryPoints(asr(target), ref))[0];
    return {
      ...(d.recoveryNetworkId ? { recoveryNetworkId: d.recoveryNetworkId } : {}),
      ...(d.recoveryResourceGroupId ? { recoveryResourceGroupId: d.recoveryResourceGroupId } : {}),
      ...(p.protectionState ? { protectionState: p.protectionState } : {}),
      ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
      ...(p.replicationHealth ? { replicationHealth: p.replicationHealth } : {}),
      ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
      allowedOperations: p.allowedOperations,
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
      readAt: d.lastRpoCalculatedTime ?? new Date().toISOString(),
      ...(d.rpoInSeconds !== undefined ? { rpoInSeconds: d.rpoInSeconds } : {}),
      ...(placementProblems.length > 0 ? { placementProblems } : {}),
    };
  }

  /** An item's place from its ARM id. */
  const refOf = (id: string): ItemRef | undefined => {
    const match = ITEM_PATH.exec(id);
    return match?.[1] && match[2] && match[3]
      ? {
          fabricName: decodeURIComponent(match[1]),
          containerName: decodeURIComponent(match[2]),
          itemName: decodeURIComponent(match[3]),
          itemId: id,
        }
      : undefined;
  };

  return {
    /**
     * Finds the VM's protected item inside the tenant's own protection containers only (its VMM
     * clouds), never across the vault: in a shared vault another tenant's VM of the same name
     * is not this tenant's, and a name that exists only there is "not found" — the same answer
     * as a name that exists nowhere, with the closest names from this tenant's clouds alone.
     */
    async resolveProtectedItem(input: { target: VaultTarget; vm: string; scope: TenantScope }): Promise<ResolvedItem> {
      const { target, vm, scope } = input;
      const wanted = vm.toLowerCase();
      const names: string[] = [];
      const matches: Array<{ cloud: string; item: ItemRef }> = [];
      let unprotected = false;
      for (const cloud of scope.clouds ?? [scope.cloud]) {
        const where = await findTenantContainer(asr(target), scope.vmmServer, cloud);
        if (!where) {
          throw needsOperator(`the cloud ${cloud} of VMM server ${scope.vmmServer} is not in vault ${target.vault}`, {
            code: 'ProtectionContainerNotFound',
            fix: `check vmm.server and vmm.cloud of the tenant in the plan, and that the tenant is onboarded ('asrflow status --tenant <tenant>')`,
          });
        }
        const { fabricName, containerName } = where;
        const items = await listContainerProtectedItems(asr(target), fabricName, containerName, cloud);
        names.push(...items.map((i) => i.friendlyName).filter((n): n is string => Boolean(n)));
        const found = items.find((i) => i.friendlyName?.toLowerCase() === wanted);
        const item = found?.id ? refOf(found.id) : undefined;
        if (item) {
          matches.push({ cloud, item });
          continue;
        }
        // Not protected in this cloud: is it a VM of this cloud at all? Either way the answer
        // draws only on this tenant's own containers.
        const protectable = await listProtectableItems(asr(target), fabricName, containerName, `cloud ${cloud}`);
        if (protectable.some((p) => p.friendlyName.toLowerCase() === wanted)) unprotected = true;
      }
      const [only, ...more] = matches;
      if (only && more.length > 0)
        throw needsOperator(
          `${vm} is a protected VM in each of the tenant's clouds ${matches.map((m) => m.cloud).join(', ')}`,
          {
            code: 'AmbiguousVm',
            fix: 'rename one of the VMs in VMM; asrflow cannot tell which one is meant',
          },
        );
      if (only) return { item: only.item, closest: [] };
      return { closest: nearest(vm, names), ...(unprotected ? { unprotected: true } : {}) };
    },

    /** Reads what preflight decides on: state, allowed operations, health, running job, latest recovery point. */
    async inspectItem(input: {
      target: VaultTarget;
      item: ItemRef;
      /** For a failover that creates a VM: check its size and availability set, as the tenant. */
      placement?: { principal: Principal; subscriptionId: string };
    }): Promise<ItemFacts> {
      return factsOf(input.target, input.item, input.placement);
    },

    /**
     * Reads a recovery plan and each of its VMs for the plan's preflight: the plan's allowed
     * operations and running scenario, each VM's item (looked up in the tenant's own clouds
     * only) and facts. An item of the vault's plan outside the tenant's clouds is named, never read.
     */
    async inspectPlan(input: {
      target: VaultTarget;
      scope: TenantScope;
      planName: string;
      vms: string[];
      placement?: { principal: Principal; subscriptionId: string };
      /** A test failover's network: read as the tenant, in its own subscription. */
      testNetworkId?: string;
    }): Promise<PlanFacts> {
      const { target, scope } = input;
      const testNetwork =
        /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/virtualNetworks\/([^/]+)$/i.exec(
          input.testNetworkId ?? '',
        );
      const missingTestNetwork =
        testNetwork?.[1] && testNetwork[2] && testNetwork[3] && scope.principal
          ? !(await readVirtualNetwork(
              deps.azure,
              { principal: scope.principal, subscriptionId: testNetwork[1], resourceGroup: testNetwork[2], region: '' },
              testNetwork[3],
            ))
          : false;
      const plan = await readRecoveryPlan(asr(target), input.planName);
      const items = new Map<string, ItemRef>();
      const ids = new Set<string>();
      for (const cloud of scope.clouds ?? [scope.cloud]) {
        const where = await findTenantContainer(asr(target), scope.vmmServer, cloud);
        if (!where) continue;
        for (const found of await listContainerProtectedItems(
          asr(target),
          where.fabricName,
          where.containerName,
          cloud,
        )) {
          const ref = refOf(found.id);
          if (!found.friendlyName || !ref) continue;
          items.set(found.friendlyName.toLowerCase(), ref);
          ids.add(found.id.toLowerCase());
        }
      }
      const vms: PlanFacts['vms'] = [];
      for (const vm of input.vms) {
        const item = items.get(vm.toLowerCase());
        vms.push(item ? { vm, item, facts: await factsOf(target, item, input.placement) } : { vm });
      }
      // A finished job may still be named as the plan's scenario: only a running one counts.
      const jobName = plan?.currentScenario?.jobId ? lastSegment(plan.currentScenario.jobId) : undefined;
      const jobState = jobName ? (await jobSnapshot(target, jobName)).state : undefined;
      return {
        ...(plan ? { allowedOperations: plan.allowedOperations } : {}),
        ...(plan?.currentScenario
          ? { currentScenario: { ...plan.currentScenario, ...(jobState ? { jobState } : {}) } }
          : {}),
        vms,
        ...(missingTestNetwork ? { testNetworkMissing: true } : {}),
        foreignItems: (plan?.groups ?? [])
          .flatMap((g) => g.itemIds)
          .filter((id) => !ids.has(id.toLowerCase()))
          .map((id) => lastSegment(id) ?? id),
      };
    },

    /**
     * Starts one action on a recovery plan exactly once and returns its job: a job the plan
     * already runs for this action (an earlier attempt's) is adopted, not issued again.
     */
    async startPlanAction(input: {
      target: VaultTarget;
      planName: string;
      action: PlanAction;
      params: RecoveryPlanActionParams;
    }): Promise<{ jobName: string; adopted: boolean }> {
      const context = Context.current();
      const checkpoint = context.info.heartbeatDetails as
        { kind?: string; action?: string; jobName?: string } | undefined;
      if (checkpoint?.kind === 'plan-job' && checkpoint.action === input.action && checkpoint.jobName)
        return { jobName: checkpoint.jobName, adopted: true };
      const beat = keepBeating(checkpoint);
      try {
        const v = asr(input.target);
        const spec = PLAN_ACTIONS[input.action];
        const running = async () => {
          const jobId = (await readRecoveryPlan(v, input.planName))?.currentScenario?.jobId;
          return jobId ? lastSegment(jobId) : undefined;
        };
        const adopted = await running();
        if (adopted) {
          const job = await jobSnapshot(input.target, adopted);
          if (!TERMINAL_JOB_STATES.has(job.state)) {
            beat.set({ kind: 'plan-job', action: input.action, jobName: adopted });
            return { jobName: adopted, adopted: true };
          }
        }
        const before = await readRecoveryPlan(v, input.planName);
        if (!before)
          throw needsOperator(`recovery plan ${input.planName} is not in vault ${input.target.vault}`, {
            code: 'RecoveryPlanNotFound',
            fix: 'onboard the plan that lists it (asrflow onboard creates the recovery plan), then retry',
          });
        if (!before.allowedOperations.includes(spec.operation))
          throw needsOperator(
            `${spec.title} is not allowed now (allowed: ${before.allowedOperations.join(', ') || 'none'})`,
            { code: 'OperationNotAllowed', fix: 'finish or clean up what runs on the plan, then retry' },
          );
        let issueError: unknown;
        try {
          await issueRecoveryPlanAction(v, input.planName, input.action, input.params, {
            abortSignal: context.cancellationSignal,
          });
        } catch (error) {
          issueError = error;
        }
        const jobName = await running();
        if (!jobName)
          throw classifyAzureError(
            issueError ?? new Error('Site Recovery accepted the request but no job appeared'),
            `${spec.title} ${input.planName}`,
          );
        beat.set({ kind: 'plan-job', action: input.action, jobName });
        return { jobName, adopted: false };
      } finally {
        beat.stop();
      }
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
          const job = await jobSnapshot(input.target, input.jobName);
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
      const job = await jobSnapshot(target, jobName);
      const checkpointed = (Context.current().info.heartbeatDetails as { kind?: string } | undefined)?.kind === 'lro';
      if (job.state !== 'Suspended' && !checkpointed) return { resumed: false };
      try {
        await resumeAsrJob(asr(target), jobName, input.comments);
      } catch (error) {
        // The resume's operation ends with the job; a failed job is the workflow's to report.
        if (TERMINAL_JOB_STATES.has((await jobSnapshot(target, jobName)).state)) return { resumed: true };
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
      const id = input.requested ?? (await getItem(target, ref)).failoverRecoveryPointId;
      return id ? readRecoveryPoint(asr(target), ref, id) : undefined;
    },

    /** The item's state after the workflow, for the drill record. */
    async itemState(input: { target: VaultTarget; item: ItemRef }): Promise<NonNullable<DrillRecord['itemState']>> {
      const { item: p, settings } = await readItemWithSettings(asr(input.target), input.item);
      const { nics, ...vm } = settings;
      return {
        ...(p.protectionState ? { protectionState: p.protectionState } : {}),
        ...(p.activeLocation ? { activeLocation: p.activeLocation } : {}),
        ...(p.testFailoverState ? { testFailoverState: p.testFailoverState } : {}),
        settings: { ...vm, nics: nics.map(({ nicId: _id, ...nic }) => nic) },
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
  'inspectPlan',
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
