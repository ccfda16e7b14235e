import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import {
  canonicalJson,
  DEFAULT_BATCHING,
  ONBOARDING_CONTRACT_VERSION,
  type ProtectBatching,
  replanUpdate,
  tenantPlanQuery,
  tenantChanges,
  type ReplanResult,
  type TenantChange,
  type SharedVaultInput,
  type TenantOnboardingInput,
  type NetworkSpec,
  type TenantSpec,
  type VaultTarget,
  type VmSpec,
} from './contract';
// Started by reference: arguments are typed against the workflow functions themselves.
import { sharedVaultWorkflow } from './workflows/shared-vault';
import { tenantOnboardingWorkflow } from './workflows/tenant-onboarding';
import type { NetworkPlan, Plan, SubnetSpec, TenantPlan, VmTarget } from '../domain/plan/types';
import { defined } from '../domain/defined';
import { allVmNetworksOf, networksOf } from '../domain/tenant-networks';
import { cloudsLabel } from '../domain/vmm-placement';
import { AsrKind, AsrScenario, AsrTenant } from '../temporal/workflow/search-attributes';
import { workflowIds } from '../temporal/workflow/workflow-ids';

export type StartOutcome =
  | 'started'
  | 'restarted'
  | 'running'
  | 'replanned'
  | 'replan-refused'
  | 'completed'
  | 'reconciling'
  | 'reconcile-refused';

export interface StartedWorkflow {
  workflowId: string;
  kind: 'shared-vault' | 'tenant-onboarding';
  tenant?: string;
  outcome: StartOutcome;
  runId?: string;
  /** 'replanned': what the running workflow took over; 'replan-refused': why it did not. */
  replan?: ReplanResult;
  refusal?: string;
  /** 'reconciling' / 'reconcile-refused': how the plan differs from the one the tenant was onboarded with. */
  changes?: TenantChange[];
}

export type OnboardingStart = {
  workflowId: string;
  tenant?: string;
  summary: string;
  /** What the plan asked for, as the Temporal UI shows under "Details" (Markdown). */
  details: string;
} & (
  | { kind: 'shared-vault'; workflow: typeof sharedVaultWorkflow; args: [SharedVaultInput] }
  | { kind: 'tenant-onboarding'; workflow: typeof tenantOnboardingWorkflow; args: [TenantOnboardingInput] }
);

export interface StartOptions {
  /** VM protection batches of new tenant onboardings; the workflow's defaults when absent. */
  batching?: ProtectBatching;
}

/**
 * ASRFLOW_PROTECT_WINDOW (VMs protected at once per tenant) and ASRFLOW_PROTECT_PER_RUN (VMs per
 * run of a tenant's workflow before it continues as new), for hosters who tune them; unset, the
 * workflow's defaults (DEFAULT_BATCHING) apply.
 */
export function batchingFromEnv(env: NodeJS.ProcessEnv): ProtectBatching | undefined {
  const read = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > MAX_PER_RUN)
      throw new Error(
        `${name} must be a whole number from 1 to ${MAX_PER_RUN}: got '${raw}'; unset it for the default`,
      );
    return n;
  };
  if (!env.ASRFLOW_PROTECT_WINDOW && !env.ASRFLOW_PROTECT_PER_RUN) return undefined;
  const perRun = read('ASRFLOW_PROTECT_PER_RUN', DEFAULT_BATCHING.perRun);
  return { window: Math.min(read('ASRFLOW_PROTECT_WINDOW', DEFAULT_BATCHING.window), perRun), perRun };
}

/** Above this, one run's history and pending VM workflows near Temporal's limits. */
const MAX_PER_RUN = 1_500;

