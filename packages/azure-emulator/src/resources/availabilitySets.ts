import { ArmError, notFound } from '../arm/errors';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import type { EmulatorCore } from '../core';
import type { AvailabilitySetRec } from '../state/world';
import { lower, parseArmId } from '../util/ids';
import {
  bodyObject,
  normalizeLocation,
  obj,
  page,
  requireResourceGroup,
  resourceKey,
  rgKey,
  tagsOf,
  str,
} from './common';

// Microsoft.Compute availability sets: a failover places the VM in the set its item names
// (target availabilitySetId), and fails when the set does not exist. Synchronous as in Azure:
// PUT answers 200 with the set, no operation to poll.

const TYPE = 'Microsoft.Compute/availabilitySets';
// Azure's rule for the name: 1-80 letters, digits, '_', '.', '-'; starts with a letter or
// digit, ends with a letter, digit or '_'.
const AVSET_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;
// Azure's defaults and limits: a region has at most 3 fault domains, a set at most 20 update domains.
const DEFAULT_FAULT_DOMAINS = 2;
const DEFAULT_UPDATE_DOMAINS = 5;
const MAX_FAULT_DOMAINS = 3;
const MAX_UPDATE_DOMAINS = 20;
const SKUS = ['Aligned', 'Classic'];

export function availabilitySetId(a: AvailabilitySetRec): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Compute/availabilitySets/${a.name}`;
}

/** The set an ARM id names, if it exists (ids compare case-insensitively). */
export function availabilitySetById(core: EmulatorCore, id: string): AvailabilitySetRec | undefined {
  const p = parseArmId(id);
  const last = p?.segments[p.segments.length - 1];
  if (!p?.resourceGroup || !last || p.segments.length !== 1) return undefined;
  if (lower(p.provider ?? '') !== 'microsoft.compute' || lower(last.type) !== 'availabilitysets') return undefined;
  return core.world.availabilitySets[resourceKey(p.subscriptionId, p.resourceGroup, last.name)];
}

function view(core: EmulatorCore, a: AvailabilitySetRec): Record<string, unknown> {
  const id = availabilitySetId(a);
  return {
    id,
    name: a.name,
    type: TYPE,
    location: a.location,
    ...(a.tags ? { tags: a.tags } : {}),
    sku: { name: a.skuName },
    properties: {
      platformFaultDomainCount: a.platformFaultDomainCount,
      platformUpdateDomainCount: a.platformUpdateDomainCount,
      // The VMs failovers created in the set.
      virtualMachines: Object.values(core.world.azureVms)
        .filter((vm) => vm.availabilitySetId !== undefined && lower(vm.availabilitySetId) === lower(id))
        .map((vm) => ({ id: vm.id })),
    },
  };
}

/** An optional domain count: an integer within 1..max, else `fallback` when absent. */
function domainCount(v: unknown, field: string, max: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max)
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${JSON.stringify(v)}' of ${field} is not valid: it must be an integer from 1 to ${max}.`,
      { target: field },
    );
  return v;
}

function skuName(v: unknown): string {
  const given = str(obj(v)?.['name']);
  if (given === undefined) return 'Aligned';
  const known = SKUS.find((s) => lower(s) === lower(given));
  if (!known)
    throw new ArmError(
      400,
      'InvalidParameter',
      `The value '${given}' of sku.name is not valid: it must be one of ${SKUS.join(', ')}.`,
      { target: 'sku.name' },
    );
  return known;
}

