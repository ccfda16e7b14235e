import { createHash, createPublicKey, generateKeyPairSync, type KeyObject, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, jwtVerify, type JWK } from 'jose';

export interface AccessClaims {
  tid: string;
  appid: string;
  oid: string;
  aud: string;
  iss: string;
  exp: number;
  iat: number;
}

export type VerifyOutcome =
  | { ok: true; claims: AccessClaims }
  | { ok: false; reason: 'expired' | 'invalid'; detail: string; claims?: Partial<AccessClaims> };

// Signs and checks the emulator's access tokens. The key lives in the data directory so a
// token issued before a restart still verifies after it.
export class TokenService {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  readonly kid: string;
  private readonly cache = new Map<string, AccessClaims>();

  constructor(
    dataDir: string,
    readonly lifetimeSeconds = 3599,
  ) {
    const keyPath = path.join(dataDir, 'token-signing-key.pem');
    if (!existsSync(keyPath)) {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    }
    this.privateKey = createPrivateKey(readFileSync(keyPath, 'utf8'));
    this.publicKey = createPublicKey(this.privateKey);
    this.kid = createHash('sha256')
      .update(this.publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64url')
      .slice(0, 27);
  }

  async jwks(): Promise<{ keys: JWK[] }> {
    const jwk = await exportJWK(this.publicKey);
    return { keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: 'RS256' }] };
  }

  async issue(input: {
    tenantId: string;
    clientId: string;
    objectId: string;
    audience: string;
    issuer: string;
    lifetimeSeconds?: number;
    nowSeconds?: number;
  }): Promise<{ token: string; expiresIn: number }> {
    const now = input.nowSeconds ?? Math.floor(Date.now() / 1000);
    const lifetime = input.lifetimeSeconds ?? this.lifetimeSeconds;
    const token = await new SignJWT({
      tid: input.tenantId,
      appid: input.clientId,
      oid: input.objectId,
      sub: input.objectId,
      idtyp: 'app',
      ver: '1.0',
      appidacr: '1',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setAudience(input.audience)
      .setIssuer(input.issuer)
      .setIssuedAt(Math.min(now, now + lifetime))
      .setNotBefore(Math.min(now, now + lifetime) - 300)
      .setExpirationTime(now + lifetime)
      .sign(this.privateKey);
    return { token, expiresIn: lifetime };
  }

  async verify(token: string): Promise<VerifyOutcome> {
    const cached = this.cache.get(token);
    const nowSec = Date.now() / 1000;
    if (cached) {
      if (cached.exp <= nowSec)
        return {
          ok: false,
          reason: 'expired',
          detail: `The token expired at ${new Date(cached.exp * 1000).toISOString()}`,
          claims: cached,
        };
      return { ok: true, claims: cached };
    }
    try {
      // Expiry is checked here rather than by jose so that an expired token still yields its claims.
      const { payload } = await jwtVerify(token, this.publicKey, { algorithms: ['RS256'], clockTolerance: 1e9 });
      const claims: AccessClaims = {
        tid: typeof payload['tid'] === 'string' ? payload['tid'] : '',
        appid: typeof payload['appid'] === 'string' ? payload['appid'] : '',
        oid: typeof payload['oid'] === 'string' ? payload['oid'] : '',
        aud: String(payload.aud ?? ''),
        iss: String(payload.iss ?? ''),
        exp: Number(payload.exp ?? 0),
        iat: Number(payload.iat ?? 0),
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, claims);
      if (claims.exp <= nowSec)
        return {
          ok: false,
          reason: 'expired',
          detail: `The token expired at ${new Date(claims.exp * 1000).toISOString()}`,
          claims,
        };
      return { ok: true, claims };
    } catch (e) {
      return { ok: false, reason: 'invalid', detail: (e as Error).message };
    }
  }
}
