import { createHash } from 'node:crypto';
import forge from 'node-forge';
import { ArmError, notFound } from '../arm/errors';
import { absolute, findOperation, newOperation, statusBody } from '../arm/lro';
import { API, type ArmContext, type ArmRouter } from '../arm/router';
import type { VaultCertRec, VaultRec } from '../state/world';
import { iso } from '../sim/clock';
import { lower, numericIdFromName, uuidFromName, vaultId } from '../util/ids';
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

export const VAULT_NAME = /^[a-zA-Z][a-zA-Z0-9-]{1,49}$/;
const CREATE_SECONDS = 10;

export function vaultKeyOf(sub: string, rg: string, name: string): string {
  return resourceKey(sub, rg, name);
}

export function vaultArmId(v: VaultRec): string {
  return vaultId(v.subscriptionId, v.resourceGroup, v.name);
}

function view(v: VaultRec, now: number): Record<string, unknown> {
  return {
    id: vaultArmId(v),
    name: v.name,
    type: 'Microsoft.RecoveryServices/vaults',
    location: v.location,
    ...(v.tags ? { tags: v.tags } : {}),
    etag: v.etag,
    sku: { name: 'RS0', tier: 'Standard' },
    ...(v.identity
      ? {
          identity: {
            type: v.identity.type,
            ...(v.identity.type.includes('SystemAssigned')
              ? { principalId: uuidFromName('vault-msi', vaultArmId(v)), tenantId: '' }
              : {}),
          },
        }
      : {}),
    properties: {
      provisioningState: v.readyAt <= now ? 'Succeeded' : 'Creating',
      privateEndpointStateForBackup: 'None',
      privateEndpointStateForSiteRecovery: 'None',
      publicNetworkAccess: v.publicNetworkAccess,
      backupStorageVersion: 'V2',
      redundancySettings: { standardTierStorageRedundancy: 'GeoRedundant', crossRegionRestore: 'Disabled' },
      secureScore: 'None',
      bcdrSecurityLevel: 'Fair',
    },
  };
}

export function findVault(ctx: ArmContext, rg: string, name: string): VaultRec {
  requireResourceGroup(ctx, rg);
  const v = ctx.core.world.vaults[vaultKeyOf(ctx.subscriptionId, rg, name)];
  if (!v) throw notFound('Microsoft.RecoveryServices/vaults', name, rg);
  return v;
}

/** Thumbprint and details of an X.509 certificate given as base64 DER (or base64 of base64, as PowerShell sends it). */
export function parseCertificate(b64: string): Omit<VaultCertRec, 'name' | 'certificateBase64'> {
  let der = Buffer.from(b64, 'base64');
  const text = der.toString('latin1');
  if (/^MII[A-Za-z0-9+/=\r\n]+$/.test(text)) der = Buffer.from(text, 'base64');
  const asn1 = forge.asn1.fromDer(forge.util.createBuffer(der.toString('binary')));
  const cert = forge.pki.certificateFromAsn1(asn1);
  const dn = (attrs: forge.pki.CertificateField[]): string =>
    attrs.map((a) => `${a.shortName ?? a.name}=${String(a.value)}`).join(', ');
  return {
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    subject: dn(cert.subject.attributes),
    issuer: dn(cert.issuer.attributes),
    validFrom: cert.validity.notBefore.getTime(),
    validTo: cert.validity.notAfter.getTime(),
  };
}

