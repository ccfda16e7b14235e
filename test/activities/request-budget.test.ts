import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureClientFactory } from '../../src/azure/clients';
import {
  asBulkRequests,
  budgetFromEnv,
  budgetScope,
  RequestBudget,
  requestClass,
  type Clock,
} from '../../src/azure/request-budget';
import { loadAzureTarget } from '../../src/azure/target';
import { startTestEmulator, TENANTS, type TestEmulator } from '../emulator/helpers';

/** A clock that only moves when someone sleeps, so waits are exact and instant. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('the worker-side ARM request budget', () => {
  it('lets a burst through, then paces at the rate', async () => {
    const clock = fakeClock();
    const budget = new RequestBudget(
      { reads: { perSecond: 10, burst: 5 }, writes: { perSecond: 1, burst: 1 }, deletes: { perSecond: 1, burst: 1 } },
      clock,
    );
    for (let i = 0; i < 5; i++) await budget.acquire('sub-a', 'reads');
    expect(clock.now()).toBe(0);
    await budget.acquire('sub-a', 'reads');
    expect(clock.now()).toBe(100);
    // Another subscription, and another class, have buckets of their own.
    await budget.acquire('sub-b', 'reads');
    await budget.acquire('sub-a', 'writes');
    expect(clock.now()).toBe(100);
  });

  it('holds every request to a subscription back until a 429 Retry-After has passed', async () => {
    const clock = fakeClock();
    const budget = new RequestBudget(undefined, clock);
    budget.throttled('sub-a', 'reads', 7_000);
    await budget.acquire('sub-a', 'reads');
    expect(clock.now()).toBeGreaterThanOrEqual(7_000);
    expect(budget.throttledResponses).toBe(1);
    const before = clock.now();
    await budget.acquire('sub-b', 'reads');
    expect(clock.now()).toBe(before);
  });

  it('classifies and scopes requests as ARM does', () => {
    expect(requestClass('get')).toBe('reads');
    expect(requestClass('PUT')).toBe('writes');
    expect(requestClass('POST')).toBe('writes');
    expect(requestClass('DELETE')).toBe('deletes');
    expect(budgetScope('https://management.azure.com/subscriptions/ABC/resourceGroups/x?api-version=1')).toBe('abc');
    expect(budgetScope('https://management.azure.com/providers/Microsoft.Resources/operations')).toBe('tenant');
  });

  it('lets a request on the critical path go before bulk requests that wait for the same bucket', async () => {
    // A clock whose sleepers wake in time order, as timers do.
    let now = 0;
    const timers: Array<{ at: number; wake: () => void }> = [];
    const clock: Clock = {
      now: () => now,
      sleep: (ms) => new Promise<void>((wake) => timers.push({ at: now + ms, wake })),
    };
    const budget = new RequestBudget(
      { reads: { perSecond: 1, burst: 1 }, writes: { perSecond: 1, burst: 1 }, deletes: { perSecond: 1, burst: 1 } },
      clock,
    );
    const order: string[] = [];
    const take = (name: string, run: () => Promise<void>) => run().then(() => void order.push(`${name}@${now}`));
    const all = [
      ...['bulk1', 'bulk2', 'bulk3', 'bulk4'].map((n) =>
        take(n, () => asBulkRequests(() => budget.acquire('sub', 'writes'))),
      ),
      take('setup', () => budget.acquire('sub', 'writes')),
    ];
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    for (let round = 0; round < 50 && order.length < 5; round++) {
      await settle();
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) continue;
      now = Math.max(now, next.at);
      next.wake();
    }
    await Promise.all(all);
    // The first bulk request had the burst; the setup request asked last but went next.
    expect(order.slice(0, 2)).toEqual(['bulk1@0', 'setup@1000']);
    expect(order).toHaveLength(5);
  });

  it('reads its rates from the environment and rejects nonsense', () => {
    expect(budgetFromEnv({ ASRFLOW_ARM_READS_PER_SECOND: '5' }).reads).toEqual({ perSecond: 5, burst: 50 });
    expect(budgetFromEnv({ ASRFLOW_ARM_WRITES_PER_SECOND: '10', ASRFLOW_ARM_WRITES_BURST: '200' }).writes).toEqual({
      perSecond: 10,
      burst: 200,
    });
    expect(budgetFromEnv({ ASRFLOW_ARM_READS_BURST: '100' }).reads).toEqual({ perSecond: 20, burst: 100 });
    expect(() => budgetFromEnv({ ASRFLOW_ARM_WRITES_BURST: '-1' })).toThrow(
      "ASRFLOW_ARM_WRITES_BURST must be a positive number of requests: got '-1'",
    );
    expect(() => budgetFromEnv({ ASRFLOW_ARM_WRITES_PER_SECOND: 'fast' })).toThrow(
      /ASRFLOW_ARM_WRITES_PER_SECOND must be a positive number/,
    );
  });
});

// Through the product's client factory and the real SDK against the emulator, whose ARM
// throttling is set tighter than usual: a crowd of concurrent reads stays inside the budget
// and Azure never has to say 429; without the budget, the same crowd is throttled.
describe('the request budget against ARM throttling', () => {
  let emu: TestEmulator;
  const contoso = TENANTS.contoso;
  const principal = {
    tenantId: contoso.tenantId,
    credential: { type: 'clientSecret' as const, clientId: contoso.clientId, secretEnv: 'SECRET' },
  };

  beforeAll(async () => {
    emu = await startTestEmulator({ throttling: { reads: { burst: 10, refillPerSecond: 10 } } });
  });
  afterAll(async () => {
    await emu?.close();
  });

  const crowd = async (factory: AzureClientFactory) => {
    const client = factory.resources(principal, contoso.subscriptionId);
    // Token and first connection before the crowd, so the crowd's timing is the budget's alone;
    // then a second for the emulator's bucket (10/s) to fill up again.
    await client.resourceGroups.checkExistence('warm-up');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const since = (await emu.admin.requests(0)).lastSeq;
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => client.resourceGroups.checkExistence('no-such-group')),
    );
    const statuses = (await emu.admin.requests(since)).entries
      .filter((e) => e.subscriptionId === contoso.subscriptionId)
      .map((e) => e.status);
    const reasons = results.flatMap((r) =>
      r.status === 'rejected'
        ? [
            JSON.stringify({
              name: (r.reason as Error).name,
              message: (r.reason as Error).message,
              code: (r.reason as { code?: string }).code,
              status: (r.reason as { statusCode?: number }).statusCode,
            }),
          ]
        : [],
    );
    return { failed: reasons.length, reasons, statuses };
  };
  const env = () => ({
    ASRFLOW_ARM_ENDPOINT: emu.armEndpoint,
    ASRFLOW_AUTHORITY_HOST: emu.authorityHost,
    ASRFLOW_CA_FILE: emu.caCertPath,
    SECRET: contoso.clientSecret,
  });

  it('keeps 30 concurrent reads under a 10/s limit: none throttled, all answered', async () => {
    // Well under the limit, as the product's defaults are under ARM's: scheduling jitter on a
    // loaded machine must not be able to bunch requests past the emulator's bucket.
    const rate = { perSecond: 4, burst: 4 };
    const factory = new AzureClientFactory(loadAzureTarget(env()), env(), {
      budget: new RequestBudget({ reads: rate, writes: rate, deletes: rate }),
    });
    const { reasons, statuses } = await crowd(factory);
    expect(reasons).toEqual([]);
    expect(statuses).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toEqual([]);
    expect(factory.budget.waitedMs).toBeGreaterThan(0);
  });

  it('two workers, each with a full budget, are throttled together; sharing it, they are not', async () => {
    const rate = { perSecond: 8, burst: 8 };
    const worker = () =>
      new AzureClientFactory(loadAzureTarget(env()), env(), {
        budget: new RequestBudget({ reads: rate, writes: rate, deletes: rate }),
      });
    const both = async (share: number) => {
      const [a, b] = [worker(), worker()];
      a.budget.setShare(share);
      b.budget.setShare(share);
      const [ra, rb] = await Promise.all([crowd(a), crowd(b)]);
      return [...ra.statuses, ...rb.statuses].filter((s) => s === 429).length;
    };
    // 16 a second between them against ARM's 10: throttled.
    expect(await both(1)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // 4 each, 8 together: none.
    expect(await both(2)).toBe(0);
  });

  it('without a budget the same crowd is throttled (the limit is real)', async () => {
    const unlimited = { perSecond: 1e6, burst: 1e6 };
    const factory = new AzureClientFactory(loadAzureTarget(env()), env(), {
      budget: new RequestBudget({ reads: unlimited, writes: unlimited, deletes: unlimited }),
    });
    const { failed, statuses } = await crowd(factory);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(failed).toBe(statuses.filter((s) => s === 429).length);
    expect(factory.budget.throttledResponses).toBe(failed);
  });
});
