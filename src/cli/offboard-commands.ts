import { WorkflowFailedError, type Client } from '@temporalio/client';
import type { Command } from 'commander';
import { cloudsLabel } from '../domain/vmm-placement';
import { vmNameProblem } from '../failover/contract';
import type { OffboardRecord, OffboardTenantRecord } from '../offboarding/contract';
import {
  OffboardBlockedError,
  OffboardInputError,
  offboardInputFromPlan,
  offboardTenantInputFromPlan,
  startTenantOffboarding,
  startVmOffboarding,
} from '../offboarding/start';
import { EXIT, ExitCode } from './exit-codes';
import { connectionOptions, uiUrl, withClient, type ConnectionFlags } from './connect';
import { readPlan } from './plan-file';

interface OffboardFlags extends ConnectionFlags {
  tenant: string;
  vm?: string;
  deleteResources?: boolean;
  plan?: string;
  yes?: boolean;
  json?: boolean;
  wait: boolean;
}

const OUTCOME_LINES: Record<OffboardRecord['outcome'], string> = {
  running: 'started',
  offboarded: 'protection disabled',
  'not-protected': 'nothing to do',
  refused: 'refused',
  abandoned: 'abandoned',
};

/**
 * Starts an offboarding workflow and, unless --no-wait, prints its result: a workflow that still
 * works on the VM or tenant refuses it (exit 1), as does a refused or abandoned outcome.
 */
async function runOffboarding<R extends { outcome: string }>(
  opts: OffboardFlags,
  start: (client: Client, taskQueue: string) => Promise<{ workflowId: string; result(): Promise<R> }>,
  print: (record: R) => void,
): Promise<void> {
  await withClient(
    opts,
    async (client, settings) => {
      let handle;
      try {
        handle = await start(client, settings.taskQueue);
      } catch (error) {
        if (error instanceof OffboardBlockedError) {
          if (opts.json)
            console.log(JSON.stringify({ refused: true, reason: error.message, workflowId: error.workflowId }));
          console.error(`asrflow: ${error.message}`);
          throw new ExitCode(EXIT.failure);
        }
        throw error;
      }
      const url = uiUrl(settings, handle.workflowId);
      let record: R | undefined;
      if (opts.wait) {
        try {
          record = await handle.result();
        } catch (error) {
          if (error instanceof WorkflowFailedError) {
            console.error(`asrflow: ${handle.workflowId} failed: ${error.cause?.message ?? error.message}`);
            throw new ExitCode(EXIT.failure);
          }
          throw error;
        }
      }
      if (opts.json) console.log(JSON.stringify({ workflowId: handle.workflowId, uiUrl: url, record }, null, 2));
      else {
        console.log(`${handle.workflowId}: started${url ? `\n  ${url}` : ''}`);
        if (record) print(record);
        else console.log(`Follow it with: asrflow status --tenant ${opts.tenant}`);
      }
      if (record?.outcome === 'refused' || record?.outcome === 'abandoned') throw new ExitCode(EXIT.failure);
    },
    { startsWorkflows: true },
  );
}

