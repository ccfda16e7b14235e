import { proxyActivities } from '@temporalio/workflow';
import type { DoctorActivities, WorkerInfo } from '../contract';

const { workerInfo } = proxyActivities<DoctorActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
  summary: 'report worker identity and version',
});

/** `asrflow doctor` runs this to prove a worker executes both workflow and activity tasks. */
export async function doctorProbe(): Promise<WorkerInfo> {
  return workerInfo();
}
