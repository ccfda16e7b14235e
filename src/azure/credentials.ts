import { createHash } from 'node:crypto';
import type { Agent } from 'node:https';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { fileProblem } from '../domain/plan/credentials';
import { readSecretFile, SecretFileError } from '../domain/plan/secret-files';
import type { CredentialRef } from '../domain/plan/types';
import { isTokenEndpointTrouble } from './failures';

export const PUBLIC_AUTHORITY_HOST = 'https://login.microsoftonline.com';

export interface CredentialContext {
  authorityHost: string;
  /** Carries the extra CA that makes the emulator (or a TLS-inspecting proxy) trusted. */
  agent?: Agent;
  env: NodeJS.ProcessEnv;
  /** Token-request retries; the SDK's default (3, backing off) suits workers, not a quick check. */
  maxRetries?: number;
}

/** A credential problem the operator must fix; never carries the secret itself. */
export class CredentialReferenceError extends Error {
  override name = 'CredentialReferenceError';
  constructor(
    message: string,
    /** What to change, where: the tenant and the plan's reference, never the secret. */
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** The plan's reference in words, for messages: where the secret comes from, never what it is. */
export function describeReference(ref: CredentialRef, tenantId: string): string {
  switch (ref.type) {
    case 'clientSecret':
      return `app ${ref.clientId} in tenant ${tenantId}, client secret from ${ref.secretEnv !== undefined ? `environment variable ${ref.secretEnv}` : `file ${ref.secretFile}`}`;
    case 'clientCertificate':
      return `app ${ref.clientId} in tenant ${tenantId}, certificate file ${ref.certificateFile}`;
    case 'default':
      return `the default Azure credential chain for tenant ${tenantId}`;
  }
}

/** What the operator changes so that the reference works, and how the step goes on. */
export function credentialFix(ref: CredentialRef, tenantId: string): string {
  const then = "then run 'asrflow retry' for the tenant (the worker reads the secret again on the retry)";
  switch (ref.type) {
    case 'clientSecret':
      return ref.secretEnv !== undefined
        ? `set ${ref.secretEnv} in the worker's environment to a valid client secret of app ${ref.clientId} in tenant ${tenantId} and restart the worker (or point the plan's credential at a secretFile), ${then}`
        : `write a valid client secret of app ${ref.clientId} in tenant ${tenantId} into ${ref.secretFile} (readable by the worker), ${then}`;
    case 'clientCertificate':
      return `put a certificate registered for app ${ref.clientId} in tenant ${tenantId} into ${ref.certificateFile}${ref.certificatePasswordEnv ? ` (password in ${ref.certificatePasswordEnv})` : ''}, ${then}`;
    case 'default':
      return `sign the worker in for tenant ${tenantId} (environment, managed identity or Azure CLI), ${then}`;
  }
}

/** Identity errors that a retry cannot cure: the secret, certificate or app is wrong or missing. */
const REFUSED = new Set([
  'AuthenticationError',
  'AuthenticationRequiredError',
  'CredentialUnavailableError',
  'AggregateAuthenticationError',
  'CredentialReferenceError',
]);

/**
 * The credential the SDK clients hold: it resolves the plan's reference when a token is needed,
 * and resolves it again whenever the secret (or certificate) changed since, so an operator's fix
 * takes effect on `asrflow retry` without a worker restart; a credential built from a wrong
 * secret is never reused. A refusal becomes a CredentialReferenceError naming tenant and reference.
 */
export class ReferencedCredential implements TokenCredential {
  private inner: TokenCredential | undefined;
  private version: string | undefined;

  constructor(
    private readonly ref: CredentialRef,
    private readonly tenantId: string,
    private readonly context: CredentialContext,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      const version = credentialVersion(this.ref, this.context.env, this.tenantId);
      if (!this.inner || version !== this.version) {
        this.inner = resolveCredential(this.ref, this.tenantId, this.context);
        this.version = version;
      }
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      const e = error as { name?: string; message?: string; statusCode?: number };
      if (e.name === 'CredentialReferenceError') throw error;
      if (isTokenEndpointTrouble(e)) {
        // Unreachable or failing token endpoint: retried like any network trouble.
        throw Object.assign(
          new Error(
            `token endpoint for tenant ${this.tenantId} unavailable: ${(e.message ?? String(error)).split('\n')[0]}`,
          ),
          { name: 'TokenEndpointUnavailable', code: 'ECONNRESET' },
        );
      }
      if (!REFUSED.has(e.name ?? '')) throw error;
      const reason = (e.message ?? String(error)).split('\n')[0];
      throw new CredentialReferenceError(
        `the credential for tenant ${this.tenantId} was refused (${describeReference(this.ref, this.tenantId)}): ${reason}`,
        credentialFix(this.ref, this.tenantId),
      );
    }
  }
}

/**
 * A digest of what the credential is built from (secret, certificate file, password), so a
 * change is noticed. Kept in memory only; the secret itself is not kept.
 */
export function credentialVersion(ref: CredentialRef, env: NodeJS.ProcessEnv, tenantId: string): string {
  const hash = createHash('sha256');
  switch (ref.type) {
    case 'clientSecret':
      hash.update(readSecret(ref, env, tenantId));
      break;
    case 'clientCertificate':
      hash.update(readCertificate(ref, env, tenantId));
      hash.update(ref.certificatePasswordEnv ? (env[ref.certificatePasswordEnv] ?? '') : '');
      break;
    case 'default':
      hash.update('default');
      break;
  }
  return hash.digest('hex');
}

/**
 * Turns a plan's credential reference into a credential for exactly that tenant. Secrets are
 * read here, inside the worker, at the moment of use; they never enter a workflow payload.
 */
export function resolveCredential(ref: CredentialRef, tenantId: string, context: CredentialContext): TokenCredential {
  const common = {
    authorityHost: context.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority; an emulator or a
    // sovereign cloud host is not known there.
    disableInstanceDiscovery: context.authorityHost !== PUBLIC_AUTHORITY_HOST,
    ...(context.agent ? { agent: context.agent } : {}),
    ...(context.maxRetries !== undefined ? { retryOptions: { maxRetries: context.maxRetries } } : {}),
  };
  switch (ref.type) {
    case 'clientSecret':
      return new ClientSecretCredential(tenantId, ref.clientId, readSecret(ref, context.env, tenantId), common);
    case 'clientCertificate': {
      const certificatePassword = ref.certificatePasswordEnv ? context.env[ref.certificatePasswordEnv] : undefined;
      // The PEM read here, under the credential-file rule, rather than a path the SDK would open itself.
      const certificate = readCertificate(ref, context.env, tenantId).toString('utf8');
      return new ClientCertificateCredential(
        tenantId,
        ref.clientId,
        { certificate, ...(certificatePassword ? { certificatePassword } : {}) },
        common,
      );
    }
    case 'default':
      return new DefaultAzureCredential({ tenantId, ...common });
  }
}

function readSecret(
  ref: Extract<CredentialRef, { type: 'clientSecret' }>,
  env: NodeJS.ProcessEnv,
  tenantId: string,
): string {
  const fix = credentialFix(ref, tenantId);
  if (ref.secretEnv !== undefined) {
    const value = env[ref.secretEnv];
    if (!value)
      throw new CredentialReferenceError(
        `environment variable ${ref.secretEnv} (client secret of app ${ref.clientId}, tenant ${tenantId}) is not set in the worker's environment`,
        fix,
      );
    return value;
  }
  const value = readCredentialFile(ref.secretFile, 'secret', ref.clientId, env, tenantId, fix).toString('utf8').trim();
  if (!value)
    throw new CredentialReferenceError(
      `secret file ${ref.secretFile} (app ${ref.clientId}, tenant ${tenantId}) is empty`,
      fix,
    );
  return value;
}

function readCertificate(
  ref: Extract<CredentialRef, { type: 'clientCertificate' }>,
  env: NodeJS.ProcessEnv,
  tenantId: string,
): Buffer {
  return readCredentialFile(
    ref.certificateFile,
    'certificate',
    ref.clientId,
    env,
    tenantId,
    credentialFix(ref, tenantId),
  );
}

/**
 * A credential file read under the same rule as `plan validate` applies (regular file, inside an
 * allowed secrets directory of the worker's ASRFLOW_SECRETS_DIR, not under /proc, /sys or /dev):
 * a plan that names another file is refused here too, before anything is read or sent. The
 * message names the file and the problem, never the content.
 */
function readCredentialFile(
  file: string,
  what: 'secret' | 'certificate',
  clientId: string,
  env: NodeJS.ProcessEnv,
  tenantId: string,
  fix: string,
): Buffer {
  try {
    return readSecretFile(file, env);
  } catch (error) {
    const then = "then run 'asrflow retry' for the tenant";
    if (error instanceof SecretFileError) {
      const { problem, fix: fileFix } = fileProblem(error.state, file);
      throw new CredentialReferenceError(
        `${what} file ${file} (app ${clientId}, tenant ${tenantId}) ${problem}`,
        error.state.problem === 'missing' || error.state.problem === 'unreadable' ? fix : `${fileFix}, ${then}`,
      );
    }
    throw new CredentialReferenceError(
      `cannot read ${what} file ${file} (app ${clientId}, tenant ${tenantId}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`,
      fix,
    );
  }
}