export function registerAvailabilitySets(router: ArmRouter): void {
  const list =
    '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Compute/availabilitySets';
  const one = `${list}/:availabilitySetName`;
  const key = (ctx: ArmContext): string =>
    resourceKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '', ctx.params['availabilitySetName'] ?? '');

  router.add({
    method: 'PUT',
    path: one,
    operationId: 'AvailabilitySets_CreateOrUpdate',
    apiVersions: API.compute,
    handler: (ctx) => {
      const name = ctx.params['availabilitySetName'] ?? '';
      const rg = requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      if (!AVSET_NAME.test(name))
        throw new ArmError(
          400,
          'InvalidResourceName',
          `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a letter or digit and end with a letter, digit or '_', and may contain letters, digits, '_', '.' and '-'.`,
        );
      const body = bodyObject(ctx);
      const location = str(body['location']);
      if (!location)
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      const loc = normalizeLocation(location);
      // The emulator keeps a set beside the VMs a failover creates: in its resource group's region.
      if (loc !== rg.location)
        throw new ArmError(
          400,
          'InvalidResourceLocation',
          `The availability set '${name}' must be in the region of its resource group '${rg.name}' ('${rg.location}'), not '${loc}'.`,
          { target: 'location' },
        );
      const props = obj(body['properties']) ?? {};
      const existing = ctx.core.world.availabilitySets[key(ctx)];
      const faults = domainCount(
        props['platformFaultDomainCount'],
        'platformFaultDomainCount',
        MAX_FAULT_DOMAINS,
        existing?.platformFaultDomainCount ?? DEFAULT_FAULT_DOMAINS,
      );
      const updates = domainCount(
        props['platformUpdateDomainCount'],
        'platformUpdateDomainCount',
        MAX_UPDATE_DOMAINS,
        existing?.platformUpdateDomainCount ?? DEFAULT_UPDATE_DOMAINS,
      );
      const sku = body['sku'] === undefined && existing ? existing.skuName : skuName(body['sku']);
      const tags = tagsOf(body['tags']);
      if (existing) {
        // Azure fixes the domains of a set when it is created.
        const changed =
          faults !== existing.platformFaultDomainCount
            ? 'platformFaultDomainCount'
            : updates !== existing.platformUpdateDomainCount
              ? 'platformUpdateDomainCount'
              : undefined;
        if (changed)
          throw new ArmError(
            409,
            'PropertyChangeNotAllowed',
            `Changing property '${changed}' is not allowed: the availability set '${existing.name}' keeps the domains it was created with.`,
            { target: changed },
          );
        existing.skuName = sku;
        if (tags) existing.tags = tags;
        ctx.count(availabilitySetId(existing), existing.name);
        return { status: 200, body: view(ctx.core, existing) };
      }
      const rec: AvailabilitySetRec = {
        subscriptionId: ctx.subscriptionId,
        resourceGroup: rg.name,
        name,
        location: loc,
        platformFaultDomainCount: faults,
        platformUpdateDomainCount: updates,
        skuName: sku,
        ...(tags ? { tags } : {}),
      };
      ctx.core.world.availabilitySets[key(ctx)] = rec;
      ctx.count(availabilitySetId(rec), name);
      return { status: 200, body: view(ctx.core, rec) };
    },
  });
  router.add({
    method: 'GET',
    path: one,
    operationId: 'AvailabilitySets_Get',
    apiVersions: API.compute,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const a = ctx.core.world.availabilitySets[key(ctx)];
      if (!a) throw notFound(TYPE, ctx.params['availabilitySetName'] ?? '', ctx.params['resourceGroupName']);
      return { status: 200, body: view(ctx.core, a) };
    },
  });
  router.add({
    method: 'DELETE',
    path: one,
    operationId: 'AvailabilitySets_Delete',
    apiVersions: API.compute,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const a = ctx.core.world.availabilitySets[key(ctx)];
      if (!a) return { status: 204 };
      delete ctx.core.world.availabilitySets[key(ctx)];
      ctx.count(availabilitySetId(a), a.name);
      return { status: 200 };
    },
  });
  router.add({
    method: 'GET',
    path: list,
    operationId: 'AvailabilitySets_List',
    apiVersions: API.compute,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const rk = rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '');
      return page(
        ctx,
        Object.values(ctx.core.world.availabilitySets)
          .filter((a) => rgKey(a.subscriptionId, a.resourceGroup) === rk)
          .map((a) => view(ctx.core, a)),
      );
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Compute/availabilitySets',
    operationId: 'AvailabilitySets_ListBySubscription',
    apiVersions: API.compute,
    handler: (ctx) =>
      page(
        ctx,
        Object.values(ctx.core.world.availabilitySets)
          .filter((a) => lower(a.subscriptionId) === lower(ctx.subscriptionId))
          .map((a) => view(ctx.core, a)),
      ),
  });
}
