import type { Logger } from 'pino';

// Activities are built by a factory from injected dependencies (Azure clients per tenant,
// logger, clock) so the worker wires real ones and tests can wire their own.
export interface ActivityDeps {
  logger: Logger;
  /** The worker's identity as Temporal shows it, and the asrflow version it runs. */
  identity: string;
  version: string;
}

export function createActivities(deps: ActivityDeps) {
  return {
    /** Lets `asrflow doctor` see which worker build answered. */
    async workerInfo(): Promise<{ workerVersion: string; identity: string }> {
      return { workerVersion: deps.version, identity: deps.identity };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
