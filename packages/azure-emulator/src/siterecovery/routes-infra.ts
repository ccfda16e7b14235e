import { ArmError, asrError } from '../arm/errors';
import { absolute, findOperation, jobOf, newOperation, operationState, statusBody, asrAccepted } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import { page } from '../resources/common';
import { lower } from '../util/ids';
import { faultFailure, startJob } from './jobs';
import { asrScope, containerOf, fabricOf, ids, leafNotFound, networkOf, type AsrScope } from './scope';
import { containerView, fabricView, jobView, networkView, protectableViews, providerView } from './views';

export const V =
  '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.RecoveryServices/vaults/:resourceName';
const F = `${V}/replicationFabrics/:fabricName`;
const C = `${F}/replicationProtectionContainers/:protectionContainerName`;

function vmmOnly(what: string): ArmError {
  return asrError(
    400,
    'OperationNotSupported',
    `Creating ${what} is not supported for VMM: it appears when the VMM server is registered with the vault.`,
    'VMM fabrics, clouds and networks are discovered by the Azure Site Recovery Provider installed on the VMM server.',
    'Install the Provider on the VMM server with the vault credentials file (asrflow emulator install-provider).',
  );
}

export function allFabrics(s: AsrScope) {
  return Object.values(s.vault.asr.fabrics);
}

