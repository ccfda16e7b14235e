import { AsyncLocalStorage } from 'node:async_hooks';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { retryAfterSeconds } from './failures';

// ARM limits requests per subscription and principal with token buckets (reads 250 burst,
// 25/s; writes 200, 10/s). A worker onboarding a hundred VMs at once, each polling its
// enable-protection job, goes past that; every 429 then fails an activity, whose retry costs
// more reads than it saves. So the worker keeps its own, slightly smaller, budget per
// subscription and waits its turn locally; and when Azure still says 429 (other workers,
// other tools on the subscription), every request to that subscription holds back until the
// Retry-After has passed, instead of each one finding out for itself.

export type RequestClass = 'reads' | 'writes' | 'deletes';

export interface Rate {
  perSecond: number;
  burst: number;
}

export type RequestBudgetLimits = Record<RequestClass, Rate>;

/** Under ARM's published per-principal buckets, leaving room for the operator's own tools. */
export const DEFAULT_BUDGET: RequestBudgetLimits = {
  reads: { perSecond: 20, burst: 200 },
  writes: { perSecond: 8, burst: 150 },
  deletes: { perSecond: 8, burst: 150 },
};

interface Bucket {
  tokens: number;
  at: number;
  /** Nobody sends before this time (ms): Azure said 429 with Retry-After. */
  blockedUntil: number;
  /** Requests on someone's critical path waiting for a token: bulk ones let them go first. */
  urgentWaiting: number;
}

/**
 * Bulk requests (one per VM: a thousand enable-protection PUTs) wait while a request on a
 * tenant's critical path (its setup: policy, mapping, network mapping) waits for the same
 * bucket, so a tenant's setup is not queued behind another tenant's thousand VMs.
 */
const bulk = new AsyncLocalStorage<true>();

/** Runs `fn` with its ARM requests marked bulk: they take a token only when no other request waits. */
export function asBulkRequests<T>(fn: () => Promise<T>): Promise<T> {
  return bulk.run(true, fn);
}

/** What the SDK passes as a request's abort signal. */
export interface AbortLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortLike): Promise<void>;
}

