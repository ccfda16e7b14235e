import { ArmError, notFound } from '../arm/errors';
import { absolute, newOperation, statusBody } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import type { SubnetRec, VnetRec } from '../state/world';
import { lower, uuidFromName } from '../util/ids';
import {
  bodyObject,
  normalizeLocation,
  obj,
  page,
  requireResourceGroup,
  resourceKey,
  rgKey,
  str,
  tagsOf,
} from './common';

export const VNET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}[A-Za-z0-9_]$/;
const SUBNET_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$/;
const CREATE_SECONDS = 5;

export function vnetId(v: VnetRec): string {
  return `/subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.Network/virtualNetworks/${v.name}`;
}

function subnetView(v: VnetRec, s: SubnetRec, ready: boolean): Record<string, unknown> {
  return {
    id: `${vnetId(v)}/subnets/${s.name}`,
    name: s.name,
    type: 'Microsoft.Network/virtualNetworks/subnets',
    etag: v.etag,
    properties: {
      provisioningState: ready ? 'Succeeded' : 'Updating',
      addressPrefix: s.addressPrefix,
      privateEndpointNetworkPolicies: 'Disabled',
      privateLinkServiceNetworkPolicies: 'Enabled',
    },
  };
}

function view(v: VnetRec, now: number): Record<string, unknown> {
  const ready = v.readyAt <= now;
  return {
    id: vnetId(v),
    name: v.name,
    type: 'Microsoft.Network/virtualNetworks',
    location: v.location,
    etag: v.etag,
    ...(v.tags ? { tags: v.tags } : {}),
    properties: {
      provisioningState: ready ? 'Succeeded' : 'Updating',
      resourceGuid: uuidFromName('vnet', vnetId(v)),
      addressSpace: { addressPrefixes: v.addressPrefixes },
      subnets: v.subnets.map((s) => subnetView(v, s, ready)),
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
    },
  };
}

function parseSubnets(raw: unknown): SubnetRec[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the request: properties.subnets must be an array.');
  return raw.map((s, i) => {
    const o = obj(s) ?? {};
    const name = str(o['name']) ?? '';
    const prefix = str(obj(o['properties'])?.['addressPrefix']) ?? '';
    if (!SUBNET_NAME.test(name))
      throw new ArmError(
        400,
        'InvalidResourceName',
        `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'.`,
        { target: `properties.subnets[${i}].name` },
      );
    if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(prefix))
      throw new ArmError(
        400,
        'InvalidAddressPrefixFormat',
        `Address prefix ${prefix} of subnet ${name} is not in a valid format.`,
      );
    return { name, addressPrefix: prefix };
  });
}

