import type { EmulatorCore } from '../core';
import { vmKey } from '../core';
import { replicationView } from '../sim/replication';
import type { ContainerRec, FabricRec, ItemPhase, JobRec, ProtectedItemRec, VaultRec } from '../state/world';
import { lower, parseArmId } from '../util/ids';
import { AZURE, itemDisks, recoveryPointName, targetDiskName } from './views';
import { targetVmSize } from './target-size';
import { buildFabric } from './registration';
import { recoveryPoints } from '../sim/replication';
import { failoverNics } from './addressing';
import { failoverPrerequisiteError } from './failover-prereqs';
import { removeItemFromPlans } from './plans';
import { scopeOfVault } from './scope';

// What a Site Recovery job changes when it ends. Job records carry only the kind and
// string arguments of their effect, so the world stays plain data.

interface ItemRef {
  vault: VaultRec;
  fabric: FabricRec;
  container: ContainerRec;
  item: ProtectedItemRec;
}

function itemRef(core: EmulatorCore, job: JobRec): ItemRef | undefined {
  const a = job.effect.args;
  const vault = core.world.vaults[a['vaultKey'] ?? job.vaultKey];
  const fabric = vault?.asr.fabrics[lower(a['fabric'] ?? '')];
  const container = fabric?.containers[lower(a['container'] ?? '')];
  const item = container?.items[lower(a['item'] ?? '')];
  if (!vault || !fabric || !container || !item) return undefined;
  return { vault, fabric, container, item };
}

function settle(item: ProtectedItemRec, phase: ItemPhase): void {
  item.phase = phase;
  delete item.currentJob;
}

function azureVmId(item: ProtectedItemRec, suffix: string): string | undefined {
  const rg = item.target.resourceGroupId ? parseArmId(item.target.resourceGroupId) : undefined;
  if (!rg?.resourceGroup) return undefined;
  return `/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${item.target.vmName}${suffix}`;
}

/**
 * The Azure VM a failover (or test failover, into the network its request named) creates,
 * made of the item's target settings: size, licensing, placement, tags, the replicated disks
 * and a NIC per NIC selected for failover.
 */
function createAzureVm(
  core: EmulatorCore,
  ref: ItemRef,
  purpose: 'TestFailover' | 'Failover',
  at: number,
  testNetworkId?: string,
): string | undefined {
  const { item } = ref;
  const id = azureVmId(item, purpose === 'TestFailover' ? '-test' : '');
  if (!id) return undefined;
  const name = id.split('/').pop() ?? item.target.vmName;
  const vm = core.vm(item.vmmServer, item.cloud, item.vmName);
  const vmmName = core.vmmServer(item.vmmServer)?.name ?? item.vmmServer;
  const networkId = purpose === 'TestFailover' ? testNetworkId : item.target.networkId;
  const t = item.target;
  core.world.azureVms[lower(id)] = {
    id,
    name,
    location: ref.vault.location,
    sourceVm: `${item.vmmServer}/${item.cloud}/${item.vmName}`,
    purpose,
    createdAt: at,
    ...(networkId ? { networkId } : {}),
    vmSize: targetVmSize(item, vm),
    ...(t.licenseType ? { licenseType: t.licenseType } : {}),
    ...(t.sqlServerLicenseType ? { sqlServerLicenseType: t.sqlServerLicenseType } : {}),
    ...(t.availabilityZone ? { zone: t.availabilityZone } : {}),
    ...(t.availabilitySetId ? { availabilitySetId: t.availabilitySetId } : {}),
    ...(t.vmTags ? { tags: { ...t.vmTags } } : {}),
    nics: networkId
      ? failoverNics(core, ref.vault, item, vm, { vmName: name, networkId, test: purpose === 'TestFailover' })
      : [],
    disks: itemDisks(vmmName, item, vm).map((d) => ({
      name: targetDiskName(name, d.index),
      sourceVhd: d.vhdId,
      os: d.os,
      sizeGB: d.disk.sizeGB,
    })),
  };
  return id;
}

function latestPointName(core: EmulatorCore, ref: ItemRef, at: number): string | undefined {
  const policy = ref.vault.asr.policies[lower(ref.item.policyName)];
  const p = recoveryPoints(ref.item, policy, at)[0];
  return p ? recoveryPointName(ref.item, p.time) : undefined;
}