/** The workflows a plan asks for, with deterministic ids. Pure, so it is easy to test. */
export function plannedWorkflows(plan: Plan, options: StartOptions = {}): OnboardingStart[] {
  const starts: OnboardingStart[] = [];
  let shared: (VaultTarget & { vmmServer: string }) | undefined;
  if (plan.scenario === 'multitenant-vmm') {
    const p = plan.provider;
    shared = {
      principal: { tenantId: p.tenantId, credential: p.credential },
      subscriptionId: p.subscriptionId,
      resourceGroup: p.resourceGroup,
      vault: p.vault,
      region: p.region,
      vmmServer: p.vmmServer,
    };
    starts.push({
      workflowId: workflowIds.sharedVault(p.subscriptionId, p.vault),
      workflow: sharedVaultWorkflow,
      kind: 'shared-vault',
      args: [{ target: shared, vmmServer: p.vmmServer }],
      summary: `Shared vault ${p.vault} and VMM ${p.vmmServer}`,
      details: [
        `- **Vault** ${p.vault} in ${p.resourceGroup}, ${p.region}`,
        `- **Subscription** ${p.subscriptionId} (tenant ${p.tenantId})`,
        `- **VMM server** ${p.vmmServer}, shared by ${plan.tenants.map((t) => t.name).join(', ')}`,
      ].join('\n'),
    });
  }
  for (const tenant of plan.tenants) {
    starts.push({
      workflowId: workflowIds.tenantOnboarding(tenant.name),
      workflow: tenantOnboardingWorkflow,
      kind: 'tenant-onboarding',
      tenant: tenant.name,
      args: [
        {
          version: ONBOARDING_CONTRACT_VERSION,
          scenario: plan.scenario,
          tenant: tenantSpec(tenant),
          ...(shared ? { sharedVault: shared } : {}),
          // Written into the input, so a later release's defaults never change a run in flight.
          batching: options.batching ?? DEFAULT_BATCHING,
        },
      ],
      summary: `Onboard ${tenant.name} (${plan.scenario})`,
      details: tenantDetails(tenant, plan.scenario),
    });
  }
  return starts;
}

const subnets = (list: SubnetSpec[]) => list.map(({ name, prefix }) => ({ name, prefix }));
const withSize = (vmSize: string | undefined) => (vmSize === undefined ? {} : { vmSize });
/** Only the fields that are set, so a plan without per-VM settings yields the shape it always had. */
const present = defined;

function networkSpec(n: NetworkPlan): NetworkSpec {
  return {
    vnet: n.vnet,
    ...(n.resourceGroup !== undefined ? { resourceGroup: n.resourceGroup } : {}),
    ...(n.existing ? { existing: true } : {}),
    addressSpace: [...n.addressSpace],
    subnets: subnets(n.subnets),
    testFailoverVnet: {
      name: n.testFailoverVnet.name,
      addressSpace: [...n.testFailoverVnet.addressSpace],
      subnets: subnets(n.testFailoverVnet.subnets),
    },
  };
}

function vmSpec(v: VmTarget): VmSpec {
  return present({
    name: v.name,
    subnet: v.subnet,
    vmSize: v.vmSize,
    azureName: v.azureName,
    vnet: v.vnet,
    nics: v.nics?.map((n) => present({ subnet: n.subnet, ip: n.ip, testIp: n.testIp })),
    licenseType: v.licenseType,
    sqlServerLicenseType: v.sqlServerLicenseType,
    disks: v.disks ? present({ exclude: [...v.disks.exclude], os: v.disks.os }) : undefined,
    zone: v.zone,
    availabilitySet: v.availabilitySet,
    tags: v.tags ? { ...v.tags } : undefined,
  });
}

/**
 * The plan's tenant, as the onboarding contract carries it: copied field by field, so a field
 * added to the plan document reaches workflow histories only when the contract adds it too.
 */
