import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { WorkerInfo } from './contract';
import { doctorProbe } from './workflows/probe';

/** Runs the probe workflow on a task queue: the worker that answers proves it runs tasks. */
export async function runDoctorProbe(client: Client, taskQueue: string): Promise<WorkerInfo> {
  return client.workflow.execute(doctorProbe, {
    taskQueue,
    workflowId: `asrflow-doctor-${randomUUID()}`,
    workflowExecutionTimeout: '20 seconds',
    staticSummary: 'asrflow doctor round trip',
  });
}
