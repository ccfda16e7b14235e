import { readFileSync } from 'node:fs';
import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { ClientCertificateCredential, ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { CredentialRef } from '../../domain/plan/types';

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
      return new ClientSecretCredential(tenantId, ref.clientId, readSecret(ref, context.env), common);
    case 'clientCertificate': {
      const certificatePassword = ref.certificatePasswordEnv ? context.env[ref.certificatePasswordEnv] : undefined;
      return new ClientCertificateCredential(tenantId, ref.clientId, { certificatePath: ref.certificateFile, ...(certificatePassword ? { certificatePassword } : {}) }, common);
    }
    case 'default':
      return new DefaultAzureCredential({ tenantId, ...common });
  }
}

function readSecret(ref: Extract<CredentialRef, { type: 'clientSecret' }>, env: NodeJS.ProcessEnv): string {
  if (ref.secretEnv !== undefined) {
    const value = env[ref.secretEnv];
    if (!value) throw new CredentialReferenceError(`environment variable ${ref.secretEnv} (client secret of app ${ref.clientId}) is not set in the worker's environment`);
    return value;
  }
  try {
    const value = readFileSync(ref.secretFile, 'utf8').trim();
    if (!value) throw new CredentialReferenceError(`secret file ${ref.secretFile} (app ${ref.clientId}) is empty`);
    return value;
  } catch (error) {
    if (error instanceof CredentialReferenceError) throw error;
    throw new CredentialReferenceError(`cannot read secret file ${ref.secretFile} (app ${ref.clientId}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
