import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { orAbsent } from '../../src/azure/reads';
import { jobActsOn, jobFailed, jobFailureDetails, jobView, newestJob } from '../../src/azure/site-recovery/jobs';
import { protectedItemView } from '../../src/azure/site-recovery/protected-items';
import { RestError } from '../../src/azure/sdk';

// The gateway's own rules, without Azure: what "absent" means, how a job is read and matched
// to a VM, and how an item's Hyper-V details become the view the activities use.
describe('the Azure gateway', () => {
  it('reads a 404 as absent and lets every other failure through', async () => {
    await expect(orAbsent(() => Promise.reject(new RestError('gone', { statusCode: 404 })))).resolves.toBeUndefined();
    await expect(orAbsent(() => Promise.resolve({ id: 'x' }))).resolves.toEqual({ id: 'x' });
    await expect(orAbsent(() => Promise.reject(new RestError('no', { statusCode: 403 })))).rejects.toThrow('no');
    await expect(orAbsent(() => Promise.reject(new Error('socket hang up')))).rejects.toThrow('socket hang up');
    // A checkpointed operation classifies its failure first; a 404 there still means "already gone".
    const classified = ApplicationFailure.create({
      message: 'gone',
      type: 'NeedsOperator',
      details: [{ statusCode: 404 }],
    });
    await expect(orAbsent(() => Promise.reject(classified))).resolves.toBeUndefined();
    const refused = ApplicationFailure.create({
      message: 'in use',
      type: 'NeedsOperator',
      details: [{ statusCode: 400 }],
    });
    await expect(orAbsent(() => Promise.reject(refused))).rejects.toThrow('in use');
  });

  it("reads a job's error: the service's details first, the Provider's otherwise", () => {
    const job = jobView({
      id: '/subscriptions/s/…/replicationJobs/j1',
      name: 'j1',
      properties: {
        scenarioName: 'EnableDr',
        state: 'Failed',
        startTime: new Date('2026-12-07T10:00:00Z'),
        targetObjectId: 'VM-ID-1',
        errors: [
          { providerErrorDetails: { errorCode: 25005, errorMessage: 'Hyper-V said no', recommendedAction: 'fix it' } },
        ],
      },
    });
    expect(job).toMatchObject({ jobName: 'j1', state: 'Failed', startTime: '2026-12-07T10:00:00.000Z' });
    expect(jobFailed(job)).toBe(true);
    expect(jobFailureDetails(job)).toEqual({
      jobId: 'j1',
      message: 'Hyper-V said no',
      code: '25005',
      recommendedAction: 'fix it',
    });
  });

  it("matches a job to a VM by the object it acts on, never by the VM's name", () => {
    const job = jobView({ name: 'j', properties: { targetObjectId: 'vm-id-1', targetObjectName: 'app01' } });
    expect(jobActsOn(job, 'VM-ID-1')).toBe(true);
    expect(jobActsOn(job, 'app01')).toBe(false);
    expect(jobActsOn(job, undefined, '')).toBe(false);
  });

  it('picks the newest job by start time', () => {
    const at = (name: string, startTime?: string) =>
      jobView({ name, properties: startTime ? { startTime: new Date(startTime) } : {} });
    expect(newestJob([at('a', '2026-12-07T10:00:00Z'), at('b', '2026-12-07T11:00:00Z'), at('c')])?.jobName).toBe('b');
    expect(newestJob([])).toBeUndefined();
  });

  it("reads an item's Hyper-V details: the OS disk is LUN -1, progress a number, the job its name", () => {
    const view = protectedItemView({
      id: '/x/replicationProtectedItems/i1',
      name: 'i1',
      properties: {
        friendlyName: 'erp01',
        protectionState: 'Protected',
        allowedOperations: ['TestFailover'],
        currentScenario: { scenarioName: 'TestFailover', jobId: '/x/replicationJobs/job-7' },
        providerSpecificDetails: {
          instanceType: 'HyperVReplicaAzure',
          azureVmDiskDetails: [
            { vhdId: 'data', lunId: '0' },
            { vhdId: 'os', lunId: '-1' },
          ],
          initialReplicationDetails: { initialReplicationProgressPercentage: '42.5' },
        } as never,
      },
    });
    expect(view).toMatchObject({
      name: 'i1',
      friendlyName: 'erp01',
      allowedOperations: ['TestFailover'],
      currentScenario: { scenarioName: 'TestFailover', jobName: 'job-7' },
      hyperV: { osVhdId: 'os', initialReplicationPercent: 42.5 },
    });
    expect(Object.values(view.hyperV)).not.toContain(undefined);
  });
});
