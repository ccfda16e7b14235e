import type { AzureClientFactory } from '../../azure/clients';
import { needsOperator } from '../../azure/failures';
import {
  DEFAULT_PROVISIONING_WAIT,
  waitUntilProvisioned,
  type ProvisioningLook,
  type ProvisioningWait,
} from '../../azure/provisioning';
import { sameName } from '../../azure/reads';
import { listProtectionContainers, listVmNetworks } from '../../azure/site-recovery/fabrics';
import { jobFailed, jobFailureDetails, listRecentJobs, newestJob } from '../../azure/site-recovery/jobs';
import {
  createContainerMapping,
  createNetworkMapping,
  readContainerMapping,
  readNetworkMapping,
} from '../../azure/site-recovery/mappings';
import {
  createHyperVPolicy,
  policyDifferences,
  readHyperVPolicy,
  updateHyperVPolicy,
} from '../../azure/site-recovery/policies';
import { lastCheckpoint } from '../../azure/checkpoint';
import { listProtectableItems } from '../../azure/site-recovery/protectable-items';
import { asrVault, type AsrVault } from '../../azure/site-recovery/vault';
import type { ProtectableVm, ReplicationPolicySpec, VaultTarget } from '../contract';

// Policy, cloud-to-policy pairing and network mapping inside the vault — ASR resources whose
// PUTs are long-running. Each is read first: an existing one is not re-issued, and one still
// being created is waited for.

/** A pairing (container or network mapping) by its `state`: Pairing → wait, *Failed → operator. */
function pairingLook(state: string | undefined): ProvisioningLook {
  if (!state || state === 'Paired') return { state: 'ready' };
  if (/fail/i.test(state)) return { state: 'failed', detail: `ended in state ${state}` };
  return { state: 'pending', detail: `in state ${state}` };
}

/** A pairing looked at again while waiting: one that vanished meanwhile failed. */
function pairingOf(mapping: { state: string } | undefined): ProvisioningLook {
  return mapping ? pairingLook(mapping.state) : { state: 'failed', detail: 'vanished while being paired' };
}

/**
 * A policy shows no provisioning state of its own: its creation job says whether it is usable yet
 * (pairing a cloud with it before is refused with PolicyNotReady). A creation older than a day
 * has long finished.
 */
async function policyCreation(v: AsrVault, policyName: string): Promise<ProvisioningLook> {
  const job = newestJob(
    (
      await listRecentJobs(v, {
        scenario: 'AddProtectionProfile',
        doing: `read the creation job of policy ${policyName}`,
      })
    ).filter((j) => sameName(j.targetObjectName, policyName)),
  );
  const state = job?.state;
  if (state === 'InProgress' || state === 'NotStarted' || state === 'Suspended')
    return { state: 'pending', detail: `being created (job ${job?.jobName} ${state})` };
  if (jobFailed(job))
    return {
      state: 'failed',
      detail: `creation ended ${job.state} (job ${job.jobName})`,
      failure: jobFailureDetails(job),
    };
  return { state: 'ready' };
}

export function createReplicationSetupActivities(
  azure: AzureClientFactory,
  wait: ProvisioningWait = DEFAULT_PROVISIONING_WAIT,
) {
  return {
    async findProtectionContainer(input: {
      target: VaultTarget;
      fabricName: string;
      cloud: string;
    }): Promise<{ containerName: string }> {
      const { target } = input;
      const containers = await listProtectionContainers(asrVault(azure, target), input.fabricName);
      const container = containers.find((c) => sameName(c.friendlyName, input.cloud));
      if (!container) {
        throw needsOperator(`VMM cloud '${input.cloud}' is not visible in vault ${target.vault}`, {
          fix: `check the cloud's name in the plan (clouds seen: ${containers.map((c) => c.friendlyName).join(', ') || 'none'}) and that the VMM server is registered`,
        });
      }
      return { containerName: container.name };
    },

    /**
     * The tenant's policy as the plan says: created when missing; when it exists with other
     * settings (the plan changed since), updated in place — Site Recovery applies a policy's
     * new settings to every VM it protects — and the changes are returned for the step to show.
     */
    async ensurePolicy(input: {
      target: VaultTarget;
      policyName: string;
      policy: ReplicationPolicySpec;
      storageAccountId: string;
      tenant?: string;
    }): Promise<{ policyId: string; updated?: string[] }> {
      const vault = asrVault(azure, input.target);
      const owner = input.tenant ?? input.policyName;
      const resumedUpdate = lastCheckpoint(`update policy ${input.policyName}`);
      const existing = await readHyperVPolicy(vault, input.policyName);
      if (existing) {
        await waitUntilProvisioned(
          `replication policy ${input.policyName}`,
          () => policyCreation(vault, input.policyName),
          wait,
        );
        const changed = policyDifferences(existing.settings, input.policy);
        if (changed.length === 0 && !resumedUpdate) return { policyId: existing.id };
        await updateHyperVPolicy(vault, input.policyName, input.policy, input.storageAccountId, owner);
        return { policyId: existing.id, updated: changed };
      }
      const { id } = await createHyperVPolicy(vault, input.policyName, input.policy, input.storageAccountId, owner);
      return { policyId: id };
    },

    async ensureContainerMapping(input: {
      target: VaultTarget;
      fabricName: string;
      containerName: string;
      mappingName: string;
      policyId: string;
    }): Promise<{ state?: string }> {
      const vault = asrVault(azure, input.target);
      const existing = await readContainerMapping(vault, input);
      if (!existing) return createContainerMapping(vault, input, input.policyId);
      await waitUntilProvisioned(
        `pairing of cloud ${input.containerName} with the policy`,
        async () => pairingOf(await readContainerMapping(vault, input)),
        wait,
      );
      return { state: 'Paired' };
    },

    async ensureNetworkMapping(input: {
      target: VaultTarget;
      fabricName: string;
      vmNetwork: string;
      mappingName: string;
      recoveryNetworkId: string;
    }): Promise<{ networkName: string }> {
      const vault = asrVault(azure, input.target);
      const networks = await listVmNetworks(vault, input.fabricName);
      const network = networks.find((n) => sameName(n.friendlyName, input.vmNetwork));
      if (!network) {
        throw needsOperator(`VM network '${input.vmNetwork}' is not visible on ${input.fabricName}`, {
          fix: `check vmm.vmNetwork in the plan (seen: ${networks.map((n) => n.friendlyName).join(', ') || 'none'})`,
        });
      }
      const ref = { fabricName: input.fabricName, networkName: network.name, mappingName: input.mappingName };
      const existing = await readNetworkMapping(vault, ref);
      if (existing) {
        await waitUntilProvisioned(
          `mapping of VM network ${input.vmNetwork}`,
          async () => pairingOf(await readNetworkMapping(vault, ref)),
          wait,
        );
      } else {
        await createNetworkMapping(vault, ref, input.recoveryNetworkId, input.vmNetwork);
      }
      return { networkName: network.name };
    },

    /** The cloud's VMs as ASR sees them, with the reasons a VM cannot be protected. */
    async listProtectableVms(input: {
      target: VaultTarget;
      fabricName: string;
      containerName: string;
      /** VMs whose disks the plan names: their disk list is read too. */
      withDisks?: string[];
    }): Promise<ProtectableVm[]> {
      return listProtectableItems(
        asrVault(azure, input.target),
        input.fabricName,
        input.containerName,
        input.containerName,
        input.withDisks,
      );
    },
  };
}
