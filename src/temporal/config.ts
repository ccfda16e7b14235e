import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { DEFAULT_NAMESPACE, DEFAULT_TASK_QUEUE } from './defaults';

export interface TemporalSettings {
  connectionOptions: NativeConnectionOptions;
  address: string;
  /** Where the address came from, for messages: a flag, TEMPORAL_ADDRESS, a profile, or the default. */
  addressSource: string;
  namespace: string;
  taskQueue: string;
  /** For messages: where we connect, never the credentials. */
  describe(): string;
}

/**
 * Reads the Temporal connection the standard way (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE and the TOML profile file), so the same
 * worker and CLI run against the dev server, a self-hosted cluster or Temporal Cloud.
 */
export function loadTemporalSettings(
  env: NodeJS.ProcessEnv = process.env,
  overrides: { address?: string; namespace?: string; taskQueue?: string } = {},
): TemporalSettings {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
  const config = loadClientConnectConfig({ overrideEnvVars });
  const connectionOptions: NativeConnectionOptions = { ...config.connectionOptions };
  const fromProfile = connectionOptions.address !== undefined;
  if (overrides.address) connectionOptions.address = overrides.address;
  const address = connectionOptions.address ?? 'localhost:7233';
  const addressSource = overrides.address
    ? 'the --address flag'
    : env.TEMPORAL_ADDRESS
      ? 'TEMPORAL_ADDRESS'
      : fromProfile
        ? `the Temporal CLI profile ${env.TEMPORAL_PROFILE ?? 'default'}`
        : 'the default (no --address, TEMPORAL_ADDRESS or profile)';
  connectionOptions.address = address;
  const namespace = overrides.namespace ?? config.namespace ?? DEFAULT_NAMESPACE;
  const taskQueue = overrides.taskQueue ?? env.ASRFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const tls = connectionOptions.tls ? ', TLS' : '';
  const auth = connectionOptions.apiKey ? ', API key' : '';
  return {
    connectionOptions,
    address,
    addressSource,
    namespace,
    taskQueue,
    describe: () => `${address} namespace '${namespace}' task queue '${taskQueue}'${tls}${auth}`,
  };
}
