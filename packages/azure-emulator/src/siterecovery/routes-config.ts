import { ArmError, asrError } from '../arm/errors';
import { asrAccepted, newOperation } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import { bodyObject, obj, page, str } from '../resources/common';
import type { PolicyRec } from '../state/world';
import { lower } from '../util/ids';
import { requireStorage, requireVnet, instanceTypeOf } from './checks';
import { operationForJob, startJob } from './jobs';
import {
  asrScope,
  containerOf,
  fabricOf,
  ids,
  lastSegmentIfUnder,
  leafNotFound,
  networkOf,
  type AsrScope,
} from './scope';
import { AZURE, mappingView, networkMappingView, policyView } from './views';
import { V, allFabrics } from './routes-infra';

const F = `${V}/replicationFabrics/:fabricName`;
const C = `${F}/replicationProtectionContainers/:protectionContainerName`;
const NM = `${F}/replicationNetworks/:networkName/replicationNetworkMappings`;
const ASR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

function faultOpt(ctx: ArmContext) {
  return ctx.jobFault ? { fault: ctx.jobFault } : {};
}

function pendingAccepted(ctx: ArmContext, s: AsrScope, resultPath: string, scenario: string, target: string) {
  const job = Object.values(s.vault.asr.jobs).find(
    (j) =>
      j.scenarioName === scenario &&
      lower(j.targetObjectName) === lower(target) &&
      (j.state === 'InProgress' || j.state === 'Suspended'),
  );
  const op = job ? operationForJob(ctx.core, job.name) : undefined;
  return op ? asrAccepted(ctx.core, s.v, op, resultPath) : undefined;
}

function checkName(name: string, what: string): void {
  if (!ASR_NAME.test(name))
    throw new ArmError(
      400,
      'InvalidName',
      `The ${what} name '${name}' is invalid: use letters, digits, '-', '_' and '.', starting with a letter or digit.`,
    );
}

/**
 * What Site Recovery refuses in a Hyper-V-to-Azure policy. The limits are the ones docs/PLAN.md
 * documents (and the product's plan validation does): interval 30, 300 or 900 s; 0–24 h of recovery points;
 * app-consistent snapshots 0 (off) to 12 h and not rarer than the history; the initial
 * replication's start a time of day (PowerShell sends a TimeSpan, hh:mm[:ss]).
 * test/plan/policy-limits.test.ts holds the plan's rules and these to the same values.
 */
