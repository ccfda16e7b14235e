import { asrError } from '../arm/errors';
import type { EmulatorCore } from '../core';
import { GEO_REDUNDANT } from '../resources/storage';
import type { StorageAccountRec, VaultRec, VnetRec } from '../state/world';
import { lower, parseArmId } from '../util/ids';

// The rules of the seed, checked where Site Recovery checks them: the target storage and
// network must exist, live in the vault's region, and the storage must be geo-redundant.

export function requireStorage(
  core: EmulatorCore,
  vault: VaultRec,
  id: string,
  field: string,
  geo: boolean,
): StorageAccountRec {
  const p = parseArmId(id);
  const name = p?.segments.find((x) => lower(x.type) === 'storageaccounts')?.name;
  const acc = name ? core.world.storageAccounts[lower(name)] : undefined;
  if (
    !p ||
    !name ||
    !acc ||
    lower(acc.subscriptionId) !== lower(p.subscriptionId) ||
    lower(acc.resourceGroup) !== lower(p.resourceGroup ?? '')
  ) {
    throw asrError(
      400,
      'StorageAccountNotFound',
      `The storage account '${id}' given in ${field} was not found.`,
      'The storage account does not exist, or the id has a typo, or it is in another subscription.',
      'Create the storage account first (StorageV2, Standard_GRS, in the vault region) and pass its ARM id.',
    );
  }
  if (acc.location !== vault.location) {
    throw asrError(
      400,
      'LocationMismatch',
      `The storage account '${acc.name}' is in '${acc.location}' but the vault '${vault.name}' is in '${vault.location}'.`,
      'Site Recovery needs the target storage account in the same region as the Recovery Services vault.',
      `Create the storage account in ${vault.location}.`,
    );
  }
  if (geo && !GEO_REDUNDANT.has(lower(acc.sku))) {
    throw asrError(
      400,
      'StorageAccountNotGeoRedundant',
      `The storage account '${acc.name}' uses ${acc.sku}; replication to Azure needs a geo-redundant storage account.`,
      'The storage account does not use geo-redundant replication (GRS or RA-GRS).',
      'Use a storage account with sku Standard_GRS or Standard_RAGRS.',
    );
  }
  return acc;
}

/** The virtual network an ARM id names, if it exists. */
export function findVnet(core: EmulatorCore, id: string): VnetRec | undefined {
  const p = parseArmId(id);
  const name = p?.segments.find((x) => lower(x.type) === 'virtualnetworks')?.name;
  return p && name
    ? core.world.virtualNetworks[`${lower(p.subscriptionId)}/${lower(p.resourceGroup ?? '')}/${lower(name)}`]
    : undefined;
}

export function requireVnet(core: EmulatorCore, vault: VaultRec, id: string, field: string): VnetRec {
  const v = findVnet(core, id);
  if (!v) {
    throw asrError(
      400,
      'RecoveryNetworkNotFound',
      `The virtual network '${id}' given in ${field} was not found.`,
      'The virtual network does not exist, or the id has a typo.',
      'Create the virtual network first and pass its ARM id.',
    );
  }
  if (v.location !== vault.location) {
    throw asrError(
      400,
      'LocationMismatch',
      `The virtual network '${v.name}' is in '${v.location}' but the vault '${vault.name}' is in '${vault.location}'.`,
      'Site Recovery needs the recovery network in the same region as the Recovery Services vault.',
      `Create the virtual network in ${vault.location}.`,
    );
  }
  return v;
}

export function requireResourceGroupId(core: EmulatorCore, id: string, field: string): void {
  const p = parseArmId(id);
  if (!p?.resourceGroup || !core.world.resourceGroups[`${lower(p.subscriptionId)}/${lower(p.resourceGroup)}`]) {
    throw asrError(
      400,
      'ResourceGroupNotFound',
      `The resource group '${id}' given in ${field} was not found.`,
      'The target resource group does not exist.',
      'Create the resource group first and pass its ARM id.',
    );
  }
}

export function instanceTypeOf(v: unknown): string | undefined {
  return typeof v === 'object' && v !== null && typeof (v as { instanceType?: unknown }).instanceType === 'string'
    ? (v as { instanceType: string }).instanceType
    : undefined;
}