export function registerInfraRoutes(router: ArmRouter): void {
  const r = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH',
    path: string,
    operationId: string,
    handler: (ctx: ArmContext) => ReturnType<Parameters<ArmRouter['add']>[0]['handler']>,
  ) => router.add({ method, path, operationId, apiVersions: API.asr, handler });

  // Fabrics and providers.
  r('GET', `${V}/replicationFabrics`, 'ReplicationFabrics_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).map((f) => fabricView(s, f)),
    );
  });
  r('GET', F, 'ReplicationFabrics_Get', (ctx) => {
    const s = asrScope(ctx);
    return { status: 200, body: fabricView(s, fabricOf(s, ctx.params['fabricName'] ?? '')) };
  });
  r('PUT', F, 'ReplicationFabrics_Create', () => {
    throw vmmOnly('a fabric');
  });
  r('POST', `${F}/checkConsistency`, 'ReplicationFabrics_CheckConsistency', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'CheckConsistency',
        friendlyName: 'Check consistency',
        targetObjectId: f.internalIdentifier,
        targetObjectName: f.friendlyName,
        targetInstanceType: 'Server',
        tasks: [{ name: 'CheckConsistency', friendlyName: 'Check consistency', seconds: 30 }],
        effect: { kind: 'none', args: {} },
      },
      {
        now: ctx.now,
        resultPath: ids.fabric(s, f),
        apiVersion: ctx.apiVersion,
        ...(ctx.jobFault ? { fault: ctx.jobFault } : {}),
      },
    ).result;
  });
  const removeFabric = (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const busy =
      Object.values(f.containers).some((c) => Object.keys(c.items).length > 0 || Object.keys(c.mappings).length > 0) ||
      Object.values(f.networks).some((n) => Object.keys(n.mappings).length > 0);
    if (busy)
      throw asrError(
        400,
        'FabricInUse',
        `The server '${f.friendlyName}' has protected items, cloud associations or network mappings.`,
        'Objects that depend on the server still exist.',
        'Disable protection, remove the policy associations and network mappings first.',
      );
    const plan = Object.values(s.vault.asr.recoveryPlans ?? {}).find((x) => lower(x.primaryFabric) === lower(f.name));
    if (plan)
      throw asrError(
        400,
        'FabricInUse',
        `The server '${f.friendlyName}' is the primary fabric of the recovery plan '${plan.name}'.`,
        'A recovery plan of the vault fails over items of this server.',
        'Delete the recovery plans of the server first.',
      );
    delete s.vault.asr.fabrics[lower(f.name)];
    delete ctx.core.world.vmmRegistrations[lower(f.vmmServer)];
    ctx.count(ids.fabric(s, f), f.friendlyName);
    const op = newOperation(ctx.core, { kind: 'done', resultPath: ids.fabric(s, f), apiVersion: ctx.apiVersion });
    return asrAccepted(ctx.core, s.v, op, ids.fabric(s, f));
  };
  r('POST', `${F}/remove`, 'ReplicationFabrics_Delete', removeFabric);
  r('DELETE', F, 'ReplicationFabrics_Purge', removeFabric);

  r('GET', `${V}/replicationRecoveryServicesProviders`, 'ReplicationRecoveryServicesProviders_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).map((f) => providerView(ctx.core, s, f, ctx.now)),
    );
  });
  r(
    'GET',
    `${F}/replicationRecoveryServicesProviders`,
    'ReplicationRecoveryServicesProviders_ListByReplicationFabrics',
    (ctx) => {
      const s = asrScope(ctx);
      return page(ctx, [providerView(ctx.core, s, fabricOf(s, ctx.params['fabricName'] ?? ''), ctx.now)]);
    },
  );
  r(
    'GET',
    `${F}/replicationRecoveryServicesProviders/:providerName`,
    'ReplicationRecoveryServicesProviders_Get',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      if (lower(f.provider.name) !== lower(ctx.params['providerName'] ?? ''))
        throw leafNotFound('Recovery services provider', ctx.params['providerName'] ?? '');
      return { status: 200, body: providerView(ctx.core, s, f, ctx.now) };
    },
  );
  r(
    'POST',
    `${F}/replicationRecoveryServicesProviders/:providerName/refreshProvider`,
    'ReplicationRecoveryServicesProviders_RefreshProvider',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      if (lower(f.provider.name) !== lower(ctx.params['providerName'] ?? ''))
        throw leafNotFound('Recovery services provider', ctx.params['providerName'] ?? '');
      return startJob(
        ctx.core,
        s,
        {
          scenarioName: 'RefreshProvider',
          friendlyName: 'Refresh the server',
          targetObjectId: f.provider.name,
          targetObjectName: f.friendlyName,
          targetInstanceType: 'Server',
          tasks: [{ name: 'RefreshServer', friendlyName: 'Refresh the server', seconds: 60 }],
          effect: { kind: 'none', args: {} },
        },
        {
          now: ctx.now,
          resultPath: ids.provider(s, f),
          apiVersion: ctx.apiVersion,
          ...(ctx.jobFault ? { fault: ctx.jobFault } : {}),
        },
      ).result;
    },
  );

  // Protection containers (VMM clouds) and their VMs.
  r('GET', `${V}/replicationProtectionContainers`, 'ReplicationProtectionContainers_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).flatMap((f) => Object.values(f.containers).map((c) => containerView(s, f, c))),
    );
  });
  r(
    'GET',
    `${F}/replicationProtectionContainers`,
    'ReplicationProtectionContainers_ListByReplicationFabrics',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      return page(
        ctx,
        Object.values(f.containers).map((c) => containerView(s, f, c)),
      );
    },
  );
  r('GET', C, 'ReplicationProtectionContainers_Get', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    return { status: 200, body: containerView(s, f, containerOf(s, f, ctx.params['protectionContainerName'] ?? '')) };
  });
  r('PUT', C, 'ReplicationProtectionContainers_Create', () => {
    throw vmmOnly('a protection container');
  });
  r('POST', `${C}/discoverProtectableItem`, 'ReplicationProtectionContainers_DiscoverProtectableItem', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
    ctx.count(ids.container(s, f, c), c.friendlyName);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'DiscoverProtectableItem',
        friendlyName: 'Discover protectable items',
        targetObjectId: c.name,
        targetObjectName: c.friendlyName,
        targetInstanceType: 'ProtectionContainer',
        tasks: [{ name: 'Discover', friendlyName: 'Discover virtual machines in the cloud', seconds: 30 }],
        effect: { kind: 'none', args: {} },
      },
      {
        now: ctx.now,
        resultPath: ids.container(s, f, c),
        apiVersion: ctx.apiVersion,
        ...(ctx.jobFault ? { fault: ctx.jobFault } : {}),
      },
    ).result;
  });
  r(
    'GET',
    `${C}/replicationProtectableItems`,
    'ReplicationProtectableItems_ListByReplicationProtectionContainers',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      let items = protectableViews(ctx.core, s, f, containerOf(s, f, ctx.params['protectionContainerName'] ?? ''));
      const filter = /state\s+eq\s+'([^']+)'/i.exec(ctx.query.get('$filter') ?? '')?.[1];
      if (filter)
        items = items.filter(
          (i) => lower(String((i['properties'] as Record<string, unknown>)['protectionStatus'])) === lower(filter),
        );
      return page(ctx, items);
    },
  );
  r('GET', `${C}/replicationProtectableItems/:protectableItemName`, 'ReplicationProtectableItems_Get', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const found = protectableViews(ctx.core, s, f, containerOf(s, f, ctx.params['protectionContainerName'] ?? '')).find(
      (i) => lower(String(i['name'])) === lower(ctx.params['protectableItemName'] ?? ''),
    );
    if (!found) throw leafNotFound('Protectable item', ctx.params['protectableItemName'] ?? '');
    return { status: 200, body: found };
  });

  // VM networks.
  r('GET', `${V}/replicationNetworks`, 'ReplicationNetworks_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).flatMap((f) => Object.values(f.networks).map((n) => networkView(s, f, n))),
    );
  });
  r('GET', `${F}/replicationNetworks`, 'ReplicationNetworks_ListByReplicationFabrics', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    return page(
      ctx,
      Object.values(f.networks).map((n) => networkView(s, f, n)),
    );
  });
  r('GET', `${F}/replicationNetworks/:networkName`, 'ReplicationNetworks_Get', (ctx) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    return { status: 200, body: networkView(s, f, networkOf(s, f, ctx.params['networkName'] ?? '')) };
  });

  // Jobs.
  r('GET', `${V}/replicationJobs`, 'ReplicationJobs_List', (ctx) => {
    const s = asrScope(ctx);
    const filter = ctx.query.get('$filter') ?? '';
    const want = (k: string) => new RegExp(`${k}\\s+eq\\s+'([^']*)'`, 'i').exec(filter)?.[1];
    const status = want('jobStatus');
    const startTime = want('startTime');
    const jobName = want('jobName') ?? want('scenarioName');
    let jobs = [...s.vault.asr.jobOrder]
      .reverse()
      .map((k) => s.vault.asr.jobs[k])
      .filter((j) => j !== undefined);
    if (status) jobs = jobs.filter((j) => lower(j.state) === lower(status));
    if (jobName) jobs = jobs.filter((j) => lower(j.scenarioName) === lower(jobName));
    if (startTime) {
      const t = Date.parse(startTime);
      if (!Number.isNaN(t)) jobs = jobs.filter((j) => j.startTime >= t);
    }
    return page(
      ctx,
      jobs.map((j) => jobView(s, j)),
    );
  });
  const jobOfCtx = (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const j = s.vault.asr.jobs[lower(ctx.params['jobName'] ?? '')];
    if (!j) throw leafNotFound('Job', ctx.params['jobName'] ?? '');
    return { s, j };
  };
  r('GET', `${V}/replicationJobs/:jobName`, 'ReplicationJobs_Get', (ctx) => {
    const { s, j } = jobOfCtx(ctx);
    return { status: 200, body: jobView(s, j) };
  });
  r('POST', `${V}/replicationJobs/:jobName/cancel`, 'ReplicationJobs_Cancel', (ctx) => {
    const { s, j } = jobOfCtx(ctx);
    if (!ctx.core.jobs.cancel(j, ctx.now))
      throw asrError(
        400,
        'JobNotCancellable',
        `The job '${j.name}' is ${j.state} and cannot be cancelled.`,
        'Only running or waiting jobs can be cancelled.',
        'Check the job state before cancelling it.',
      );
    ctx.count(ids.job(s, j.name), j.scenarioName);
    const op = newOperation(ctx.core, { kind: 'done', resultPath: ids.job(s, j.name), apiVersion: ctx.apiVersion });
    return asrAccepted(ctx.core, s.v, op, ids.job(s, j.name));
  });
  r('POST', `${V}/replicationJobs/:jobName/restart`, 'ReplicationJobs_Restart', (ctx) => {
    const { s, j } = jobOfCtx(ctx);
    if (!ctx.core.jobs.restart(j, ctx.now, faultFailure(ctx.jobFault, j.tasks.length))) {
      throw asrError(
        400,
        'JobNotRestartable',
        `The job '${j.name}' is ${j.state} and cannot be restarted.`,
        'Only failed or cancelled jobs can be restarted.',
        'Check the job state before restarting it.',
      );
    }
    ctx.count(ids.job(s, j.name), j.scenarioName);
    const op = newOperation(ctx.core, {
      kind: 'job',
      jobVaultKey: s.vaultKey,
      jobName: j.name,
      resultPath: ids.job(s, j.name),
      apiVersion: ctx.apiVersion,
    });
    return asrAccepted(ctx.core, s.v, op, ids.job(s, j.name));
  });
  r('POST', `${V}/replicationJobs/:jobName/resume`, 'ReplicationJobs_Resume', (ctx) => {
    const { s, j } = jobOfCtx(ctx);
    // The comments of a resume are the observation of the manual action it completes.
    const body = ctx.body && typeof ctx.body === 'object' ? (ctx.body as Record<string, unknown>) : {};
    const comments = (body['properties'] as Record<string, unknown> | undefined)?.['comments'];
    const waiting = j.state === 'Suspended' ? j.tasks[j.cursor.task] : undefined;
    if (waiting?.state === 'Suspended' && typeof comments === 'string')
      waiting.customDetails = { ...(waiting.customDetails ?? {}), observation: comments };
    if (!ctx.core.jobs.resume(j, ctx.now))
      throw asrError(
        400,
        'JobNotResumable',
        `The job '${j.name}' is ${j.state}; only a job waiting for user action can be resumed.`,
        'The job is not suspended.',
        'Resume only jobs whose state is Suspended.',
      );
    ctx.count(ids.job(s, j.name), j.scenarioName);
    const op = newOperation(ctx.core, {
      kind: 'job',
      jobVaultKey: s.vaultKey,
      jobName: j.name,
      resultPath: ids.job(s, j.name),
      apiVersion: ctx.apiVersion,
    });
    return asrAccepted(ctx.core, s.v, op, ids.job(s, j.name));
  });

  // Long-running-operation polling.
  r('GET', `${V}/replicationOperationStatus/:operationId`, 'ReplicationOperationStatus_Get', (ctx) => {
    const s = asrScope(ctx);
    const op = findOperation(ctx.core, ctx.params['operationId'] ?? '');
    if (!op) throw leafNotFound('Operation', ctx.params['operationId'] ?? '');
    return {
      status: 200,
      body: statusBody(ctx.core, op, `${s.v}/replicationOperationStatus/${op.id}`, ctx.now),
      headers: { 'retry-after': String(ctx.core.retryAfter(30)) },
    };
  });
  router.addPattern(
    /^(?<resultPath>\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.RecoveryServices\/vaults\/[^/]+\/.+)\/operationresults\/(?<operationId>[^/]+)$/i,
    {
      method: 'GET',
      path: '{asr}/operationresults/{operationId}',
      operationId: 'ReplicationOperationResults_Get',
      apiVersions: API.asr,
      handler: async (ctx) => {
        const op = findOperation(ctx.core, ctx.params['operationId'] ?? '');
        if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
        const st = operationState(ctx.core, op, ctx.now);
        if (st.status === 'InProgress') {
          return {
            status: 202,
            headers: {
              location: absolute(ctx.core, ctx.path, ctx.apiVersion),
              'retry-after': String(ctx.core.retryAfter(30)),
            },
          };
        }
        if (st.status === 'Failed') {
          const job = jobOf(ctx.core, op);
          const e = job?.errors[job.errors.length - 1]?.error;
          throw asrError(
            400,
            st.error?.code ?? 'InternalError',
            e?.message ?? st.error?.message ?? 'The operation failed.',
            e?.possibleCauses ?? '',
            e?.recommendedAction ?? '',
          );
        }
        const resultPath = ctx.params['resultPath'] ?? '';
        const target = router.match('GET', resultPath);
        if (!target) return { status: 204 };
        try {
          return await target.route.handler({ ...ctx, path: resultPath, params: target.params });
        } catch (e) {
          if (e instanceof ArmError && (e.status === 404 || e.status === 400)) return { status: 204 };
          throw e;
        }
      },
    },
  );
}