export function hyperVPolicyProblem(p: {
  replicationInterval: number;
  recoveryPointHistoryDuration: number;
  applicationConsistentSnapshotFrequencyInHours: number;
  onlineReplicationStartTime?: string;
}): ArmError | undefined {
  const interval = p.replicationInterval;
  if (![30, 300, 900].includes(interval))
    return asrError(
      400,
      'InvalidReplicationInterval',
      `replicationInterval ${interval} is not supported.`,
      'Hyper-V to Azure copies every 30, 300 or 900 seconds.',
      'Use 30, 300 or 900.',
    );
  const history = p.recoveryPointHistoryDuration;
  if (!(Number.isInteger(history) && history >= 0 && history <= 24))
    return asrError(
      400,
      'InvalidRecoveryPointRetention',
      `recoveryPointHistoryDuration ${history} is out of range.`,
      'Recovery points are kept for 0 to 24 hours.',
      'Use a whole number of hours between 0 and 24.',
    );
  const appFreq = p.applicationConsistentSnapshotFrequencyInHours;
  if (!(Number.isInteger(appFreq) && appFreq >= 0 && appFreq <= 12 && (appFreq === 0 || appFreq <= history))) {
    return asrError(
      400,
      'InvalidAppConsistentFrequency',
      `applicationConsistentSnapshotFrequencyInHours ${appFreq} is invalid.`,
      'The app-consistent snapshot frequency must be 0 to 12 hours and not exceed the retention.',
      'Use 0 (off) or a value up to 12 and at most the retention.',
    );
  }
  const start = p.onlineReplicationStartTime;
  if (start !== undefined && !/^(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$/.test(start)) {
    return asrError(
      400,
      'InvalidReplicationStartTime',
      `onlineReplicationStartTime '${start}' is not a time of day.`,
      'The initial replication start is a time of day within the next 24 hours.',
      'Pass hh:mm (24-hour), or leave it out to start now.',
    );
  }
  return undefined;
}

export function policyByIdOrName(s: AsrScope, idOrName: string | undefined): PolicyRec | undefined {
  if (!idOrName) return undefined;
  const name =
    lastSegmentIfUnder(idOrName, `${s.v}/replicationPolicies`) ?? (idOrName.includes('/') ? undefined : idOrName);
  return name ? s.vault.asr.policies[lower(name)] : undefined;
}

export function registerConfigRoutes(router: ArmRouter): void {
  const r = (
    method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH',
    path: string,
    operationId: string,
    handler: (ctx: ArmContext) => ReturnType<Parameters<ArmRouter['add']>[0]['handler']>,
  ) => router.add({ method, path, operationId, apiVersions: API.asr, handler });

  // Replication policies.
  r('GET', `${V}/replicationPolicies`, 'ReplicationPolicies_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      Object.values(s.vault.asr.policies).map((p) => policyView(s, p)),
    );
  });
  const policyOf = (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const p = s.vault.asr.policies[lower(ctx.params['policyName'] ?? '')];
    if (!p) throw leafNotFound('Replication policy', ctx.params['policyName'] ?? '');
    return { s, p };
  };
  r('GET', `${V}/replicationPolicies/:policyName`, 'ReplicationPolicies_Get', (ctx) => {
    const { s, p } = policyOf(ctx);
    return { status: 200, body: policyView(s, p) };
  });
  const putPolicy = (update: boolean) => (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const name = ctx.params['policyName'] ?? '';
    checkName(name, 'policy');
    const bodyProps = obj(bodyObject(ctx)['properties']);
    // Create takes providerSpecificInput; update (PATCH) takes replicationProviderSettings.
    const input = obj(bodyProps?.['providerSpecificInput']) ?? obj(bodyProps?.['replicationProviderSettings']);
    const existing = s.vault.asr.policies[lower(name)];
    if (update && !existing) throw leafNotFound('Replication policy', name);
    if (!input) {
      if (existing) return { status: 200, body: policyView(s, existing) };
      throw asrError(
        400,
        'InvalidInput',
        'properties.providerSpecificInput is required.',
        'The request has no provider specific input.',
        'Pass providerSpecificInput with instanceType HyperVReplicaAzure.',
      );
    }
    const type = instanceTypeOf(input);
    if (type !== 'HyperVReplicaAzure') {
      throw asrError(
        400,
        'InvalidInstanceType',
        `Replication provider '${type ?? ''}' is not supported here: this emulator covers Hyper-V (VMM) to Azure.`,
        'The policy instanceType is not HyperVReplicaAzure.',
        "Use providerSpecificInput.instanceType 'HyperVReplicaAzure'.",
      );
    }
    const interval = Number(input['replicationInterval'] ?? existing?.replicationIntervalSeconds ?? 300);
    const history = Number(
      input['recoveryPointHistoryDuration'] ?? existing?.recoveryPointHistoryDurationInHours ?? 24,
    );
    const appFreq = Number(
      input['applicationConsistentSnapshotFrequencyInHours'] ??
        existing?.applicationConsistentSnapshotFrequencyInHours ??
        0,
    );
    const refused = hyperVPolicyProblem({
      replicationInterval: interval,
      recoveryPointHistoryDuration: history,
      applicationConsistentSnapshotFrequencyInHours: appFreq,
      onlineReplicationStartTime: str(input['onlineReplicationStartTime']),
    });
    if (refused) throw refused;
    const accounts = Array.isArray(input['storageAccounts'])
      ? (input['storageAccounts'] as unknown[]).filter((x): x is string => typeof x === 'string')
      : (existing?.storageAccounts ?? []);
    for (const a of accounts) requireStorage(ctx.core, s.vault, a, 'storageAccounts', true);
    const startTime = str(input['onlineReplicationStartTime']);
    const fields = {
      recoveryPointHistoryDurationInHours: history,
      applicationConsistentSnapshotFrequencyInHours: appFreq,
      replicationIntervalSeconds: interval,
      storageAccounts: accounts,
      ...(startTime ? { onlineReplicationStartTime: startTime } : {}),
    };
    if (existing) {
      if (existing.state === 'Creating') {
        const again = pendingAccepted(ctx, s, ids.policy(s, existing), 'AddProtectionProfile', existing.name);
        if (again) return again;
      }
      Object.assign(existing, fields);
      ctx.count(ids.policy(s, existing), existing.name);
      return { status: 200, body: policyView(s, existing) };
    }
    const rec: PolicyRec = { name, state: 'Creating', ...fields };
    s.vault.asr.policies[lower(name)] = rec;
    ctx.count(ids.policy(s, rec), name);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'AddProtectionProfile',
        friendlyName: 'Create replication policy',
        targetObjectId: name,
        targetObjectName: name,
        targetInstanceType: 'ProtectionProfile',
        tasks: [{ name: 'CreateProtectionProfileTask', friendlyName: 'Create replication policy', seconds: 30 }],
        effect: { kind: 'createPolicy', args: { policy: name } },
      },
      { now: ctx.now, resultPath: ids.policy(s, rec), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    ).result;
  };
  r('PUT', `${V}/replicationPolicies/:policyName`, 'ReplicationPolicies_Create', putPolicy(false));
  r('PATCH', `${V}/replicationPolicies/:policyName`, 'ReplicationPolicies_Update', putPolicy(true));
  r('DELETE', `${V}/replicationPolicies/:policyName`, 'ReplicationPolicies_Delete', (ctx) => {
    const { s, p } = policyOf(ctx);
    const inUse = allFabrics(s).some((f) =>
      Object.values(f.containers).some((c) =>
        Object.values(c.mappings).some((m) => lower(m.policyName) === lower(p.name)),
      ),
    );
    if (inUse)
      throw asrError(
        400,
        'PolicyInUse',
        `The replication policy '${p.name}' is associated with a cloud.`,
        'A cloud is still associated with this policy.',
        'Remove the association (protection container mapping) first.',
      );
    delete s.vault.asr.policies[lower(p.name)];
    ctx.count(ids.policy(s, p), p.name);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'RemoveProtectionProfile',
        friendlyName: 'Delete replication policy',
        targetObjectId: p.name,
        targetObjectName: p.name,
        targetInstanceType: 'ProtectionProfile',
        tasks: [{ name: 'RemoveProtectionProfileTask', friendlyName: 'Delete replication policy', seconds: 20 }],
        effect: { kind: 'none', args: {} },
      },
      { now: ctx.now, resultPath: ids.policy(s, p), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    ).result;
  });

  // Cloud ↔ policy associations (protection container mappings).
  r('GET', `${V}/replicationProtectionContainerMappings`, 'ReplicationProtectionContainerMappings_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).flatMap((f) =>
        Object.values(f.containers).flatMap((c) => Object.values(c.mappings).map((m) => mappingView(s, f, c, m.name))),
      ),
    );
  });
  r(
    'GET',
    `${C}/replicationProtectionContainerMappings`,
    'ReplicationProtectionContainerMappings_ListByReplicationProtectionContainers',
    (ctx) => {
      const s = asrScope(ctx);
      const f = fabricOf(s, ctx.params['fabricName'] ?? '');
      const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
      return page(
        ctx,
        Object.values(c.mappings).map((m) => mappingView(s, f, c, m.name)),
      );
    },
  );
  const mappingCtx = (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const c = containerOf(s, f, ctx.params['protectionContainerName'] ?? '');
    return { s, f, c, name: ctx.params['mappingName'] ?? '' };
  };
  r(
    'GET',
    `${C}/replicationProtectionContainerMappings/:mappingName`,
    'ReplicationProtectionContainerMappings_Get',
    (ctx) => {
      const { s, f, c, name } = mappingCtx(ctx);
      if (!c.mappings[lower(name)]) throw leafNotFound('Protection container mapping', name);
      return { status: 200, body: mappingView(s, f, c, name) };
    },
  );
  r(
    'PUT',
    `${C}/replicationProtectionContainerMappings/:mappingName`,
    'ReplicationProtectionContainerMappings_Create',
    (ctx) => {
      const { s, f, c, name } = mappingCtx(ctx);
      checkName(name, 'mapping');
      const props = obj(bodyObject(ctx)['properties']) ?? {};
      const existing = c.mappings[lower(name)];
      const resultPath = ids.mapping(s, f, c, existing?.name ?? name);
      if (existing) {
        if (existing.state === 'Pairing') {
          const again = pendingAccepted(
            ctx,
            s,
            resultPath,
            'ConfigureProtection',
            `${c.friendlyName}/${existing.policyName}`,
          );
          if (again) return again;
        }
        return { status: 200, body: mappingView(s, f, c, name) };
      }
      const policy = policyByIdOrName(s, str(props['policyId']));
      if (!policy)
        throw asrError(
          400,
          'PolicyNotFound',
          `The replication policy '${str(props['policyId']) ?? ''}' was not found in vault '${s.vault.name}'.`,
          'The policy id is wrong or the policy was deleted.',
          'Create the policy first and pass its id (…/replicationPolicies/{name}).',
        );
      if (policy.state !== 'Created')
        throw asrError(
          400,
          'PolicyNotReady',
          `The replication policy '${policy.name}' is still being created.`,
          'The policy creation job has not finished.',
          'Wait for the policy creation job to complete, then retry.',
        );
      const target = str(props['targetProtectionContainerId']) ?? AZURE;
      if (lower(target) !== lower(AZURE))
        throw asrError(
          400,
          'InvalidTargetContainer',
          `The target protection container '${target}' is not valid for replication to Azure.`,
          'For Hyper-V (VMM) to Azure the target is Azure itself.',
          `Use targetProtectionContainerId '${AZURE}'.`,
        );
      const psi = obj(props['providerSpecificInput']);
      const t = instanceTypeOf(psi);
      if (psi && t !== 'ReplicationProviderSpecificContainerMappingInput' && t !== 'HyperVReplicaAzure') {
        throw asrError(
          400,
          'InvalidInstanceType',
          `providerSpecificInput.instanceType '${t ?? ''}' is not valid here.`,
          'The provider specific input does not match Hyper-V (VMM) to Azure.',
          "Use instanceType 'ReplicationProviderSpecificContainerMappingInput'.",
        );
      }
      c.mappings[lower(name)] = { name, policyName: policy.name, state: 'Pairing' };
      ctx.count(resultPath, c.friendlyName);
      return startJob(
        ctx.core,
        s,
        {
          scenarioName: 'ConfigureProtection',
          friendlyName: 'Associate replication policy',
          targetObjectId: c.name,
          targetObjectName: `${c.friendlyName}/${policy.name}`,
          targetInstanceType: 'ProtectionContainer',
          tasks: [
            {
              name: 'AssociationPrerequisites',
              friendlyName: 'Prerequisites check for associating the policy',
              seconds: 20,
            },
            { name: 'AssociatePolicy', friendlyName: 'Associate the replication policy with the cloud', seconds: 40 },
          ],
          effect: { kind: 'pairContainer', args: { fabric: f.name, container: c.name, mapping: name } },
          affectedObjectDetails: {
            PrimaryCloudId: c.name,
            PrimaryCloudName: c.friendlyName,
            ProtectionProfileName: policy.name,
          },
        },
        { now: ctx.now, resultPath, apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
      ).result;
    },
  );
  const unpair = (ctx: ArmContext) => {
    const { s, f, c, name } = mappingCtx(ctx);
    const m = c.mappings[lower(name)];
    if (!m) throw leafNotFound('Protection container mapping', name);
    const protectedWithPolicy = Object.values(c.items).some((i) => lower(i.policyName) === lower(m.policyName));
    if (protectedWithPolicy)
      throw asrError(
        400,
        'MappingInUse',
        `Virtual machines of cloud '${c.friendlyName}' are protected with policy '${m.policyName}'.`,
        'Protected items still use this association.',
        'Disable protection of those virtual machines first.',
      );
    m.state = 'Unpairing';
    ctx.count(ids.mapping(s, f, c, m.name), c.friendlyName);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'UnconfigureProtection',
        friendlyName: 'Dissociate replication policy',
        targetObjectId: c.name,
        targetObjectName: `${c.friendlyName}/${m.policyName}`,
        targetInstanceType: 'ProtectionContainer',
        tasks: [{ name: 'DissociatePolicy', friendlyName: 'Dissociate the replication policy', seconds: 30 }],
        effect: { kind: 'unpairContainer', args: { fabric: f.name, container: c.name, mapping: m.name } },
      },
      { now: ctx.now, resultPath: ids.mapping(s, f, c, m.name), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    ).result;
  };
  r(
    'POST',
    `${C}/replicationProtectionContainerMappings/:mappingName/remove`,
    'ReplicationProtectionContainerMappings_Delete',
    unpair,
  );
  r(
    'DELETE',
    `${C}/replicationProtectionContainerMappings/:mappingName`,
    'ReplicationProtectionContainerMappings_Purge',
    unpair,
  );

  // VM network ↔ Azure VNet (network mappings).
  r('GET', `${V}/replicationNetworkMappings`, 'ReplicationNetworkMappings_List', (ctx) => {
    const s = asrScope(ctx);
    return page(
      ctx,
      allFabrics(s).flatMap((f) =>
        Object.values(f.networks).flatMap((n) =>
          Object.values(n.mappings).map((m) => networkMappingView(s, f, n, m.name)),
        ),
      ),
    );
  });
  const nmCtx = (ctx: ArmContext) => {
    const s = asrScope(ctx);
    const f = fabricOf(s, ctx.params['fabricName'] ?? '');
    const n = networkOf(s, f, ctx.params['networkName'] ?? '');
    return { s, f, n, name: ctx.params['networkMappingName'] ?? '' };
  };
  r('GET', NM, 'ReplicationNetworkMappings_ListByReplicationNetworks', (ctx) => {
    const { s, f, n } = nmCtx(ctx);
    return page(
      ctx,
      Object.values(n.mappings).map((m) => networkMappingView(s, f, n, m.name)),
    );
  });
  r('GET', `${NM}/:networkMappingName`, 'ReplicationNetworkMappings_Get', (ctx) => {
    const { s, f, n, name } = nmCtx(ctx);
    if (!n.mappings[lower(name)]) throw leafNotFound('Network mapping', name);
    return { status: 200, body: networkMappingView(s, f, n, name) };
  });
  const putNm = (update: boolean) => (ctx: ArmContext) => {
    const { s, f, n, name } = nmCtx(ctx);
    checkName(name, 'network mapping');
    const props = obj(bodyObject(ctx)['properties']) ?? {};
    const existing = n.mappings[lower(name)];
    const resultPath = ids.networkMapping(s, f, n, existing?.name ?? name);
    if (update && !existing) throw leafNotFound('Network mapping', name);
    const recoveryNetworkId = str(props['recoveryNetworkId']);
    if (existing && (!recoveryNetworkId || lower(recoveryNetworkId) === lower(existing.recoveryNetworkId))) {
      if (existing.state === 'Pairing') {
        const again = pendingAccepted(ctx, s, resultPath, 'MapNetwork', `${n.friendlyName}`);
        if (again) return again;
      }
      return { status: 200, body: networkMappingView(s, f, n, name) };
    }
    if (!recoveryNetworkId)
      throw asrError(
        400,
        'InvalidInput',
        'properties.recoveryNetworkId is required.',
        'The request has no recovery network.',
        'Pass the ARM id of the Azure virtual network.',
      );
    const other = Object.values(n.mappings).find((m) => lower(m.name) !== lower(name));
    if (other)
      throw asrError(
        400,
        'NetworkAlreadyMapped',
        `The VM network '${n.friendlyName}' is already mapped (mapping '${other.name}').`,
        'A VM network maps to one Azure virtual network.',
        'Delete the existing network mapping or update it.',
      );
    const rfn = str(props['recoveryFabricName']) ?? AZURE;
    if (lower(rfn) !== lower(AZURE))
      throw asrError(
        400,
        'InvalidRecoveryFabric',
        `recoveryFabricName '${rfn}' is not valid for VMM to Azure.`,
        'The recovery fabric of Hyper-V (VMM) to Azure is Azure.',
        `Use recoveryFabricName '${AZURE}'.`,
      );
    const fsd = obj(props['fabricSpecificDetails']);
    if (fsd && instanceTypeOf(fsd) !== 'VmmToAzure')
      throw asrError(
        400,
        'InvalidInstanceType',
        `fabricSpecificDetails.instanceType '${instanceTypeOf(fsd) ?? ''}' is not valid here.`,
        'The fabric specific input does not match VMM to Azure.',
        "Use instanceType 'VmmToAzure'.",
      );
    const vnet = requireVnet(ctx.core, s.vault, recoveryNetworkId, 'recoveryNetworkId');
    const vnetArmId = `/subscriptions/${vnet.subscriptionId}/resourceGroups/${vnet.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${vnet.name}`;
    n.mappings[lower(name)] = {
      name: existing?.name ?? name,
      recoveryNetworkId: vnetArmId,
      recoveryFabricName: AZURE,
      state: 'Pairing',
    };
    ctx.count(resultPath, n.friendlyName);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'MapNetwork',
        friendlyName: 'Map networks',
        targetObjectId: n.name,
        targetObjectName: n.friendlyName,
        targetInstanceType: 'NetworkMapping',
        tasks: [
          { name: 'MapNetworkTask', friendlyName: 'Map the VM network to the Azure virtual network', seconds: 30 },
        ],
        effect: { kind: 'mapNetwork', args: { fabric: f.name, network: n.name, mapping: existing?.name ?? name } },
      },
      { now: ctx.now, resultPath, apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    ).result;
  };
  r('PUT', `${NM}/:networkMappingName`, 'ReplicationNetworkMappings_Create', putNm(false));
  r('PATCH', `${NM}/:networkMappingName`, 'ReplicationNetworkMappings_Update', putNm(true));
  r('DELETE', `${NM}/:networkMappingName`, 'ReplicationNetworkMappings_Delete', (ctx) => {
    const { s, f, n, name } = nmCtx(ctx);
    const m = n.mappings[lower(name)];
    if (!m) {
      const op = newOperation(ctx.core, { kind: 'done', apiVersion: ctx.apiVersion });
      return asrAccepted(ctx.core, s.v, op, ids.networkMapping(s, f, n, name));
    }
    m.state = 'Unpairing';
    ctx.count(ids.networkMapping(s, f, n, m.name), n.friendlyName);
    return startJob(
      ctx.core,
      s,
      {
        scenarioName: 'UnmapNetwork',
        friendlyName: 'Unmap networks',
        targetObjectId: n.name,
        targetObjectName: n.friendlyName,
        targetInstanceType: 'NetworkMapping',
        tasks: [{ name: 'UnmapNetworkTask', friendlyName: 'Remove the network mapping', seconds: 20 }],
        effect: { kind: 'unmapNetwork', args: { fabric: f.name, network: n.name, mapping: m.name } },
      },
      { now: ctx.now, resultPath: ids.networkMapping(s, f, n, m.name), apiVersion: ctx.apiVersion, ...faultOpt(ctx) },
    ).result;
  });
}
