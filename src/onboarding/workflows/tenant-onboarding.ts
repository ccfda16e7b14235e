import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  ParentClosePolicy,
  continueAsNew,
  patched,
  setHandler,
  startChild,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { operatorCommands } from '../../domain/operator-commands';
import { VM_LIMITS } from '../../domain/plan/constants';
import { FailureType } from '../../temporal/workflow/failure-types';
import {
  changedTenantFields,
  containerMappingName,
  networkMappingName,
  policyName,
  recoveryPlanName,
  REPLANNABLE_FIELDS,
  type ProtectableVm,
  type ReplannableField,
  type ReplanResult,
  type RegistrationResult,
  type TenantOnboardingInput,
  type VaultTarget,
  type VmProtectionInput,
} from '../contract';
import { HANDLER_DESCRIPTIONS, progressQuery, type Progress, type VmProgress } from '../../temporal/workflow/progress';
import {
  DEFAULT_BATCHING,
  fingerprint,
  replanUpdate,
  stateFingerprint,
  type ProtectSetup,
  type SelectedVm,
  type VmSpec,
  replicationBatchSignal,
  replicationObservedSignal,
  tenantPlanQuery,
  type ReplicationObservation,
  type TenantSpec,
} from '../contract';
import { AsrKind, AsrScenario, AsrTenant, AsrVm } from '../../temporal/workflow/search-attributes';
import { testNetworkIdOf } from '../../domain/targets';
import { AZURE_VM_NAME, azureNameFor } from '../../domain/vm-names';
import { networksOf, vnetsLabel } from '../../domain/tenant-networks';
import { cloudsLabel, cloudsOf } from '../../domain/vmm-placement';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
import { awaitSharedRegistration, registerVmmServer } from './registration';
import { publishDetails, renderDetails, StepRunner } from '../../temporal/workflow/steps';
import { vmProtectionWorkflow } from './vm-protection';
import { onboardingActivities, type OnboardingActivityKinds, type OnboardingSteps } from './activities';

export interface TenantOnboardingResult {
  tenant: string;
  protectedVms: string[];
  notEligible: Array<{ vm: string; reasons: string[] }>;
}

/**
 * How long one look-at-the-vault activity may wait for a change before reporting back. It
 * returns at once on a change (every 10 % of a VM), so this only bounds the quiet time: a VM whose
 * initial replication takes a week, or that stalls, costs about 6 events per hour, not 6 per
 * poll, and the history stays far below Temporal's limits without continue-as-new.
 */
const OBSERVE_SLICE_MS = 60 * 60_000;

/**
 * Marks runs that protect VMs in batches and leave the looking to the vault watcher; runs
 * recorded before look at the vault themselves and start every VM at once.
 */
const PROTECT_IN_BATCHES = 'protect-in-batches';

/** Marks runs that pass each VM only the newest of the news a task takes. */
const NEWEST_NEWS_ONLY = 'newest-news-only';

/** VM workflows started per workflow task: a task's commands stay small at any tenant size. */
const START_CHUNK = 100;

/**
 * One CSP tenant, from nothing to every selected VM protected: the tenant's resource group,
 * GRS storage and networks; in scenario 2 its own vault and VMM registration, in scenario 1 the
 * wait for the shared one; then policy, cloud pairing, network mapping, and a child workflow
 * per VM while this workflow watches the vault's replication for all of them at once.
 */
