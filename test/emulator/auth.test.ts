import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientSecretCredential } from '../../src/azure/sdk';
import { decodeJwt } from 'jose';
import { createHttpsAgent } from '../support/azure-endpoint';
import { clientsFor, rawRequest, startTestEmulator, TENANTS, tokenFor, type TestEmulator } from './helpers';

const RG_LIST = (sub: string) => `/subscriptions/${sub}/resourcegroups?api-version=2025-04-01`;

describe('Entra ID and ARM token checks', () => {
  let emu: TestEmulator;
  beforeAll(async () => {
    emu = await startTestEmulator();
  });
  afterAll(async () => {
    await emu?.close();
  });

  it('issues signed JWTs with tid, aud, appid and exp to the real ClientSecretCredential', async () => {
    const token = await tokenFor(clientsFor(emu, 'contoso'));
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      tid: TENANTS.contoso.tenantId,
      appid: TENANTS.contoso.clientId,
      aud: 'https://management.azure.com/',
    });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
    const list = await clientsFor(emu, 'contoso').resources.resourceGroups.list().next();
    expect(list.done).toBe(true);
  });

  it('answers 401 AuthenticationFailed without a token', async () => {
    const r = await rawRequest(emu, 'GET', RG_LIST(TENANTS.contoso.subscriptionId));
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: { code: 'AuthenticationFailed' } });
    expect(String(r.headers['www-authenticate'])).toMatch(/^Bearer /);
  });

  it('answers 401 for an expired token and for a forged one', async () => {
    const { accessToken } = await emu.admin.token(TENANTS.contoso.tenantId, TENANTS.contoso.clientId, -120);
    const expired = await rawRequest(emu, 'GET', RG_LIST(TENANTS.contoso.subscriptionId), { token: accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ error: { code: 'ExpiredAuthenticationToken' } });
    const parts = accessToken.split('.');
    const forged = `${parts[0]}.${Buffer.from(JSON.stringify({ ...decodeJwt(accessToken), exp: 9999999999 })).toString('base64url')}.${parts[2]}`;
    const bad = await rawRequest(emu, 'GET', RG_LIST(TENANTS.contoso.subscriptionId), { token: forged });
    expect(bad.status).toBe(401);
    expect(bad.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } });
  });

  it("refuses a tenant's token on another tenant's subscription (tenant isolation)", async () => {
    const contosoOnNorthwind = clientsFor(emu, 'contoso', TENANTS.northwind.subscriptionId);
    await expect(
      contosoOnNorthwind.resources.resourceGroups.createOrUpdate('stolen', { location: 'westeurope' }),
    ).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenTenant',
    });
    const hosterOnContoso = clientsFor(emu, 'fabrikam', TENANTS.contoso.subscriptionId);
    await expect(hosterOnContoso.resources.resourceGroups.get('anything')).rejects.toMatchObject({
      statusCode: 401,
      code: 'InvalidAuthenticationTokenTenant',
    });
    // Nothing was created in northwind's subscription.
    const northwind = clientsFor(emu, 'northwind');
    await expect(northwind.resources.resourceGroups.get('stolen')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
  });

  it('answers 404 SubscriptionNotFound for a subscription nobody owns', async () => {
    const c = clientsFor(emu, 'contoso', 'f1000000-0000-4000-8000-000000000009');
    await expect(c.resources.resourceGroups.get('x')).rejects.toMatchObject({
      statusCode: 404,
      code: 'SubscriptionNotFound',
    });
  });

  it('rejects a wrong client secret and an app used in a tenant it does not belong to', async () => {
    const agent = createHttpsAgent(emu.endpoint);
    const common = { authorityHost: emu.authorityHost, disableInstanceDiscovery: true, ...(agent ? { agent } : {}) };
    const wrongSecret = new ClientSecretCredential(
      TENANTS.contoso.tenantId,
      TENANTS.contoso.clientId,
      'not-the-secret',
      common,
    );
    await expect(wrongSecret.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS7000215/);
    const wrongTenant = new ClientSecretCredential(
      TENANTS.northwind.tenantId,
      TENANTS.contoso.clientId,
      TENANTS.contoso.clientSecret,
      common,
    );
    await expect(wrongTenant.getToken('https://management.azure.com/.default')).rejects.toThrow(/AADSTS700016/);
  });

  it('requires the api-version parameter', async () => {
    const token = await tokenFor(clientsFor(emu, 'contoso'));
    const r = await rawRequest(emu, 'GET', `/subscriptions/${TENANTS.contoso.subscriptionId}/resourcegroups`, {
      token,
    });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } });
  });

  it('verifies TLS: a client that does not trust the emulator CA is refused', async () => {
    const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
      get(`${emu.armEndpoint}/subscriptions`, () => resolve(new Error('connected without the CA'))).on('error', (e) =>
        resolve(e),
      );
    });
    expect(err.code).toMatch(
      /SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY/,
    );
  });
});