async function offboardVm(opts: OffboardFlags & { vm: string }): Promise<void> {
  if (opts.deleteResources) {
    console.error(
      "asrflow: --delete-resources removes a tenant's resources: use it with --tenant alone (a VM's offboarding leaves them)",
    );
    throw new ExitCode(EXIT.badInput);
  }
  const badName = vmNameProblem(opts.vm);
  if (badName) {
    console.error(`asrflow: --vm: ${badName}`);
    throw new ExitCode(EXIT.badInput);
  }
  const plan = readPlan(opts.plan);
  let input;
  try {
    input = offboardInputFromPlan(plan, opts.tenant, opts.vm);
  } catch (error) {
    if (error instanceof OffboardInputError) {
      console.error(`asrflow: ${error.message}`);
      throw new ExitCode(EXIT.badInput);
    }
    throw error;
  }
  if (!opts.yes) {
    console.error(
      `asrflow: offboarding ${opts.vm} (${opts.tenant}) would disable its protection in vault ${input.vault.vault}: replication to Azure stops and its replica disks and recovery points in Azure are deleted (the VM on premises is untouched). Nothing was started; run again with --yes to confirm.`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  await runOffboarding(
    opts,
    (client, taskQueue) => startVmOffboarding(client, input, taskQueue),
    (record) =>
      console.log(
        `Offboard ${record.vm} (${record.tenant}): ${OUTCOME_LINES[record.outcome]}${record.reason ? ` — ${record.reason}` : ''}`,
      ),
  );
}

/** Prints what the offboarding removed and kept, and whether there was anything to do. */
function printTenantRecord(record: OffboardTenantRecord): void {
  const line = record.outcome === 'offboarded' && record.reason ? 'nothing to do' : record.outcome;
  console.log(`Offboard tenant ${record.tenant}: ${line}${record.reason ? ` — ${record.reason}` : ''}`);
  if (record.vms.length) console.log(`  protection disabled: ${record.vms.join(', ')}`);
  for (const r of record.removed) console.log(`  removed: ${r}`);
  for (const k of record.kept) console.log(`  kept: ${k}`);
}

async function offboardTenant(opts: OffboardFlags): Promise<void> {
  const plan = readPlan(opts.plan);
  let input;
  try {
    input = offboardTenantInputFromPlan(plan, opts.tenant, { deleteResources: opts.deleteResources ?? false });
  } catch (error) {
    if (error instanceof OffboardInputError) {
      console.error(`asrflow: ${error.message}`);
      throw new ExitCode(EXIT.badInput);
    }
    throw error;
  }
  if (!opts.yes) {
    const what = [
      `disable protection of every VM of ${cloudsLabel(input.scope)} (their replicas in Azure are deleted)`,
      `remove its network mapping, cloud-policy association and policy ${input.names.policy} from vault ${input.vault.vault}`,
      ...(input.dedicatedVault ? [`unregister ${input.scope.vmmServer} and delete vault ${input.vault.vault}`] : []),
      ...(input.resources
        ? [
            `delete what asrflow created in ${input.resources.resourceGroup}: VNets ${input.resources.virtualNetworks.join(', ')}, storage account ${input.resources.storageAccount}, then the group once empty`,
          ]
        : []),
    ];
    console.error(
      `asrflow: offboarding tenant ${opts.tenant} would ${what.join('; ')}. VMs on premises are untouched. Nothing was started; run again with --yes to confirm.`,
    );
    throw new ExitCode(EXIT.badInput);
  }
  await runOffboarding(
    opts,
    (client, taskQueue) => startTenantOffboarding(client, input, taskQueue),
    printTenantRecord,
  );
}

export function registerOffboardCommands(program: Command): void {
  connectionOptions(
    program
      .command('offboard')
      .description(
        "Disable protection of one VM (--vm), or remove a whole tenant's protection: its VMs, network mapping, cloud-policy association and policy, in scenario 2 its VMM server's registration and vault, and with --delete-resources the VNets, storage account and resource group asrflow created (never a resource it did not create). VMs on premises are untouched. Refused while a workflow still works on the VM or tenant, or while Site Recovery does not allow it. Needs --yes; running it again is a no-op that says so.",
      )
      .requiredOption('--tenant <name>', 'the tenant, as the plan names it')
      .option('--vm <name>', 'only this VM, as VMM names it')
      .option('--delete-resources', "with --tenant alone: also delete the tenant's resources asrflow created")
      .option('--plan <file>', 'the plan (default: ASRFLOW_PLAN)')
      .option('--yes', 'confirm: protection of the VM is disabled and its replica deleted')
      .option('--json', 'print the result as JSON')
      .option('--no-wait', 'return once the workflow has started'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  $ asrflow offboard --tenant litware --vm files01 --yes\n  $ asrflow offboard --tenant litware --delete-resources --yes',
    )
    .action((opts: OffboardFlags) =>
      opts.vm !== undefined ? offboardVm({ ...opts, vm: opts.vm }) : offboardTenant(opts),
    );
}
