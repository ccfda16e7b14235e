import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type QueryDefinition,
  type WorkflowHandle,
} from '@temporalio/client';
import { Option, type Command } from 'commander';
import {
  cleanupUpdate,
  continueUpdate,
  failoverRecordQuery,
  PLAN_FAILOVER_KINDS,
  PLAN_KIND_TITLES,
  PLAN_NEEDS_CONFIRMATION,
  planRecordQuery,
  type PlanDrillRecord,
  type PlanFailoverKind,
  type SiteFailoverRecord,
  KIND_TITLES,
  NEEDS_CONFIRMATION,
  vmNameProblem,
  type DrillRecord,
  type FailoverKind,
  type FailoverOptions,
} from '../failover/contract';
import { readPlan } from './plan-file';
import { progressQuery, type Progress } from '../temporal/workflow/progress';
import { workflowIds } from '../temporal/workflow/workflow-ids';
import { EXIT, ExitCode } from './exit-codes';
import { requireKnownTenant } from './known';
import { connectionOptions, sendOperatorDecision, uiUrl, withClient, type ConnectionFlags } from './connect';
import {
  collectDrills,
  FailoverConflictError,
  FailoverInputError,
  failoverInputFromPlan,
  renderDrillReport,
  runningTestFailover,
  startFailover,
} from '../failover/start';
import {
  collectPlanDrills,
  planFailoverInputFromPlan,
  runningPlanFailoverOf,
  runningPlanTestFailover,
  startPlanFailover,
} from '../failover/start/recovery-plans';
import {
  DEFAULT_SITE_CONCURRENCY,
  siteFailoverInputFromPlan,
  startSiteFailover,
  tenantsOfSite,
} from '../failover/start/site';

interface FailoverFlags extends ConnectionFlags {
  tenant: string;
  vm: string;
  recoveryPlan?: string;
  site?: string;
  concurrency?: string;
  plan?: string;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
  wait?: boolean;
  cleanupAfter?: string;
  testNetwork?: string;
  recoveryPoint?: string;
  sourceSiteOperations?: boolean;
  dataSync?: 'ForDownTime' | 'ForSynchronization';
}

/** What each kind does, in the words the refusal without --yes uses. */
const CONSEQUENCES: Partial<Record<FailoverKind, string>> = {
  planned: 'shut down the source VM, synchronize its latest data and start it in Azure (production moves to Azure)',
  unplanned: 'start the VM in Azure from its latest recovery point; data written after that point is lost',
  failback:
    'synchronize the VM back to the on-premises site, shut down the Azure VM, start the on-premises VM, commit, and replicate to Azure again',
};

/** Waits until the workflow is past its preflight (or finished), so a refusal reaches the terminal. */
async function awaitPreflight<R = DrillRecord>(
  handle: WorkflowHandle,
  recordQuery: QueryDefinition<R> = failoverRecordQuery as unknown as QueryDefinition<R>,
  timeoutMs = 60_000,
): Promise<{ progress?: Progress; record?: R }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') {
      try {
        return { record: (await handle.result()) as R };
      } catch {
        return {};
      }
    }
    try {
      const progress = await handle.query(progressQuery);
      const preflight = progress.steps.find((s) => s.name === 'preflight');
      if (preflight?.state === 'done' || progress.steps.some((s) => s.state === 'waiting-for-operator'))
        return { progress, record: await handle.query(recordQuery) };
    } catch {
      // No worker has answered yet.
    }
    if (Date.now() > deadline) return {};
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

function printRecord(record: DrillRecord): void {
  console.log(
    `${KIND_TITLES[record.kind]} of ${record.vm} (${record.tenant}): ${record.outcome}${record.reason ? ` — ${record.reason}` : ''}`,
  );
  if (record.preflight?.recoveryPointAgeSeconds !== undefined)
    console.log(`  latest recovery point at preflight: ${record.preflight.recoveryPointAgeSeconds} s old`);
  for (const w of record.preflight?.warnings ?? []) console.log(`  warning: ${w}`);
  if (record.rto) console.log(`  measured RTO: ${record.rto.seconds} s`);
  if (record.rpo)
    console.log(`  recovery point: ${record.rpo.recoveryPointTime} (${record.rpo.ageSeconds} s old at failover)`);
}