export async function tenantOnboardingWorkflow(input: TenantOnboardingInput): Promise<TenantOnboardingResult> {
  const { scenario } = input;
  // Replaced by a validated `replan` update; closures read it when their step (re)runs.
  let tenant = input.tenant;
  const vms = new Map<string, VmProgress>();
  const steps = new StepRunner((runner) => publishDetails(details(runner, tenant, vms)), {
    commands: operatorCommands.tenantOnboarding(tenant.name),
    activities: onboardingActivities,
  });
  setHandler(tenantPlanQuery, () => tenant, { description: HANDLER_DESCRIPTIONS.tenantPlan });
  // The vault watcher's news, taken in order by the protect step.
  const news: ReplicationObservation[][] = [];
  setHandler(replicationBatchSignal, (batch) => void news.push(batch), {
    description: HANDLER_DESCRIPTIONS.replicationBatch,
  });
  setHandler(
    replanUpdate,
    (next): ReplanResult => {
      const changed = changedTenantFields(tenant, next) as ReplannableField[];
      tenant = next;
      // A step waiting for the operator because of a value that just changed is retried with it.
      const retried = [...new Set(changed.map((field) => REPLANNABLE_FIELDS[field]))].filter((step) =>
        steps.retryWaiting(step),
      );
      publishDetails(details(steps, tenant, vms));
      return { changed, retried };
    },
    { description: HANDLER_DESCRIPTIONS.replan, validator: (next: TenantSpec) => validateReplan(tenant, next, steps) },
  );
  setHandler(
    progressQuery,
    (): Progress => ({
      kind: 'tenant-onboarding',
      tenant: tenant.name,
      scenario,
      stage: steps.stage,
      steps: steps.steps,
      vms: [...vms.values()],
      operatorAction: steps.operatorAction,
    }),
    { description: HANDLER_DESCRIPTIONS.progress },
  );

  const principal = { tenantId: tenant.tenantId, credential: tenant.credential };
  const scope = {
    principal,
    subscriptionId: tenant.subscriptionId,
    resourceGroup: tenant.resourceGroup,
    region: tenant.region,
  };
  const vault: VaultTarget = input.sharedVault ?? {
    principal: { tenantId: tenant.vault.tenantId, credential: tenant.vault.credential },
    subscriptionId: tenant.vault.subscriptionId,
    resourceGroup: tenant.vault.resourceGroup,
    vault: tenant.vault.name,
    region: tenant.vault.region,
  };
  const vmmServer = input.sharedVault?.vmmServer ?? tenant.vmm.server;
  const plural = tenant.networks ? 's' : '';
  steps.plan([
    { name: 'resource-group', title: `Resource group ${tenant.resourceGroup}` },
    { name: 'storage-account', title: `Storage account ${tenant.storageAccount.name} (${tenant.storageAccount.sku})` },
    { name: 'virtual-network', title: `Virtual network${plural} ${vnetsLabel(tenant)}` },
    // Safe to skip: nothing later uses it; test failovers then name a VNet with --test-network.
    {
      name: 'test-network',
      title: `Test failover network${plural} ${vnetsLabel(tenant, (n) => n.testFailoverVnet.name)}`,
      skippable: true,
    },
    ...(input.sharedVault
      ? [{ name: 'shared-registration', title: `Wait for ${vmmServer} in the shared vault ${vault.vault}` }]
      : [
          { name: 'vault', title: `Create vault ${vault.vault}` },
          { name: 'registration', title: `Register VMM server ${vmmServer}` },
          { name: 'provider-version', title: `Check the Provider version on ${vmmServer}` },
        ]),
    { name: 'cloud', title: `Find ${cloudsLabel(tenant.vmm)}` },
    { name: 'policy', title: 'Replication policy' },
    { name: 'container-mapping', title: `Pair ${cloudsOf(tenant.vmm).join(', ')} with the policy` },
    {
      name: 'network-mapping',
      title: `Map ${networksOf(tenant)
        .map((n) => `${n.vmNetworks.join(', ')} to ${n.network.vnet}`)
        .join('; ')}`,
    },
    { name: 'preflight', title: 'Preflight of the selected VMs' },
    { name: 'protect', title: 'Protect VMs and replicate' },
    ...(tenant.recoveryPlans
      ? [
          {
            name: 'recovery-plans',
            title: `Recovery plan${tenant.recoveryPlans.length > 1 ? 's' : ''} ${tenant.recoveryPlans.map((p) => recoveryPlanName(tenant.name, p.name)).join(', ')}`,
          },
        ]
      : []),
  ]);

  /** The tenant's side of replication, step by step: what protecting a VM needs. */
  const setUp = async (): Promise<ProtectSetup> => {
    const group = await steps.run('resource-group', ({ quick }) => quick.ensureResourceGroup(scope));
    const storage = await steps.run('storage-account', ({ longRunning }) =>
      longRunning.ensureStorageAccount({ ...scope, name: tenant.storageAccount.name, sku: tenant.storageAccount.sku }),
    );
    // Every VNet of the tenant, `network` first; its id by VNet name (lowercase).
    const networkIds = await steps.run('virtual-network', async ({ longRunning }) => {
      const ids: Record<string, string> = {};
      for (const { network } of networksOf(tenant)) {
        const result = await longRunning.ensureVirtualNetwork({
          ...scope,
          ...(network.resourceGroup ? { resourceGroup: network.resourceGroup } : {}),
          name: network.vnet,
          addressSpace: network.addressSpace,
          subnets: network.subnets,
          ...(network.existing ? { mustExist: true } : {}),
        });
        steps.warn('virtual-network', result.warnings);
        ids[network.vnet.toLowerCase()] = result.id;
      }
      return ids;
    });
    const networkId = networkIds[tenant.network.vnet.toLowerCase()] ?? '';
    await steps.runSkippable('test-network', async ({ longRunning }) => {
      for (const { network } of networksOf(tenant)) {
        const testNet = network.testFailoverVnet;
        const result = await longRunning.ensureVirtualNetwork({
          ...scope,
          name: testNet.name,
          addressSpace: testNet.addressSpace,
          subnets: testNet.subnets,
        });
        steps.warn('test-network', result.warnings);
      }
    });

    const registration: RegistrationResult = input.sharedVault
      ? await awaitSharedRegistration(steps, vault, vmmServer)
      : await registerVmmServer(steps, vault, vmmServer);
    const fabricName = registration.fabricName;
    const containers = await steps.run('cloud', async ({ quick }) => {
      const found: Array<{ cloud: string; containerName: string }> = [];
      for (const cloud of cloudsOf(tenant.vmm))
        found.push({ cloud, ...(await quick.findProtectionContainer({ target: vault, fabricName, cloud })) });
      return found;
    });
    const containerName = containers[0]?.containerName ?? '';
    const { policyId } = await steps.run(
      'policy',
      async ({ longRunning }) => {
        const result = await longRunning.ensurePolicy({
          target: vault,
          policyName: policyName(tenant.name),
          policy: tenant.policy,
          storageAccountId: storage.id,
          tenant: tenant.name,
        });
        // The plan changed since the policy was made: Site Recovery took the new settings.
        if (result.updated) steps.warn('policy', [`updated in place: ${result.updated.join(', ')}`]);
        return result;
      },
      {
        // Azure refused a value of the plan: retrying the same value cannot help, a corrected plan can.
        operatorHint: (error) =>
          error.fix?.includes('asrflow onboard')
            ? `Replication policy failed: ${error.message}. ${error.fix}`
            : undefined,
      },
    );
    // Each of the tenant's clouds is paired with its policy, each VM network mapped to its VNet.
    await steps.run('container-mapping', async ({ longRunning }) => {
      for (const c of containers)
        await longRunning.ensureContainerMapping({
          target: vault,
          fabricName,
          containerName: c.containerName,
          mappingName: containerMappingName(tenant.name),
          policyId,
        });
    });
    await steps.run('network-mapping', async ({ longRunning }) => {
      for (const { network, vmNetworks } of networksOf(tenant))
        for (const vmNetwork of vmNetworks)
          await longRunning.ensureNetworkMapping({
            target: vault,
            fabricName,
            vmNetwork,
            mappingName: networkMappingName(tenant.name),
            recoveryNetworkId: networkIds[network.vnet.toLowerCase()] ?? networkId,
          });
    });
    return {
      resourceGroupId: group.id,
      storageAccountId: storage.id,
      networkId,
      ...(tenant.networks ? { networkIds } : {}),
      fabricName,
      containerName,
      ...(containers.length > 1 ? { containers } : {}),
      policyId,
    };
  };

  /** Disks are read only for the VMs whose plan names some: the list is carried in histories. */
  const diskNames = tenant.vms.include === 'all' ? [] : tenant.vms.include.filter((v) => v.disks).map((v) => v.name);
  const withDisks = diskNames.length > 0 ? { withDisks: diskNames } : {};

  /**
   * The VMs of every cloud of the tenant (one paged list each). A VM of a cloud other than the
   * first names its protection container.
   */
  const listVms = async (quick: OnboardingActivityKinds['quick'], done: ProtectSetup): Promise<ProtectableVm[]> => {
    const all: ProtectableVm[] = [];
    for (const c of done.containers ?? [{ cloud: tenant.vmm.cloud, containerName: done.containerName }]) {
      const listed = await quick.listProtectableVms({
        target: vault,
        fabricName: done.fabricName,
        containerName: c.containerName,
        ...withDisks,
      });
      const other = c.containerName !== done.containerName;
      all.push(...listed.map((v) => (other ? { ...v, containerName: c.containerName, cloud: c.cloud } : v)));
    }
    return all;
  };

  /**
   * The VMs an earlier run left for this one, with their details as the clouds list them now:
   * selected as the preflight selected them, but only these names.
   */
  const remainingOf = async (names: string[]): Promise<SelectedVm[]> => {
    const { quick } = onboardingActivities('Preflight of the remaining VMs');
    const listed = await listVms(quick, setup);
    const wanted = new Set(names.map((n) => n.toLowerCase()));
    const seen = new Map<string, VmProgress>();
    const chosen = selectVms(tenant, listed, seen).filter((s) => wanted.has(s.vm.friendlyName.toLowerCase()));
    // A VM gone from the cloud (or no longer eligible) since the first preflight says so.
    for (const v of seen.values()) if (v.state !== 'pending' && wanted.has(v.name.toLowerCase())) vms.set(v.name, v);
    return chosen;
  };

  const carried = input.continued;
  if (carried) {
    // A run continued as new in the protect step: the setup and earlier VMs are done.
    steps.restore(carried.steps);
    for (const v of carried.vms) vms.set(v.name, v);
  }
  const setup = carried?.setup ?? (await setUp());
  const { fabricName, containerName, policyId } = setup;
  const selected =
    carried?.remaining ??
    (carried?.remainingNames
      ? await remainingOf(carried.remainingNames)
      : await steps.run('preflight', async ({ quick }) => {
          const chosen = selectVms(tenant, await listVms(quick, setup), vms);
          // `include: all` is counted here: plan validate counts only the VMs a plan lists.
          refuseOversizedSelection(chosen.length, tenant.vmm.cloud);
          return chosen;
        }));

  await steps.run('protect', async ({ quick, waiting }) => {
    const startVm = async ({ vm, subnet, vmSize, settings }: SelectedVm) => {
      const testNetworkId = testNetworkIdOf(tenant, settings?.vnet);
      const previousSettings = input.previousVms?.find((v) => v.name.toLowerCase() === vm.friendlyName.toLowerCase());
      const vmInput: VmProtectionInput = {
        tenant: tenant.name,
        scenario,
        vault,
        fabricName,
        containerName: vm.containerName ?? containerName,
        policyId,
        vm,
        targets: {
          subscriptionId: tenant.subscriptionId,
          resourceGroupId: setup.resourceGroupId,
          storageAccountId: setup.storageAccountId,
          networkId: (settings?.vnet ? setup.networkIds?.[settings.vnet.toLowerCase()] : undefined) ?? setup.networkId,
          subnetName: subnet,
          vmSize,
          managedDisks: tenant.target.managedDisks,
          ...(settings ? { testNetworkId } : {}),
          ...(settings || vmSize ? { principal: { tenantId: tenant.tenantId, credential: tenant.credential } } : {}),
        },
        ...(settings ? { settings } : {}),
        ...(settings && previousSettings ? { previousSettings } : {}),
      };
      const workflowId = workflowIds.vmProtection(tenant.name, vm.friendlyName);
      const handle = await startChild(vmProtectionWorkflow, {
        workflowId,
        args: [vmInput],
        parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        staticSummary: `Protect ${vm.friendlyName} (${tenant.name})`,
        typedSearchAttributes: [
          { key: AsrTenant, value: tenant.name },
          { key: AsrScenario, value: scenario },
          { key: AsrKind, value: 'vm-protection' },
          { key: AsrVm, value: vm.friendlyName },
        ],
      });
      vms.set(vm.friendlyName, { name: vm.friendlyName, state: 'enabling', workflowId });
      return handle;
    };
    /** Shows what the vault said about a VM in this workflow's progress. */
    const record = (o: ReplicationObservation, vm: ProtectableVm): void => {
      const entry = vms.get(vm.friendlyName);
      if (!entry) return;
      // A failed item stays watched: after the operator's retry the VM enables it again.
      entry.state = o.failed ? 'waiting-for-operator' : o.protectedNow ? 'protected' : 'replicating';
      if (o.failed) entry.reason = o.failed.message;
      else delete entry.reason;
      if (o.percent !== undefined) entry.replicationPercent = o.percent;
    };

    if (!patched(PROTECT_IN_BATCHES)) {
      // Onboardings started before batches and the vault watcher: every VM at once, and the
      // tenant looks at the vault itself.
      const children = new Map<
        string,
        { vm: ProtectableVm; handle: ChildWorkflowHandle<typeof vmProtectionWorkflow> }
      >();
      // Started together: one workflow task issues every start command, not one task per VM.
      await Promise.all(
        selected.map(async (s) => {
          const handle = await startVm(s);
          children.set(s.vm.itemName, { vm: s.vm, handle });
        }),
      );
      steps.hint('protect', undefined);
      const known: Record<string, string> = {};
      const watching = new Set(children.keys());
      let lookNow = true;
      while (watching.size > 0) {
        const names = Object.fromEntries(
          [...watching].map((item) => [item, children.get(item)?.vm.friendlyName ?? item]),
        );
        const observed = await waiting.observeReplication({
          target: vault,
          items: [...watching],
          known,
          maxWaitMs: OBSERVE_SLICE_MS,
          lookNow,
          names,
        });
        lookNow = false;
        const signals: Array<Promise<void>> = [];
        for (const o of observed) {
          const fp = fingerprint(o);
          if (known[o.itemName] === fp) continue;
          known[o.itemName] = fp;
          const child = children.get(o.itemName);
          if (!child) continue;
          record(o, child.vm);
          // Sent together, so a look that changed many VMs costs one workflow task.
          signals.push(child.handle.signal(replicationObservedSignal, o));
          if (o.protectedNow) watching.delete(o.itemName);
        }
        await Promise.all(signals);
        publishDetails(details(steps, tenant, vms));
      }
      for (const { handle } of children.values()) await handle.result();
      return;
    }

    const batching = input.batching ?? DEFAULT_BATCHING;
    const thisRun = selected.slice(0, batching.perRun);
    const later = selected.slice(batching.perRun);
    // The vault's watcher looks for every tenant and VM in it at once (vault-watcher.ts).
    if (thisRun.length > 0)
      await quick.watchVault({
        subscriber: workflowInfo().workflowId,
        target: vault,
        items: thisRun.map(({ vm }) => ({ itemName: vm.itemName, friendlyName: vm.friendlyName })),
      });
    const inFlight = new Map<string, { vm: ProtectableVm; handle: ChildWorkflowHandle<typeof vmProtectionWorkflow> }>();
    const ended: Array<{ itemName: string; error?: Error }> = [];
    // What each VM workflow was told: its state, not its progress (that is this workflow's to show).
    const told: Record<string, string> = {};
    let next = 0;
    while (next < thisRun.length || inFlight.size > 0) {
      // Fill the window a chunk per workflow task, so no task's commands grow with the tenant.
      while (next < thisRun.length && inFlight.size < batching.window) {
        const chunk = thisRun.slice(next, next + Math.min(START_CHUNK, batching.window - inFlight.size));
        next += chunk.length;
        await Promise.all(
          chunk.map(async (s) => {
            const handle = await startVm(s);
            inFlight.set(s.vm.itemName, { vm: s.vm, handle });
            handle.result().then(
              () => void ended.push({ itemName: s.vm.itemName }),
              (error: Error) => void ended.push({ itemName: s.vm.itemName, error }),
            );
          }),
        );
        publishDetails(details(steps, tenant, vms));
      }
      await condition(() => news.length > 0 || ended.length > 0);
      const signals: Array<Promise<void>> = [];
      const heard = news.splice(0).flat();
      // Several looks' news can wait for one task: each VM is told only the newest, so one task
      // sends it one signal (signals sent together arrive in any order).
      const newest = patched(NEWEST_NEWS_ONLY) ? [...new Map(heard.map((o) => [o.itemName, o])).values()] : heard;
      for (const o of newest) {
        const child = inFlight.get(o.itemName);
        if (!child) continue;
        record(o, child.vm);
        const state = stateFingerprint(o);
        // Protected is the last thing a VM workflow waits for: it ends then, and hears nothing more.
        if (told[o.itemName] === state || told[o.itemName]?.startsWith('Protected|')) continue;
        told[o.itemName] = state;
        // Sent together, so news that changed many VMs costs one workflow task. A VM workflow
        // that has just ended (its end not yet seen here) cannot be signalled: that is no failure
        // of this step — its end arrives as its result.
        signals.push(child.handle.signal(replicationObservedSignal, o).catch(() => undefined));
      }
      await Promise.all(signals);
      for (const e of ended.splice(0)) {
        // A VM workflow that failed fails this step, as awaiting its result did before.
        if (e.error) throw e.error;
        // A VM workflow ends when its item is protected, which it may have read itself (a
        // retried request finds the item) before the watcher's news of it got here.
        const vm = inFlight.get(e.itemName)?.vm;
        const entry = vm ? vms.get(vm.friendlyName) : undefined;
        if (entry) {
          entry.state = 'protected';
          delete entry.reason;
        }
        inFlight.delete(e.itemName);
      }
      publishDetails(details(steps, tenant, vms));
    }
    if (later.length > 0) {
      // Every VM of this run is protected: the next run starts with a short history.
      await condition(allHandlersFinished);
      await continueAsNew<typeof tenantOnboardingWorkflow>({
        ...input,
        tenant,
        continued: {
          setup,
          steps: steps.steps,
          // A protected VM's name and state are all a later run shows of it.
          vms: [...vms.values()].map((v) => (v.state === 'protected' ? { name: v.name, state: v.state } : v)),
          remainingNames: later.map((s) => s.vm.friendlyName),
        },
      });
    }
  });

  // The plan's recovery plans, in the vault: once every VM of this run is protected.
  const plans = tenant.recoveryPlans;
  if (plans) {
    await steps.run('recovery-plans', async ({ longRunning }) => {
      const written = await longRunning.ensureRecoveryPlans({
        target: vault,
        fabricName,
        containers: (setup.containers ?? [{ containerName }]).map((c) => c.containerName),
        plans: plans.map((p) => ({ name: recoveryPlanName(tenant.name, p.name), groups: p.groups })),
      });
      steps.warn('recovery-plans', written.warnings);
      return written;
    });
  }

  await condition(allHandlersFinished);
  return {
    tenant: tenant.name,
    protectedVms: [...vms.values()].filter((v) => v.state === 'protected').map((v) => v.name),
    notEligible: [...vms.values()]
      .filter((v) => v.state === 'not-eligible')
      .map((v) => ({ vm: v.name, reasons: v.reason ? [v.reason] : [] })),
  };
}

