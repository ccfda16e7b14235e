import type { Agent } from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import type { Pipeline } from '@azure/core-rest-pipeline';
import { NetworkManagementClient } from '@azure/arm-network';
import { RecoveryServicesClient } from '@azure/arm-recoveryservices';
import { SiteRecoveryManagementClient } from '@azure/arm-recoveryservices-siterecovery';
import { ResourceManagementClient } from '@azure/arm-resources';
import { StorageManagementClient } from '@azure/arm-storage';
import type { Principal } from '../domain/targets';
import { ReferencedCredential } from './credentials';
import { budgetFromEnv, RequestBudget, requestBudgetPolicy } from './request-budget';

/** Where Azure is: the real cloud or the emulator, told apart by configuration only. */
export interface AzureTarget {
  armEndpoint: string;
  authorityHost: string;
  /** Token audience for ARM; the public cloud's unless a sovereign cloud says otherwise. */
  armAudience?: string;
  agent?: Agent;
}

const DEFAULT_AUDIENCE = 'https://management.azure.com/';

/**
 * Builds and caches SDK clients per principal and subscription. A client is only ever made
 * with the credential of the tenant named in its principal, so a tenant's subscription is
 * never called with another tenant's token.
 */
export class AzureClientFactory {
  private readonly credentials = new Map<string, TokenCredential>();
  private readonly clients = new Map<string, unknown>();
  /** One budget per worker process, shared by every client and activity (request-budget.ts). */
  readonly budget: RequestBudget;

  constructor(
    readonly target: AzureTarget,
    private readonly env: NodeJS.ProcessEnv = process.env,
    private readonly options_: { tokenMaxRetries?: number; budget?: RequestBudget } = {},
  ) {
    this.budget = options_.budget ?? new RequestBudget(budgetFromEnv(env));
  }

  credential(principal: Principal): TokenCredential {
    const key = `${principal.tenantId}|${JSON.stringify(principal.credential)}`;
    let credential = this.credentials.get(key);
    if (!credential) {
      // Resolved lazily and again whenever the secret changes (ReferencedCredential): a
      // missing or wrong secret then fails inside the SDK call, where it is classified.
      credential = new ReferencedCredential(principal.credential, principal.tenantId, {
        authorityHost: this.target.authorityHost,
        agent: this.target.agent,
        env: this.env,
        ...(this.options_.tokenMaxRetries !== undefined ? { maxRetries: this.options_.tokenMaxRetries } : {}),
      });
      this.credentials.set(key, credential);
    }
    return credential;
  }

  private options() {
    const audience = this.target.armAudience ?? DEFAULT_AUDIENCE;
    return {
      endpoint: this.target.armEndpoint,
      credentialScopes: [`${audience.replace(/\/$/, '')}/.default`],
      // Temporal is the one retry layer: the SDK's own retries would re-send a PUT whose answer
      // was lost without the read-first check the activities do, and would wait out 429s where
      // nobody sees it. Activities classify each failure; Temporal retries, after Retry-After.
      retryOptions: { maxRetries: 0 },
      ...(this.target.agent ? { agent: this.target.agent } : {}),
    };
  }

  private cached<T>(
    kind: string,
    principal: Principal,
    subscriptionId: string,
    make: (credential: TokenCredential) => T,
  ): T {
    const key = `${kind}|${principal.tenantId}|${JSON.stringify(principal.credential)}|${subscriptionId}`;
    let client = this.clients.get(key) as T | undefined;
    if (!client) {
      client = make(this.credential(principal));
      // After signing: a request spends the budget when it is ready to go, not before it waited
      // for its token (which would release a crowd at once when the token arrives).
      (client as { pipeline: Pipeline }).pipeline.addPolicy(requestBudgetPolicy(this.budget), { afterPhase: 'Sign' });
      this.clients.set(key, client);
    }
    return client;
  }

  siteRecovery(principal: Principal, subscriptionId: string): SiteRecoveryManagementClient {
    return this.cached(
      'asr',
      principal,
      subscriptionId,
      (c) => new SiteRecoveryManagementClient(c, subscriptionId, this.options()),
    );
  }

  recoveryServices(principal: Principal, subscriptionId: string): RecoveryServicesClient {
    return this.cached(
      'rsv',
      principal,
      subscriptionId,
      (c) => new RecoveryServicesClient(c, subscriptionId, this.options()),
    );
  }

  storage(principal: Principal, subscriptionId: string): StorageManagementClient {
    return this.cached(
      'storage',
      principal,
      subscriptionId,
      (c) => new StorageManagementClient(c, subscriptionId, this.options()),
    );
  }

  network(principal: Principal, subscriptionId: string): NetworkManagementClient {
    return this.cached(
      'network',
      principal,
      subscriptionId,
      (c) => new NetworkManagementClient(c, subscriptionId, this.options()),
    );
  }

  resources(principal: Principal, subscriptionId: string): ResourceManagementClient {
    return this.cached(
      'resources',
      principal,
      subscriptionId,
      (c) => new ResourceManagementClient(c, subscriptionId, this.options()),
    );
  }
}