/** The failover options the flags give (each only when set). */
function optionsOf(opts: FailoverFlags): FailoverOptions {
  return {
    ...(opts.yes ? { confirmed: true } : {}),
    ...(opts.force ? { force: true } : {}),
    ...(opts.cleanupAfter ? { cleanupAfter: opts.cleanupAfter } : {}),
    ...(opts.testNetwork ? { testNetworkId: opts.testNetwork } : {}),
    ...(opts.recoveryPoint ? { recoveryPointId: opts.recoveryPoint } : {}),
    ...(opts.sourceSiteOperations ? { sourceSiteOperations: true } : {}),
    ...(opts.dataSync ? { dataSyncOption: opts.dataSync } : {}),
  };
}

/** A workflow input from the plan; a plan that does not know what the flags name is exit 2. */
function inputOrExit<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof FailoverInputError) {
      console.error(`asrflow: ${error.message}`);
      throw new ExitCode(EXIT.badInput);
    }
    throw error;
  }
}

/** Starts a workflow; one that already runs (or a guard) refuses it with exit 1. */
async function startOrExit<T>(start: () => Promise<T>, json?: boolean): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof FailoverConflictError) {
      if (json)
        console.log(
          JSON.stringify(
            { refused: true, reason: error.message, workflowId: error.workflowId, runningKind: error.runningKind },
            null,
            2,
          ),
        );
      console.error(`asrflow: ${error.message}`);
      throw new ExitCode(EXIT.failure);
    }
    throw error;
  }
}

/** Exactly one of --vm and --recovery-plan (exit 2 otherwise): a failover acts on one VM or one plan. */
function checkTargetFlags(opts: FailoverFlags, planKind: boolean): void {
  if ((opts.site !== undefined || opts.recoveryPlan !== undefined) && opts.recoveryPoint !== undefined) {
    console.error(
      "asrflow: --recovery-point names one VM's recovery point: a recovery plan fails each of its VMs over to its latest one; leave it out, or fail the VM over alone with --vm",
    );
    throw new ExitCode(EXIT.badInput);
  }
  if (opts.site !== undefined) {
    if (opts.tenant !== undefined || opts.vm !== undefined || opts.recoveryPlan !== undefined) {
      console.error('asrflow: --site takes every tenant of the site: leave out --tenant, --vm and --recovery-plan');
      throw new ExitCode(EXIT.badInput);
    }
    return;
  }
  if ((opts.tenant as string | undefined) === undefined) {
    console.error(
      "asrflow: give --tenant <name> (or --site <VMM server or shared vault> for every tenant's recovery plans)",
    );
    throw new ExitCode(EXIT.badInput);
  }
  if (opts.vm !== undefined && opts.recoveryPlan !== undefined) {
    console.error('asrflow: give --vm or --recovery-plan, not both: a failover acts on one VM or on one recovery plan');
    throw new ExitCode(EXIT.badInput);
  }
  if (opts.vm === undefined && opts.recoveryPlan === undefined) {
    console.error(
      planKind
        ? "asrflow: give --vm <name> (one VM) or --recovery-plan <name> (one of the tenant's recovery plans)"
        : 'asrflow: give --vm <name>',
    );
    throw new ExitCode(EXIT.badInput);
  }
  if (opts.vm !== undefined) checkVmFlag(opts.vm);
}

function printPlanRecord(record: PlanDrillRecord): void {
  console.log(
    `${PLAN_KIND_TITLES[record.kind]} of recovery plan ${record.plan} (${record.tenant}): ${record.outcome}${record.reason ? ` — ${record.reason}` : ''}`,
  );
  for (const w of record.preflight?.warnings ?? []) console.log(`  warning: ${w}`);
  if (record.rto)
    console.log(
      `  measured RTO: ${record.rto.seconds} s${record.rto.targetSeconds !== undefined ? ` (target ${record.rto.targetSeconds} s: ${record.rto.met ? 'met' : 'missed'})` : ''}`,
    );
  for (const m of record.manualActions)
    console.log(`  manual action, group ${m.group} ${m.when}: continued by ${m.by ?? '?'} at ${m.at ?? '?'}`);
}