export function tenantSpec(t: TenantPlan): TenantSpec {
  return {
    name: t.name,
    tenantId: t.tenantId,
    subscriptionId: t.subscriptionId,
    credential: t.credential,
    region: t.region,
    resourceGroup: t.resourceGroup,
    vault: { ...t.vault },
    storageAccount: { name: t.storageAccount.name, sku: t.storageAccount.sku },
    network: networkSpec(t.network),
    ...(t.networks ? { networks: t.networks.map((m) => ({ ...networkSpec(m), vmNetworks: [...m.vmNetworks] })) } : {}),
    vmm: present({
      server: t.vmm.server,
      cloud: t.vmm.cloud,
      vmNetwork: t.vmm.vmNetwork,
      clouds: t.vmm.clouds ? [...t.vmm.clouds] : undefined,
      vmNetworks: t.vmm.vmNetworks ? [...t.vmm.vmNetworks] : undefined,
    }),
    vms:
      t.vms.include === 'all'
        ? { include: 'all', exclude: [...t.vms.exclude], subnet: t.vms.subnet, ...withSize(t.vms.vmSize) }
        : { include: t.vms.include.map(vmSpec) },
    ...(t.recoveryPlans
      ? {
          recoveryPlans: t.recoveryPlans.map((p) =>
            present({
              name: p.name,
              rtoSeconds: p.rtoSeconds,
              rpoSeconds: p.rpoSeconds,
              groups: p.groups.map((g) => present({ vms: [...g.vms], before: g.before, after: g.after })),
            }),
          ),
        }
      : {}),
    policy: { ...t.policy },
    target: present({
      managedDisks: t.target.managedDisks,
      vmSize: t.target.vmSize,
      licenseType: t.target.licenseType,
      sqlServerLicenseType: t.target.sqlServerLicenseType,
      tags: t.target.tags ? { ...t.target.tags } : undefined,
    }),
  };
}

function tenantDetails(tenant: TenantPlan, scenario: Plan['scenario']): string {
  const vms =
    tenant.vms.include === 'all'
      ? `all of ${cloudsLabel(tenant.vmm)}${tenant.vms.exclude.length ? ` except ${tenant.vms.exclude.join(', ')}` : ''}`
      : tenant.vms.include.map((v) => v.name).join(', ');
  const p = tenant.policy;
  return [
    `- **Subscription** ${tenant.subscriptionId} (tenant ${tenant.tenantId}), region ${tenant.region}`,
    `- **Vault** ${tenant.vault.name}${scenario === 'multitenant-vmm' ? ' (shared)' : ''}; storage ${tenant.storageAccount.name} (${tenant.storageAccount.sku})`,
    `- **VMM** ${tenant.vmm.server}, ${cloudsLabel(tenant.vmm)}, VM network${allVmNetworksOf(tenant).length > 1 ? 's' : ''} ${networksOf(
      tenant,
    )
      .map((n) => `${n.vmNetworks.join(', ')} → ${n.network.vnet}`)
      .join('; ')}`,
    `- **VMs** ${vms}`,
    `- **Policy** every ${p.replicationInterval} s, ${p.recoveryPointHistoryHours} h of recovery points, app-consistent every ${p.appConsistentFrequencyHours} h`,
  ].join('\n');
}

/**
 * Starts what the plan asks for, idempotently: a running workflow is joined, a completed one is
 * left alone (never redone), a failed or terminated one is started again.
 */
export async function startOnboarding(
  client: Client,
  plan: Plan,
  taskQueue: string,
  options: StartOptions = {},
): Promise<StartedWorkflow[]> {
  const results: StartedWorkflow[] = [];
  for (const start of plannedWorkflows(plan, options)) {
    const previous = await describeIfExists(client.workflow.getHandle(start.workflowId));
    const base = { workflowId: start.workflowId, kind: start.kind, ...(start.tenant ? { tenant: start.tenant } : {}) };
    if (previous === 'RUNNING' && start.kind === 'tenant-onboarding') {
      results.push({
        ...base,
        ...(await replanIfChanged(client.workflow.getHandle(start.workflowId), start.args[0].tenant)),
      });
      continue;
    }
    let reuse: 'ALLOW_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' = 'ALLOW_DUPLICATE_FAILED_ONLY';
    let changes: TenantChange[] | undefined;
    let previousVms: VmSpec[] = [];
    if (previous === 'COMPLETED' && start.kind === 'tenant-onboarding') {
      // A tenant onboarded with another plan: a new run brings Azure to this one.
      const last = await lastOnboardedSpec(client.workflow.getHandle(start.workflowId));
      changes = last ? tenantChanges(last, start.args[0].tenant) : [];
      previousVms = last ? changedVms(last, start.args[0].tenant) : [];
      if (changes.some((c) => c.action === 'refused')) {
        results.push({ ...base, outcome: 'reconcile-refused', changes });
        continue;
      }
      if (changes.some((c) => c.action === 'applied')) reuse = 'ALLOW_DUPLICATE';
      else changes = changes.length > 0 ? changes : undefined;
    }
    if (previous === 'RUNNING' || (previous === 'COMPLETED' && reuse !== 'ALLOW_DUPLICATE')) {
      results.push({
        ...base,
        outcome: previous === 'RUNNING' ? 'running' : 'completed',
        ...(changes ? { changes } : {}),
      });
      continue;
    }
    const options = {
      taskQueue,
      workflowId: start.workflowId,
      // A race with another `onboard` joins instead of failing; a completed run is not redone.
      workflowIdConflictPolicy: 'USE_EXISTING' as const,
      workflowIdReusePolicy: reuse,
      staticSummary: start.summary,
      staticDetails: start.details,
      typedSearchAttributes: [
        { key: AsrKind, value: start.kind },
        { key: AsrScenario, value: plan.scenario },
        ...(start.tenant ? [{ key: AsrTenant, value: start.tenant }] : []),
      ],
    };
    const handle =
      start.kind === 'shared-vault'
        ? await client.workflow.start(start.workflow, { ...options, args: start.args })
        : await client.workflow.start(start.workflow, {
            ...options,
            args: previousVms.length > 0 ? [{ ...start.args[0], previousVms }] : start.args,
          });
    const outcome: StartOutcome = changes ? 'reconciling' : previous ? 'restarted' : 'started';
    results.push({ ...base, outcome, runId: handle.firstExecutionRunId, ...(changes ? { changes } : {}) });
  }
  return results;
}

