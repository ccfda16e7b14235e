import type { RecoveryPoint } from '@azure/arm-recoveryservices-siterecovery';
import { azureCall } from '../failures';
import { collect, iso, lastSegment, orAbsent } from '../reads';
import type { ItemRef } from './protected-items';
import type { AsrVault } from './vault';

/** A recovery point of a protected item. */
export interface RecoveryPointView {
  id: string;
  /** When the point was taken, on Site Recovery's clock. */
  time: string;
  type?: string;
}

function view(rp: RecoveryPoint, fallbackId = ''): RecoveryPointView | undefined {
  const time = iso(rp.properties?.recoveryPointTime);
  if (!time) return undefined;
  return {
    id: rp.id ?? fallbackId,
    time,
    ...(rp.properties?.recoveryPointType ? { type: rp.properties.recoveryPointType } : {}),
  };
}

/** The item's recovery points, newest first. */
export async function listRecoveryPoints(v: AsrVault, ref: ItemRef): Promise<RecoveryPointView[]> {
  const points = await azureCall(`list recovery points of ${ref.itemName}`, () =>
    collect(
      v.client.recoveryPoints.listByReplicationProtectedItems(...v.at, ref.fabricName, ref.containerName, ref.itemName),
    ),
  );
  return points
    .filter((rp) => rp.id)
    .map((rp) => view(rp))
    .filter((p): p is RecoveryPointView => p !== undefined)
    .sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
}

/** One recovery point by its id (or name), or undefined when it does not exist (any more). */
export async function readRecoveryPoint(v: AsrVault, ref: ItemRef, id: string): Promise<RecoveryPointView | undefined> {
  const name = lastSegment(id);
  if (!name) return undefined;
  const rp = await azureCall(`read recovery point ${name}`, () =>
    orAbsent(() => v.client.recoveryPoints.get(...v.at, ref.fabricName, ref.containerName, ref.itemName, name)),
  );
  return rp ? view(rp, id) : undefined;
}