async function startPlanKind(kind: PlanFailoverKind, opts: FailoverFlags & { recoveryPlan: string }): Promise<void> {
  if (PLAN_NEEDS_CONFIRMATION.has(kind) && !opts.yes) {
    console.error(
      `asrflow: ${PLAN_KIND_TITLES[kind].toLowerCase()} of recovery plan ${opts.recoveryPlan} (${opts.tenant}) would ${CONSEQUENCES[kind] ?? 'change production'}, for every VM of the plan, group by group. Nothing was started; run again with --yes to confirm.`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  const plan = readPlan(opts.plan);
  const options = optionsOf(opts);
  const input = inputOrExit(() => planFailoverInputFromPlan(plan, opts.tenant, opts.recoveryPlan, kind, options));
  await withClient(
    opts,
    async (client, settings) => {
      const handle: WorkflowHandle = await startOrExit(() => startPlanFailover(client, input, settings.taskQueue));
      const url = uiUrl(settings, handle.workflowId);
      const record = opts.wait
        ? ((await handle.result()) as PlanDrillRecord)
        : (await awaitPreflight(handle, planRecordQuery)).record;
      if (opts.json) console.log(JSON.stringify({ workflowId: handle.workflowId, uiUrl: url, record }, null, 2));
      else {
        console.log(`${handle.workflowId}: started${url ? `\n  ${url}` : ''}`);
        if (record) printPlanRecord(record);
        if (kind === 'test' && record?.outcome === 'running')
          console.log(
            `Clean up with: asrflow failover cleanup --tenant ${opts.tenant} --recovery-plan ${opts.recoveryPlan} (automatic after ${options.cleanupAfter ?? '24h'})`,
          );
      }
      if (record?.outcome === 'refused') {
        if (!opts.json) console.error(`asrflow: refused: ${record.reason ?? ''}`);
        throw new ExitCode(EXIT.failure);
      }
      if (record && record.outcome !== 'running' && record.outcome !== 'succeeded') throw new ExitCode(EXIT.failure);
    },
    { startsWorkflows: true },
  );
}

const isPlanKind = (kind: string): kind is PlanFailoverKind =>
  (PLAN_FAILOVER_KINDS as readonly string[]).includes(kind);

function printSiteRecord(record: SiteFailoverRecord): void {
  console.log(`${PLAN_KIND_TITLES[record.kind]} of site ${record.site}: ${record.outcome}`);
  for (const p of record.plans)
    console.log(
      `  ${p.tenant} / ${p.plan}: ${p.outcome ?? 'waiting'}${p.rtoSeconds !== undefined ? `, RTO ${p.rtoSeconds} s` : ''}${p.reason ? ` — ${p.reason}` : ''}`,
    );
  if (record.without.length > 0) console.log(`  without a recovery plan: ${record.without.join(', ')}`);
}

async function startSiteKind(kind: PlanFailoverKind, opts: FailoverFlags & { site: string }): Promise<void> {
  if (PLAN_NEEDS_CONFIRMATION.has(kind) && !opts.yes) {
    console.error(
      `asrflow: ${PLAN_KIND_TITLES[kind].toLowerCase()} of site ${opts.site} would ${CONSEQUENCES[kind] ?? 'change production'}, for every VM of every tenant's recovery plans on it. Nothing was started; run again with --yes to confirm.`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  const concurrency = opts.concurrency === undefined ? undefined : Number(opts.concurrency);
  if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 50)) {
    console.error(`asrflow: --concurrency ${opts.concurrency}: give a whole number of tenants from 1 to 50`);
    throw new ExitCode(EXIT.badInput);
  }
  const plan = readPlan(opts.plan);
  const options = optionsOf(opts);
  const input = inputOrExit(() => siteFailoverInputFromPlan(plan, opts.site, kind, options, concurrency));
  await withClient(
    opts,
    async (client, settings) => {
      const handle: WorkflowHandle = await startOrExit(() => startSiteFailover(client, input, settings.taskQueue));
      const url = uiUrl(settings, handle.workflowId);
      const record = opts.wait ? ((await handle.result()) as SiteFailoverRecord) : undefined;
      if (opts.json) console.log(JSON.stringify({ workflowId: handle.workflowId, uiUrl: url, record }, null, 2));
      else {
        console.log(`${handle.workflowId}: started${url ? `\n  ${url}` : ''}`);
        console.log(
          `  ${input.tenants.map((t) => `${t.tenant}: ${t.plans.map((p) => p.plan.name).join(', ')}`).join('; ')} (${input.concurrency} tenants at a time)`,
        );
        if (input.without.length > 0) console.log(`  without a recovery plan: ${input.without.join(', ')}`);
        if (record) printSiteRecord(record);
        if (kind === 'test' && !record)
          console.log(
            // It reads the site's tenants from the plan: the same file as this command's.
            `Clean up with: asrflow failover cleanup --site ${opts.site}${opts.plan ? ` --plan ${opts.plan}` : ''} (automatic after ${options.cleanupAfter ?? '24h'})`,
          );
      }
      if (record && record.outcome !== 'succeeded') throw new ExitCode(EXIT.failure);
    },
    { startsWorkflows: true },
  );
}

async function startKind(kind: FailoverKind, opts: FailoverFlags): Promise<void> {
  checkTargetFlags(opts, isPlanKind(kind));
  if (opts.site !== undefined && isPlanKind(kind)) return startSiteKind(kind, { ...opts, site: opts.site });
  if (opts.recoveryPlan !== undefined && isPlanKind(kind))
    return startPlanKind(kind, { ...opts, recoveryPlan: opts.recoveryPlan });
  if (NEEDS_CONFIRMATION.has(kind) && !opts.yes) {
    console.error(
      `asrflow: ${KIND_TITLES[kind].toLowerCase()} of ${opts.vm} (${opts.tenant}) would ${CONSEQUENCES[kind] ?? 'change production'}. Nothing was started; run again with --yes to confirm.`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  if (kind === 'change-recovery-point' && !opts.recoveryPoint) {
    console.error("asrflow: change-recovery-point needs --recovery-point ID (an id from the item's recovery points)");
    throw new ExitCode(EXIT.badInput);
  }
  const plan = readPlan(opts.plan);
  const options = optionsOf(opts);
  const input = inputOrExit(() => failoverInputFromPlan(plan, opts.tenant, opts.vm, kind, options));
  await withClient(
    opts,
    async (client, settings) => {
      // A VM fails over alone or with its recovery plan, not both at once.
      const withPlan = await runningPlanFailoverOf(client, plan, opts.tenant, opts.vm);
      if (withPlan) {
        console.error(
          `asrflow: refused: ${opts.vm} fails over with its recovery plan ${withPlan.plan} (workflow ${withPlan.workflowId}); wait for that to finish`,
        );
        throw new ExitCode(EXIT.failure);
      }
      const handle: WorkflowHandle = await startOrExit(
        () => startFailover(client, input, settings.taskQueue),
        opts.json,
      );
      const url = uiUrl(settings, handle.workflowId);
      let record: DrillRecord | undefined;
      if (opts.wait) {
        try {
          record = (await handle.result()) as DrillRecord;
        } catch (error) {
          if (error instanceof WorkflowFailedError) {
            console.error(`asrflow: ${handle.workflowId} failed: ${error.cause?.message ?? error.message}`);
            throw new ExitCode(EXIT.failure);
          }
          throw error;
        }
      } else {
        record = (await awaitPreflight(handle)).record;
      }
      if (opts.json) console.log(JSON.stringify({ workflowId: handle.workflowId, uiUrl: url, record }, null, 2));
      else {
        console.log(`${handle.workflowId}: started${url ? `\n  ${url}` : ''}`);
        if (record) printRecord(record);
        if (kind === 'test' && record?.outcome === 'running')
          console.log(
            `Clean up with: asrflow failover cleanup --tenant ${opts.tenant} --vm ${opts.vm} (automatic after ${options.cleanupAfter ?? '24h'})`,
          );
      }
      if (record?.outcome === 'refused') {
        if (!opts.json) console.error(`asrflow: refused: ${record.reason ?? ''}`);
        throw new ExitCode(EXIT.failure);
      }
      if (record && record.outcome !== 'running' && record.outcome !== 'succeeded') throw new ExitCode(EXIT.failure);
    },
    { startsWorkflows: true },
  );
}

/** Ends the running test failovers of every recovery plan on a site. */
async function cleanupSite(opts: FailoverFlags & { site: string }): Promise<void> {
  const tenants = tenantsOfSite(readPlan(opts.plan), opts.site);
  await withClient(opts, async (client) => {
    let asked = 0;
    for (const t of tenants)
      for (const p of t.recoveryPlans ?? []) {
        const running = await runningPlanTestFailover(client, t.name, p.name);
        if (!running) continue;
        try {
          console.log(
            await running.executeUpdate(cleanupUpdate, { args: [{ reason: `cleanup of site ${opts.site}` }] }),
          );
          asked++;
        } catch (error) {
          if (!(error instanceof WorkflowUpdateFailedError)) throw error;
          console.error(`asrflow: ${running.workflowId} refused the cleanup: ${error.cause?.message ?? error.message}`);
        }
      }
    if (asked === 0) {
      console.error(`asrflow: no test failover of a recovery plan on ${opts.site} waits for its cleanup`);
      throw new ExitCode(EXIT.failure);
    }
  });
}

async function cleanup(opts: FailoverFlags): Promise<void> {
  checkTargetFlags(opts, true);
  if (opts.site !== undefined) return cleanupSite({ ...opts, site: opts.site });
  const planName = opts.recoveryPlan;
  const handle = await withClient(opts, async (client) => {
    const running =
      planName !== undefined
        ? await runningPlanTestFailover(client, opts.tenant, planName)
        : await runningTestFailover(client, opts.tenant, opts.vm);
    if (!running) return undefined;
    try {
      console.log(
        await running.executeUpdate(cleanupUpdate, {
          args: [{ reason: 'cleanup requested with asrflow failover cleanup' }],
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        console.error(`asrflow: ${running.workflowId} refused the cleanup: ${error.cause?.message ?? error.message}`);
        throw new ExitCode(EXIT.failure);
      }
      throw error;
    }
    if (opts.wait) {
      const record = await running.result();
      if ('plan' in record) printPlanRecord(record);
      else printRecord(record);
    }
    return running;
  });
  // No test failover workflow runs (e.g. it was abandoned): clean the item up with a workflow of its own.
  if (!handle) await startKind('cleanup', opts);
}

/** A VM name VMM could not have given is refused before anything is asked of Temporal (exit 2). */
function checkVmFlag(vm: string): void {
  const badName = vmNameProblem(vm);
  if (badName) {
    console.error(`asrflow: --vm: ${badName}; give the VM's name as VMM shows it`);
    throw new ExitCode(EXIT.badInput);
  }
}

async function decide(
  action: 'retry' | 'abandon',
  opts: FailoverFlags & { step?: string; reason?: string },
): Promise<void> {
  checkTargetFlags(opts, true);
  await withClient(opts, (client) =>
    sendOperatorDecision(
      client,
      opts.recoveryPlan !== undefined
        ? { workflowId: workflowIds.planFailover(opts.tenant, opts.recoveryPlan), tenant: opts.tenant }
        : {
            workflowId: workflowIds.failover(opts.tenant, opts.vm),
            tenant: opts.tenant,
            vm: opts.vm,
            vmKind: 'failover',
          },
      action,
      opts,
    ),
  );
}

/** Continues a recovery plan's failover waiting at a manual action, in the operator's name. */
async function continuePlan(opts: FailoverFlags & { recoveryPlan: string; comments?: string }): Promise<void> {
  const workflowId = workflowIds.planFailover(opts.tenant, opts.recoveryPlan);
  await withClient(opts, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    try {
      console.log(
        await handle.executeUpdate(continueUpdate, {
          args: [{ by: operatorName(), ...(opts.comments ? { comments: opts.comments } : {}) }],
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowUpdateFailedError) {
        console.error(`asrflow: ${workflowId} refused: ${error.cause?.message ?? error.message}`);
        throw new ExitCode(EXIT.failure);
      }
      if (error instanceof WorkflowNotFoundError) {
        console.error(
          `asrflow: no failover of recovery plan ${opts.recoveryPlan} (${opts.tenant}) runs (${workflowId}); start one with asrflow failover test --tenant ${opts.tenant} --recovery-plan ${opts.recoveryPlan}`,
        );
        throw new ExitCode(EXIT.failure);
      }
      throw error;
    }
  });
}

/** Who continued a manual action, for the drill record: the operating system's user. */
function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return 'operator';
  }
}

export function registerFailoverCommands(program: Command): void {
  const failover = program
    .command('failover')
    .description(
      'Fail one VM over (test, planned, unplanned), commit, clean up, change the recovery point, reprotect, fail back.',
    );
  const kinds: Array<[FailoverKind, string]> = [
    [
      'test',
      "Test failover into the tenant's isolated test network; cleaned up on `failover cleanup` or by itself after --cleanup-after.",
    ],
    ['planned', 'Planned failover to Azure (source VM shut down, latest data synchronized). Needs --yes.'],
    ['unplanned', 'Unplanned failover to Azure for a lost site. Needs --yes.'],
    ['commit', 'Commit a failover (discards the other recovery points).'],
    ['change-recovery-point', 'Switch a failed-over VM to another recovery point, before commit.'],
    ['reprotect', 'Replicate to Azure again after a committed failback.'],
    ['failback', 'Fail back to the on-premises site, commit and reprotect. Needs --yes.'],
  ];
  const common = (c: Command, plans = true) =>
    connectionOptions(
      (plans
        ? c
            .option('--tenant <name>', 'the tenant, as the plan names it')
            .option('--vm <name>', 'the VM, as VMM names it')
            .option(
              '--recovery-plan <name>',
              "one of the tenant's recovery plans (instead of --vm): all its VMs, group by group",
            )
            .option('--site <name>', "a VMM server or shared vault: every tenant's recovery plans on it (no --tenant)")
        : c
            .requiredOption('--tenant <name>', 'the tenant, as the plan names it')
            .requiredOption('--vm <name>', 'the VM, as VMM names it')
      )
        .option('--plan <file>', 'the plan (default: ASRFLOW_PLAN)')
        .option('--json', 'print the result as JSON')
        .option('--wait', 'wait for the workflow to end and print its drill record'),
    );
  for (const [kind, description] of kinds) {
    const c = common(failover.command(kind).description(description), isPlanKind(kind))
      .option('--yes', 'confirm a failover that moves production')
      .option('--force', 'fail over even if replication health is Critical');
    if (isPlanKind(kind))
      c.option(
        '--concurrency <n>',
        `with --site: how many tenants fail over at once (default ${DEFAULT_SITE_CONCURRENCY})`,
      );
    if (kind === 'test')
      c.option('--cleanup-after <duration>', 'clean up by itself after this long', '24h').option(
        '--test-network <armId>',
        "isolated VNet (default: the plan's test-failover VNet)",
      );
    if (kind === 'test' || kind === 'unplanned' || kind === 'change-recovery-point')
      c.option('--recovery-point <id>', 'recovery point id (default: the latest)');
    if (kind === 'unplanned') c.option('--source-site-operations', 'try to shut the source VM down first');
    if (kind === 'failback')
      c.addOption(
        new Option('--data-sync <option>', 'ForSynchronization (sync, then complete) or ForDownTime')
          .choices(['ForSynchronization', 'ForDownTime'])
          .default('ForSynchronization'),
      );
    const yes = NEEDS_CONFIRMATION.has(kind) ? ' --yes' : '';
    c.addHelpText(
      'after',
      isPlanKind(kind)
        ? `\nExamples:\n  $ asrflow failover ${kind} --tenant contoso --vm web01${yes}\n  $ asrflow failover ${kind} --tenant contoso --recovery-plan crm${yes}\n  $ asrflow failover ${kind} --site vmm01.fabrikam.local${yes}`
        : `\nExample:\n  $ asrflow failover ${kind} --tenant contoso --vm web01${yes}`,
    );
    c.action((opts: FailoverFlags) => startKind(kind, opts));
  }
  common(
    failover
      .command('cleanup')
      .description("End a test failover now (the running test failover's cleanup, or a cleanup of its own)."),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ asrflow failover cleanup --tenant contoso --vm web01\n  $ asrflow failover cleanup --tenant contoso --recovery-plan crm',
    )
    .action((opts: FailoverFlags) => cleanup(opts));
  connectionOptions(
    failover
      .command('continue')
      .description("Continue a recovery plan's failover that waits at a manual action (the action is done).")
      .requiredOption('--tenant <name>', 'the tenant')
      .requiredOption('--recovery-plan <name>', 'the recovery plan')
      .option('--comments <text>', 'what was done, for the record'),
  )
    .addHelpText(
      'after',
      "\nExample:\n  $ asrflow failover continue --tenant contoso --recovery-plan crm --comments 'SQL Server accepts connections'",
    )
    .action((opts: FailoverFlags & { recoveryPlan: string; comments?: string }) => continuePlan(opts));
  for (const action of ['retry', 'abandon'] as const) {
    connectionOptions(
      failover
        .command(action)
        .description(
          action === 'retry'
            ? 'Run a failed failover step again (issues the action again).'
            : 'Give up on a failed failover step; the drill is recorded as abandoned.',
        )
        .requiredOption('--tenant <name>', 'the tenant')
        .option('--vm <name>', 'the VM')
        .option('--recovery-plan <name>', 'the recovery plan (instead of --vm)')
        .option('--step <name>', 'the waiting step (default: the one that waits)')
        .option('--reason <text>', 'why, for the record'),
    )
      .addHelpText(
        'after',
        action === 'retry'
          ? "\nExample:\n  $ asrflow status --tenant litware        # read the job's possible causes and recommended action\n  $ asrflow failover retry --tenant litware --vm erp01"
          : "\nExample:\n  $ asrflow failover abandon --tenant litware --vm erp01 --reason 'drill postponed: test VNet out of addresses'",
      )
      .action((opts: FailoverFlags & { step?: string; reason?: string }) => decide(action, opts));
  }

  connectionOptions(
    program
      .command('report')
      .description(
        'Drill evidence: every finished failover per tenant with measured RTO, recovery point and its age (RPO), job tasks and outcome, as Markdown and JSON.',
      )
      .option('--tenant <name>', 'only this tenant')
      .option('--json', 'print JSON instead of Markdown')
      .option('--out <dir>', 'also write drill-report.md and drill-report.json there'),
  )
    .addHelpText(
      'after',
      "\nExamples:\n  $ asrflow report --tenant contoso\n  $ asrflow report --out evidence/ --json | jq '.[] | {vm, rto: .rto.seconds, rpo: .rpo.ageSeconds}'",
    )
    .action(async (opts: ConnectionFlags & { tenant?: string; json?: boolean; out?: string }) => {
      await withClient(opts, async (client) => {
        // An empty report for a misspelt tenant would read as "no drills": name the known ones.
        if (opts.tenant) await requireKnownTenant(client, opts.tenant);
        const records = await collectDrills(client, opts.tenant);
        const plans = await collectPlanDrills(client, opts.tenant);
        const markdown = renderDrillReport(records, undefined, plans);
        // Single VMs' records as before (scripts read them as a list); plans' beside them.
        const json = JSON.stringify(plans.length > 0 ? [...records, ...plans] : records, null, 2);
        if (opts.out) {
          mkdirSync(opts.out, { recursive: true });
          writeFileSync(path.join(opts.out, 'drill-report.md'), `${markdown}\n`);
          writeFileSync(path.join(opts.out, 'drill-report.json'), `${json}\n`);
        }
        console.log(opts.json ? json : markdown);
      });
    });
}