/**
 * A running onboarding whose plan was corrected (e.g. a policy value Azure refused) takes the
 * new plan through the validated `replan` update; a waiting step that used a changed value is
 * retried with it. Unchanged: joined as before.
 */
async function replanIfChanged(
  handle: WorkflowHandle,
  tenant: TenantSpec,
): Promise<Pick<StartedWorkflow, 'outcome' | 'replan' | 'refusal'>> {
  // A run started before this query existed cannot take a new plan: it is just joined.
  const current = await handle.query(tenantPlanQuery).catch(() => undefined);
  if (!current || canonicalJson(current) === canonicalJson(tenant)) return { outcome: 'running' };
  try {
    return { outcome: 'replanned', replan: await handle.executeUpdate(replanUpdate, { args: [tenant] }) };
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError)
      return { outcome: 'replan-refused', refusal: error.cause?.message ?? error.message };
    throw error;
  }
}

/**
 * How `tenant` differs from the plan the tenant's last onboarding ran with (its `tenantPlan`
 * query; a run from before the query existed is read from its start input).
 */
export async function changesSinceOnboarded(handle: WorkflowHandle, tenant: TenantSpec): Promise<TenantChange[]> {
  const last = await lastOnboardedSpec(handle);
  return last ? tenantChanges(last, tenant) : [];
}

async function lastOnboardedSpec(handle: WorkflowHandle): Promise<TenantSpec | undefined> {
  return (await handle.query(tenantPlanQuery).catch(() => undefined)) ?? (await startInput(handle))?.tenant;
}

/** The listed VMs whose settings `next` changes, as `last` had them. */
function changedVms(last: TenantSpec, next: TenantSpec): VmSpec[] {
  if (last.vms.include === 'all' || next.vms.include === 'all') return [];
  const after = new Map(next.vms.include.map((v) => [v.name.toLowerCase(), v]));
  return last.vms.include.filter((v) => {
    const now = after.get(v.name.toLowerCase());
    return now !== undefined && canonicalJson(now) !== canonicalJson(v);
  });
}

async function startInput(handle: WorkflowHandle): Promise<TenantOnboardingInput | undefined> {
  const history = await handle.fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const data = payload?.data;
  if (!data) return undefined;
  return JSON.parse(Buffer.from(data).toString('utf8')) as TenantOnboardingInput;
}

/** The status of a workflow's latest run, or undefined when none ran under its id. */
export async function describeIfExists(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    return (await handle.describe()).status.name;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

export function workflowUiUrl(uiBase: string | undefined, namespace: string, workflowId: string): string | undefined {
  if (!uiBase) return undefined;
  return `${uiBase.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
