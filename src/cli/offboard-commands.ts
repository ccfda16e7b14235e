import { WorkflowFailedError } from '@temporalio/client';
import type { Command } from 'commander';
import { vmNameProblem } from '../failover/contract';
import type { OffboardRecord } from '../offboarding/contract';
import {
  OffboardBlockedError,
  OffboardInputError,
  offboardInputFromPlan,
  startVmOffboarding,
} from '../offboarding/start';
import { EXIT, ExitCode } from './exit-codes';
import { connectionOptions, uiUrl, withClient, type ConnectionFlags } from './connect';
import { readPlan } from './plan-file';

interface OffboardFlags extends ConnectionFlags {
  tenant: string;
  vm: string;
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

async function offboardVm(opts: OffboardFlags): Promise<void> {
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
  await withClient(
    opts,
    async (client, settings) => {
      let handle;
      try {
        handle = await startVmOffboarding(client, input, settings.taskQueue);
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
      let record: OffboardRecord | undefined;
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
        if (record)
          console.log(
            `Offboard ${record.vm} (${record.tenant}): ${OUTCOME_LINES[record.outcome]}${record.reason ? ` — ${record.reason}` : ''}`,
          );
        else console.log(`Follow it with: asrflow status --tenant ${opts.tenant}`);
      }
      if (record?.outcome === 'refused' || record?.outcome === 'abandoned') throw new ExitCode(EXIT.failure);
    },
    { startsWorkflows: true },
  );
}

export function registerOffboardCommands(program: Command): void {
  connectionOptions(
    program
      .command('offboard')
      .description(
        "Disable protection of one VM on purpose (Site Recovery removes its replica in Azure; the VM on premises is untouched). Refused while the VM's failover or protection workflow runs, or while Site Recovery does not allow it. Needs --yes; running it again is a no-op that says so.",
      )
      .requiredOption('--tenant <name>', 'the tenant, as the plan names it')
      .requiredOption('--vm <name>', 'the VM, as VMM names it')
      .option('--plan <file>', 'the plan (default: ASRFLOW_PLAN)')
      .option('--yes', 'confirm: protection of the VM is disabled and its replica deleted')
      .option('--json', 'print the result as JSON')
      .option('--no-wait', 'return once the workflow has started'),
  )
    .addHelpText('after', '\nExample:\n  $ asrflow offboard --tenant litware --vm files01 --yes')
    .action((opts: OffboardFlags) => offboardVm(opts));
}
