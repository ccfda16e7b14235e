import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  foreignNetworkProblem,
  KIND_TITLES,
  vmNameProblem,
  type DrillRecord,
  type FailoverInput,
  type FailoverKind,
  type FailoverOptions,
  type PlanDrillRecord,
  type TenantScope,
} from '../contract';
import type { Plan } from '../../domain/plan/types';
import { testNetworkIdOf, vaultTargetOf } from '../../domain/targets';
import { cloudsLabel } from '../../domain/vmm-placement';
import { AsrKind, AsrScenario, AsrTenant, AsrVm } from '../../temporal/workflow/search-attributes';
import { workflowIds } from '../../temporal/workflow/workflow-ids';
// Started by reference: the arguments and the result (the drill record) are typed end to end.
import { failoverWorkflow } from '../workflows/failover';

/** The plan does not know the tenant (or the CLI got something else wrong): exit code 2. */
export class FailoverInputError extends Error {
  override name = 'FailoverInputError';
}

/** A failover of this VM already runs: the second one is refused. */
export class FailoverConflictError extends Error {
  override name = 'FailoverConflictError';
  constructor(
    message: string,
    readonly workflowId: string,
    readonly runningKind?: string,
  ) {
    super(message);
  }
}

/** Builds the secret-free workflow input from the plan: tenant, vault, principal reference, test VNet. */
export function failoverInputFromPlan(
  plan: Plan,
  tenantName: string,
  vm: string,
  kind: FailoverKind,
  options: FailoverOptions,
): FailoverInput {
  const tenant = plan.tenants.find((t) => t.name === tenantName);
  if (!tenant)
    throw new FailoverInputError(
      `tenant '${tenantName}' is not in the plan; tenants: ${plan.tenants.map((t) => t.name).join(', ')}`,
    );
  const badName = vmNameProblem(vm);
  if (badName)
    throw new FailoverInputError(`--vm: ${badName}. Give the VM's name as VMM shows it in ${cloudsLabel(tenant.vmm)}.`);
  const v = tenant.vault;
  const scope: TenantScope = {
    subscriptionId: tenant.subscriptionId,
    vmmServer: tenant.vmm.server,
    cloud: tenant.vmm.cloud,
    ...(tenant.vmm.clouds ? { clouds: [...tenant.vmm.clouds] } : {}),
    principal: { tenantId: tenant.tenantId, credential: tenant.credential },
  };
  // The VM's own VNet's test network, when the plan puts it in one of the tenant's `networks`.
  const listed = tenant.vms.include === 'all' ? [] : tenant.vms.include;
  const vnet = listed.find((v) => v.name.toLowerCase() === vm.toLowerCase())?.vnet;
  const testNetworkId = options.testNetworkId ?? testNetworkIdOf(tenant, vnet);
  // Checked here for a clear message before anything starts; the workflow's preflight checks
  // it again, since a workflow can be started by other means than this CLI.
  const foreign = kind === 'test' ? foreignNetworkProblem('--test-network:', testNetworkId, scope) : undefined;
  if (foreign)
    throw new FailoverInputError(
      `${foreign}. A test failover of tenant ${tenant.name} may only use a VNet of its own subscription; leave --test-network out to use the plan's ${testNetworkIdOf(tenant, vnet).split('/').pop() ?? ''}.`,
    );
  return {
    tenant: tenant.name,
    scenario: plan.scenario,
    vm,
    kind,
    vault: vaultTargetOf(v),
    scope,
    options: { ...options, ...(kind === 'test' ? { testNetworkId } : {}) },
  };
}

/**
 * Starts the failover workflow of one VM. The workflow id is the VM's, and a running one makes
 * the start fail: the error names the running workflow and what it does.
 */