/**
 * Refuses a new plan the running onboarding cannot honour, saying why: another tenant, or a
 * field of an onboarding already past the step that used it.
 */
function validateReplan(current: TenantSpec, next: TenantSpec, steps: OnboardingSteps): void {
  if (next.name !== current.name)
    throw new Error(`this onboarding is for tenant '${current.name}', not '${next.name}'`);
  const changed = changedTenantFields(current, next);
  if (changed.length === 0) throw new Error('the plan is unchanged: nothing to apply');
  const fixed = changed.filter((f) => !(f in REPLANNABLE_FIELDS));
  if (fixed.length > 0) {
    throw new Error(
      `${fixed.join(', ')} cannot change in a running onboarding of '${current.name}' (they name the tenant, its subscription or resources already in use); finish or terminate this onboarding and start one for the new values`,
    );
  }
  for (const field of changed as ReplannableField[]) {
    const step = REPLANNABLE_FIELDS[field];
    const state = steps.stateOf(step);
    if (state !== undefined && state !== 'pending' && state !== 'waiting-for-operator') {
      throw new Error(
        `${field} cannot change any more: step '${step}' already ${state === 'running' ? 'runs' : 'ran'} with the old value; change it in Azure by hand, or keep the old value in the plan`,
      );
    }
  }
}

