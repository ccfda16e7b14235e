import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { rootCertificates } from 'node:tls';
import { ClientSecretCredential } from '@azure/identity';

/**
 * Where Azure is: the public cloud, or the emulator (whose certificate authority is trusted
 * through caCertPath). The same code talks to either; only these values differ.
 */
export interface AzureEndpoint {
  armEndpoint: string;
  authorityHost: string;
  /** PEM of an extra certificate authority to trust (the emulator's), in addition to Node's roots. */
  caCertPath?: string;
}

export const PUBLIC_AZURE: AzureEndpoint = { armEndpoint: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' };

/** ARM's token audience; the emulator accepts it too, so tokens look like Azure's. */
export const ARM_SCOPE = 'https://management.azure.com/.default';

const agents = new Map<string, Agent>();

/**
 * An HTTPS agent that verifies servers against Node's public roots plus the endpoint's extra
 * CA. Verification is never turned off: real Azure still verifies, and so does the emulator.
 */
export function createHttpsAgent(endpoint: AzureEndpoint): Agent | undefined {
  if (!endpoint.caCertPath) return undefined;
  let agent = agents.get(endpoint.caCertPath);
  if (!agent) {
    const pem = readFileSync(endpoint.caCertPath, 'utf8');
    agent = new Agent({ ca: [...rootCertificates, pem], keepAlive: true });
    agents.set(endpoint.caCertPath, agent);
  }
  return agent;
}

export interface ClientSecret {
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

export function createCredential(endpoint: AzureEndpoint, secret: ClientSecret): ClientSecretCredential {
  const agent = createHttpsAgent(endpoint);
  const isPublic = endpoint.authorityHost.replace(/\/$/, '') === PUBLIC_AZURE.authorityHost;
  return new ClientSecretCredential(secret.tenantId, secret.clientId, secret.clientSecret, {
    authorityHost: endpoint.authorityHost,
    // Instance discovery asks login.microsoftonline.com about the authority, which knows
    // nothing of an emulator.
    disableInstanceDiscovery: !isPublic,
    ...(agent ? { agent } : {}),
  });
}

/** Options for any `@azure/arm-*` client: `new XClient(credential, subscriptionId, armClientOptions(endpoint))`. */
export function armClientOptions(endpoint: AzureEndpoint): { endpoint: string; credentialScopes: string[]; agent?: Agent } {
  const agent = createHttpsAgent(endpoint);
  return { endpoint: endpoint.armEndpoint.replace(/\/$/, ''), credentialScopes: [ARM_SCOPE], ...(agent ? { agent } : {}) };
}
