import { Client, Connection } from '@temporalio/client';
import { runDoctorProbe } from '../doctor/start';
import { temporal } from '@temporalio/proto';
import type { TemporalSettings } from '../temporal/config';
import { checkSearchAttributes } from '../temporal/register-search-attributes';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

/** An extra check contributed by another part (Azure endpoint, credentials). */
export type Check = () => Promise<CheckResult | CheckResult[]>;

export interface DoctorOptions {
  settings: TemporalSettings;
  extraChecks?: Check[];
}

/**
 * Runs every check and reports each one, even after a failure, so one run tells the whole
 * story. Checks that depend on an earlier one (namespace needs the server) are reported as
 * failed with the reason rather than skipped silently.
 */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results = await temporalChecks(options.settings);
  for (const check of options.extraChecks ?? []) {
    try {
      const result = await check();
      results.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      results.push({ name: 'check', ok: false, detail: errorMessage(error) });
    }
  }
  return results;
}

async function temporalChecks(settings: TemporalSettings): Promise<CheckResult[]> {
  const { address, namespace, taskQueue } = settings;
  const results: CheckResult[] = [];
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connectionOptions, connectTimeout: 5_000 });
    const info = await connection.workflowService.getSystemInfo({});
    results.push({
      name: 'Temporal reachable',
      ok: true,
      detail: `${address} (server ${info.serverVersion || 'unknown version'})`,
    });
  } catch (error) {
    const fix = `start a local server with 'asrflow dev temporal', or point TEMPORAL_ADDRESS (and TEMPORAL_API_KEY / TEMPORAL_TLS_* for Temporal Cloud) at yours`;
    results.push({ name: 'Temporal reachable', ok: false, detail: `${address}: ${errorMessage(error)}`, fix });
    for (const name of [
      'Namespace present',
      'Search attributes registered',
      `Worker polling task queue '${taskQueue}'`,
      'Worker executes tasks',
    ]) {
      results.push({
        name,
        ok: false,
        detail: 'not checked: Temporal is not reachable',
        fix: 'fix the Temporal connection first',
      });
    }
    return results;
  }
  try {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      results.push({ name: 'Namespace present', ok: true, detail: namespace });
    } catch (error) {
      results.push({
        name: 'Namespace present',
        ok: false,
        detail: `'${namespace}': ${errorMessage(error)}`,
        fix: `create it ('temporal operator namespace create --namespace ${namespace}') or set TEMPORAL_NAMESPACE`,
      });
    }
    try {
      const { missing, wrongType } = await checkSearchAttributes(connection, namespace);
      const problems = [...missing.map((n) => `${n} missing`), ...wrongType.map((n) => `${n} has the wrong type`)];
      results.push(
        problems.length === 0
          ? {
              name: 'Search attributes registered',
              ok: true,
              detail: 'AsrTenant, AsrScenario, AsrStage, AsrVm, AsrKind',
            }
          : {
              name: 'Search attributes registered',
              ok: false,
              detail: problems.join(', '),
              fix: `run 'asrflow temporal register-search-attributes' (Temporal Cloud: add them in the Cloud UI)`,
            },
      );
    } catch (error) {
      results.push({
        name: 'Search attributes registered',
        ok: false,
        detail: errorMessage(error),
        fix: 'check that this principal may call the operator service',
      });
    }
    const polling = await workerCheck(connection, namespace, taskQueue);
    results.push(polling);
    results.push(
      polling.ok
        ? await roundTripCheck(connection, namespace, taskQueue)
        : { name: 'Worker executes tasks', ok: false, detail: 'not checked: no worker is polling', fix: polling.fix },
    );
  } finally {
    await connection.close();
  }
  return results;
}

async function workerCheck(connection: Connection, namespace: string, taskQueue: string): Promise<CheckResult> {
  const name = `Worker polling task queue '${taskQueue}'`;
  try {
    const kinds = [
      ['workflow', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW],
      ['activity', temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY],
    ] as const;
    const missing: string[] = [];
    let identities = new Set<string>();
    for (const [label, taskQueueType] of kinds) {
      const response = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue },
        taskQueueType,
      });
      const pollers = response.pollers ?? [];
      if (pollers.length === 0) missing.push(label);
      identities = new Set([...identities, ...pollers.map((p) => p.identity ?? '?')]);
    }
    if (missing.length > 0) {
      return {
        name,
        ok: false,
        detail: `no worker is polling (${missing.join(' and ')} tasks)`,
        fix: `start one: 'asrflow worker' (same TEMPORAL_* settings and ASRFLOW_TASK_QUEUE)`,
      };
    }
    return { name, ok: true, detail: [...identities].join(', ') };
  } catch (error) {
    return { name, ok: false, detail: errorMessage(error), fix: 'check the namespace and task queue names' };
  }
}

/** Polling alone does not prove the worker can run asrflow's code: run a tiny workflow. */
async function roundTripCheck(connection: Connection, namespace: string, taskQueue: string): Promise<CheckResult> {
  const name = 'Worker executes tasks';
  const started = Date.now();
  try {
    const client = new Client({ connection, namespace });
    const result = await runDoctorProbe(client, taskQueue);
    return {
      name,
      ok: true,
      detail: `${result.identity} (asrflow ${result.workerVersion}) answered in ${Date.now() - started} ms`,
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: errorMessage(error),
      fix: 'look at the worker logs; the worker and this CLI should run the same asrflow version',
    };
  }
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}

export function formatResults(results: CheckResult[], color: boolean): string {
  const pass = color ? '\u001b[32m✔ PASS\u001b[0m' : 'PASS';
  const fail = color ? '\u001b[31m✘ FAIL\u001b[0m' : 'FAIL';
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${r.ok ? pass : fail}  ${r.name}: ${r.detail}`);
    if (!r.ok && r.fix) lines.push(`      fix: ${r.fix}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  lines.push(
    failed === 0
      ? `doctor: all ${results.length} checks passed`
      : `doctor: ${failed} of ${results.length} checks failed`,
  );
  return lines.join('\n');
}