export function registerEffects(core: EmulatorCore): void {
  const j = core.jobs;

  j.on('registerDra', {
    onSuccess: (job, at) => {
      const vault = core.world.vaults[job.vaultKey];
      const vmm = core.vmmServer(job.effect.args['vmm'] ?? '');
      if (!vault || !vmm) return;
      const fabric = buildFabric(core, vault, vmm, at);
      vault.asr.fabrics[lower(fabric.name)] = fabric;
      core.world.vmmRegistrations[lower(vmm.name)] = job.vaultKey;
    },
    onFailure: (job) => {
      const vmm = lower(job.effect.args['vmm'] ?? '');
      if (core.world.vmmRegistrations[vmm] === job.vaultKey) delete core.world.vmmRegistrations[vmm];
    },
  });

  j.on('createPolicy', {
    onSuccess: (job) => {
      const p = core.world.vaults[job.vaultKey]?.asr.policies[lower(job.effect.args['policy'] ?? '')];
      if (p) p.state = 'Created';
    },
    onFailure: (job) => {
      const v = core.world.vaults[job.vaultKey];
      const key = lower(job.effect.args['policy'] ?? '');
      if (v?.asr.policies[key]?.state === 'Creating') delete v.asr.policies[key];
    },
  });

  const containerOfJob = (job: JobRec): ContainerRec | undefined =>
    core.world.vaults[job.vaultKey]?.asr.fabrics[lower(job.effect.args['fabric'] ?? '')]?.containers[
      lower(job.effect.args['container'] ?? '')
    ];

  j.on('pairContainer', {
    onSuccess: (job) => {
      const m = containerOfJob(job)?.mappings[lower(job.effect.args['mapping'] ?? '')];
      if (m) m.state = 'Paired';
    },
    onFailure: (job) => {
      const c = containerOfJob(job);
      if (c) delete c.mappings[lower(job.effect.args['mapping'] ?? '')];
    },
  });
  j.on('unpairContainer', {
    onSuccess: (job) => {
      const c = containerOfJob(job);
      if (c) delete c.mappings[lower(job.effect.args['mapping'] ?? '')];
    },
    onFailure: (job) => {
      const m = containerOfJob(job)?.mappings[lower(job.effect.args['mapping'] ?? '')];
      if (m) m.state = 'Paired';
    },
  });

  const networkMappingOfJob = (job: JobRec) => {
    const n =
      core.world.vaults[job.vaultKey]?.asr.fabrics[lower(job.effect.args['fabric'] ?? '')]?.networks[
        lower(job.effect.args['network'] ?? '')
      ];
    return { n, key: lower(job.effect.args['mapping'] ?? '') };
  };
  j.on('mapNetwork', {
    onSuccess: (job) => {
      const { n, key } = networkMappingOfJob(job);
      const m = n?.mappings[key];
      if (m) m.state = 'Paired';
    },
    onFailure: (job) => {
      const { n, key } = networkMappingOfJob(job);
      if (n) delete n.mappings[key];
    },
  });
  j.on('unmapNetwork', {
    onSuccess: (job) => {
      const { n, key } = networkMappingOfJob(job);
      if (n) delete n.mappings[key];
    },
  });

  const back = (job: JobRec) => {
    const ref = itemRef(core, job);
    if (ref) settle(ref.item, (job.effect.args['prevPhase'] ?? 'Replicating') as ItemPhase);
  };

  j.on('enableProtection', {
    onSuccess: (job, at) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const vm = core.vm(ref.item.vmmServer, ref.item.cloud, ref.item.vmName);
      const vmm = core.vmmServer(ref.item.vmmServer);
      const bytes = (vm?.disks ?? []).reduce((n, d) => n + (d.usedGB ?? d.sizeGB) * 1024 ** 3, 0);
      ref.item.replication = {
        startedAt: at,
        bytes: Math.max(1, bytes),
        bytesPerSecond: ((vmm?.uploadMbps ?? 100) * 1e6) / 8,
        type: 'InitialReplication',
      };
      settle(ref.item, 'Replicating');
    },
    onFailure: (job) => {
      const ref = itemRef(core, job);
      if (ref) delete ref.container.items[lower(ref.item.name)];
    },
    onRestart: (job) => {
      // A restarted enable-protection job recreates the item it removed on failure.
      const c = containerOfJob(job);
      const snapshot = job.effect.args['snapshot'];
      if (c && snapshot && !c.items[lower(job.effect.args['item'] ?? '')]) {
        const item = JSON.parse(snapshot) as ProtectedItemRec;
        item.phase = 'Enabling';
        item.currentJob = { scenarioName: job.scenarioName, jobName: job.name, startTime: job.startTime };
        c.items[lower(item.name)] = item;
      }
    },
  });

  // A restarted failover checks its prerequisites again: the availability set may exist by
  // now, or still be missing.
  const recheck = (job: JobRec) => {
    const ref = itemRef(core, job);
    if (!ref || job.failure) return;
    const error = failoverPrerequisiteError(core, ref.item);
    if (error) job.failure = { atTask: job.cursor.task, error };
  };

  j.on('testFailover', {
    onSuccess: (job, at) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      ref.item.testVmId = createAzureVm(core, ref, 'TestFailover', at, job.effect.args['networkId']);
      ref.item.phase = 'TestFailoverDone';
      // The scenario stays visible until cleanup, as Site Recovery shows it.
    },
    onFailure: back,
    onRestart: recheck,
  });
  j.on('testFailoverCleanup', {
    onSuccess: (job, at) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      if (ref.item.testVmId) delete core.world.azureVms[lower(ref.item.testVmId)];
      delete ref.item.testVmId;
      ref.item.lastSuccessfulTestFailoverTime = at;
      settle(ref.item, 'Replicating');
    },
    onFailure: back,
  });
  const failover = (kind: 'Planned' | 'Unplanned') => ({
    onSuccess: (job: JobRec, at: number) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const policy = ref.vault.asr.policies[lower(ref.item.policyName)];
      const chosen = job.effect.args['recoveryPoint'];
      ref.item.failoverRecoveryPointName = chosen && chosen !== '' ? chosen : latestPointName(core, ref, at);
      if (ref.item.replication && replicationView(ref.item, policy, at).initialDone)
        ref.item.replication.stoppedAt = at;
      if (kind === 'Planned' || job.effect.args['shutdownSource'] === 'true') {
        const st = core.world.onPremVms[vmKey(ref.item.vmmServer, ref.item.cloud, ref.item.vmName)];
        if (st) st.powerState = 'Off';
      }
      createAzureVm(core, ref, 'Failover', at);
      ref.item.failoverKind = kind;
      ref.item.activeLocation = 'Recovery';
      ref.item.lastSuccessfulFailoverTime = at;
      settle(ref.item, 'FailedOver');
    },
    onFailure: back,
    onRestart: recheck,
  });
  j.on('plannedFailover', failover('Planned'));
  j.on('unplannedFailover', failover('Unplanned'));
  j.on('changePit', {
    onSuccess: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const rp = job.effect.args['recoveryPoint'];
      if (rp) ref.item.failoverRecoveryPointName = rp;
      settle(ref.item, 'FailedOver');
    },
    onFailure: back,
  });
  j.on('commit', {
    onSuccess: (job) => {
      const ref = itemRef(core, job);
      if (ref) settle(ref.item, 'Committed');
    },
    onFailure: back,
  });
  j.on('failback', {
    onSuccess: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const st = core.world.onPremVms[vmKey(ref.item.vmmServer, ref.item.cloud, ref.item.vmName)];
      if (st) st.powerState = 'Running';
      const vmId = azureVmId(ref.item, '');
      const azureVm = vmId ? core.world.azureVms[lower(vmId)] : undefined;
      if (azureVm) azureVm.purpose = 'Failover';
      ref.item.activeLocation = 'Primary';
      settle(ref.item, 'FailedBack');
    },
    onFailure: back,
  });
  j.on('failbackCommit', {
    onSuccess: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const vmId = azureVmId(ref.item, '');
      if (vmId) delete core.world.azureVms[lower(vmId)];
      settle(ref.item, 'FailbackCommitted');
    },
    onFailure: back,
  });
  j.on('reprotect', {
    onSuccess: (job, at) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      const vm = core.vm(ref.item.vmmServer, ref.item.cloud, ref.item.vmName);
      const vmm = core.vmmServer(ref.item.vmmServer);
      // Only blocks changed since the failback travel again.
      const bytes = (vm?.disks ?? []).reduce((n, d) => n + (d.usedGB ?? d.sizeGB) * 1024 ** 3, 0) * 0.1;
      ref.item.replication = {
        startedAt: at,
        bytes: Math.max(1, bytes),
        bytesPerSecond: ((vmm?.uploadMbps ?? 100) * 1e6) / 8,
        type: 'Resynchronization',
      };
      delete ref.item.failoverRecoveryPointName;
      delete ref.item.failoverKind;
      ref.item.activeLocation = 'Primary';
      settle(ref.item, 'Replicating');
    },
    onFailure: back,
  });
  // The update applied its settings when it was accepted: a failed job puts back the ones
  // before (unless a later update replaced them), a restarted one applies its own again.
  const targetArg = (job: JobRec, key: string) =>
    JSON.parse(job.effect.args[key] ?? '{}') as ProtectedItemRec['target'];
  j.on('updateVmProperties', {
    onSuccess: back,
    onFailure: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      if (JSON.stringify(ref.item.target) === job.effect.args['target']) ref.item.target = targetArg(job, 'prevTarget');
      settle(ref.item, (job.effect.args['prevPhase'] ?? 'Replicating') as ItemPhase);
    },
    onRestart: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      ref.item.target = targetArg(job, 'target');
      ref.item.currentJob = { scenarioName: job.scenarioName, jobName: job.name, startTime: job.startTime };
    },
  });
  j.on('disableProtection', {
    onSuccess: (job) => {
      const ref = itemRef(core, job);
      if (!ref) return;
      if (ref.item.testVmId) delete core.world.azureVms[lower(ref.item.testVmId)];
      // Site Recovery takes an item whose protection is disabled out of its recovery plans.
      removeItemFromPlans(scopeOfVault(ref.vault), ref.fabric, ref.container, ref.item);
      delete ref.container.items[lower(ref.item.name)];
    },
    onFailure: back,
  });
  j.on('none', {});
}

export { AZURE };
