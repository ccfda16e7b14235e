import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const { workerInfo } = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 1 },
  summary: 'report worker identity and version',
});

/** `asrflow doctor` runs this to prove a worker executes both workflow and activity tasks. */
export async function doctorProbe(): Promise<{ workerVersion: string; identity: string }> {
  return workerInfo();
}
