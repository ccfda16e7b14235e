import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { repoRoot } from './cli';

export const HISTORIES_DIR = path.join(repoRoot, 'test', 'replay', 'histories');

/**
 * With ASRFLOW_RECORD_HISTORIES=1, saves the histories of the given workflows for the replay
 * test (test/replay), which proves the current workflow code still replays them. Recording is
 * a deliberate act (the files are committed), not something every run does.
 */
export async function maybeRecordHistories(
  client: Client,
  scenario: string,
  workflowIds: Array<string | { workflowId: string; runId: string; label: string }>,
): Promise<void> {
  if (process.env.ASRFLOW_RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  for (const entry of workflowIds) {
    // A run of its own (e.g. one of several continued as new), or the workflow's latest run.
    const {
      workflowId: id,
      runId,
      label,
    } = typeof entry === 'string' ? { workflowId: entry, runId: undefined, label: '' } : entry;
    const history = await client.workflow.getHandle(id, runId).fetchHistory();
    const file = path.join(
      HISTORIES_DIR,
      `${scenario}--${id.replace(/[^a-zA-Z0-9.-]+/g, '_')}${label ? `--${label}` : ''}.json`,
    );
    // protobufjs' own object form (enums by name, bytes as base64) round-trips with fromObject.
    const object = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.fromObject(history), {
      longs: String,
      enums: String,
      bytes: String,
    });
    writeFileSync(file, `${JSON.stringify(object, null, 1)}\n`);
  }
}

export function readHistory(file: string): temporal.api.history.v1.History {
  return temporal.api.history.v1.History.fromObject(JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>);
}
