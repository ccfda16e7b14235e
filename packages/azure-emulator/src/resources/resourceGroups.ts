import { ArmError, resourceGroupNotFound } from '../arm/errors';
import { absolute, newOperation } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import type { ResourceGroupRec } from '../state/world';
import { lower } from '../util/ids';
import { bodyObject, normalizeLocation, page, rgKey, str, tagsOf } from './common';

const RG_NAME = /^[-\w._()\p{L}]{1,90}$/u;

function view(rg: ResourceGroupRec): Record<string, unknown> {
  return {
    id: `/subscriptions/${rg.subscriptionId}/resourceGroups/${rg.name}`,
    name: rg.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: rg.location,
    ...(rg.tags ? { tags: rg.tags } : {}),
    properties: { provisioningState: 'Succeeded' },
  };
}

export function registerResourceGroups(router: ArmRouter): void {
  const base = '/subscriptions/:subscriptionId/resourcegroups';
  const one = `${base}/:resourceGroupName`;
  router.add({
    method: 'PUT',
    path: one,
    operationId: 'ResourceGroups_CreateOrUpdate',
    apiVersions: API.resources,
    handler: (ctx) => {
      const name = ctx.params['resourceGroupName'] ?? '';
      if (!RG_NAME.test(name) || name.endsWith('.')) {
        throw new ArmError(
          400,
          'InvalidResourceGroup',
          `The provided resource group name '${name}' has these invalid characters or length. The name can only be a letter, digit, '-', '.', '(', ')' or '_', up to 90 characters, and cannot end with a period.`,
        );
      }
      const body = bodyObject(ctx);
      const location = str(body['location']);
      if (!location)
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      const key = rgKey(ctx.subscriptionId, name);
      const existing = ctx.core.world.resourceGroups[key];
      const loc = normalizeLocation(location);
      if (existing) {
        if (existing.location !== loc) {
          throw new ArmError(
            409,
            'InvalidResourceGroupLocation',
            `Invalid resource group location '${loc}'. The Resource group already exists in location '${existing.location}'.`,
          );
        }
        const tags = tagsOf(body['tags']);
        if (tags) existing.tags = tags;
        return { status: 200, body: view(existing) };
      }
      const tags = tagsOf(body['tags']);
      const rec: ResourceGroupRec = {
        subscriptionId: ctx.subscriptionId,
        name,
        location: loc,
        ...(tags ? { tags } : {}),
      };
      ctx.core.world.resourceGroups[key] = rec;
      ctx.count(view(rec)['id'] as string);
      return { status: 201, body: view(rec) };
    },
  });
  router.add({
    method: 'GET',
    path: one,
    operationId: 'ResourceGroups_Get',
    apiVersions: API.resources,
    handler: (ctx) => {
      const rec = ctx.core.world.resourceGroups[rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '')];
      if (!rec) throw resourceGroupNotFound(ctx.params['resourceGroupName'] ?? '');
      return { status: 200, body: view(rec) };
    },
  });
  router.add({
    method: 'HEAD',
    path: one,
    operationId: 'ResourceGroups_CheckExistence',
    apiVersions: API.resources,
    handler: (ctx) => ({
      status: ctx.core.world.resourceGroups[rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '')]
        ? 204
        : 404,
    }),
  });
  router.add({
    method: 'GET',
    path: base,
    operationId: 'ResourceGroups_List',
    apiVersions: API.resources,
    handler: (ctx) =>
      page(
        ctx,
        Object.values(ctx.core.world.resourceGroups)
          .filter((r) => lower(r.subscriptionId) === lower(ctx.subscriptionId))
          .map(view),
      ),
  });
  // What a group holds, of every type the emulator knows: what a careful deleter looks at first.
  router.add({
    method: 'GET',
    path: `${one}/resources`,
    operationId: 'Resources_ListByResourceGroup',
    apiVersions: API.resources,
    handler: (ctx) => {
      const name = ctx.params['resourceGroupName'] ?? '';
      const key = rgKey(ctx.subscriptionId, name);
      const w = ctx.core.world;
      if (!w.resourceGroups[key]) throw resourceGroupNotFound(name);
      const prefix = `/subscriptions/${ctx.subscriptionId}/resourceGroups/${w.resourceGroups[key].name}/providers`;
      const inGroup = (r: { subscriptionId: string; resourceGroup: string }) =>
        rgKey(r.subscriptionId, r.resourceGroup) === key;
      const entry = (type: string, r: { name: string; location: string; tags?: Record<string, string> }) => ({
        id: `${prefix}/${type}/${r.name}`,
        name: r.name,
        type,
        location: r.location,
        ...(r.tags ? { tags: r.tags } : {}),
      });
      const vmPrefix = lower(`/subscriptions/${ctx.subscriptionId}/resourceGroups/${name}/`);
      return page(ctx, [
        ...Object.values(w.storageAccounts)
          .filter(inGroup)
          .map((r) => entry('Microsoft.Storage/storageAccounts', r)),
        ...Object.values(w.virtualNetworks)
          .filter(inGroup)
          .map((r) => entry('Microsoft.Network/virtualNetworks', r)),
        ...Object.values(w.availabilitySets)
          .filter(inGroup)
          .map((r) => entry('Microsoft.Compute/availabilitySets', r)),
        ...Object.values(w.vaults)
          .filter(inGroup)
          .map((r) => entry('Microsoft.RecoveryServices/vaults', r)),
        ...Object.values(w.azureVms)
          .filter((vm) => lower(vm.id).startsWith(vmPrefix))
          .map((vm) => ({
            id: vm.id,
            name: vm.name,
            type: 'Microsoft.Compute/virtualMachines',
            location: vm.location,
          })),
      ]);
    },
  });
  router.add({
    method: 'DELETE',
    path: one,
    operationId: 'ResourceGroups_Delete',
    apiVersions: API.resources,
    handler: (ctx: ArmContext) => {
      const name = ctx.params['resourceGroupName'] ?? '';
      const key = rgKey(ctx.subscriptionId, name);
      if (!ctx.core.world.resourceGroups[key]) throw resourceGroupNotFound(name);
      const w = ctx.core.world;
      const prefix = `${key}/`;
      const vaultsInside = Object.entries(w.vaults).filter(([k]) => k.startsWith(prefix));
      if (vaultsInside.some(([, v]) => Object.keys(v.asr.fabrics).length > 0)) {
        throw new ArmError(
          409,
          'ServiceResourceNotEmpty',
          `The resource group '${name}' contains a Recovery Services vault with registered servers; unregister them before deleting it.`,
        );
      }
      for (const m of [w.storageAccounts, w.virtualNetworks, w.availabilitySets] as Array<
        Record<string, { subscriptionId: string; resourceGroup: string }>
      >) {
        for (const [k, v] of Object.entries(m)) if (rgKey(v.subscriptionId, v.resourceGroup) === key) delete m[k];
      }
      for (const [k] of vaultsInside) delete w.vaults[k];
      delete w.resourceGroups[key];
      ctx.count(`/subscriptions/${ctx.subscriptionId}/resourceGroups/${name}`);
      const op = newOperation(ctx.core, { kind: 'timer', doneAt: ctx.now + 30_000, apiVersion: ctx.apiVersion });
      return {
        status: 202,
        headers: {
          location: absolute(
            ctx.core,
            `/subscriptions/${ctx.subscriptionId}/operationresults/${op.id}`,
            ctx.apiVersion,
          ),
          'retry-after': String(ctx.core.retryAfter(15)),
        },
      };
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/operationresults/:operationId',
    operationId: 'ResourceGroups_DeleteResult',
    apiVersions: API.any,
    handler: (ctx) => {
      const op = ctx.core.world.operations[(ctx.params['operationId'] ?? '').toLowerCase()];
      if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      if ((op.doneAt ?? 0) > ctx.now)
        return {
          status: 202,
          headers: {
            location: absolute(ctx.core, ctx.path, ctx.apiVersion),
            'retry-after': String(ctx.core.retryAfter(15)),
          },
        };
      return { status: 200 };
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId',
    operationId: 'Subscriptions_Get',
    apiVersions: API.any,
    handler: (ctx) => ({
      status: 200,
      body: {
        id: `/subscriptions/${ctx.subscriptionId}`,
        subscriptionId: ctx.subscriptionId,
        tenantId: ctx.core.directory.tenantOfSubscription(ctx.subscriptionId),
        displayName:
          ctx.core.estate.tenants.flatMap((t) => t.subscriptions).find((s) => lower(s.id) === lower(ctx.subscriptionId))
            ?.displayName ?? ctx.subscriptionId,
        state: 'Enabled',
      },
    }),
  });
}