/** Matches the plan's selection against what ASR sees; ineligible VMs are reported, not fatal. */
function selectVms(tenant: TenantSpec, items: ProtectableVm[], vms: Map<string, VmProgress>): SelectedVm[] {
  const byName = new Map(items.map((i) => [i.friendlyName.toLowerCase(), i]));
  // A name in two of the tenant's clouds: which VM the plan means is not known.
  const clouds = new Map<string, string[]>();
  for (const i of items) {
    const key = i.friendlyName.toLowerCase();
    clouds.set(key, [...(clouds.get(key) ?? []), i.cloud ?? tenant.vmm.cloud]);
  }
  const defaults = tenantDefaults(tenant);
  const wanted: VmSpec[] =
    tenant.vms.include === 'all'
      ? (() => {
          const sel = tenant.vms;
          const excluded = new Set(sel.exclude.map((n) => n.toLowerCase()));
          return items
            .filter((i) => !excluded.has(i.friendlyName.toLowerCase()))
            .map((i) => ({
              name: i.friendlyName,
              subnet: sel.subnet,
              ...(sel.vmSize ? { vmSize: sel.vmSize } : {}),
              ...defaults,
            }));
        })()
      : tenant.vms.include;
  const selected: SelectedVm[] = [];
  for (const want of wanted) {
    const item = byName.get(want.name.toLowerCase());
    const inClouds = clouds.get(want.name.toLowerCase()) ?? [];
    const diskProblem = item
      ? inClouds.length > 1
        ? `a VM of this name is in each of clouds ${inClouds.join(', ')}: rename one in VMM`
        : (missingDisks(want, item) ?? azureNameProblem(want))
      : undefined;
    if (!item) {
      vms.set(want.name, { name: want.name, state: 'not-eligible', reason: `not found in ${cloudsLabel(tenant.vmm)}` });
    } else if (item.readinessErrors.length > 0 || diskProblem) {
      vms.set(item.friendlyName, {
        name: item.friendlyName,
        state: 'not-eligible',
        reason: diskProblem ?? item.readinessErrors.join('; '),
      });
    } else {
      vms.set(item.friendlyName, { name: item.friendlyName, state: 'pending' });
      selected.push({
        vm: item,
        subnet: want.subnet,
        ...(want.vmSize ? { vmSize: want.vmSize } : {}),
        ...(hasSettings(want) ? { settings: want } : {}),
      });
    }
  }
  return selected;
}

