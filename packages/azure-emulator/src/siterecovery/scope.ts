import { ArmError, asrError } from '../arm/errors';
import type { ArmContext } from '../arm/router';
import { findVault, vaultKeyOf } from '../resources/vaults';
import type { ContainerRec, FabricRec, NetworkRec, PolicyRec, ProtectedItemRec, VaultRec } from '../state/world';
import { asrVaultId, lower } from '../util/ids';

export interface AsrScope {
  vault: VaultRec;
  vaultKey: string;
  /** Vault id as Site Recovery writes it (`/Subscriptions/...`). */
  v: string;
}

export function asrScope(ctx: ArmContext): AsrScope {
  const rg = ctx.params['resourceGroupName'] ?? '';
  const name = ctx.params['resourceName'] ?? '';
  const vault = findVault(ctx, rg, name);
  return {
    vault,
    vaultKey: vaultKeyOf(vault.subscriptionId, vault.resourceGroup, vault.name),
    v: asrVaultId(vault.subscriptionId, vault.resourceGroup, vault.name),
  };
}

export function scopeOfVault(vault: VaultRec): AsrScope {
  return {
    vault,
    vaultKey: vaultKeyOf(vault.subscriptionId, vault.resourceGroup, vault.name),
    v: asrVaultId(vault.subscriptionId, vault.resourceGroup, vault.name),
  };
}

export const ids = {
  fabric: (s: AsrScope, f: FabricRec) => `${s.v}/replicationFabrics/${f.name}`,
  provider: (s: AsrScope, f: FabricRec) =>
    `${s.v}/replicationFabrics/${f.name}/replicationRecoveryServicesProviders/${f.provider.name}`,
  container: (s: AsrScope, f: FabricRec, c: ContainerRec) =>
    `${s.v}/replicationFabrics/${f.name}/replicationProtectionContainers/${c.name}`,
  protectable: (s: AsrScope, f: FabricRec, c: ContainerRec, name: string) =>
    `${ids.container(s, f, c)}/replicationProtectableItems/${name}`,
  item: (s: AsrScope, f: FabricRec, c: ContainerRec, i: ProtectedItemRec) =>
    `${ids.container(s, f, c)}/replicationProtectedItems/${i.name}`,
  mapping: (s: AsrScope, f: FabricRec, c: ContainerRec, name: string) =>
    `${ids.container(s, f, c)}/replicationProtectionContainerMappings/${name}`,
  network: (s: AsrScope, f: FabricRec, n: NetworkRec) =>
    `${s.v}/replicationFabrics/${f.name}/replicationNetworks/${n.name}`,
  networkMapping: (s: AsrScope, f: FabricRec, n: NetworkRec, name: string) =>
    `${ids.network(s, f, n)}/replicationNetworkMappings/${name}`,
  policy: (s: AsrScope, p: PolicyRec | string) => `${s.v}/replicationPolicies/${typeof p === 'string' ? p : p.name}`,
  job: (s: AsrScope, name: string) => `${s.v}/replicationJobs/${name}`,
};

export function fabricOf(s: AsrScope, name: string): FabricRec {
  const f = s.vault.asr.fabrics[lower(name)];
  if (!f) {
    throw asrError(
      400,
      'FabricNotFound',
      `The fabric '${name}' could not be found in the vault '${s.vault.name}'.`,
      'The fabric name is wrong, or the server was never registered with this vault (the ASR Provider is not installed yet), or it was removed.',
      'List the fabrics of the vault (GET replicationFabrics) and use the name of a registered one.',
    );
  }
  return f;
}

export function containerOf(s: AsrScope, f: FabricRec, name: string): ContainerRec {
  const c = f.containers[lower(name)];
  if (!c) {
    throw asrError(
      400,
      'ProtectionContainerNotFound',
      `The protection container '${name}' could not be found in fabric '${f.friendlyName}'.`,
      'The cloud name is wrong or the cloud was not discovered on the VMM server.',
      'List the protection containers of the fabric and use the name (cloud_...) of the cloud.',
    );
  }
  return c;
}

export function networkOf(s: AsrScope, f: FabricRec, name: string): NetworkRec {
  const n = f.networks[lower(name)];
  if (!n) {
    throw asrError(
      400,
      'NetworkNotFound',
      `The network '${name}' could not be found in fabric '${f.friendlyName}'.`,
      'The VM network name is wrong or the network was not discovered on the VMM server.',
      'List the networks of the fabric (GET replicationNetworks) and use the name of one.',
    );
  }
  return n;
}

export function leafNotFound(kind: string, name: string): ArmError {
  return new ArmError(404, 'NotFound', `${kind} '${name}' was not found.`, {
    details: [
      {
        code: 'NotFound',
        message: `${kind} '${name}' was not found.`,
        possibleCauses: 'The object was never created, or it was deleted.',
        recommendedAction: 'Check the name, or create the object first.',
      },
    ],
  });
}

/** Finds by ARM id (any casing) within a vault; returns the last path segment when the prefix matches. */
export function lastSegmentIfUnder(id: string | undefined, prefix: string): string | undefined {
  if (!id) return undefined;
  if (!lower(id).startsWith(lower(prefix) + '/')) return undefined;
  const rest = id.slice(prefix.length + 1);
  return rest.includes('/') ? undefined : rest;
}
