import type { ArmContext } from '../arm/router';
import { ArmError, resourceGroupNotFound } from '../arm/errors';
import type { HttpResult } from '../https/types';
import type { ResourceGroupRec } from '../state/world';
import { lower } from '../util/ids';

export function rgKey(sub: string, rg: string): string {
  return `${lower(sub)}/${lower(rg)}`;
}

export function resourceKey(sub: string, rg: string, name: string): string {
  return `${lower(sub)}/${lower(rg)}/${lower(name)}`;
}

export function requireResourceGroup(ctx: ArmContext, rg: string): ResourceGroupRec {
  const rec = ctx.core.world.resourceGroups[rgKey(ctx.subscriptionId, rg)];
  if (!rec) throw resourceGroupNotFound(rg);
  return rec;
}

export function bodyObject(ctx: ArmContext): Record<string, unknown> {
  const b = ctx.body;
  if (b === undefined || b === null)
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: the body is empty.',
    );
  if (typeof b !== 'object' || Array.isArray(b))
    throw new ArmError(
      400,
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: expected a JSON object.',
    );
  return b as Record<string, unknown>;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function obj(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function tagsOf(v: unknown): Record<string, string> | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(o)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Azure normalises "West Europe" to "westeurope". */
export function normalizeLocation(loc: string): string {
  return loc.replace(/\s+/g, '').toLowerCase();
}

const PAIRS: Record<string, string> = {
  westeurope: 'northeurope',
  northeurope: 'westeurope',
  eastus: 'westus',
  westus: 'eastus',
  eastus2: 'centralus',
  centralus: 'eastus2',
  uksouth: 'ukwest',
  ukwest: 'uksouth',
  francecentral: 'francesouth',
  germanywestcentral: 'germanynorth',
  swedencentral: 'swedensouth',
};

export function pairedRegion(loc: string): string {
  return PAIRS[loc] ?? loc;
}

/** A list answer with server-side paging: `$skiptoken` carries the offset. */
export function page(ctx: ArmContext, items: unknown[]): HttpResult {
  const size = ctx.core.config.pageSize;
  const offset = Number(ctx.query.get('$skiptoken') ?? ctx.query.get('$skipToken') ?? '0') || 0;
  const slice = items.slice(offset, offset + size);
  const body: Record<string, unknown> = { value: slice };
  if (offset + size < items.length) {
    const u = new URL(ctx.url.toString());
    u.searchParams.delete('$skipToken');
    u.searchParams.set('$skiptoken', String(offset + size));
    body['nextLink'] = `${ctx.core.origin}${u.pathname}${u.search}`;
  }
  return { status: 200, body };
}