export async function startFailover(
  client: Client,
  input: FailoverInput,
  taskQueue: string,
): Promise<WorkflowHandle<typeof failoverWorkflow>> {
  const workflowId = workflowIds.failover(input.tenant, input.vm);
  try {
    return await client.workflow.start(failoverWorkflow, {
      taskQueue,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      staticSummary: `${KIND_TITLES[input.kind]} of ${input.vm} (${input.tenant})`,
      staticDetails: failoverDetails(input),
      memo: { failoverKind: input.kind },
      typedSearchAttributes: [
        { key: AsrKind, value: 'failover' },
        { key: AsrTenant, value: input.tenant },
        { key: AsrVm, value: input.vm },
        { key: AsrScenario, value: input.scenario },
      ],
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    let running: string | undefined;
    let since = '';
    try {
      const description = await client.workflow.getHandle(workflowId).describe();
      running = typeof description.memo?.failoverKind === 'string' ? description.memo.failoverKind : undefined;
      since = ` since ${description.startTime.toISOString()}`;
    } catch {
      // The message without the kind is still clear.
    }
    const what = running && running in KIND_TITLES ? KIND_TITLES[running as FailoverKind].toLowerCase() : 'failover';
    throw new FailoverConflictError(
      `refused: a ${what} of ${input.vm} (${input.tenant}) is already running as workflow ${workflowId}${since}; one failover per VM at a time. ` +
        (running === 'test'
          ? `Finish it with 'asrflow failover cleanup --tenant ${input.tenant} --vm ${input.vm}'.`
          : 'Wait for it to finish, or look at it with the Temporal UI.'),
      workflowId,
      running,
    );
  }
}

/** The running test failover of a VM, if there is one (for `cleanup`). */
export async function runningTestFailover(
  client: Client,
  tenant: string,
  vm: string,
): Promise<WorkflowHandle<typeof failoverWorkflow> | undefined> {
  const handle = client.workflow.getHandle<typeof failoverWorkflow>(workflowIds.failover(tenant, vm));
  try {
    const d = await handle.describe();
    return d.status.name === 'RUNNING' && d.memo?.failoverKind === 'test' ? handle : undefined;
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

/** Every finished failover (drill) through visibility, oldest first. */
export async function collectDrills(client: Client, tenant?: string): Promise<DrillRecord[]> {
  const filters = [`AsrKind = 'failover'`, `ExecutionStatus = 'Completed'`];
  if (tenant) filters.push(`AsrTenant = '${tenant.replace(/'/g, "''")}'`);
  const records: DrillRecord[] = [];
  for await (const execution of client.workflow.list({ query: filters.join(' AND ') })) {
    records.push(
      await client.workflow.getHandle<typeof failoverWorkflow>(execution.workflowId, execution.runId).result(),
    );
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

const cell = (value: string | number | undefined): string =>
  value === undefined ? '—' : String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const row = (cells: Array<string | number | undefined>): string =>
  `|${cells.map((c) => (cell(c) === '' ? ' ' : ` ${cell(c)} `)).join('|')}|`;
const table = (header: string[], rows: Array<Array<string | number | undefined>>): string[] => [
  `| ${header.join(' | ')} |`,
  `|${header.map(() => '---').join('|')}|`,
  ...rows.map(row),
];

// Two clocks meet in a drill record: when the workflow started is the worker's clock (as
// Temporal recorded it); jobs, tasks and recovery points are Site Recovery's, and RTO and RPO
// are measured on that clock alone. Each column holds one clock and says which.
const jobLabel = (job: { scenarioName?: string; jobName: string }): string =>
  `${job.scenarioName ? `${job.scenarioName} ` : ''}${job.jobName}`;

const WF = 'workflow clock';
const SR = 'Site Recovery clock';

/**
 * The drill report as Markdown: one section per tenant, one row per failover, then each drill's
 * job tasks and, in a table of their own, the jobs' errors (every row has its header's columns).
 */
export function renderDrillReport(
  records: DrillRecord[],
  generatedAt = new Date().toISOString(),
  plans: PlanDrillRecord[] = [],
): string {
  const lines = [
    '# asrflow failover drill report',
    '',
    `Generated ${generatedAt}. Times are UTC; each time column names its clock: "${WF}" is the worker's, as Temporal recorded it; "${SR}" is Azure Site Recovery's (jobs, tasks, recovery points). ` +
      'RTO: failover job start → the VM runs in the recovery site. RPO: age of the recovery point used when the failover job started. Both are measured on the Site Recovery clock.',
  ];
  if (records.length === 0 && plans.length === 0) return [...lines, '', 'No finished failovers found.'].join('\n');
  const tenants = [...new Set([...records, ...plans].map((r) => r.tenant))].sort();
  for (const tenant of tenants) {
    const mine = records.filter((r) => r.tenant === tenant);
    lines.push('', `## Tenant ${tenant}`);
    lines.push(...planSections(plans.filter((r) => r.tenant === tenant)));
    if (mine.length === 0) continue;
    lines.push(
      '',
      '### Single VMs',
      '',
      ...table(
        [
          'VM',
          'kind',
          `started (${WF})`,
          'outcome',
          'RTO (s)',
          `recovery point (${SR})`,
          'RPO (s)',
          `cleanup (${SR})`,
          'workflow',
        ],
        mine.map((r) => [
          r.vm,
          r.kind,
          r.startedAt,
          `${r.outcome}${r.reason ? `: ${r.reason}` : ''}`,
          r.rto?.seconds,
          r.rpo?.recoveryPointTime,
          r.rpo?.ageSeconds,
          r.cleanup ? `${r.cleanup.by}${r.cleanup.at ? ` ${r.cleanup.at}` : ''}` : undefined,
          r.workflowId,
        ]),
      ),
    );
    for (const r of mine.filter((x) => x.jobs.length > 0)) {
      lines.push('', `#### ${r.vm}: ${KIND_TITLES[r.kind]} started ${r.startedAt} (${WF})`, '');
      if (r.preflight)
        lines.push(
          `Preflight: ${r.preflight.ok ? 'passed' : `refused (${r.preflight.refusals.join('; ')})`}${r.preflight.warnings.length ? `; warnings: ${r.preflight.warnings.join('; ')}` : ''}.`,
          '',
        );
      const cameUp = comesUpAs(r);
      if (cameUp) lines.push(`Comes up as: ${cameUp}.`, '');
      const tasks: Array<Array<string | number | undefined>> = [];
      for (const job of r.jobs) {
        tasks.push([jobLabel(job), '(job)', job.state, job.startTime, job.endTime]);
        for (const t of job.tasks) tasks.push(['', t.title, t.state, t.startTime, t.endTime]);
      }
      lines.push(...table(['job', 'task', 'state', `start (${SR})`, `end (${SR})`], tasks));
      const errors = r.jobs.flatMap((job) =>
        job.errors.map((e) => [jobLabel(job), e.code, e.message, e.possibleCauses, e.recommendedAction]),
      );
      if (errors.length > 0)
        lines.push('', ...table(['job', 'error code', 'message', 'possible causes', 'recommended action'], errors));
    }
  }
  return lines.join('\n');
}

const seconds = (
  value: number | undefined,
  target: number | undefined,
  met: boolean | undefined,
): string | undefined =>
  value === undefined
    ? undefined
    : `${value}${target !== undefined ? ` (target ${target}: ${met ? 'met' : 'missed'})` : ''}`;

/**
 * The recovery plans' section of a tenant: one row per plan failover with its RTO and worst RPO
 * against the plan's targets, then per failover each VM (group, times, recovery point and age)
 * and each manual action with who continued it and when.
 */
function planSections(plans: PlanDrillRecord[]): string[] {
  if (plans.length === 0) return [];
  const lines = [
    '',
    '### Recovery plans',
    '',
    "Plan RTO: the plan's job start → the last VM running, manual actions included. RPO: the oldest recovery point any VM of the plan came up from.",
    '',
    ...table(
      [
        'plan',
        'kind',
        `started (${WF})`,
        'outcome',
        'RTO (s)',
        'worst RPO (s)',
        'manual actions',
        'cleanup',
        'workflow',
      ],
      plans.map((r) => [
        r.plan,
        r.kind,
        r.startedAt,
        `${r.outcome}${r.reason ? `: ${r.reason}` : ''}`,
        seconds(r.rto?.seconds, r.rto?.targetSeconds, r.rto?.met),
        seconds(r.rpo?.worstSeconds, r.rpo?.targetSeconds, r.rpo?.met),
        r.manualActions.length,
        r.cleanup ? `${r.cleanup.by}${r.cleanup.at ? ` ${r.cleanup.at}` : ''}` : undefined,
        r.workflowId,
      ]),
    ),
  ];
  for (const r of plans.filter((x) => x.jobs.length > 0)) {
    lines.push(
      '',
      `#### Recovery plan ${r.plan}: ${r.kind} started ${r.startedAt} (${WF})`,
      '',
      ...table(
        ['group', 'VM', `started (${SR})`, `running (${SR})`, `recovery point (${SR})`, 'RPO (s)'],
        r.vms.map((v) => [v.group, v.vm, v.startedAt, v.endedAt, v.rpo?.recoveryPointTime, v.rpo?.ageSeconds]),
      ),
    );
    if (r.manualActions.length > 0)
      lines.push(
        '',
        ...table(
          ['group', 'manual action', 'text', 'continued by', `at (${WF})`],
          r.manualActions.map((m) => [m.group, m.when, m.text, m.by, m.at]),
        ),
      );
    const errors = r.jobs.flatMap((job) =>
      job.errors.map((e) => [jobLabel(job), e.code, e.message, e.possibleCauses, e.recommendedAction]),
    );
    if (errors.length > 0)
      lines.push('', ...table(['job', 'error code', 'message', 'possible causes', 'recommended action'], errors));
  }
  return lines;
}

/** The settings the VM came up with, in one line of the report. */
function comesUpAs(r: DrillRecord): string | undefined {
  const s = r.itemState?.settings;
  if (!s) return undefined;
  const test = r.kind === 'test';
  const nics = s.nics.map((n, i) => {
    const subnet = test ? n.testSubnet : n.subnet;
    const ip = test ? n.testIp : n.ip;
    return `NIC ${i + 1} ${subnet ?? 'default subnet'} ${ip ? `${ip} (static)` : '(dynamic)'}`;
  });
  return [
    s.azureName ? `name ${s.azureName}${test ? ' (test VM: -test)' : ''}` : undefined,
    s.vmSize ? `size ${s.vmSize}` : undefined,
    ...nics,
    s.licenseType && s.licenseType !== 'NoLicenseType' ? `licence ${s.licenseType}` : undefined,
    s.sqlServerLicenseType && s.sqlServerLicenseType !== 'NoLicenseType' ? `SQL ${s.sqlServerLicenseType}` : undefined,
    s.zone ? `zone ${s.zone}` : undefined,
    s.availabilitySetId ? `availability set ${s.availabilitySetId.split('/').pop() ?? ''}` : undefined,
    s.tags && Object.keys(s.tags).length > 0
      ? `tags ${Object.entries(s.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`
      : undefined,
  ]
    .filter((x): x is string => x !== undefined)
    .join('; ');
}

/** What a failover was asked to do, as the Temporal UI shows it under "Details" (Markdown, no JSON). */
export function failoverDetails(input: FailoverInput): string {
  const o = input.options;
  const lines = [
    `- **Tenant** ${input.tenant}: cloud ${input.scope.cloud} on ${input.scope.vmmServer}, subscription ${input.scope.subscriptionId}`,
    `- **Vault** ${input.vault.vault} in ${input.vault.resourceGroup}`,
    ...(o.testNetworkId ? [`- **Test network** ${o.testNetworkId}`] : []),
    ...(o.recoveryPointId ? [`- **Recovery point** ${o.recoveryPointId}`] : []),
    ...(o.cleanupAfter ? [`- **Cleanup** by itself after ${o.cleanupAfter}`] : []),
    ...(o.dataSyncOption ? [`- **Data synchronization** ${o.dataSyncOption}`] : []),
    ...(o.sourceSiteOperations ? ['- **Source site** shut down first'] : []),
    ...(o.confirmed ? ['- **Confirmed** by the operator (--yes)'] : []),
    ...(o.force ? ['- **Forced** past a Critical replication health (--force)'] : []),
  ];
  return lines.join('\n');
}
