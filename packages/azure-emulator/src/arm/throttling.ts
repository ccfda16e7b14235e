// ARM request limits since 2024: token buckets per (region, subscription, principal) for
// reads, writes and deletes, and a subscription-wide bucket 15 times larger. Time here is
// wall-clock time: throttling is about the client's real request rate.

export type RequestClass = 'reads' | 'writes' | 'deletes';

export interface BucketSize {
  burst: number;
  refillPerSecond: number;
}

export interface ThrottlingConfig {
  enabled: boolean;
  reads: BucketSize;
  writes: BucketSize;
  deletes: BucketSize;
  /** Multiplier of the subscription-wide (all principals) bucket. */
  globalFactor: number;
}

export const DEFAULT_THROTTLING: ThrottlingConfig = {
  enabled: true,
  reads: { burst: 250, refillPerSecond: 25 },
  writes: { burst: 200, refillPerSecond: 10 },
  deletes: { burst: 200, refillPerSecond: 10 },
  globalFactor: 15,
};

class Bucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly size: BucketSize,
    now: number,
  ) {
    this.tokens = size.burst;
    this.last = now;
  }
  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.size.burst, this.tokens + elapsed * this.size.refillPerSecond);
    this.last = now;
  }
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }
  take(): void {
    this.tokens -= 1;
  }
  /** Seconds until one token is back. */
  waitSeconds(): number {
    return Math.max(1, Math.ceil((1 - this.tokens) / this.size.refillPerSecond));
  }
}

export type ThrottleDecision =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; retryAfterSeconds: number; scope: 'principal' | 'subscription'; headers: Record<string, string> };

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();
  config: ThrottlingConfig;

  constructor(
    config: ThrottlingConfig = DEFAULT_THROTTLING,
    private readonly now: () => number = Date.now,
  ) {
    this.config = config;
  }

  configure(patch: Partial<ThrottlingConfig>): void {
    this.config = { ...this.config, ...patch };
    this.buckets.clear();
  }

  reset(): void {
    this.buckets.clear();
  }

  private bucket(key: string, size: BucketSize, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      b = new Bucket(size, now);
      this.buckets.set(key, b);
    }
    return b;
  }

  check(region: string, subscriptionId: string, principal: string, cls: RequestClass): ThrottleDecision {
    if (!this.config.enabled) return { allowed: true, headers: {} };
    const now = this.now();
    const size = this.config[cls];
    const global = {
      burst: size.burst * this.config.globalFactor,
      refillPerSecond: size.refillPerSecond * this.config.globalFactor,
    };
    const sub = subscriptionId.toLowerCase();
    const p = this.bucket(`${region}|${sub}|${principal.toLowerCase()}|${cls}`, size, now);
    const g = this.bucket(`${region}|${sub}|*|${cls}`, global, now);
    const header = `x-ms-ratelimit-remaining-subscription-${cls}`;
    const globalHeader = `x-ms-ratelimit-remaining-subscription-global-${cls}`;
    if (p.available(now) < 1) {
      return {
        allowed: false,
        retryAfterSeconds: p.waitSeconds(),
        scope: 'principal',
        headers: { [header]: '0', [globalHeader]: String(Math.floor(g.available(now))) },
      };
    }
    if (g.available(now) < 1) {
      return {
        allowed: false,
        retryAfterSeconds: g.waitSeconds(),
        scope: 'subscription',
        headers: { [header]: String(Math.floor(p.available(now))), [globalHeader]: '0' },
      };
    }
    p.take();
    g.take();
    return {
      allowed: true,
      headers: { [header]: String(Math.floor(p.available(now))), [globalHeader]: String(Math.floor(g.available(now))) },
    };
  }
}
