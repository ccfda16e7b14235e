import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checkSearchAttributes } from '../../src/temporal/register-search-attributes';
import { spawnWorker } from '../../src/devstack/worker-process';
import { AsrTenant } from '../../src/temporal/workflow/search-attributes';
import { workflowIds } from '../../src/temporal/workflow/workflow-ids';
import { eventually, repoRoot, runCli } from '../support/cli';
import { createTestNamespace } from '../support/stack';

// A server asrflow did not start has no custom search attributes. The worker registers them at
// start, and a command that starts workflows does so before it starts one, so no deployment
// needs a manual step before the first onboarding.
describe('search attributes on a server asrflow meets', () => {
  let connection: Connection;
  const bareNamespace = async () => {
    const namespace = await createTestNamespace(connection, { searchAttributes: false, prefix: 'bare' });
    expect((await checkSearchAttributes(connection, namespace)).missing).toContain('AsrTenant');
    return namespace;
  };

  beforeAll(async () => {
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await connection?.close();
  });

  it('onboard registers them before starting, and the workflow carries them', async () => {
    const namespace = await bareNamespace();
    // The secrets live with the worker only, as in the Docker Compose stack: onboard says so, and
    // --no-check-credentials is the way on from such a host.
    const env = {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: namespace,
      ASRFLOW_TASK_QUEUE: `no-worker-${randomUUID()}`,
      ASRFLOW_SECRET_LITWARE: '',
    };
    const plan = path.join(repoRoot, 'examples', 'dedicated-vmm.yaml');
    const refused = await runCli(['onboard', plan], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('ASRFLOW_SECRET_LITWARE');
    const result = await runCli(['onboard', plan, '--json', '--no-check-credentials'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(await checkSearchAttributes(connection, namespace)).toEqual({ missing: [], wrongType: [] });
    const handle = new Client({ connection, namespace }).workflow.getHandle(workflowIds.tenantOnboarding('litware'));
    expect((await handle.describe()).typedSearchAttributes.get(AsrTenant)).toBe('litware');
    await handle.terminate('test done');
  });

  it('a worker registers them at start', async () => {
    const namespace = await bareNamespace();
    const output: string[] = [];
    const worker = spawnWorker(
      {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: namespace,
        ASRFLOW_TASK_QUEUE: `sa-${randomUUID()}`,
      },
      { onOutput: (line) => output.push(line) },
    );
    try {
      await eventually(
        async () => ((await checkSearchAttributes(connection, namespace)).missing.length === 0 ? true : undefined),
        'the worker to register the search attributes',
        60_000,
        250,
        async () => output.join('\n'),
      );
      expect(output.join('\n')).toContain('registered search attributes');
    } finally {
      expect(await worker.stop()).toBe(0);
    }
  });
});
