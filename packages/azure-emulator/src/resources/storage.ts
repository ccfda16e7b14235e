import { ArmError, notFound } from '../arm/errors';
import { absolute, newOperation } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import type { StorageAccountRec } from '../state/world';
import { iso } from '../sim/clock';
import { lower } from '../util/ids';
import {
  bodyObject,
  normalizeLocation,
  obj,
  page,
  pairedRegion,
  requireResourceGroup,
  rgKey,
  str,
  tagsOf,
} from './common';

export const STORAGE_NAME = /^[a-z0-9]{3,24}$/;
const SKUS = [
  'Standard_LRS',
  'Standard_GRS',
  'Standard_RAGRS',
  'Standard_ZRS',
  'Premium_LRS',
  'Premium_ZRS',
  'Standard_GZRS',
  'Standard_RAGZRS',
];
export const GEO_REDUNDANT = new Set(['standard_grs', 'standard_ragrs', 'standard_gzrs', 'standard_ragzrs']);
const CREATE_SECONDS = 20;

export function storageId(a: StorageAccountRec): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroup}/providers/Microsoft.Storage/storageAccounts/${a.name}`;
}

function view(a: StorageAccountRec, now: number): Record<string, unknown> {
  const ready = a.readyAt <= now;
  const geo = GEO_REDUNDANT.has(a.sku.toLowerCase());
  const ep = (svc: string): string => `https://${a.name}.${svc}.core.windows.net/`;
  return {
    id: storageId(a),
    name: a.name,
    type: 'Microsoft.Storage/storageAccounts',
    location: a.location,
    kind: a.kind,
    sku: { name: a.sku, tier: a.sku.startsWith('Premium') ? 'Premium' : 'Standard' },
    ...(a.tags ? { tags: a.tags } : {}),
    properties: {
      provisioningState: ready ? 'Succeeded' : 'Creating',
      creationTime: iso(a.createdAt),
      primaryLocation: a.location,
      statusOfPrimary: 'available',
      ...(geo ? { secondaryLocation: pairedRegion(a.location), statusOfSecondary: 'available' } : {}),
      primaryEndpoints: {
        blob: ep('blob'),
        queue: ep('queue'),
        table: ep('table'),
        file: ep('file'),
        dfs: ep('dfs'),
        web: `https://${a.name}.z6.web.core.windows.net/`,
      },
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
      accessTier: 'Hot',
      encryption: {
        keySource: 'Microsoft.Storage',
        services: { blob: { enabled: true, keyType: 'Account' }, file: { enabled: true, keyType: 'Account' } },
      },
    },
  };
}

function nameProblem(name: string): string | undefined {
  if (!STORAGE_NAME.test(name))
    return `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`;
  return undefined;
}

