import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createSecureContext, rootCertificates } from 'node:tls';
import type { AzureTarget } from './clients';
import { PUBLIC_AUTHORITY_HOST } from './credentials';

export const PUBLIC_ARM_ENDPOINT = 'https://management.azure.com';

/**
 * Reads where Azure is from the environment: ASRFLOW_ARM_ENDPOINT, ASRFLOW_AUTHORITY_HOST and
 * ASRFLOW_CA_FILE (the emulator's CA). The extra CA is added to Node's public roots on an
 * agent used by every SDK client and credential, so TLS stays verified for both the emulator
 * and real Azure.
 */
export function loadAzureTarget(env: NodeJS.ProcessEnv = process.env): AzureTarget {
  const armEndpoint = (env.ASRFLOW_ARM_ENDPOINT ?? PUBLIC_ARM_ENDPOINT).replace(/\/$/, '');
  const authorityHost = (env.ASRFLOW_AUTHORITY_HOST ?? PUBLIC_AUTHORITY_HOST).replace(/\/$/, '');
  for (const [name, value] of [
    ['ASRFLOW_ARM_ENDPOINT', armEndpoint],
    ['ASRFLOW_AUTHORITY_HOST', authorityHost],
  ] as const) {
    if (!value.startsWith('https://'))
      throw new Error(
        `${name} must be an https:// URL (Azure SDKs refuse bearer tokens over plain http): got '${value}'`,
      );
  }
  const caFile = env.ASRFLOW_CA_FILE;
  let agent: Agent | undefined;
  if (caFile) {
    try {
      agent = trustingAgent(caFile);
    } catch (error) {
      throw new Error(
        `ASRFLOW_CA_FILE points at '${caFile}', which cannot be read (${(error as NodeJS.ErrnoException).code}); point it at the emulator's CA certificate (its caCertPath) or unset it`,
        { cause: error },
      );
    }
  }
  return {
    armEndpoint,
    authorityHost,
    ...(env.ASRFLOW_ARM_AUDIENCE ? { armAudience: env.ASRFLOW_ARM_AUDIENCE } : {}),
    ...(agent ? { agent } : {}),
  };
}

const agents = new Map<string, Agent>();

/**
 * An HTTPS agent that verifies servers against Node's public roots plus the CA in `caFile`
 * (one per file, kept alive). Verification is never turned off: real Azure still verifies,
 * and so does the emulator.
 */
export function trustingAgent(caFile: string): Agent {
  let agent = agents.get(caFile);
  if (!agent) {
    // One secure context for the process: a `ca` list in the agent options would be parsed into
    // a new context for every connection, and it enters the agent's socket-pool key (getName)
    // as text — together about a quarter of a worker's CPU at a thousand VMs (issue #13).
    const secureContext = createSecureContext({ ca: [...rootCertificates, readFileSync(caFile, 'utf8')] });
    agent = new Agent({ secureContext, keepAlive: true });
    agents.set(caFile, agent);
  }
  return agent;
}
