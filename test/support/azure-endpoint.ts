import type { Agent } from 'node:https';
import type { TokenCredential } from '../../src/azure/sdk';
import { resolveCredential } from '../../src/azure/credentials';
import { trustingAgent } from '../../src/azure/target';

// How the emulator's own tests reach it with the real SDK clients. They build clients by hand
// rather than through AzureClientFactory because some of them check the SDK's own behaviour
// (e.g. its 429 retry), which the product turns off; TLS trust and credentials still come from
// the product's modules.

export interface AzureEndpoint {
  armEndpoint: string;
  authorityHost: string;
  /** The emulator's CA, trusted in addition to Node's roots. */
  caCertPath?: string;
}

/** ARM's token audience; the emulator accepts it too, so tokens look like Azure's. */
export const ARM_SCOPE = 'https://management.azure.com/.default';

export function createHttpsAgent(endpoint: AzureEndpoint): Agent | undefined {
  return endpoint.caCertPath ? trustingAgent(endpoint.caCertPath) : undefined;
}

export function createCredential(
  endpoint: AzureEndpoint,
  secret: { tenantId: string; clientId: string; clientSecret: string },
): TokenCredential {
  return resolveCredential({ type: 'clientSecret', clientId: secret.clientId, secretEnv: 'SECRET' }, secret.tenantId, {
    authorityHost: endpoint.authorityHost.replace(/\/$/, ''),
    agent: createHttpsAgent(endpoint),
    env: { SECRET: secret.clientSecret },
  });
}

/** Options for any `@azure/arm-*` client: `new XClient(credential, subscriptionId, armClientOptions(endpoint))`. */
export function armClientOptions(endpoint: AzureEndpoint): {
  endpoint: string;
  credentialScopes: string[];
  agent?: Agent;
} {
  const agent = createHttpsAgent(endpoint);
  return {
    endpoint: endpoint.armEndpoint.replace(/\/$/, ''),
    credentialScopes: [ARM_SCOPE],
    ...(agent ? { agent } : {}),
  };
}