export function registerVaults(router: ArmRouter): void {
  const base =
    '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName/providers/Microsoft.RecoveryServices/vaults';
  const one = `${base}/:vaultName`;
  const vaultOf = (ctx: ArmContext): VaultRec =>
    findVault(ctx, ctx.params['resourceGroupName'] ?? '', ctx.params['vaultName'] ?? '');

  router.add({
    method: 'PUT',
    path: one,
    operationId: 'Vaults_CreateOrUpdate',
    apiVersions: API.vaults,
    handler: (ctx) => {
      const name = ctx.params['vaultName'] ?? '';
      const rg = requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      if (!VAULT_NAME.test(name)) {
        throw new ArmError(
          400,
          'BadRequest',
          `The vault name '${name}' is invalid. A vault name must be 2 to 50 characters long, start with a letter and contain only letters, numbers and hyphens.`,
        );
      }
      const body = bodyObject(ctx);
      const location = str(body['location']);
      if (!location)
        throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
      const skuName = str(obj(body['sku'])?.['name']);
      if (skuName !== undefined && skuName !== 'Standard' && skuName !== 'RS0')
        throw new ArmError(400, 'BadRequest', `The SKU '${skuName}' is not valid. Use 'Standard' (or 'RS0').`);
      const props = obj(body['properties']) ?? {};
      const loc = normalizeLocation(location);
      const key = vaultKeyOf(ctx.subscriptionId, rg.name, name);
      const existing = ctx.core.world.vaults[key];
      const tags = tagsOf(body['tags']);
      const identityType = str(obj(body['identity'])?.['type']);
      if (existing) {
        if (existing.location !== loc)
          throw new ArmError(
            400,
            'InvalidResourceLocation',
            `The resource '${name}' already exists in location '${existing.location}' in resource group '${rg.name}'. A resource with the same name cannot be created in location '${loc}'.`,
          );
        if (tags) existing.tags = tags;
        const pna = str(props['publicNetworkAccess']);
        if (pna) existing.publicNetworkAccess = pna;
        if (identityType) existing.identity = { type: identityType };
        return { status: 200, body: view(existing, ctx.now) };
      }
      const rec: VaultRec = {
        subscriptionId: ctx.subscriptionId,
        resourceGroup: rg.name,
        name,
        location: loc,
        skuName: skuName ?? 'Standard',
        etag: `W/"datetime'${encodeURIComponent(iso(ctx.now))}'"`,
        resourceId: numericIdFromName('vault', vaultId(ctx.subscriptionId, rg.name, name)),
        createdAt: ctx.now,
        readyAt: ctx.now + CREATE_SECONDS * 1000,
        publicNetworkAccess: str(props['publicNetworkAccess']) ?? 'Enabled',
        certificates: {},
        asr: { fabrics: {}, policies: {}, jobs: {}, jobOrder: [], recoveryPlans: {} },
        ...(tags ? { tags } : {}),
        ...(identityType ? { identity: { type: identityType } } : {}),
      };
      ctx.core.world.vaults[key] = rec;
      ctx.count(vaultArmId(rec), name);
      const op = newOperation(ctx.core, {
        kind: 'timer',
        doneAt: rec.readyAt,
        resultPath: vaultArmId(rec),
        apiVersion: ctx.apiVersion,
      });
      return {
        status: 201,
        body: view(rec, ctx.now),
        headers: {
          'azure-asyncoperation': absolute(ctx.core, `${vaultArmId(rec)}/operationStatus/${op.id}`, ctx.apiVersion),
          'retry-after': String(ctx.core.retryAfter(10)),
        },
      };
    },
  });
  router.add({
    method: 'GET',
    path: one,
    operationId: 'Vaults_Get',
    apiVersions: API.vaults,
    handler: (ctx) => ({ status: 200, body: view(vaultOf(ctx), ctx.now) }),
  });
  router.add({
    method: 'PATCH',
    path: one,
    operationId: 'Vaults_Update',
    apiVersions: API.vaults,
    handler: (ctx) => {
      const v = vaultOf(ctx);
      const body = bodyObject(ctx);
      const tags = tagsOf(body['tags']);
      if (tags) v.tags = tags;
      const pna = str(obj(body['properties'])?.['publicNetworkAccess']);
      if (pna) v.publicNetworkAccess = pna;
      ctx.count(vaultArmId(v), v.name);
      return { status: 200, body: view(v, ctx.now) };
    },
  });
  router.add({
    method: 'DELETE',
    path: one,
    operationId: 'Vaults_Delete',
    apiVersions: API.vaults,
    handler: (ctx) => {
      const key = vaultKeyOf(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '', ctx.params['vaultName'] ?? '');
      const v = ctx.core.world.vaults[key];
      if (!v) return { status: 204 };
      if (Object.keys(v.asr.fabrics).length > 0) {
        throw new ArmError(
          400,
          'ServiceResourceNotEmpty',
          `Vault ${v.name} cannot be deleted as there are existing resources within the vault. Please delete any replicated items, registered servers, Hyper-V sites (used for Site Recovery), policy associations for System Center VMM clouds (used for Site Recovery) and then delete the vault.`,
        );
      }
      delete ctx.core.world.vaults[key];
      for (const [vmm, vk] of Object.entries(ctx.core.world.vmmRegistrations))
        if (vk === key) delete ctx.core.world.vmmRegistrations[vmm];
      ctx.count(vaultArmId(v), v.name);
      return { status: 200 };
    },
  });
  router.add({
    method: 'GET',
    path: base,
    operationId: 'Vaults_ListByResourceGroup',
    apiVersions: API.vaults,
    handler: (ctx) => {
      requireResourceGroup(ctx, ctx.params['resourceGroupName'] ?? '');
      const rk = rgKey(ctx.subscriptionId, ctx.params['resourceGroupName'] ?? '');
      return page(
        ctx,
        Object.values(ctx.core.world.vaults)
          .filter((v) => rgKey(v.subscriptionId, v.resourceGroup) === rk)
          .map((v) => view(v, ctx.now)),
      );
    },
  });
  router.add({
    method: 'GET',
    path: '/subscriptions/:subscriptionId/providers/Microsoft.RecoveryServices/vaults',
    operationId: 'Vaults_ListBySubscriptionId',
    apiVersions: API.vaults,
    handler: (ctx) =>
      page(
        ctx,
        Object.values(ctx.core.world.vaults)
          .filter((v) => lower(v.subscriptionId) === lower(ctx.subscriptionId))
          .map((v) => view(v, ctx.now)),
      ),
  });
  router.add({
    method: 'GET',
    path: `${one}/operationStatus/:operationId`,
    operationId: 'GetOperationStatus',
    apiVersions: API.any,
    handler: (ctx) => {
      vaultOf(ctx);
      const op = findOperation(ctx.core, ctx.params['operationId'] ?? '');
      if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      return {
        status: 200,
        body: statusBody(ctx.core, op, ctx.path, ctx.now),
        headers: { 'retry-after': String(ctx.core.retryAfter(10)) },
      };
    },
  });
  router.add({
    method: 'GET',
    path: `${one}/operationResults/:operationId`,
    operationId: 'GetOperationResult',
    apiVersions: API.any,
    handler: (ctx) => {
      const v = vaultOf(ctx);
      const op = findOperation(ctx.core, ctx.params['operationId'] ?? '');
      if (!op) throw new ArmError(404, 'NotFound', 'The operation was not found.');
      if ((op.doneAt ?? 0) > ctx.now)
        return {
          status: 202,
          headers: {
            location: `${ctx.core.origin}${ctx.path}${ctx.url.search}`,
            'retry-after': String(ctx.core.retryAfter(10)),
          },
        };
      return { status: 200, body: view(v, ctx.now) };
    },
  });

  // Extended info: the integrity key that the vault credentials file carries.
  const extView = (v: VaultRec): Record<string, unknown> => ({
    id: `${vaultArmId(v)}/extendedInformation/vaultExtendedInfo`,
    name: 'vaultExtendedInfo',
    type: 'Microsoft.RecoveryServices/vaults/extendedInformation',
    etag: v.extendedInfo?.etag,
    properties: { integrityKey: v.extendedInfo?.integrityKey, algorithm: v.extendedInfo?.algorithm },
  });
  const ext = `${one}/extendedInformation/vaultExtendedInfo`;
  router.add({
    method: 'GET',
    path: ext,
    operationId: 'VaultExtendedInfo_Get',
    apiVersions: API.vaults,
    handler: (ctx) => {
      const v = vaultOf(ctx);
      if (!v.extendedInfo)
        throw new ArmError(
          404,
          'ResourceExtendedInfoNotFound',
          `Extended information of vault '${v.name}' was not found.`,
        );
      return { status: 200, body: extView(v) };
    },
  });
  const putExt = (merge: boolean) => (ctx: ArmContext) => {
    const v = vaultOf(ctx);
    const p = obj(bodyObject(ctx)['properties']) ?? {};
    const integrityKey = str(p['integrityKey']) ?? (merge ? v.extendedInfo?.integrityKey : undefined);
    if (!integrityKey) throw new ArmError(400, 'BadRequest', 'properties.integrityKey is required.');
    v.extendedInfo = {
      integrityKey,
      algorithm: str(p['algorithm']) ?? v.extendedInfo?.algorithm ?? 'None',
      etag: ctx.core.newGuid('extinfo-etag'),
    };
    ctx.count(`${vaultArmId(v)}/extendedInformation/vaultExtendedInfo`, v.name);
    return { status: 200, body: extView(v) };
  };
  router.add({
    method: 'PUT',
    path: ext,
    operationId: 'VaultExtendedInfo_CreateOrUpdate',
    apiVersions: API.vaults,
    handler: putExt(false),
  });
  router.add({
    method: 'PATCH',
    path: ext,
    operationId: 'VaultExtendedInfo_Update',
    apiVersions: API.vaults,
    handler: putExt(true),
  });

  // Vault certificates: the public half of the vault credentials file's management cert.
  router.add({
    method: 'PUT',
    path: `${one}/certificates/:certificateName`,
    operationId: 'VaultCertificates_Create',
    apiVersions: API.vaults,
    handler: (ctx) => {
      const v = vaultOf(ctx);
      const name = ctx.params['certificateName'] ?? '';
      const p = obj(bodyObject(ctx)['properties']) ?? {};
      const authType = str(p['authType']) ?? 'AAD';
      const certificate = str(p['certificate']);
      if (!certificate)
        throw new ArmError(400, 'BadRequest', 'properties.certificate (base64 encoded certificate) is required.');
      let parsed: ReturnType<typeof parseCertificate>;
      try {
        parsed = parseCertificate(certificate);
      } catch (e) {
        throw new ArmError(
          400,
          'InvalidCertificate',
          `The certificate could not be read: ${(e as Error).message}. Upload the base64 encoded DER of an X.509 certificate.`,
        );
      }
      if (authType !== 'AAD' && authType !== 'AzureActiveDirectory')
        throw new ArmError(400, 'BadRequest', `authType '${authType}' is not supported; use AAD.`);
      const rec: VaultCertRec = { name, certificateBase64: certificate, ...parsed };
      v.certificates[lower(name)] = rec;
      ctx.count(`${vaultArmId(v)}/certificates/${name}`, v.name);
      const tenant = ctx.core.directory.tenantOfSubscription(v.subscriptionId) ?? '';
      const spId = uuidFromName('asr-sp', vaultArmId(v));
      return {
        status: 200,
        body: {
          name,
          type: 'Microsoft.RecoveryServices/vaults/certificates',
          id: `/Subscriptions/${v.subscriptionId}/resourceGroups/${v.resourceGroup}/providers/Microsoft.RecoveryServices/vaults/${v.name}/certificates/${name}`,
          properties: {
            authType: 'AzureActiveDirectory',
            certificate,
            resourceId: v.resourceId,
            aadAuthority: ctx.core.origin,
            aadTenantId: tenant,
            servicePrincipalClientId: spId,
            servicePrincipalObjectId: uuidFromName('asr-sp-object', vaultArmId(v)),
            azureManagementEndpointAudience: `${ctx.core.origin}/restapi/`,
            subject: parsed.subject,
            validFrom: iso(parsed.validFrom),
            validTo: iso(parsed.validTo),
            thumbprint: parsed.thumbprint,
            friendlyName: '',
            issuer: parsed.issuer,
            aadAudience: `api://${tenant}/RecoveryServiceVault/${v.location}/${v.name}/${v.resourceId}`,
          },
        },
      };
    },
  });
}