/** The tenant's target defaults that apply to every VM of an `include: all` selection. */
function tenantDefaults(tenant: TenantSpec): Partial<VmSpec> {
  const t = tenant.target;
  return {
    ...(t.licenseType ? { licenseType: t.licenseType } : {}),
    ...(t.sqlServerLicenseType ? { sqlServerLicenseType: t.sqlServerLicenseType } : {}),
    ...(t.tags ? { tags: t.tags } : {}),
  };
}

/** Settings beyond the subnet and size every VM always had. */
function hasSettings(v: VmSpec): boolean {
  return Object.keys(v).some((k) => k !== 'name' && k !== 'subnet' && k !== 'vmSize');
}

/** A VM (of `include: all`) whose VMM name cannot be its Azure name, and which has no other. */
function azureNameProblem(want: VmSpec): string | undefined {
  if (want.azureName || AZURE_VM_NAME.test(want.name)) return undefined;
  return `its name is not a valid Azure VM name (1–63 letters, digits and hyphens); list it in the plan with azureName: ${azureNameFor(want.name) || 'vm01'}`;
}

/** Disks the plan names that the VM, as Site Recovery discovered it, does not have. */
function missingDisks(want: VmSpec, item: ProtectableVm): string | undefined {
  if (!want.disks || !item.disks) return undefined;
  const have = new Set(item.disks.map((d) => d.name.toLowerCase()));
  const named = [...want.disks.exclude, ...(want.disks.os ? [want.disks.os] : [])];
  const missing = named.filter((n) => !have.has(n.toLowerCase()));
  return missing.length > 0
    ? `the plan names disk${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which the VM does not have (its disks: ${item.disks.map((d) => d.name).join(', ')}); fix disks in the plan and run onboard again`
    : undefined;
}