export function registerStorage(router: ArmRouter): void {
  const one =
    '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Storage/storageAccounts/:accountName';
  router.add({
    method: 'PUT',
    path: one,
    operationId: 'StorageAccounts_Create',
    apiVersions: API.storage,
    handler: (ctx) => {
      const name = ctx.params['accountName'] ?? '';
      const rg = requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const problem = nameProblem(name);
      if (problem) throw new ArmError(400, 'AccountNameInvalid', problem);
      const body = bodyObject(ctx);
      const location = str(body['location']);
      if (!location)
        throw new ArmError(400, 'InvalidRequestContent', "The request content was invalid: 'location' is required.");
      const sku = str(obj(body['sku'])?.['name']);
      if (!sku)
        throw new ArmError(400, 'InvalidRequestContent', "The request content was invalid: 'sku.name' is required.");
      const skuName = SKUS.find((s) => lower(s) === lower(sku));
      if (!skuName)
        throw new ArmError(
          400,
          'SkuNotSupported',
          `The SKU '${sku}' is not supported. Supported values are: ${SKUS.join(', ')}.`,
        );
      const kind = str(body['kind']) ?? 'StorageV2';
      const existing = ctx.core.world.storageAccounts[lower(name)];
      const loc = normalizeLocation(location);
      if (existing) {
        if (rgKey(existing.subscriptionId, existing.resourceGroup) !== rgKey(ctx.subscriptionId, rg.name)) {
          throw new ArmError(409, 'StorageAccountAlreadyTaken', `The storage account named ${name} is already taken.`);
        }
        if (existing.location !== loc)
          throw new ArmError(
            409,
            'StorageAccountAlreadyExists',
            `The storage account named ${name} already exists under the subscription in location '${existing.location}'.`,
          );
        existing.sku = skuName;
        const tags = tagsOf(body['tags']);
        if (tags) existing.tags = tags;
        return { status: 200, body: view(existing, ctx.now) };
      }
      const tags = tagsOf(body['tags']);
      const rec: StorageAccountRec = {
        subscriptionId: ctx.subscriptionId,
        resourceGroup: rg.name,
        name,
        location: loc,
        sku: skuName,
        kind,
        createdAt: ctx.now,
        readyAt: ctx.now + CREATE_SECONDS * 1000,
        ...(tags ? { tags } : {}),
      };
      ctx.core.world.storageAccounts[lower(name)] = rec;
      ctx.count(storageId(rec), name);
      const op = newOperation(ctx.core, {
        kind: 'timer',
        doneAt: rec.readyAt,
        resultPath: storageId(rec),
        apiVersion: ctx.apiVersion,
      });
      return {
        status: 202,
        headers: {
          location:
            absolute(
              ctx.core,
              `/subscriptions/${ctx.subscriptionId}/providers/Microsoft.Storage/locations/${loc}/asyncoperations/${op.id}`,
              ctx.apiVersion,
            ) + '&monitor=true',
          'retry-after': String(ctx.core.retryAfter(17)),
        },
      };
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Storage/locations/:location/asyncoperations/:operationId',
    operationId: 'StorageAccounts_CreateResult',
    apiVersions: API.any,
    handler: (ctx) => {
      const op = ctx.core.world.operations[(ctx.params['operationId'] ?? '').toLowerCase()];
      if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      if ((op.doneAt ?? 0) > ctx.now)
        return {
          status: 202,
          headers: {
            location: `${ctx.core.origin}${ctx.path}${ctx.url.search}`,
            'retry-after': String(ctx.core.retryAfter(17)),
          },
        };
      const acc = Object.values(ctx.core.world.storageAccounts).find(
        (a) => lower(storageId(a)) === lower(op.resultPath ?? ''),
      );
      if (!acc) throw new ArmError(404, 'ResourceNotFound', 'The storage account was deleted.');
      return { status: 200, body: view(acc, ctx.now) };
    },
  });
  const get = (ctx: ArmContext): StorageAccountRec => {
    const name = ctx.params['accountName'] ?? '';
    requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
    const a = ctx.core.world.storageAccounts[lower(name)];
    if (
      !a ||
      rgKey(a.subscriptionId, a.resourceGroup) !== rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '')
    ) {
      throw notFound('Microsoft.Storage/storageAccounts', name, ctx.params['resourceGroupName']);
    }
    return a;
  };
  router.add({
    method: 'GET',
    path: one,
    operationId: 'StorageAccounts_GetProperties',
    apiVersions: API.storage,
    handler: (ctx) => ({ status: 200, body: view(get(ctx), ctx.now) }),
  });
  router.add({
    method: 'PATCH',
    path: one,
    operationId: 'StorageAccounts_Update',
    apiVersions: API.storage,
    handler: (ctx) => {
      const a = get(ctx);
      const body = bodyObject(ctx);
      const sku = str(obj(body['sku'])?.['name']);
      if (sku) {
        const skuName = SKUS.find((s) => lower(s) === lower(sku));
        if (!skuName) throw new ArmError(400, 'SkuNotSupported', `The SKU '${sku}' is not supported.`);
        a.sku = skuName;
      }
      const tags = tagsOf(body['tags']);
      if (tags) a.tags = tags;
      ctx.count(storageId(a), a.name);
      return { status: 200, body: view(a, ctx.now) };
    },
  });
  router.add({
    method: 'DELETE',
    path: one,
    operationId: 'StorageAccounts_Delete',
    apiVersions: API.storage,
    handler: (ctx) => {
      const name = ctx.params['accountName'] ?? '';
      const a = ctx.core.world.storageAccounts[lower(name)];
      if (
        !a ||
        rgKey(a.subscriptionId, a.resourceGroup) !== rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '')
      )
        return { status: 204 };
      delete ctx.core.world.storageAccounts[lower(name)];
      ctx.count(storageId(a), name);
      return { status: 200 };
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Storage/storageAccounts',
    operationId: 'StorageAccounts_ListByResourceGroup',
    apiVersions: API.storage,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const key = rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '');
      return page(
        ctx,
        Object.values(ctx.core.world.storageAccounts)
          .filter((a) => rgKey(a.subscriptionId, a.resourceGroup) === key)
          .map((a) => view(a, ctx.now)),
      );
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Storage/storageAccounts',
    operationId: 'StorageAccounts_List',
    apiVersions: API.storage,
    handler: (ctx) =>
      page(
        ctx,
        Object.values(ctx.core.world.storageAccounts)
          .filter((a) => lower(a.subscriptionId) === lower(ctx.subscriptionId))
          .map((a) => view(a, ctx.now)),
      ),
  });
  router.add({
    method: 'POST',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Storage/checkNameAvailability',
    operationId: 'StorageAccounts_CheckNameAvailability',
    apiVersions: API.storage,
    handler: (ctx) => {
      const body = bodyObject(ctx);
      const name = str(body['name']) ?? '';
      const problem = nameProblem(name);
      if (problem)
        return { status: 200, body: { nameAvailable: false, reason: 'AccountNameInvalid', message: problem } };
      if (ctx.core.world.storageAccounts[lower(name)]) {
        return {
          status: 200,
          body: {
            nameAvailable: false,
            reason: 'AlreadyExists',
            message: `The storage account named ${name} is already taken.`,
          },
        };
      }
      return { status: 200, body: { nameAvailable: true } };
    },
  });
}