export function registerNetwork(router: ArmRouter): void {
  const one =
    '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/virtualNetworks/:virtualNetworkName';
  const key = (ctx: ArmContext): string =>
    resourceKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '', ctx.params['virtualNetworkName'] ?? '');
  const get = (ctx: ArmContext): VnetRec => {
    requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
    const v = ctx.core.world.virtualNetworks[key(ctx)];
    if (!v)
      throw notFound(
        'Microsoft.Network/virtualNetworks',
        ctx.params['virtualNetworkName'] ?? '',
        ctx.params['resourceGroupName'],
      );
    return v;
  };
  const accepted = (ctx: ArmContext, v: VnetRec, status: 200 | 201) => {
    const op = newOperation(ctx.core, { kind: 'timer', doneAt: v.readyAt, apiVersion: ctx.apiVersion });
    return {
      status,
      body: view(v, ctx.now),
      headers: {
        'azure-asyncoperation': absolute(
          ctx.core,
          `/subscriptions/${ctx.subscriptionId}/providers/Microsoft.Network/locations/${v.location}/operations/${op.id}`,
          ctx.apiVersion,
        ),
        'retry-after': String(ctx.core.retryAfter(10)),
      },
    };
  };
  router.add({
    method: 'PUT',
    path: one,
    operationId: 'VirtualNetworks_CreateOrUpdate',
    apiVersions: API.network,
    handler: (ctx) => {
      const name = ctx.params['virtualNetworkName'] ?? '';
      const rg = requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      if (!VNET_NAME.test(name))
        throw new ArmError(
          400,
          'InvalidResourceName',
          `Resource name ${name} is invalid. The name can be between 2 and 64 characters long, may contain letters, digits, underscores, periods and hyphens, must begin with a letter or digit and end with a letter, digit or underscore.`,
        );
      const body = bodyObject(ctx);
      const location = str(body['location']);
      if (!location)
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      const props = obj(body['properties']) ?? {};
      const prefixes = obj(props['addressSpace'])?.['addressPrefixes'];
      if (
        !Array.isArray(prefixes) ||
        prefixes.length === 0 ||
        !prefixes.every((p) => typeof p === 'string' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(p))
      ) {
        throw new ArmError(
          400,
          'InvalidAddressPrefixFormat',
          'properties.addressSpace.addressPrefixes must list at least one CIDR prefix such as 10.0.0.0/16.',
        );
      }
      const subnets = parseSubnets(props['subnets']);
      const existing = ctx.core.world.virtualNetworks[key(ctx)];
      const loc = normalizeLocation(location);
      const tags = tagsOf(body['tags']);
      if (existing) {
        if (existing.location !== loc)
          throw new ArmError(
            400,
            'InvalidResourceLocation',
            `The resource '${name}' already exists in location '${existing.location}' in resource group '${rg.name}'. A resource with the same name cannot be created in location '${loc}'.`,
          );
        existing.addressPrefixes = prefixes as string[];
        existing.subnets = subnets;
        if (tags) existing.tags = tags;
        existing.etag = `W/"${ctx.core.newGuid('etag')}"`;
        existing.readyAt = ctx.now + CREATE_SECONDS * 1000;
        ctx.count(vnetId(existing), name);
        return accepted(ctx, existing, 200);
      }
      const rec: VnetRec = {
        subscriptionId: ctx.subscriptionId,
        resourceGroup: rg.name,
        name,
        location: loc,
        addressPrefixes: prefixes as string[],
        subnets,
        readyAt: ctx.now + CREATE_SECONDS * 1000,
        etag: `W/"${ctx.core.newGuid('etag')}"`,
        ...(tags ? { tags } : {}),
      };
      ctx.core.world.virtualNetworks[key(ctx)] = rec;
      ctx.count(vnetId(rec), name);
      return accepted(ctx, rec, 201);
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Network/locations/:location/operations/:operationId',
    operationId: 'Network_OperationStatus',
    apiVersions: API.any,
    handler: (ctx) => {
      const op = ctx.core.world.operations[(ctx.params['operationId'] ?? '').toLowerCase()];
      if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      const b = statusBody(ctx.core, op, ctx.path, ctx.now);
      return {
        status: 200,
        body: { status: b['status'] },
        headers: { 'retry-after': String(ctx.core.retryAfter(10)) },
      };
    },
  });
  router.add({
    method: 'GET',
    path: one,
    operationId: 'VirtualNetworks_Get',
    apiVersions: API.network,
    handler: (ctx) => ({ status: 200, body: view(get(ctx), ctx.now) }),
  });
  router.add({
    method: 'DELETE',
    path: one,
    operationId: 'VirtualNetworks_Delete',
    apiVersions: API.network,
    handler: (ctx) => {
      const v = ctx.core.world.virtualNetworks[key(ctx)];
      if (!v) return { status: 204 };
      delete ctx.core.world.virtualNetworks[key(ctx)];
      ctx.count(vnetId(v), v.name);
      return { status: 200 };
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.Network/virtualNetworks',
    operationId: 'VirtualNetworks_List',
    apiVersions: API.network,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const rk = rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '');
      return page(
        ctx,
        Object.values(ctx.core.world.virtualNetworks)
          .filter((v) => rgKey(v.subscriptionId, v.resourceGroup) === rk)
          .map((v) => view(v, ctx.now)),
      );
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.Network/virtualNetworks',
    operationId: 'VirtualNetworks_ListAll',
    apiVersions: API.network,
    handler: (ctx) =>
      page(
        ctx,
        Object.values(ctx.core.world.virtualNetworks)
          .filter((v) => lower(v.subscriptionId) === lower(ctx.subscriptionId))
          .map((v) => view(v, ctx.now)),
      ),
  });
  router.add({
    method: 'GET',
    path: `${one}/subnets/:subnetName`,
    operationId: 'Subnets_Get',
    apiVersions: API.network,
    handler: (ctx) => {
      const v = get(ctx);
      const s = v.subnets.find((x) => lower(x.name) === lower(ctx.params['subnetName'] ?? ''));
      if (!s)
        throw notFound(
          'Microsoft.Network/virtualNetworks/subnets',
          `${v.name}/${ctx.params['subnetName'] ?? ''}`,
          v.resourceGroup,
        );
      return { status: 200, body: subnetView(v, s, v.readyAt <= ctx.now) };
    },
  });
  router.add({
    method: 'GET',
    path: `${one}/subnets`,
    operationId: 'Subnets_List',
    apiVersions: API.network,
    handler: (ctx) => {
      const v = get(ctx);
      return page(
        ctx,
        v.subnets.map((s) => subnetView(v, s, v.readyAt <= ctx.now)),
      );
    },
  });
  router.add({
    method: 'PUT',
    path: `${one}/subnets/:subnetName`,
    operationId: 'Subnets_CreateOrUpdate',
    apiVersions: API.network,
    handler: (ctx) => {
      const v = get(ctx);
      const body = bodyObject(ctx);
      const [s] = parseSubnets([{ name: ctx.params['subnetName'] ?? '', properties: obj(body['properties']) ?? {} }]);
      if (!s) throw new ArmError(400, 'InvalidRequestFormat', 'Cannot parse the subnet.');
      const idx = v.subnets.findIndex((x) => lower(x.name) === lower(s.name));
      if (idx >= 0) v.subnets[idx] = s;
      else v.subnets.push(s);
      v.readyAt = ctx.now + CREATE_SECONDS * 1000;
      ctx.count(`${vnetId(v)}/subnets/${s.name}`, s.name);
      const op = newOperation(ctx.core, { kind: 'timer', doneAt: v.readyAt, apiVersion: ctx.apiVersion });
      return {
        status: idx >= 0 ? 200 : 201,
        body: subnetView(v, s, false),
        headers: {
          'azure-asyncoperation': absolute(
            ctx.core,
            `/subscriptions/${ctx.subscriptionId}/providers/Microsoft.Network/locations/${v.location}/operations/${op.id}`,
            ctx.apiVersion,
          ),
          'retry-after': String(ctx.core.retryAfter(10)),
        },
      };
    },
  });
}