function details(steps: OnboardingSteps, tenant: TenantSpec, vms: Map<string, VmProgress>): string {
  const action = steps.operatorAction ? ['', `**Next for the operator:** ${steps.operatorAction}`] : [];
  return renderDetails(`Onboarding ${tenant.name}`, steps.steps, [...action, ...vmTable([...vms.values()])]);
}

/** A selection larger than asrflow is measured to run waits for the operator (NeedsOperator). */
export function refuseOversizedSelection(count: number, cloud: string): void {
  if (count <= VM_LIMITS.perTenant) return;
  const message = `${count} VMs of cloud ${cloud} are selected: asrflow protects at most ${VM_LIMITS.perTenant} VMs per tenant`;
  throw ApplicationFailure.create({
    type: FailureType.NeedsOperator,
    nonRetryable: true,
    message,
    details: [
      {
        message,
        type: FailureType.NeedsOperator,
        fix: `exclude VMs (vms.exclude) or split them over tenant entries of at most ${VM_LIMITS.perTenant}, then retry`,
      },
    ],
  });
}

/** Past this many VMs the details show counts by state and only the VMs not protected yet. */
const FULL_TABLE_VMS = 50;

/**
 * The VMs as a fixed-width block with drawn bars: the Temporal UI renders Markdown tables
 * without cell padding, which runs the columns together.
 */