const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      const aborted = () => new Error('the request was aborted while it waited for the ARM request budget');
      if (signal?.aborted) return reject(aborted());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(aborted());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export class RequestBudget {
  private readonly buckets = new Map<string, Bucket>();
  /** How many workers share ARM's buckets: each spends 1/share of every rate and burst. */
  private share = 1;
  /** Milliseconds requests waited for the budget, for logs and benchmarks. */
  waitedMs = 0;
  throttledResponses = 0;

  constructor(
    readonly limits: RequestBudgetLimits = DEFAULT_BUDGET,
    private readonly clock: Clock = realClock,
  ) {}

  /**
   * Spends 1/`workers` of the configured budget from now on, so N workers on one subscription
   * together stay within ARM's buckets (budget-share.ts counts them); tokens above the new
   * burst are dropped at once.
   */
  setShare(workers: number): void {
    this.share = Math.max(1, Math.floor(workers));
    for (const [key, b] of this.buckets) {
      const cls = key.slice(key.lastIndexOf('|') + 1) as RequestClass;
      b.tokens = Math.min(b.tokens, this.rate(cls).burst);
    }
  }

  get workers(): number {
    return this.share;
  }

  private rate(cls: RequestClass): Rate {
    const { perSecond, burst } = this.limits[cls];
    return { perSecond: perSecond / this.share, burst: Math.max(1, burst / this.share) };
  }

  private bucket(key: string, rate: Rate): Bucket {
    let b = this.buckets.get(key);
    const now = this.clock.now();
    if (!b) {
      b = { tokens: rate.burst, at: now, blockedUntil: 0, urgentWaiting: 0 };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(rate.burst, b.tokens + ((now - b.at) / 1000) * rate.perSecond);
    b.at = now;
    return b;
  }

  /**
   * Waits until a request of this class may go to this subscription, then counts it. A bulk
   * request (`asBulkRequests`) also waits while a request that is not bulk waits.
   */
  async acquire(
    scope: string,
    cls: RequestClass,
    signal?: AbortLike,
    isBulk = bulk.getStore() === true,
  ): Promise<void> {
    const key = `${scope}|${cls}`;
    let counted: Bucket | undefined;
    try {
      for (;;) {
        // Read each round: the share may change while a request waits.
        const rate = this.rate(cls);
        const b = this.bucket(key, rate);
        const now = this.clock.now();
        const blocked = b.blockedUntil - now;
        const short = b.tokens < 1 ? ((1 - b.tokens) / rate.perSecond) * 1000 : 0;
        // Behind an urgent request: wait for the token after the one it takes.
        const yielding = isBulk && b.urgentWaiting > 0 ? Math.max(short, 1000 / rate.perSecond) : 0;
        const wait = Math.max(blocked, short, yielding);
        if (wait <= 0) {
          b.tokens -= 1;
          return;
        }
        if (!isBulk && !counted) {
          counted = b;
          b.urgentWaiting += 1;
        }
        this.waitedMs += wait;
        await this.clock.sleep(Math.ceil(wait), signal);
      }
    } finally {
      if (counted) counted.urgentWaiting -= 1;
    }
  }

  /** Azure said 429: hold every request of this class to the subscription back that long. */
  throttled(scope: string, cls: RequestClass, retryAfterMs: number): void {
    this.throttledResponses += 1;
    const b = this.bucket(`${scope}|${cls}`, this.rate(cls));
    b.blockedUntil = Math.max(b.blockedUntil, this.clock.now() + retryAfterMs);
    b.tokens = Math.min(b.tokens, 0);
  }
}

export function requestClass(method: string): RequestClass {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

/** The bucket a request counts against: its subscription (ARM's unit), else the tenant-level API. */
export function budgetScope(url: string): string {
  const match = /\/subscriptions\/([^/?]+)/i.exec(new URL(url).pathname);
  return match?.[1]?.toLowerCase() ?? 'tenant';
}

/** An SDK pipeline policy that spends the worker's budget and learns from Azure's 429s. */
export function requestBudgetPolicy(budget: RequestBudget): PipelinePolicy {
  return {
    name: 'asrflowRequestBudget',
    async sendRequest(request, next) {
      const scope = budgetScope(request.url);
      const cls = requestClass(request.method);
      // An aborted request is never sent: it spends no token either.
      if (request.abortSignal?.aborted) {
        // Named as the Azure SDKs name an abort, so no retry policy retries it.
        throw Object.assign(new Error('the request was aborted before it was sent'), { name: 'AbortError' });
      }
      await budget.acquire(scope, cls, request.abortSignal);
      const learn = (status: number | undefined, header: (name: string) => string | undefined) => {
        if (status !== 429) return;
        const seconds = retryAfterSeconds({ response: { headers: { get: header } } }) ?? 1;
        budget.throttled(scope, cls, Math.max(1, seconds) * 1000);
      };
      try {
        const response = await next(request);
        learn(response.status, (name) => response.headers.get(name));
        return response;
      } catch (error) {
        // With SDK retries off, the retry phase turns a final 429 into a RestError.
        const e = error as { statusCode?: number; response?: { headers?: { get(name: string): string | undefined } } };
        learn(e.statusCode, (name) => e.response?.headers?.get(name));
        throw error;
      }
    },
  };
}

/**
 * Limits from ASRFLOW_ARM_READS_PER_SECOND / ASRFLOW_ARM_WRITES_PER_SECOND (burst: ten seconds'
 * worth, or ASRFLOW_ARM_READS_BURST / ASRFLOW_ARM_WRITES_BURST), else the defaults.
 */
export function budgetFromEnv(env: NodeJS.ProcessEnv): RequestBudgetLimits {
  const positive = (name: string, unit: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!(value > 0)) throw new Error(`${name} must be a positive number of ${unit}: got '${raw}'`);
    return value;
  };
  const rate = (cls: 'READS' | 'WRITES', fallback: Rate): Rate => {
    const perSecond = positive(`ASRFLOW_ARM_${cls}_PER_SECOND`, 'requests per second');
    const burst = positive(`ASRFLOW_ARM_${cls}_BURST`, 'requests');
    if (perSecond === undefined) return burst === undefined ? fallback : { ...fallback, burst: Math.round(burst) };
    return { perSecond, burst: Math.max(1, Math.round(burst ?? perSecond * 10)) };
  };
  const writes = rate('WRITES', DEFAULT_BUDGET.writes);
  return { reads: rate('READS', DEFAULT_BUDGET.reads), writes, deletes: writes };
}
