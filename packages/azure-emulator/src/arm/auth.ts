import type { AccessClaims } from '../entra/tokens';
import type { EmulatorCore } from '../core';
import { ArmError, subscriptionNotFound } from './errors';

const challenge = (desc: string, tenant?: string): Record<string, string> => ({
  'www-authenticate': `Bearer authorization_uri="https://login.windows.net/${tenant ?? ''}", error="invalid_token", error_description="${desc}"`,
});

export function isArmAudience(aud: string, origin: string): boolean {
  const a = aud.toLowerCase().replace(/\/+$/, '');
  return (
    a === 'https://management.azure.com' ||
    a === 'https://management.core.windows.net' ||
    (origin !== '' && a === origin.toLowerCase())
  );
}

// ARM's checks, in its order: a bearer token at all, a valid signature, not expired, meant
// for ARM, and issued by the tenant that owns the subscription.
export async function authenticate(
  core: EmulatorCore,
  authorization: string | undefined,
  subscriptionId: string | undefined,
): Promise<AccessClaims> {
  const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
  if (!m?.[1]) {
    throw new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", {
      headers: challenge("The authentication failed because of missing 'Authorization' header."),
    });
  }
  const outcome = await core.tokens.verify(m[1]);
  if (!outcome.ok) {
    if (outcome.reason === 'expired') {
      const exp = new Date((outcome.claims?.exp ?? 0) * 1000).toISOString();
      throw new ArmError(
        401,
        'ExpiredAuthenticationToken',
        `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date().toISOString()}'.`,
        {
          headers: challenge('The access token has expired.', outcome.claims?.tid),
        },
      );
    }
    throw new ArmError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', {
      headers: challenge('The access token is invalid.'),
    });
  }
  const claims = outcome.claims;
  if (!isArmAudience(claims.aud, core.origin)) {
    throw new ArmError(
      401,
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${claims.aud}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.`,
      {
        headers: challenge('The access token has been obtained for wrong audience.', claims.tid),
      },
    );
  }
  if (subscriptionId !== undefined) {
    const home = core.directory.tenantOfSubscription(subscriptionId);
    if (home === undefined) throw subscriptionNotFound(subscriptionId);
    if (home.toLowerCase() !== claims.tid.toLowerCase()) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenTenant',
        `The access token is from the wrong issuer '${claims.iss}'. It must match the tenant 'https://sts.windows.net/${home}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${home}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        { headers: challenge('The access token is from the wrong issuer.', home) },
      );
    }
  }
  return claims;
}
