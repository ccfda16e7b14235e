import { decodeJwt, importX509, jwtVerify } from 'jose';
import type { HttpResult, RequestContext } from '../https/types';
import type { Directory } from './directory';
import type { TokenService } from './tokens';

export interface EntraDeps {
  directory: Directory;
  tokens: TokenService;
  /** Audiences that ARM accepts: Azure's and the emulator's own origin. */
  isArmAudience(aud: string): boolean;
  onTokenIssued?(tenantId: string, clientId: string): void;
}

// Microsoft identity platform errors as MSAL expects them (error, error_description with the AADSTS code).
function aadError(status: number, error: string, code: string, description: string): HttpResult {
  const now = new Date().toISOString().replace('T', ' ').replace('Z', 'Z');
  return {
    status,
    body: {
      error,
      error_description: `${code}: ${description} Trace ID: 00000000-0000-0000-0000-000000000000 Correlation ID: 00000000-0000-0000-0000-000000000000 Timestamp: ${now}`,
      error_codes: [Number(code.replace('AADSTS', ''))],
      timestamp: now,
    },
  };
}

export function issuerFor(authorityHost: string, tenantId: string): string {
  return `${authorityHost}/${tenantId}/v2.0`;
}

export async function handleEntra(ctx: RequestContext, deps: EntraDeps): Promise<HttpResult | undefined> {
  const segs = ctx.path.split('/').filter((s) => s.length > 0);
  const tenantSeg = segs[0];
  if (tenantSeg === undefined) return undefined;
  const rest = segs.slice(1).join('/').toLowerCase();
  const host = ctx.origin;

  const isDiscovery = rest === 'v2.0/.well-known/openid-configuration' || rest === '.well-known/openid-configuration';
  const isToken = rest === 'oauth2/v2.0/token' || rest === 'oauth2/token';
  const isKeys = rest === 'discovery/v2.0/keys' || rest === 'discovery/keys';
  if (!isDiscovery && !isToken && !isKeys) return undefined;

  if (isKeys) return { status: 200, body: await deps.tokens.jwks() };

  const tenantId = deps.directory.resolveTenant(tenantSeg);
  if (tenantId === undefined) {
    return aadError(
      400,
      'invalid_tenant',
      'AADSTS90002',
      `Tenant '${tenantSeg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    );
  }

  if (isDiscovery) {
    if (ctx.method !== 'GET') return { status: 405, body: { error: 'method_not_allowed' } };
    const base = `${host}/${tenantId}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: issuerFor(host, tenantId),
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/openid/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'tid', 'oid', 'appid'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  // Token endpoint: client-credentials grant only (what ClientSecretCredential does).
  if (ctx.method !== 'POST') return { status: 405, body: { error: 'method_not_allowed' } };
  const form = new URLSearchParams(ctx.rawBody.toString('utf8'));
  let clientId =
    form.get('client_id') ?? (form.get('client_assertion') ? subjectOf(form.get('client_assertion') ?? '') : '') ?? '';
  let secret = form.get('client_secret') ?? '';
  const basic = /^Basic (.+)$/i.exec(String(ctx.headers.authorization ?? ''));
  if (basic?.[1]) {
    const [id, sec] = Buffer.from(basic[1], 'base64').toString('utf8').split(':');
    clientId = decodeURIComponent(id ?? '');
    secret = decodeURIComponent(sec ?? '');
  }
  if (form.get('grant_type') !== 'client_credentials') {
    return aadError(
      400,
      'unsupported_grant_type',
      'AADSTS70003',
      'The app requested an unsupported grant type. This emulator supports client_credentials only.',
    );
  }
  if (!deps.directory.appExists(clientId)) {
    return aadError(
      400,
      'unauthorized_client',
      'AADSTS700016',
      `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
    );
  }
  const app = deps.directory.appInTenant(clientId, tenantId);
  if (!app) {
    return aadError(
      400,
      'unauthorized_client',
      'AADSTS700016',
      `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const assertion = form.get('client_assertion');
  if (assertion) {
    // Certificate credentials (private_key_jwt): a JWT the app signed with a certificate's key.
    if (form.get('client_assertion_type') !== JWT_BEARER) {
      return aadError(400, 'invalid_request', 'AADSTS50027', `client_assertion_type must be '${JWT_BEARER}'.`);
    }
    const problem = await verifyClientAssertion(assertion, app.certificates ?? [], app.clientId, `${host}${ctx.path}`);
    if (problem) return aadError(401, 'invalid_client', problem.code, problem.message);
  } else if (secret === '' || secret !== app.secret) {
    return aadError(
      401,
      'invalid_client',
      'AADSTS7000215',
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
    );
  }
  const scope = form.get('scope') ?? (form.get('resource') ? `${form.get('resource')}/.default` : '');
  const resourceScope = scope.split(' ').find((s) => s.endsWith('/.default'));
  if (!resourceScope)
    return aadError(
      400,
      'invalid_scope',
      'AADSTS1002012',
      `The provided value for scope '${scope}' is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  let audience = resourceScope.slice(0, -'.default'.length);
  if (!audience.endsWith('/')) audience += '/';
  if (!deps.isArmAudience(audience)) {
    return aadError(
      400,
      'invalid_resource',
      'AADSTS500011',
      `The resource principal named ${audience} was not found in the tenant named ${tenantId}. This emulator issues tokens for Azure Resource Manager only.`,
    );
  }
  const { token, expiresIn } = await deps.tokens.issue({
    tenantId,
    clientId: app.clientId,
    objectId: deps.directory.servicePrincipalId(app.clientId, tenantId),
    audience,
    issuer: issuerFor(host, tenantId),
  });
  deps.onTokenIssued?.(tenantId, app.clientId);
  return {
    status: 200,
    headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token },
  };
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

function subjectOf(assertion: string): string | undefined {
  try {
    return decodeJwt(assertion).sub;
  } catch {
    return undefined;
  }
}

/**
 * Checks a client assertion as Entra does: signed by the key of one of the app's certificates,
 * issued by and about the app, for this token endpoint, and not expired. Returns what is wrong.
 */
async function verifyClientAssertion(
  assertion: string,
  certificates: string[],
  clientId: string,
  tokenEndpoint: string,
): Promise<{ code: string; message: string } | undefined> {
  if (certificates.length === 0) {
    return {
      code: 'AADSTS700027',
      message: `Client assertion failed signature validation: app '${clientId}' has no certificate credentials registered.`,
    };
  }
  let lastError = '';
  for (const pem of certificates) {
    for (const alg of ['RS256', 'PS256']) {
      try {
        const key = await importX509(pem, alg);
        const { payload } = await jwtVerify(assertion, key, {
          algorithms: [alg],
          issuer: clientId,
          subject: clientId,
          clockTolerance: 300,
        });
        const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
        if (!audiences.some((a) => typeof a === 'string' && a.toLowerCase() === tokenEndpoint.toLowerCase())) {
          return {
            code: 'AADSTS700016',
            message: `The client assertion's audience must be the token endpoint '${tokenEndpoint}'.`,
          };
        }
        return undefined;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
  }
  return {
    code: 'AADSTS700027',
    message: `Client assertion failed signature validation: no certificate of app '${clientId}' verifies it (${lastError}).`,
  };
}