function vmTable(all: VmProgress[]): string[] {
  if (all.length === 0) return [];
  let vms = all;
  const summary: string[] = [];
  if (all.length > FULL_TABLE_VMS) {
    const counts = new Map<string, number>();
    for (const v of all) counts.set(v.state, (counts.get(v.state) ?? 0) + 1);
    const open = all.filter((v) => v.state !== 'protected');
    // Those waiting for a person first: they are what the operator opens the details for.
    open.sort((a, b) => Number(b.state === 'waiting-for-operator') - Number(a.state === 'waiting-for-operator'));
    vms = open.slice(0, FULL_TABLE_VMS);
    summary.push(
      '',
      `${all.length} VMs: ${[...counts].map(([state, n]) => `${n} ${state}`).join(', ')}.`,
      ...(open.length > vms.length ? [`The first ${vms.length} of ${open.length} VMs not protected yet:`] : []),
    );
    if (vms.length === 0) return summary;
  }
  const bar = (pct: number) =>
    `${'█'.repeat(Math.round(pct / 5))}${'░'.repeat(20 - Math.round(pct / 5))} ${pct.toFixed(0)} %`;
  const rows = vms.map((v) => [
    v.name,
    v.state,
    v.replicationPercent !== undefined ? bar(Math.max(0, Math.min(100, v.replicationPercent))) : '',
    v.reason ?? '',
  ]);
  const header = ['VM', 'state', 'replication', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [...summary, '', '```', line(header), ...rows.map(line), '```'];
}
